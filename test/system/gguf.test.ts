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

  it('maps general.file_type to quantization names', () => {
    expect(ggufFileTypeName(15)).toBe('Q4_K_M');
    expect(ggufFileTypeName(1)).toBe('F16');
    expect(ggufFileTypeName(32)).toBe('BF16');
    expect(ggufFileTypeName(10)).toBe('Q2_K');
    expect(ggufFileTypeName(15 | 1024)).toBe('Q4_K_M');
    expect(ggufFileTypeName(99)).toBeUndefined();
  });
});
