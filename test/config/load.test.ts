import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dsb-config-'));

describe('loadConfig', () => {
  it('gives the defaults: loopback 3000, upstream 127.0.0.1:8080', () => {
    const dir = tmp();
    const { config } = loadConfig({ cwd: dir, env: { DSB_CONFIG_DIR: dir } });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 3000, logFormat: 'text' });
    expect(config.upstreams).toEqual([{ url: 'http://127.0.0.1:8080', kind: 'auto' }]);
  });

  it('layers user < project < env < flags', () => {
    const userDir = tmp();
    const project = tmp();
    writeFileSync(
      path.join(userDir, 'config.json'),
      JSON.stringify({ server: { port: 3100, logFormat: 'json' }, models: { opus: 'big' } }),
    );
    writeFileSync(path.join(project, 'dsb.config.json'), JSON.stringify({ server: { port: 3200 } }));
    const env = { DSB_CONFIG_DIR: userDir, DSB_UPSTREAM: 'http://127.0.0.1:8000,http://127.0.0.1:8001' };
    const { config, sources } = loadConfig({ cwd: project, env, overrides: { server: { host: '::1' } } });
    expect(config.server).toMatchObject({ port: 3200, logFormat: 'json', host: '::1' });
    expect(config.upstreams.map((u) => u.url)).toEqual(['http://127.0.0.1:8000', 'http://127.0.0.1:8001']);
    expect(config.models).toEqual({ opus: 'big' });
    expect(sources).toHaveLength(2);
  });

  it('names the file and the field path of a bad value', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'dsb.config.json'), JSON.stringify({ server: { port: 'high' } }));
    expect(() => loadConfig({ cwd: dir, env: { DSB_CONFIG_DIR: dir } })).toThrow(
      /dsb\.config\.json[\s\S]*server\.port/,
    );
    writeFileSync(path.join(dir, 'dsb.config.json'), '{ not json');
    expect(() => loadConfig({ cwd: dir, env: { DSB_CONFIG_DIR: dir } })).toThrow(ConfigError);
  });

  it('rejects a bad DSB_PORT and a missing --config file', () => {
    const dir = tmp();
    expect(() => loadConfig({ cwd: dir, env: { DSB_CONFIG_DIR: dir, DSB_PORT: 'abc' } })).toThrow(/DSB_PORT/);
    expect(() => loadConfig({ configFile: path.join(dir, 'missing.json'), env: {} })).toThrow(/cannot read/);
  });
});
