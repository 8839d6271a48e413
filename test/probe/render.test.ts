import { describe, expect, it } from 'vitest';
import { renderProbeReport, table } from '../../src/probe/render.js';
import type { ProbeReport, ScenarioResult } from '../../src/probe/types.js';

const scenario = (over: Partial<ScenarioResult>): ScenarioResult => ({
  id: 'text-stream',
  title: 'Plain text, streamed',
  status: 'pass',
  summary: 'end_turn',
  problems: [],
  warnings: [],
  violations: [],
  steps: [],
  durationMs: 12,
  ...over,
});

describe('renderProbeReport', () => {
  const report: ProbeReport = {
    url: 'http://127.0.0.1:3000',
    model: 'claude-sonnet-4-5',
    ok: false,
    tally: { pass: 1, warn: 1, fail: 1, skip: 0 },
    scenarios: [
      scenario({
        metrics: {
          totalMs: 840,
          ttftMs: 312.4,
          itlP50Ms: 21,
          itlP99Ms: 48.5,
          outputTokensPerSec: 41.3,
          promptTokensPerSec: 5120,
        },
      }),
      scenario({
        id: 'thinking',
        title: 'Thinking',
        status: 'warn',
        warnings: ['no thinking block came back'],
      }),
      scenario({
        id: 'tool-call',
        title: 'Forced tool call',
        status: 'fail',
        problems: ['tool Read input is not a JSON object'],
        steps: [
          {
            title: 'Forced tool call',
            stream: true,
            violations: [
              { invariant: 'tool-input-valid-json', index: 9, message: 'fragments do not form valid JSON' },
            ],
          },
        ],
      }),
    ],
  };

  it('prints the metrics table, then failures with invariant and event index, then warnings and a tally', () => {
    const text = renderProbeReport(report, { color: false });
    expect(text).toContain('dsb probe → http://127.0.0.1:3000 (model claude-sonnet-4-5)');
    expect(text).toMatch(/text-stream\s+✓ pass\s+312 ms\s+21 ms \/ 49 ms\s+41\.3\s+5120\s+840 ms/);
    expect(text).toMatch(/thinking\s+! warn/);
    expect(text).toMatch(/tool-call\s+✗ FAIL/);
    expect(text).toContain(
      '✗ tool-call — Forced tool call\n    tool Read input is not a JSON object\n    tool-input-valid-json at event #9: fragments do not form valid JSON',
    );
    expect(text).toContain('! thinking — Thinking\n    no thinking block came back');
    expect(text.trimEnd().endsWith('1 passed, 1 warned, 1 failed')).toBe(true);
    expect(text).not.toContain('\u001b[');
  });

  it('colours only when asked', () => {
    expect(renderProbeReport(report, { color: true })).toContain('\u001b[');
  });
});

describe('table', () => {
  it('aligns columns and ignores colour codes when measuring', () => {
    expect(
      table(
        [
          ['a', 'bb', 'c'],
          ['\u001b[31mlong\u001b[39m', 'x', 'y'],
        ],
        '',
      ),
    ).toBe('a     bb  c\n\u001b[31mlong\u001b[39m  x   y');
  });
});
