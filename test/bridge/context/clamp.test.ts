import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultMargin,
  defaultMinOutput,
  ESTIMATE_REFUSAL_FACTOR,
  EXACT_MARGIN,
  MIN_OUTPUT_TOKENS,
  type OutputPlanInput,
  planOutputTokens,
} from '../../../src/bridge/context/clamp.js';

describe('planOutputTokens: table', () => {
  const cases: Array<[string, OutputPlanInput, ReturnType<typeof planOutputTokens>]> = [
    [
      'unknown context: the request as is',
      { requested: 32000, promptTokens: 20000, method: 'estimate' },
      { ok: true, maxTokens: 32000, clamped: false },
    ],
    [
      'unknown context: the output cap still applies',
      { requested: 32000, promptTokens: 20000, method: 'upstream', outputCap: 8192 },
      { ok: true, maxTokens: 8192, clamped: true },
    ],
    [
      'Claude Code first turn on a 128K server: fits, untouched',
      { requested: 32000, promptTokens: 18000, method: 'upstream', contextSize: 131072 },
      { ok: true, maxTokens: 32000, clamped: false },
    ],
    [
      'exact count on 64K: max_tokens cut to what is left',
      { requested: 32000, promptTokens: 40000, method: 'upstream', contextSize: 65536 },
      { ok: true, maxTokens: 65536 - 40000 - EXACT_MARGIN, clamped: true },
    ],
    [
      'exact count on 64K: no room for the minimum output → refused, maximum named',
      { requested: 32000, promptTokens: 64600, method: 'upstream', contextSize: 65536 },
      { ok: false, promptTokens: 64600, maximum: 65536 - MIN_OUTPUT_TOKENS },
    ],
    [
      'issue 14: Claude Code on a 16K llama.cpp slot (-np 4 -c 65536), 14,314 tokens: sent, not refused',
      { requested: 32000, promptTokens: 14314, method: 'upstream', contextSize: 16384 },
      { ok: true, maxTokens: 16384 - 14314 - EXACT_MARGIN, clamped: true },
    ],
    [
      'exact count leaving exactly 1,024 tokens: sent with all of them (the margin gives way)',
      { requested: 32000, promptTokens: 16384 - 1024, method: 'upstream', contextSize: 16384 },
      { ok: true, maxTokens: 1024, clamped: true },
    ],
    [
      'exact count leaving 1,023 tokens: refused, the maximum is the context less 1,024',
      { requested: 32000, promptTokens: 16384 - 1023, method: 'upstream', contextSize: 16384 },
      { ok: false, promptTokens: 16384 - 1023, maximum: 16384 - 1024 },
    ],
    [
      'a smaller max_tokens is the minimum: 200 tokens left are enough for max_tokens 200',
      { requested: 200, promptTokens: 16384 - 200, method: 'upstream', contextSize: 16384 },
      { ok: true, maxTokens: 200, clamped: false },
    ],
    [
      "llama.cpp fixture 13_ctx_overflow's prompt on -c 8192",
      { requested: 32000, promptTokens: 18062, method: 'upstream', contextSize: 8192 },
      { ok: false, promptTokens: 18062, maximum: 8192 - 1024 },
    ],
    [
      'a max_tokens: 1 probe near the end of the context is not refused',
      { requested: 1, promptTokens: 8000, method: 'upstream', contextSize: 8192 },
      { ok: true, maxTokens: 1, clamped: false },
    ],
    [
      'local count: margin grows with the prompt (256 + 5 %)',
      { requested: 32000, promptTokens: 100000, method: 'local', contextSize: 131072 },
      { ok: true, maxTokens: 131072 - 100000 - (256 + 5000), clamped: true },
    ],
    [
      'local count: refused past the largest prompt whose own margin still fits',
      { requested: 32000, promptTokens: 125000, method: 'local', contextSize: 131072 },
      // M + (256 + 5 % of M) + 1024 ≤ 131072: M does not depend on the refused prompt's size.
      { ok: false, promptTokens: 125000, maximum: Math.floor((131072 - 256 - 1024) / 1.05) },
    ],
    [
      'estimate above the context but not by the refusal factor: sent with the minimum output',
      { requested: 32000, promptTokens: 70000, method: 'estimate', contextSize: 65536 },
      { ok: true, maxTokens: MIN_OUTPUT_TOKENS, clamped: true },
    ],
    [
      'estimate far above the context: refused',
      { requested: 32000, promptTokens: 100000, method: 'estimate', contextSize: 65536 },
      { ok: false, promptTokens: 100000, maximum: 65536 - 64 - MIN_OUTPUT_TOKENS },
    ],
    [
      'estimate with room: clamped to the (understated) room',
      { requested: 32000, promptTokens: 50000, method: 'estimate', contextSize: 65536 },
      { ok: true, maxTokens: 65536 - 50000 - 64, clamped: true },
    ],
    [
      'explicit margin and minimum output',
      {
        requested: 4000,
        promptTokens: 7000,
        method: 'upstream',
        contextSize: 8192,
        margin: 0,
        minOutput: 100,
      },
      { ok: true, maxTokens: 1192, clamped: true },
    ],
    [
      'output cap below the room',
      { requested: 32000, promptTokens: 1000, method: 'upstream', contextSize: 1_000_000, outputCap: 8000 },
      { ok: true, maxTokens: 8000, clamped: true },
    ],
    [
      'nothing valid to bound by: passed through unchanged',
      { requested: Number.NaN, promptTokens: 10, method: 'upstream' },
      { ok: true, maxTokens: Number.NaN, clamped: false },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(planOutputTokens(input)).toEqual(expected);
  });

  it('defaults: margin by method, minimum output an eighth of the context within 256..1024', () => {
    expect(defaultMargin('upstream', 100000)).toBe(64);
    expect(defaultMargin('local', 10000)).toBe(756);
    expect(defaultMargin('estimate', 10000)).toBe(64);
    expect(defaultMinOutput(1024)).toBe(256);
    expect(defaultMinOutput(8192)).toBe(1024);
    expect(defaultMinOutput(16384)).toBe(1024);
    expect(defaultMinOutput(65536)).toBe(1024);
    expect(defaultMinOutput(1_000_000)).toBe(1024);
  });
});

