// What the bridge load and the direct load share: the prompt, a bounded pool of requests in
// flight, and the tally of their errors.

/** Short on purpose: the load measures the bridge's overhead, not the model's speed. */
export const LOAD_PROMPT = 'Say hello in one short sentence.';

/** Runs `fn(0..n-1)` with at most `concurrency` calls in flight at once. */
export async function runPool(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
}

/** Distinct error messages with how often each came, most frequent first. */
export function countErrors(messages: string[]): Array<{ message: string; count: number }> {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count);
}
