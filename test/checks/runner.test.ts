import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/checks/doctor.js';
import { CHECK_IDS, CHECKS, selectChecks, UnknownCheckError } from '../../src/checks/registry.js';
import { renderReport } from '../../src/checks/render.js';
import { exitCodeFor, runChecks } from '../../src/checks/runner.js';
import { type Check, doctorReportSchema } from '../../src/checks/types.js';
import { fakeContext, fakeSystem } from './fake-system.js';

function check(id: string, run: Check['run'], extra: Partial<Check> = {}): Check {
  return { id, title: id, required: true, description: id, run, ...extra };
}

function realClockContext() {
  const system = fakeSystem();
  system.now = () => Date.now();
  return fakeContext(system);
}

describe('runChecks', () => {
  it('runs checks concurrently and reports them in registry order with timings', async () => {
    // Each check ends only once all three have started: run one after another, the first would
    // hang until its (hang-catching) timeout and be reported as an error.
    const system = fakeSystem();
    let now = 0;
    system.now = () => now;
    const started: string[] = [];
    let allStarted: () => void = () => {};
    const gate = new Promise<void>((resolve) => (allStarted = resolve));
    const concurrent = (id: string) =>
      check(
        id,
        async () => {
          started.push(id);
          if (started.length === 3) allStarted();
          await gate;
          now += 150;
          return { status: 'pass', summary: id };
        },
        { timeoutMs: 20_000 },
      );
    const results = await runChecks([concurrent('a'), concurrent('b'), concurrent('c')], fakeContext(system));
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    expect(results.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    for (const r of results) expect(r.durationMs).toBeGreaterThanOrEqual(150);
  });

  it('turns a crashing check into an error result without stopping the others', async () => {
    const results = await runChecks(
      [
        check('ok1', async () => ({ status: 'pass', summary: 'fine' })),
        check('boom', async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'x')");
        }),
        check('ok2', async () => ({ status: 'warn', summary: 'meh' })),
      ],
      realClockContext(),
    );
    expect(results.map((r) => r.status)).toEqual(['pass', 'error', 'warn']);
    expect(results[1]!.summary).toMatch(/^dsb error: Cannot read properties/);
    expect(results[1]!.error?.stack).toMatch(/TypeError/);
    expect(exitCodeFor(results, false)).toBe(1);
  });

  it('reports a check that hangs as an error after its timeout', async () => {
    const results = await runChecks(
      [
        check('hang', () => new Promise(() => {}), { timeoutMs: 50 }),
        check('ok', async () => ({ status: 'pass', summary: 'x' })),
      ],
      realClockContext(),
    );
    expect(results[0]!.status).toBe('error');
    expect(results[0]!.summary).toMatch(/timed out after 0.05 s/);
    expect(results[1]!.status).toBe('pass');
  });

  it('runs a check after the checks it depends on and hands it their results', async () => {
    const order: string[] = [];
    const results = await runChecks(
      [
        check('base', async () => {
          await new Promise((r) => setImmediate(r));
          order.push('base');
          return { status: 'fail', summary: 'down', data: { n: 1 } };
        }),
        check(
          'dependent',
          async (_ctx, deps) => {
            order.push('dependent');
            return { status: 'pass', summary: `base was ${deps.get('base')?.status}` };
          },
          { dependsOn: ['base'] },
        ),
      ],
      realClockContext(),
    );
    expect(order).toEqual(['base', 'dependent']);
    expect(results[1]!.summary).toBe('base was fail');
  });

  it('skips checks that do not apply and downgrades optional failures to warnings', async () => {
    const results = await runChecks(
      [
        check('n/a', async () => ({ status: 'pass', summary: 'never' }), {
          appliesTo: () => ({ reason: 'not here' }),
        }),
        check('optional', async () => ({ status: 'fail', summary: 'bad' }), { required: false }),
      ],
      realClockContext(),
    );
    expect(results[0]).toMatchObject({ status: 'skip', summary: 'not here' });
    expect(results[1]!.status).toBe('warn');
    expect(exitCodeFor(results, false)).toBe(0);
    expect(exitCodeFor(results, true)).toBe(1);
  });
});

describe('selectChecks', () => {
  it('has every check of the design, in order', () => {
    expect(CHECK_IDS).toEqual([
      'upstream-openai',
      'upstream-context',
      'upstream-tools',
      'client-version',
      'client-config',
      'client-context',
      'wsl',
      'loopback',
      'quantization',
      'firewall',
      'proxy-env',
      'isolation',
      'bridge',
    ]);
  });
  it('adds dependencies and keeps registry order', () => {
    expect(selectChecks(['upstream-tools']).map((c) => c.id)).toEqual(['upstream-openai', 'upstream-tools']);
    expect(selectChecks([]).length).toBe(CHECKS.length);
  });
  it('rejects unknown ids naming the known ones', () => {
    expect(() => selectChecks(['nope'])).toThrow(UnknownCheckError);
    expect(() => selectChecks(['nope'])).toThrow(/known: upstream-openai/);
  });
});

describe('runDoctor report', () => {
  it('produces a report that matches the schema, with a crashing check as error and the rest intact', async () => {
    const registry = [
      ...CHECKS.filter((c) => c.id === 'proxy-env'),
      check('crash', async () => {
        throw new Error('kaboom');
      }),
    ];
    const report = await runDoctor(fakeContext(fakeSystem()), { registry });
    expect(doctorReportSchema.parse(report)).toBeTruthy();
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['proxy-env', 'pass'],
      ['crash', 'error'],
    ]);
    expect(report.exitCode).toBe(1);
    const text = renderReport(report, { color: false, verbose: false });
    expect(text).toContain('[✓] Proxy environment (no proxy variables set)');
    expect(text).toContain('[☠] crash (dsb error: kaboom)');
    expect(text).toMatch(/1 passed, 1 broke \(dsb error\)/);
  });
});