describe('planOutputTokens: properties', () => {
  const input = fc.record({
    requested: fc.integer({ min: 1, max: 200_000 }),
    promptTokens: fc.integer({ min: 0, max: 1_200_000 }),
    method: fc.constantFrom('upstream' as const, 'local' as const),
    contextSize: fc.integer({ min: 2048, max: 1_048_576 }),
    outputCap: fc.option(fc.integer({ min: 1, max: 400_000 }), { nil: undefined }),
  });

  it('an exact or local plan that is ok always fits: prompt + margin + max_tokens ≤ context', () => {
    fc.assert(
      fc.property(input, (i) => {
        const plan = planOutputTokens(i);
        const margin = defaultMargin(i.method, i.promptTokens);
        if (plan.ok) {
          // An exact count gives up its margin only to reach the minimum output, never beyond the context.
          const minimum = Math.min(defaultMinOutput(i.contextSize), i.requested, i.outputCap ?? Infinity);
          if (i.method === 'upstream' && plan.maxTokens <= minimum)
            expect(i.promptTokens + plan.maxTokens).toBeLessThanOrEqual(i.contextSize);
          else expect(i.promptTokens + margin + plan.maxTokens).toBeLessThanOrEqual(i.contextSize);
          expect(plan.maxTokens).toBeGreaterThanOrEqual(1);
          expect(plan.maxTokens).toBeLessThanOrEqual(
            Math.min(i.requested, i.outputCap ?? Number.POSITIVE_INFINITY),
          );
          expect(plan.clamped).toBe(plan.maxTokens < i.requested);
        } else {
          expect(plan.promptTokens).toBeGreaterThan(plan.maximum);
          expect(plan.maximum).toBeLessThan(i.contextSize);
        }
      }),
    );
  });

  it('never refuses an exactly counted prompt that leaves the server 1,024 tokens (or max_tokens, if smaller)', () => {
    // Prompts near the edge: leaving `needed` plus 0..3000 tokens of the context.
    const nearEdge = fc.record({
      requested: fc.integer({ min: 1, max: 200_000 }),
      contextSize: fc.integer({ min: 2048, max: 1_048_576 }),
      slack: fc.integer({ min: 0, max: 3000 }),
    });
    fc.assert(
      fc.property(nearEdge, ({ requested, contextSize, slack }) => {
        const needed = Math.min(MIN_OUTPUT_TOKENS, requested);
        const promptTokens = Math.max(0, contextSize - needed - slack);
        const plan = planOutputTokens({ requested, promptTokens, method: 'upstream', contextSize });
        expect(plan.ok).toBe(true);
        if (plan.ok) expect(promptTokens + plan.maxTokens).toBeLessThanOrEqual(contextSize);
      }),
    );
  });

  it('refusal is exactly "prompt > maximum"; growing the prompt never turns a refusal into ok', () => {
    fc.assert(
      fc.property(input, fc.integer({ min: 1, max: 10_000 }), (i, more) => {
        const a = planOutputTokens(i);
        const b = planOutputTokens({ ...i, promptTokens: i.promptTokens + more });
        if (!a.ok) expect(b.ok).toBe(false);
      }),
    );
  });

  it('an estimate is refused only beyond the refusal factor', () => {
    fc.assert(
      fc.property(input, (i) => {
        const plan = planOutputTokens({ ...i, method: 'estimate' });
        expect(plan.ok).toBe(i.promptTokens <= i.contextSize * ESTIMATE_REFUSAL_FACTOR);
      }),
    );
  });
});

describe('planOutputTokens: the reported maximum', () => {
  it('is the same for every refused local count, and a prompt of that size fits', () => {
    const plan = (promptTokens: number) =>
      planOutputTokens({ requested: 32000, promptTokens, method: 'local', contextSize: 65536 });
    const a = plan(70000);
    const b = plan(400000);
    expect(a.ok || b.ok).toBe(false);
    if (a.ok || b.ok) return;
    expect(a.maximum).toBe(b.maximum);
    expect(plan(a.maximum).ok).toBe(true);
    expect(plan(a.maximum + 1).ok).toBe(false);
  });
});
