// `dsb serve` warms up before it listens (the local tokenizer, the upstream's facts), so the first
// request is as quick as the next; and it says at start that an upstream is dead or named localhost.
// Event order, not time: the warm-up lines come before the "listening" line.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { jsonLines, serveUntilListening } from '../support/serve-cli.js';

/** `dsb serve`'s JSON log lines up to and including the "listening" one. */
const startLines = async (args: string[]) =>
  jsonLines(await serveUntilListening(['--log-format', 'json', ...args]));

const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('dsb serve warm-up', () => {
  it('loads the tokenizer and learns the upstream before the listening line', async () => {
    const lines = await startLines(['--demo']);
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l.msg));
    const listening = at(/listening on/);
    expect(at(/warm-up: local tokenizer loaded/)).toBeGreaterThanOrEqual(0);
    expect(at(/warm-up: local tokenizer loaded/)).toBeLessThan(listening);
    expect(at(/warm-up: upstream demo is llama\.cpp, context 65536/)).toBeLessThan(listening);
    expect(at(/warm-up: upstream demo is llama\.cpp/)).toBeGreaterThanOrEqual(0);
  });

  it('a dead upstream and a localhost upstream are warned about at start', async () => {
    const port = await closedPort();
    const lines = await startLines(['--upstream', `http://localhost:${port}`]);
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`uses localhost.*use http://127\\.0\\.0\\.1:${port}`)),
        expect.stringMatching(/does not answer GET \/v1\/models: start the model server/),
      ]),
    );
  });
});
