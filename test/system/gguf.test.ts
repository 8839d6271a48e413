import { describe, expect, it } from 'vitest';
import { encodeGgufHeader, GgufError, ggufFileTypeName, readGgufHeader } from '../../src/system/gguf.js';

function reader(buf: Buffer) {
  const reads: Array<[number, number]> = [];
  return {
    reads,
    read: async (offset: number, length: number) => {
      reads.push([offset, length]);
      return buf.subarray(offset, offset + length);
    },
  };
}

const vocab = Array.from({ length: 50_000 }, (_, i) => `tok${i}`);
const header = encodeGgufHeader(
  [
    ['general.architecture', 'string', 'deepseek2'],
    ['general.name', 'string', 'DeepSeek V3'],
    ['deepseek2.context_length', 'u32', 163840],
    ['deepseek2.block_count', 'u64', 61],
    ['deepseek2.rope.freq_base', 'f32', 10000],
    ['general.file_type', 'u32', 15],
    ['tokenizer.ggml.tokens', 'strings', vocab],
    ['tokenizer.ggml.add_bos_token', 'bool', true],
    ['general.tags', 'strings', ['code', 'chat']],
  ],
  1025,
);

describe('readGgufHeader', () => {
  it('reads the metadata of a GGUF v3 file in small chunks, skipping long arrays', async () => {
    const r = reader(header);
    const h = await readGgufHeader(r.read, { chunkSize: 4096 });
    expect(h.version).toBe(3);
    expect(h.tensorCount).toBe(1025);
    expect(h.metadata['general.architecture']).toBe('deepseek2');
    expect(h.metadata['deepseek2.context_length']).toBe(163840);
    expect(h.metadata['deepseek2.block_count']).toBe(61);
    expect(h.metadata['general.file_type']).toBe(15);
    expect(h.metadata['tokenizer.ggml.add_bos_token']).toBe(true);
    expect(h.metadata['tokenizer.ggml.tokens']).toEqual({ arrayType: 8, length: 50_000 });
    expect(h.metadata['general.tags']).toEqual({ arrayType: 8, length: 2, values: ['code', 'chat'] });
    expect(h.headerBytes).toBe(header.length);
  });

  it('never reads the tensor data after the header', async () => {
    const file = Buffer.concat([header, Buffer.alloc(8 * 1024 * 1024, 7)]);
    const r = reader(file);
    await readGgufHeader(r.read, { chunkSize: 64 * 1024 });
    const maxEnd = Math.max(...r.reads.map(([o, l]) => o + l));
    expect(maxEnd).toBeLessThan(header.length + 64 * 1024 + 1);
  });

  it('works with tiny chunks (values split across reads)', async () => {
    const h = await readGgufHeader(reader(header).read, { chunkSize: 3 });
    expect(h.metadata['general.name']).toBe('DeepSeek V3');
  });

  it('rejects files that are not GGUF, truncated, obsolete or absurd', async () => {
    await expect(readGgufHeader(reader(Buffer.from('PK\u0003\u0004 not a model')).read)).rejects.toThrow(
      /not a GGUF file/,
    );
    await expect(readGgufHeader(reader(header.subarray(0, 100)).read)).rejects.toThrow(GgufError);
    const v1 = Buffer.from(header);
    v1.writeUInt32LE(1, 4);
    await expect(readGgufHeader(reader(v1).read)).rejects.toThrow(/obsolete/);
    await expect(readGgufHeader(reader(header).read, { maxBytes: 1000 })).rejects.toThrow(
      /larger than 1000 bytes/,
    );
  });

  it('reads every value type the same from little- and big-endian files (s390x)', async () => {
    // A header written by hand in either byte order: GGUF stores every number in the file's order.
    const encode = (le: boolean): Buffer => {
      const parts: Buffer[] = [];
      const num = (size: number, write: (b: Buffer) => void) => {
        const b = Buffer.alloc(size);
        write(b);
        parts.push(b);
      };
      const u32 = (n: number) => num(4, (b) => (le ? b.writeUInt32LE(n) : b.writeUInt32BE(n)));
      const u64 = (n: bigint) => num(8, (b) => (le ? b.writeBigUInt64LE(n) : b.writeBigUInt64BE(n)));
      const str = (s: string) => {
        u64(BigInt(Buffer.byteLength(s)));
        parts.push(Buffer.from(s, 'utf8'));
      };
      const kv = (key: string, type: number, write: () => void) => {
        str(key);
        u32(type);
        write();
      };
      parts.push(Buffer.from('GGUF', 'latin1'));
      u32(3);
      u64(7n);
      u64(13n);
      kv('u8', 0, () => num(1, (b) => b.writeUInt8(200)));
      kv('i8', 1, () => num(1, (b) => b.writeInt8(-5)));
      kv('u16', 2, () => num(2, (b) => (le ? b.writeUInt16LE(65000) : b.writeUInt16BE(65000))));
      kv('i16', 3, () => num(2, (b) => (le ? b.writeInt16LE(-300) : b.writeInt16BE(-300))));
      kv('u32', 4, () => u32(163840));
      kv('i32', 5, () => num(4, (b) => (le ? b.writeInt32LE(-70000) : b.writeInt32BE(-70000))));
      kv('f32', 6, () => num(4, (b) => (le ? b.writeFloatLE(0.5) : b.writeFloatBE(0.5))));
      kv('bool', 7, () => num(1, (b) => b.writeUInt8(1)));
      kv('string', 8, () => str('deepseek2'));
      kv('u64', 10, () => u64(61n));
      kv('u64big', 10, () => u64(2n ** 63n + 1n));
      kv('i64', 11, () => num(8, (b) => (le ? b.writeBigInt64LE(-2n) : b.writeBigInt64BE(-2n))));
      kv('f64', 12, () => num(8, (b) => (le ? b.writeDoubleLE(-1.25) : b.writeDoubleBE(-1.25))));
      return Buffer.concat(parts);
    };
    const expected = {
      u8: 200,
      i8: -5,
      u16: 65000,
      i16: -300,
      u32: 163840,
      i32: -70000,
      f32: 0.5,
      bool: true,
      string: 'deepseek2',
      u64: 61,
      u64big: 2n ** 63n + 1n,
      i64: -2,
      f64: -1.25,
    };
    for (const le of [true, false]) {
      const h = await readGgufHeader(reader(encode(le)).read, { chunkSize: 5 });
      expect(h).toMatchObject({ version: 3, littleEndian: le, tensorCount: 7 });
      expect(h.metadata).toEqual(expected);
    }
  });

  it('maps general.file_type to quantization names', () => {
    expect(ggufFileTypeName(15)).toBe('Q4_K_M');
    expect(ggufFileTypeName(1)).toBe('F16');
    expect(ggufFileTypeName(32)).toBe('BF16');
    expect(ggufFileTypeName(10)).toBe('Q2_K');
    expect(ggufFileTypeName(15 | 1024)).toBe('Q4_K_M');
    expect(ggufFileTypeName(99)).toBeUndefined();
  });
});

// Moved from test/checks/quantization-tensors.test.ts.
describe('readGgufHeader: tensor infos', () => {
  const F32 = 0;
  const F16 = 1;
  const gguf = (fileType: number, tensors: Array<{ name: string; dims: number[]; type: number }>): Buffer =>
    encodeGgufHeader(
      [
        ['general.architecture', 'string', 'deepseek2'],
        ['general.name', 'string', 'DeepSeek test'],
        ['general.file_type', 'u32', fileType],
      ],
      0,
      tensors,
    );

  it('reads the tensor infos that follow the metadata', async () => {
    const buf = gguf(F32, [
      { name: 'a', dims: [4096, 32], type: F32 },
      { name: 'b', dims: [4096], type: F16 },
    ]);
    const h = await readGgufHeader(async (o, l) => buf.subarray(o, o + l), { tensors: true, chunkSize: 7 });
    expect(h.tensors).toEqual([
      { type: F32, elements: 4096 * 32 },
      { type: F16, elements: 4096 },
    ]);
    expect(h.headerBytes).toBe(buf.length);
  });
});
