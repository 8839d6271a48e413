// The demo upstream calls a tool under tool_choice auto only on the explicit `[[call:Name]]` marker:
// a tool name inside ordinary text ("thread" contains "Read", a file that says "Bash") is not a
// request to call it. `dsb probe --long-context` with a Python file full of such words must fit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoUpstream, startDemoUpstream } from '../../src/bridge/demo-upstream.js';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { runProbe } from '../../src/probe/run.js';

let demo: DemoUpstream;
let bridge: RunningBridge;
let dir: string;
beforeAll(async () => {
  demo = await startDemoUpstream();
  bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 } }),
    demo: true,
    logger: silentLogger,
  });
  dir = mkdtempSync(join(tmpdir(), 'dsb-demo-tools-'));
});
afterAll(async () => {
  await Promise.all([demo?.close(), bridge?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const tool = (name: string) => ({
  type: 'function',
  function: { name, parameters: { type: 'object', properties: { file_path: { type: 'string' } } } },
});

async function ask(content: string, toolChoice?: unknown) {
  const res = await fetch(`${demo.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'dsb-demo',
      messages: [{ role: 'user', content }],
      tools: [tool('Read'), tool('Bash')],
      ...(toolChoice ? { tool_choice: toolChoice } : {}),
    }),
  });
  const body = (await res.json()) as {
    choices: Array<{
      finish_reason: string;
      message: { tool_calls?: Array<{ function: { name: string } }> };
    }>;
  };
  const choice = body.choices[0]!;
  return {
    finish: choice.finish_reason,
    calls: (choice.message.tool_calls ?? []).map((c) => c.function.name),
  };
}

describe('demo upstream tool calls', () => {
  it('auto: tool names in the text do not trigger a call', async () => {
    expect(await ask('Read this thread, then explain why Bash quoting is hard.')).toEqual({
      finish: 'stop',
      calls: [],
    });
  });

  it('auto: the explicit marker does', async () => {
    expect(await ask('Please [[call:Read]] and [[call:Bash]]')).toEqual({
      finish: 'tool_calls',
      calls: ['Read', 'Bash'],
    });
  });

  it('a named tool_choice calls that tool; required calls one', async () => {
    expect(await ask('anything', { type: 'function', function: { name: 'Bash' } })).toEqual({
      finish: 'tool_calls',
      calls: ['Bash'],
    });
    expect((await ask('anything', 'required')).calls).toEqual(['Read']);
  });

  it('probe --long-context with a large Python file that names tools everywhere: fits, not tool_use', async () => {
    const lines = Array.from({ length: 900 }, (_, i) =>
      i % 4 === 0
        ? `def read_thread_${i}(self, args):  # Read the thread, then Bash it, Edit and Write`
        : `    self._actions.append(Read(args, thread=${i}))  # Bash Grep Glob WebFetch TodoWrite`,
    );
    const path = join(dir, 'argparse_like.py');
    const content = `${lines.join('\n')}\n`;
    writeFileSync(path, content);
    const report = await runProbe({
      url: bridge.url,
      model: 'claude-sonnet-4-5',
      maxTokens: 32_000,
      timeoutMs: 20_000,
      longContext: { path, content },
    });
    const lc = report.longContext!;
    expect(lc.promptTokens).toBeGreaterThan(15_000);
    expect(lc.outcome === 'fit' || lc.outcome === 'clamped').toBe(true);
    expect(lc.status).toBe('pass');
    expect(report.ok).toBe(true);
  });
});
