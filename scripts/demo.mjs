#!/usr/bin/env node
// `npm run demo`: starts `dsb serve --demo` (bridge + built-in demo upstream) on a free port, sends a
// streaming Messages API request through it and prints what comes back, then asks the real Claude
// Code CLI (a dev dependency) the same through the bridge, and stops everything.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bridge = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'serve', '--demo', '--port', '0'], {
  stdio: ['ignore', 'inherit', 'pipe'],
});
const stop = () => bridge.kill('SIGTERM');
process.on('exit', stop);

const url = await new Promise((resolve, reject) => {
  let seen = '';
  const timer = setTimeout(() => reject(new Error(`bridge did not start:\n${seen}`)), 15_000);
  bridge.stderr.on('data', (chunk) => {
    seen += chunk;
    process.stderr.write(chunk);
    const match = /listening on (http:\/\/\S+)/.exec(seen);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  });
  bridge.once('exit', (code) => reject(new Error(`bridge exited with ${code}:\n${seen}`)));
});

console.log(`\n→ POST ${url}/v1/messages (stream: true, thinking on)\n`);
const res = await fetch(`${url}/v1/messages?beta=true`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
  body: JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    stream: true,
    thinking: { type: 'adaptive' },
    messages: [{ role: 'user', content: 'Hello, bridge!' }],
  }),
});
const text = await res.text();
for (const frame of text.trim().split('\n\n')) {
  const data = JSON.parse(
    frame
      .split('\n')
      .find((l) => l.startsWith('data: '))
      .slice(6),
  );
  const detail =
    data.delta?.text ??
    data.delta?.thinking ??
    (data.delta?.signature ? '(signature)' : undefined) ??
    data.delta?.stop_reason ??
    data.content_block?.type ??
    '';
  console.log(`  ${data.type.padEnd(20)} ${JSON.stringify(detail)}`);
}

const claude = path.join(root, 'node_modules/.bin/claude');
const home = mkdtempSync(path.join(os.tmpdir(), 'dsb-demo-'));
console.log('\n→ Claude Code (claude -p) through the bridge\n');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANTHROPIC_|CLAUDE_)/.test(k)));
const child = spawn(claude, ['-p', 'Hello from Claude Code', '--output-format', 'json'], {
  cwd: home,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: {
    ...env,
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_AUTH_TOKEN: 'dsb',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  },
});
let out = '';
child.stdout.on('data', (c) => {
  out += c;
});
const code = await new Promise((resolve) => child.once('exit', resolve));
rmSync(home, { recursive: true, force: true });
try {
  const result = JSON.parse(out);
  console.log(`  Claude Code answered (exit ${code}): ${result.result}`);
} catch {
  console.log(`  Claude Code exited ${code}: ${out.slice(0, 500)}`);
}
stop();
process.exitCode = code === 0 ? 0 : 1;
