// The local-tokenizer half of bench/counting.mjs: placeholder until the local phase exists.
export async function benchLocal() {
  return undefined;
}
