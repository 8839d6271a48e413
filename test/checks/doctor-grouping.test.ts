// Doctor groups one root cause: with no model server the three upstream checks fail with the same
// fix, printed once; with the bridge port taken by another program, the loopback and bridge checks
// suggest the same free port.
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/checks/doctor.js';
import { renderReport } from '../../src/checks/render.js';
import { fakeContext, fakeSystem, nothingListensAt } from './fake-system.js';

describe('doctor groups one root cause', () => {
  it('no model server: the llama-server fix is printed once, the other checks refer to it', async () => {
    const report = await runDoctor(
      fakeContext(fakeSystem({ http: nothingListensAt('http://127.0.0.1:8080') })),
      {
        ids: ['upstream-openai', 'upstream-context', 'upstream-tools'],
      },
    );
    expect(report.checks.filter((c) => c.status === 'fail')).toHaveLength(3);
    const text = renderReport(report, { color: false, verbose: false });
    expect(text.match(/llama-server -m /g)).toHaveLength(1);
    expect(text.match(/Fix: the same as for Upstream speaks OpenAI above \(one cause\)/g)).toHaveLength(2);
    // --json keeps every check's own fix: scripts read them per check.
    expect(report.checks.every((c) => c.fix?.commands.some((cmd) => cmd.startsWith('llama-server')))).toBe(
      true,
    );
  });

  it('port 3000 taken by another program: loopback and bridge suggest the same port', async () => {
    const system = fakeSystem({
      dns: { localhost: [{ address: '127.0.0.1', family: 4 }] },
      portFree: { '127.0.0.1:3000': false, '127.0.0.1:3001': false, '127.0.0.1:3002': true },
      http: { 'GET http://127.0.0.1:3000/health': { status: 404, body: 'Cannot GET /health' } },
    });
    const report = await runDoctor(fakeContext(system), { ids: ['loopback', 'bridge'] });
    const fixOf = (id: string) => report.checks.find((c) => c.id === id)?.fix?.commands.join('\n') ?? '';
    expect(fixOf('loopback')).toMatch(/dsb serve --port 3002\b/);
    expect(fixOf('bridge')).toMatch(/dsb serve --port 3002\b/);
    expect(report.checks.find((c) => c.id === 'bridge')?.fix?.description).toMatch(/port 3000 is taken/);
  });
});
