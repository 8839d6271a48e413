// Reads the metadata header of a GGUF model file without loading the (multi-GB) tensor data: the
// file is read in chunks through a `readBytes(offset, length)` callback, so the SystemContext stays the
// only code that touches the disk and tests can feed synthetic headers.
// Format: magic "GGUF", uint32 version, uint64 tensor count, uint64 key/value count, then key/value
// pairs (key = uint64 length + UTF-8; value = uint32 type + payload). Version 1 (2023, 32-bit counts)
// is obsolete and rejected with a clear message.

import { DsbError } from '../errors.js';

export type GgufScalar = number | bigint | boolean | string;
/** Arrays are summarised (type and length) except small ones, which are kept. */
export interface GgufArraySummary {
  arrayType: number;
  length: number;
  values?: GgufScalar[];
}
export type GgufValue = GgufScalar | GgufArraySummary;

export interface GgufHeader {
  version: number;
  littleEndian: boolean;
  tensorCount: number;
  metadata: Record<string, GgufValue>;
  /** Bytes of header read (metadata, and tensor infos when asked for). */
  headerBytes: number;
  /** With `tensors: true`: every tensor's ggml type and element count (from the tensor infos). */
  tensors?: Array<{ type: number; elements: number }>;
}

export class GgufError extends DsbError {
  constructor(message: string) {
    super('GGUF_INVALID', message);
    this.name = 'GgufError';
  }
}

export type ReadBytes = (offset: number, length: number) => Promise<Buffer | undefined>;

const T = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** Fixed-size value types: their size in bytes and how to read one little-endian. */
const FIXED: Readonly<Record<number, { size: number; read: (b: Buffer, at: number) => GgufScalar }>> = {
  [T.UINT8]: { size: 1, read: (b, at) => b.readUInt8(at) },
  [T.INT8]: { size: 1, read: (b, at) => b.readInt8(at) },
  [T.UINT16]: { size: 2, read: (b, at) => b.readUInt16LE(at) },
  [T.INT16]: { size: 2, read: (b, at) => b.readInt16LE(at) },
  [T.UINT32]: { size: 4, read: (b, at) => b.readUInt32LE(at) },
  [T.INT32]: { size: 4, read: (b, at) => b.readInt32LE(at) },
  [T.FLOAT32]: { size: 4, read: (b, at) => b.readFloatLE(at) },
  [T.BOOL]: { size: 1, read: (b, at) => b.readUInt8(at) !== 0 },
  [T.UINT64]: { size: 8, read: (b, at) => b.readBigUInt64LE(at) },
  [T.INT64]: { size: 8, read: (b, at) => b.readBigInt64LE(at) },
  [T.FLOAT64]: { size: 8, read: (b, at) => b.readDoubleLE(at) },
};

/** Arrays up to this length are kept in the result (e.g. small lists); longer ones are only counted. */
const KEEP_ARRAY_MAX = 16;

class ChunkReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  littleEndian = true;

  constructor(
    private readonly read: ReadBytes,
    private readonly chunkSize: number,
    private readonly maxBytes: number,
  ) {}

  private async ensure(n: number): Promise<void> {
    const end = this.pos + n;
    if (end > this.maxBytes) {
      throw new GgufError(`GGUF header larger than ${this.maxBytes} bytes: not a model file dsb can read`);
    }
    while (this.bufStart + this.buf.length < end) {
      const from = this.bufStart + this.buf.length;
      const want = Math.max(this.chunkSize, end - from);
      const chunk = await this.read(from, want);
      if (!chunk || chunk.length === 0) throw new GgufError('unexpected end of file inside the GGUF header');
      // Drop what was consumed so memory stays bounded by the chunk size.
      const keepFrom = Math.max(0, this.pos - this.bufStart);
      this.buf = Buffer.concat([this.buf.subarray(keepFrom), chunk]);
      this.bufStart += keepFrom;
    }
  }

  private at(): number {
    return this.pos - this.bufStart;
  }

  /** One fixed-size value as stored (64-bit integers as bigint), in the file's byte order. */
  private async fixed(type: number): Promise<GgufScalar> {
    const spec = FIXED[type];
    if (!spec) throw new GgufError(`unknown GGUF value type ${type}`);
    await this.ensure(spec.size);
    const at = this.at();
    // Big-endian files (s390x): the value's bytes reversed read the same little-endian.
    const v = this.littleEndian
      ? spec.read(this.buf, at)
      : spec.read(Buffer.from(this.buf.subarray(at, at + spec.size)).reverse(), 0);
    this.pos += spec.size;
    return v;
  }
  async u32(): Promise<number> {
    return (await this.fixed(T.UINT32)) as number;
  }
  async u64(): Promise<bigint> {
    return (await this.fixed(T.UINT64)) as bigint;
  }
  async skip(n: number): Promise<void> {
    await this.ensure(n);
    this.pos += n;
  }
  async bytes(n: number): Promise<Buffer> {
    await this.ensure(n);
    const v = Buffer.from(this.buf.subarray(this.at(), this.at() + n));
    this.pos += n;
    return v;
  }

  async scalar(type: number): Promise<GgufScalar> {
    if (type === T.STRING) return this.string();
    const v = await this.fixed(type);
    // 64-bit integers that fit are returned as numbers: context lengths and counts are used as numbers.
    if (
      typeof v === 'bigint' &&
      v <= BigInt(Number.MAX_SAFE_INTEGER) &&
      v >= BigInt(Number.MIN_SAFE_INTEGER)
    ) {
      return Number(v);
    }
    return v;
  }

  async string(): Promise<string> {
    const len = await this.u64();
    if (len > BigInt(this.maxBytes))
      throw new GgufError(
        `GGUF header larger than ${this.maxBytes} bytes (a string of ${len} bytes): corrupt or not a model file dsb can read`,
      );
    return (await this.bytes(Number(len))).toString('utf8');
  }

  async value(type: number): Promise<GgufValue> {
    if (type !== T.ARRAY) return this.scalar(type);
    const arrayType = await this.u32();
    const count = await this.u64();
    if (count > BigInt(this.maxBytes))
      throw new GgufError(
        `GGUF header larger than ${this.maxBytes} bytes (an array of ${count} values): corrupt or not a model file dsb can read`,
      );
    const length = Number(count);
    if (length <= KEEP_ARRAY_MAX && arrayType !== T.ARRAY) {
      const values: GgufScalar[] = [];
      for (let i = 0; i < length; i++) values.push(await this.scalar(arrayType));
      return { arrayType, length, values };
    }
    const size = FIXED[arrayType]?.size;
    if (size !== undefined) {
      await this.skip(size * length);
    } else if (arrayType === T.STRING) {
      // Token lists: hundreds of thousands of strings; skipped one length prefix at a time.
      for (let i = 0; i < length; i++) {
        const n = await this.u64();
        await this.skip(Number(n));
      }
    } else if (arrayType === T.ARRAY) {
      for (let i = 0; i < length; i++) await this.value(T.ARRAY);
    } else {
      throw new GgufError(`unknown GGUF array element type ${arrayType}`);
    }
    return { arrayType, length };
  }
}

export interface ReadGgufOptions {
  chunkSize?: number;
  /** Refuse headers larger than this (a corrupt or hostile file must not make dsb read gigabytes). */
  maxBytes?: number;
  /** Also read the tensor infos that follow the metadata (name, shape, type; not the data). */
  tensors?: boolean;
}

