// ggml's tensor types (the `type` of each tensor-info entry of a GGUF header): how many weights one
// block holds and how many bytes the block takes, from ggml's block structs (ggml-common.h). Bytes
// per parameter follow from these, so F32 is 4, F16/BF16 2, Q8_0 34/32, Q4_K 144/256 …

export interface GgmlType {
  name: string;
  /** Weights per block (1 for plain floats and integers). */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
}

const t = (name: string, blockSize: number, typeSize: number): GgmlType => ({ name, blockSize, typeSize });

/** ggml_type id → layout. Ids missing here (removed Q4_2/Q4_3, types newer than dsb) are "unknown". */
export const GGML_TYPES: Readonly<Record<number, GgmlType>> = {
  0: t('F32', 1, 4),
  1: t('F16', 1, 2),
  2: t('Q4_0', 32, 18),
  3: t('Q4_1', 32, 20),
  6: t('Q5_0', 32, 22),
  7: t('Q5_1', 32, 24),
  8: t('Q8_0', 32, 34),
  9: t('Q8_1', 32, 36),
  10: t('Q2_K', 256, 84),
  11: t('Q3_K', 256, 110),
  12: t('Q4_K', 256, 144),
  13: t('Q5_K', 256, 176),
  14: t('Q6_K', 256, 210),
  15: t('Q8_K', 256, 292),
  16: t('IQ2_XXS', 256, 66),
  17: t('IQ2_XS', 256, 74),
  18: t('IQ3_XXS', 256, 98),
  19: t('IQ1_S', 256, 50),
  20: t('IQ4_NL', 32, 18),
  21: t('IQ3_S', 256, 110),
  22: t('IQ2_S', 256, 82),
  23: t('IQ4_XS', 256, 136),
  24: t('I8', 1, 1),
  25: t('I16', 1, 2),
  26: t('I32', 1, 4),
  27: t('I64', 1, 8),
  28: t('F64', 1, 8),
  29: t('IQ1_M', 256, 56),
  30: t('BF16', 1, 2),
  34: t('TQ1_0', 256, 54),
  35: t('TQ2_0', 256, 66),
  39: t('MXFP4', 32, 17),
};

/** Bytes per parameter of a whole-file quantization name with one tensor type (F32 4, F16/BF16 2). */
export function fullPrecisionBytesPerParam(quant: string): number | undefined {
  if (/^(F32|FP32)$/i.test(quant)) return 4;
  if (/^(F16|BF16|FP16)$/i.test(quant)) return 2;
  return undefined;
}

export interface TensorTypeTally {
  type: number;
  name: string;
  tensors: number;
  params: number;
  /** undefined for a type dsb does not know the block layout of. */
  bytes: number | undefined;
}

export interface TensorSummary {
  /** Per type, the most parameters first. */
  types: TensorTypeTally[];
  params: number;
  /** Bytes of the tensors of known types. */
  bytes: number;
  /** Parameters in tensors whose type dsb does not know (not counted in `bytes`). */
  unknownParams: number;
  /** bytes / params of the known types; undefined when none is known. */
  bytesPerParam: number | undefined;
}

/** Tallies tensor infos ({ type, element count }) into per-type counts and bytes per parameter. */
export function summarizeTensors(tensors: ReadonlyArray<{ type: number; elements: number }>): TensorSummary {
  const byType = new Map<number, TensorTypeTally>();
  for (const { type, elements } of tensors) {
    const known = GGML_TYPES[type];
    const tally = byType.get(type) ?? {
      type,
      name: known?.name ?? `type ${type}`,
      tensors: 0,
      params: 0,
      bytes: known ? 0 : undefined,
    };
    tally.tensors++;
    tally.params += elements;
    if (known && tally.bytes !== undefined)
      tally.bytes += Math.ceil(elements / known.blockSize) * known.typeSize;
    byType.set(type, tally);
  }
  const types = [...byType.values()].sort((a, b) => b.params - a.params);
  const params = types.reduce((s, x) => s + x.params, 0);
  const knownTypes = types.filter((x) => x.bytes !== undefined);
  const bytes = knownTypes.reduce((s, x) => s + (x.bytes ?? 0), 0);
  const knownParams = knownTypes.reduce((s, x) => s + x.params, 0);
  return {
    types,
    params,
    bytes,
    unknownParams: params - knownParams,
    bytesPerParam: knownParams > 0 ? bytes / knownParams : undefined,
  };
}
