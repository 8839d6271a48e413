// dsb needs Node >= 22. `npm link` / `npm i -g` run bin/run.js on whatever `node` is first on PATH,
// often an older system Node. This file is loaded before anything else and is kept to syntax any
// Node since 14 parses. When the running Node is too old it picks the Node 24 that the package's
// own node_modules holds (the `node` npm package, a dev dependency present in a clone and after
// `npm link`) and runs dsb again on it; without one it says what to install.
import { existsSync } from 'node:fs';
import path from 'node:path';

export const MIN_NODE_MAJOR = 22;
/** Set in the re-run process: it must never re-run again. */
export const NODE_REEXEC_MARKER = 'DSB_NODE_REEXEC';

/**
 * What bin/run.js does on this Node: `run` (new enough), `reexec` with the bundled Node, or `fail`
 * with a message. Pure: the file system is asked through `exists`.
 */
export function planNodeRuntime(input) {
  const major = Number(String(input.version).replace(/^v/, '').split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return { action: 'run' };
  const p = input.platform === 'win32' ? path.win32 : path.posix;
  const candidates = [
    p.join(input.root, 'node_modules', 'node', 'bin', input.platform === 'win32' ? 'node.exe' : 'node'),
    p.join(input.root, 'node_modules', '.bin', input.platform === 'win32' ? 'node.exe' : 'node'),
  ];
  const bundled = candidates.find((c) => input.exists(c));
  if (bundled && input.env[NODE_REEXEC_MARKER] !== '1') return { action: 'reexec', file: bundled };
  return {
    action: 'fail',
    message: [
      `dsb needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node ${input.version} (${input.execPath}).`,
      bundled
        ? `The bundled Node (${bundled}) did not start as Node ${MIN_NODE_MAJOR}+ either: reinstall with \`npm ci\`.`
        : `Install Node ${MIN_NODE_MAJOR}+ (https://nodejs.org, or \`nvm install 24\`, or \`fnm install 24\`) and run dsb with it, or run \`npm ci\` in the dsb folder: it brings Node 24 as a dev dependency, which dsb then uses by itself.`,
    ].join('\n'),
  };
}

/** Applies planNodeRuntime to this process; returns only when dsb should go on in this process. */
export async function ensureNodeRuntime(root) {
  const plan = planNodeRuntime({
    version: process.version,
    execPath: process.execPath,
    platform: process.platform,
    env: process.env,
    root,
    exists: existsSync,
  });
  if (plan.action === 'run') return;
  if (plan.action === 'fail') {
    process.stderr.write(`${plan.message}\n`);
    process.exit(1);
  }
  const { spawnSync } = await import('node:child_process');
  const env = Object.assign({}, process.env);
  env[NODE_REEXEC_MARKER] = '1';
  const child = spawnSync(plan.file, process.argv.slice(1), { stdio: 'inherit', env });
  if (child.error) {
    process.stderr.write(`dsb: cannot start ${plan.file}: ${child.error.message}\n`);
    process.exit(1);
  }
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status === null ? 1 : child.status);
}