export async function readGgufHeader(read: ReadBytes, options: ReadGgufOptions = {}): Promise<GgufHeader> {
  const r = new ChunkReader(read, options.chunkSize ?? 1 << 20, options.maxBytes ?? 256 << 20);
  const magic = await r.bytes(4);
  if (magic.toString('latin1') !== 'GGUF') {
    throw new GgufError(
      `not a GGUF file (starts with ${JSON.stringify(magic.toString('latin1'))}, expected "GGUF")`,
    );
  }
  let version = await r.u32();
  // Big-endian GGUF files exist (s390x); their version reads as a huge little-endian number.
  if (version > 0xffff) {
    r.littleEndian = false;
    version =
      ((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24);
  }
  if (version < 2)
    throw new GgufError(`GGUF version ${version} is obsolete: re-convert the model with a current llama.cpp`);
  if (version > 3) throw new GgufError(`GGUF version ${version} is newer than dsb knows (3)`);
  const tensorCount = Number(await r.u64());
  const kvCount = Number(await r.u64());
  if (kvCount > 1_000_000) throw new GgufError('corrupt GGUF header: too many metadata entries');
  const metadata: Record<string, GgufValue> = {};
  for (let i = 0; i < kvCount; i++) {
    const key = await r.string();
    const type = await r.u32();
    metadata[key] = await r.value(type);
  }
  const tensors = options.tensors ? await readTensorInfos(r, tensorCount) : undefined;
  return {
    version,
    littleEndian: r.littleEndian,
    tensorCount,
    metadata,
    headerBytes: r.pos,
    ...(tensors ? { tensors } : {}),
  };
}

/** Tensor infos: name, uint32 n_dims, uint64 dims[n_dims], uint32 ggml type, uint64 data offset. */
async function readTensorInfos(
  r: ChunkReader,
  count: number,
): Promise<Array<{ type: number; elements: number }>> {
  if (count > 1_000_000) throw new GgufError('corrupt GGUF header: too many tensors');
  const tensors: Array<{ type: number; elements: number }> = [];
  for (let i = 0; i < count; i++) {
    await r.string();
    const dims = await r.u32();
    if (dims > 8) throw new GgufError(`corrupt GGUF header: a tensor with ${dims} dimensions`);
    let elements = 1;
    for (let d = 0; d < dims; d++) elements *= Number(await r.u64());
    const type = await r.u32();
    await r.u64();
    tensors.push({ type, elements });
  }
  return tensors;
}

/** llama.cpp's `llama_ftype` (the value of `general.file_type`) → the usual quantization name. */
export const GGUF_FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4_MOE',
  39: 'NVFP4',
  40: 'Q1_0',
  41: 'Q2_0',
};

export function ggufFileTypeName(fileType: number): string | undefined {
  return GGUF_FILE_TYPES[fileType & ~1024];
}

/** Encodes a GGUF header (used by tests and fixtures to build files; the inverse of readGgufHeader). */
export function encodeGgufHeader(
  entries: Array<[string, 'u32' | 'u64' | 'string' | 'f32' | 'bool' | 'strings', unknown]>,
  tensorCount = 0,
  tensors: Array<{ name: string; dims: number[]; type: number }> = [],
): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const u64 = (n: number | bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  const str = (s: string) => {
    const body = Buffer.from(s, 'utf8');
    return Buffer.concat([u64(body.length), body]);
  };
  parts.push(Buffer.from('GGUF', 'latin1'), u32(3), u64(tensors.length || tensorCount), u64(entries.length));
  for (const [key, type, value] of entries) {
    parts.push(str(key));
    switch (type) {
      case 'u32':
        parts.push(u32(T.UINT32), u32(value as number));
        break;
      case 'u64':
        parts.push(u32(T.UINT64), u64(value as number));
        break;
      case 'string':
        parts.push(u32(T.STRING), str(value as string));
        break;
      case 'f32': {
        const b = Buffer.alloc(4);
        b.writeFloatLE(value as number);
        parts.push(u32(T.FLOAT32), b);
        break;
      }
      case 'bool':
        parts.push(u32(T.BOOL), Buffer.from([value ? 1 : 0]));
        break;
      case 'strings': {
        const list = value as string[];
        parts.push(u32(T.ARRAY), u32(T.STRING), u64(list.length), ...list.map(str));
        break;
      }
    }
  }
  let offset = 0;
  for (const tensor of tensors) {
    parts.push(
      str(tensor.name),
      u32(tensor.dims.length),
      ...tensor.dims.map(u64),
      u32(tensor.type),
      u64(offset),
    );
    offset += 32;
  }
  return Buffer.concat(parts);
}
