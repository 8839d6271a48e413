// Runs a function of a source module in a child Node process with a generous deadline, so a
// synchronous hang (a quadratic regex, a blocked event loop) fails the test instead of freezing
// the test worker. Not a timing assertion: the deadline only catches hangs.
import path from 'node:path';
import { execa } from 'execa';

const root = path.resolve(import.meta.dirname, '..', '..');

/** Calls `exportName(...args)` from `modulePath` (relative to the repository) and returns its JSON result. */
export async function callIsolated<T>(
  modulePath: string,
  exportName: string,
  args: unknown[],
  hangCatchingDeadlineMs: number,
): Promise<T> {
  const url = new URL(`file://${path.join(root, modulePath)}`).href;
  const script = `
    const mod = await import(${JSON.stringify(url)});
    const args = JSON.parse(process.env.DSB_ISOLATED_ARGS);
    const out = await mod[${JSON.stringify(exportName)}](...args);
    process.stdout.write(JSON.stringify(out ?? null));
  `;
  const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { DSB_ISOLATED_ARGS: JSON.stringify(args) },
    timeout: hangCatchingDeadlineMs,
    reject: false,
  });
  if (r.timedOut) throw new Error(`${exportName} did not finish within ${hangCatchingDeadlineMs} ms (hang)`);
  if (r.exitCode !== 0) throw new Error(`${exportName} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
