// DSB_UPSTREAM stands for --upstream (a comma-separated list). oclif hands a repeatable flag's env
// value over as one string: `dsb serve` crashed on it ("flags.upstream.map is not a function").
import { describe, expect, it } from 'vitest';
import { upstreamList } from '../../src/commands/serve.js';
import { jsonLines, serveUntilListening } from '../support/serve-cli.js';

describe('DSB_UPSTREAM', () => {
  it('a comma-separated list starts the bridge with each upstream', async () => {
    const lines = await serveUntilListening(['--log-format', 'json'], {
      DSB_UPSTREAM: 'http://127.0.0.1:1, http://127.0.0.1:2',
    });
    const line = jsonLines(lines).find((l) => /listening on/.test(l.msg));
    expect(line?.upstreams).toBe('http://127.0.0.1:1,http://127.0.0.1:2');
  });

  it('upstreamList takes repeated flags and comma-separated values alike', () => {
    expect(upstreamList(undefined)).toEqual([]);
    expect(upstreamList('http://a:1, http://b:2,')).toEqual(['http://a:1', 'http://b:2']);
    expect(upstreamList(['http://a:1', 'http://b:2,http://c:3'])).toEqual([
      'http://a:1',
      'http://b:2',
      'http://c:3',
    ]);
  });
});
