// Config files: a misspelled key is an error that names the key meant; comments and trailing
// commas (JSONC) are accepted; an upstream URL without a scheme gets the URL that was meant.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-strict-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('strict config keys', () => {
  it('{"server":{"prot":3000}} is refused, suggesting "port"', () => {
    const f = file('typo.json', '{"server":{"prot":3000}}');
    expect(errorOf(() => loadConfig({ configFile: f, env: {} }))).toMatch(
      /server: unknown key "prot" \(did you mean "port"\?\)/,
    );
  });

  it('inside arrays, routes and at the root too', () => {
    const f = file(
      'nested.json',
      JSON.stringify({
        upstreams: [{ url: 'http://127.0.0.1:8080', modle: 'x' }],
        models: { opus: { model: 'a', upstream: ['gpu0'] } },
        serevr: {},
      }),
    );
    const message = errorOf(() => loadConfig({ configFile: f, env: {} }));
    expect(message).toMatch(/upstreams\.0: unknown key "modle" \(did you mean "model"\?\)/);
    expect(message).toMatch(/models\.opus: unknown key "upstream" \(did you mean "upstreams"\?\)/);
    expect(message).toMatch(/\(root\): unknown key "serevr" \(did you mean "server"\?\)/);
  });

  it('a key far from every known one gets no guess', () => {
    const f = file('far.json', '{"server":{"zzzzzz":1}}');
    expect(errorOf(() => loadConfig({ configFile: f, env: {} }))).toMatch(/server: unknown key "zzzzzz"$/m);
  });
});

describe('JSONC config files', () => {
  it('comments and trailing commas are accepted', () => {
    const f = file(
      'dsb.config.json',
      `{
  // the bridge
  "server": { "port": 3111, },
  /* the model server */
  "upstreams": [{ "url": "http://127.0.0.1:8080" }],
}`,
    );
    expect(loadConfig({ configFile: f, env: {} }).config.server.port).toBe(3111);
  });

  it('a syntax error says where', () => {
    const f = file('broken.json', '{\n  "server": { "port": 3000 \n}');
    expect(errorOf(() => loadConfig({ configFile: f, env: {} }))).toMatch(/at line 3, column \d+/);
  });
});

describe('upstream URLs', () => {
  it('localhost:8080 suggests http://localhost:8080', () => {
    const message = errorOf(() =>
      loadConfig({ env: {}, cwd: dir, overrides: { upstreams: [{ url: 'localhost:8080' }] } }),
    );
    expect(message).toMatch(
      /upstreams\.0\.url: must be an http:\/\/ or https:\/\/ URL: did you mean http:\/\/localhost:8080\?/,
    );
  });

  it('the built CLI says the same for serve and doctor (exit 2)', async () => {
    const env = { ...process.env, DSB_CONFIG_DIR: dir, NO_COLOR: '1' };
    const run = path.resolve(import.meta.dirname, '../../bin/run.js');
    for (const command of ['serve', 'doctor']) {
      const r = await execa(process.execPath, [run, command, '--upstream', 'localhost:8080'], {
        cwd: dir,
        env,
        reject: false,
        timeout: 60_000,
      });
      expect(r.exitCode, command).toBe(2);
      expect(r.stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' '), command).toMatch(
        /did you mean http:\/\/localhost:8080\?/,
      );
    }
  });
});
