// The OS fake the checks are tested with must not be permissive (issue #12): a command or a URL the
// test did not script fails the test, even when the check runner (or the check) swallows the throw,
// and a scripted command that never ran, or a scripted URL never asked, fails it too.
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checks/runner.js';
import type { Check } from '../../src/checks/types.js';
import {
  fakeContext,
  fakeSystem,
  nothingListensAt,
  UnscriptedCommandError,
  UnscriptedHttpError,
  UnscriptedNetError,
  verifyFakeSystem,
} from './fake-system.js';

/** A check that runs one command and passes whatever it answers. */
const runs = (file: string, args: string[]): Check => ({
  id: 'runs-a-command',
  title: 'runs a command',
  required: false,
  description: 'test double',
  async run(ctx) {
    const r = await ctx.system.exec(file, args);
    return { status: 'pass', summary: r.notFound ? 'not found' : r.stdout };
  },
});

describe('fakeSystem exec', () => {
  it('throws on an unscripted command, naming it and what was scripted', async () => {
    const system = fakeSystem({ commands: { 'node --version': { stdout: 'v22.12.0' } } });
    await system.exec('node', ['--version']);
    const err = await system.exec('which', ['-a', 'node']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnscriptedCommandError);
    expect((err as UnscriptedCommandError).code).toBe('UNSCRIPTED_COMMAND');
    expect((err as Error).message).toMatch(/unscripted command "which -a node"; scripted: "node --version"/);
    expect(system.unscripted).toEqual(['which -a node']);
    system.unscripted.length = 0; // acknowledged: this test means it
  });

  it.fails('fails the test when a check ran an unscripted command, though the runner caught the throw', async () => {
    const system = fakeSystem();
    const r = await runCheck(runs('nvidia-smi', ['-L']), fakeContext(system), new Map());
    // The runner reports the throw as a dsb error; the test body alone would not notice.
    expect(r.status).toBe('error');
  });

  it("answers a command scripted 'notfound' as not installed", async () => {
    const system = fakeSystem({ commands: { 'nvidia-smi': 'notfound' } });
    const r = await runCheck(runs('nvidia-smi', ['-L']), fakeContext(system), new Map());
    expect(r).toMatchObject({ status: 'pass', summary: 'not found' });
  });

  it('matches the exact command line first, then the file with any arguments', async () => {
    const system = fakeSystem({
      commands: { 'wsl.exe --status': { stdout: 'exact' }, 'wsl.exe': { stdout: 'any' } },
    });
    expect((await system.exec('wsl.exe', ['--status'])).stdout).toBe('exact');
    expect((await system.exec('wsl.exe', ['--list', '--verbose'])).stdout).toBe('any');
  });
});

describe('fakeSystem assertAllUsed', () => {
  it('fails while a scripted command has not run, and passes once every one has', async () => {
    const system = fakeSystem({
      commands: { 'ufw status': { stdout: 'Status: inactive' }, 'firewall-cmd': 'notfound' },
    });
    await system.exec('ufw', ['status']);
    expect(() => system.assertAllUsed()).toThrow(
      /scripted commands never ran: "firewall-cmd"; ran: "ufw status"/,
    );
    await system.exec('firewall-cmd', ['--state']);
    expect(() => system.assertAllUsed()).not.toThrow();
  });

  it.fails('runs by itself when the test finishes: an unused scripted command fails the test', async () => {
    fakeSystem({ commands: { 'nvidia-smi': 'notfound' } });
  });

  it('allowUnusedCommands opts a multi-scenario test out of the automatic check', async () => {
    const system = fakeSystem({ commands: { 'nvidia-smi': 'notfound' }, allowUnusedCommands: true });
    expect(() => system.assertAllUsed()).toThrow(/never ran/);
  });
});

/** A check that asks one URL and passes with whatever status comes back (or the error code). */
const asks = (url: string): Check => ({
  id: 'asks-a-url',
  title: 'asks a URL',
  required: false,
  description: 'test double',
  async run(ctx) {
    try {
      const r = await ctx.system.http(url);
      return { status: 'pass', summary: `HTTP ${r.status}` };
    } catch (err) {
      return { status: 'pass', summary: String((err as { code?: string }).code) };
    }
  },
});

describe('fakeSystem http', () => {
  it('throws on an unscripted request, naming it and what was scripted', async () => {
    const system = fakeSystem({ http: { 'GET http://127.0.0.1:8080/health': { body: 'ok' } } });
    expect((await system.http('http://127.0.0.1:8080/health')).body).toBe('ok');
    const err = await system.http('http://127.0.0.1:8080/props').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnscriptedHttpError);
    expect((err as UnscriptedHttpError).code).toBe('UNSCRIPTED_HTTP');
    expect((err as Error).message).toMatch(
      /unscripted HTTP request "GET http:\/\/127\.0\.0\.1:8080\/props"; scripted: "GET http:\/\/127\.0\.0\.1:8080\/health"/,
    );
    // The method is part of the key: a scripted GET does not answer a POST.
    await expect(system.http('http://127.0.0.1:8080/health', { method: 'POST' })).rejects.toThrow(
      UnscriptedHttpError,
    );
    expect(system.unscriptedHttp).toEqual([
      'GET http://127.0.0.1:8080/props',
      'POST http://127.0.0.1:8080/health',
    ]);
    system.unscriptedHttp.length = 0; // acknowledged: this test means it
  });

  it.fails('fails the test when a check asked an unscripted URL, though the check caught the throw', async () => {
    const system = fakeSystem();
    const r = await runCheck(asks('http://127.0.0.1:8080/v1/models'), fakeContext(system), new Map());
    // The check swallowed the error: the test body alone would not notice.
    expect(r.summary).toBe('UNSCRIPTED_HTTP');
  });

  it("answers 'refused' and 'timeout' as a dead port and a silent one", async () => {
    const system = fakeSystem({
      http: { 'GET http://127.0.0.1:8080/health': 'refused', 'GET http://127.0.0.1:8081/health': 'timeout' },
    });
    await expect(system.http('http://127.0.0.1:8080/health')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(system.http('http://127.0.0.1:8081/health')).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('nothingListensAt refuses every path of an origin, and only of that origin', async () => {
    const system = fakeSystem({ http: nothingListensAt('http://127.0.0.1:8080') });
    await expect(system.http('http://127.0.0.1:8080/props')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(
      system.http('http://127.0.0.1:8080/v1/chat/completions', { method: 'POST' }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(system.http('http://127.0.0.1:3000/health')).rejects.toThrow(UnscriptedHttpError);
    system.unscriptedHttp.length = 0;
  });

  it('an origin key scripts a dead port only: an answer for every path is a mistake in the test', async () => {
    const system = fakeSystem({ http: { 'http://127.0.0.1:8080': { body: 'ok' } }, allowUnusedHttp: true });
    await expect(system.http('http://127.0.0.1:8080/health')).rejects.toThrow(
      /an origin key \("http:\/\/127\.0\.0\.1:8080"\) scripts only 'refused' or 'timeout'/,
    );
  });
});

describe('fakeSystem: every scripted URL must be asked', () => {
  it('assertAllHttpAsked fails while a scripted URL has not been asked, and passes once it has', async () => {
    const system = fakeSystem({
      http: { 'GET http://127.0.0.1:8080/health': { body: 'ok' }, 'http://127.0.0.1:3000': 'refused' },
    });
    await system.http('http://127.0.0.1:8080/health');
    expect(() => system.assertAllHttpAsked()).toThrow(
      /scripted HTTP requests never asked: "http:\/\/127\.0\.0\.1:3000"; asked: "GET http:\/\/127\.0\.0\.1:8080\/health"/,
    );
    await system.http('http://127.0.0.1:3000/health').catch(() => undefined);
    expect(() => system.assertAllHttpAsked()).not.toThrow();
    expect(() => system.assertAllUsed()).not.toThrow();
  });

  it.fails('runs by itself when the test finishes: an unasked scripted URL fails the test', async () => {
    fakeSystem({ http: { 'GET http://127.0.0.1:8080/health': { body: 'ok' } } });
  });

  it('allowUnusedHttp opts a test that scripts a whole server out of the automatic check', async () => {
    const system = fakeSystem({
      http: { 'GET http://127.0.0.1:8080/health': 'refused' },
      allowUnusedHttp: true,
    });
    expect(() => system.assertAllHttpAsked()).toThrow(/never asked/);
  });
});

describe('verifyFakeSystem (what runs when a test finishes)', () => {
  // Called directly on fakes whose own automatic check is opted out or satisfied, so that the
  // failures it reports are this test's to assert.
  const scriptedNone = { commands: [], http: [] };

  it('reports an unscripted request (UnscriptedHttpError) even after the check swallowed it', async () => {
    const system = fakeSystem();
    await runCheck(asks('http://127.0.0.1:8080/v1/models'), fakeContext(system), new Map());
    let err: unknown;
    try {
      verifyFakeSystem(system, scriptedNone);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnscriptedHttpError);
    expect((err as UnscriptedHttpError).requests).toEqual(['GET http://127.0.0.1:8080/v1/models']);
    system.unscriptedHttp.length = 0;
  });

  it('reports an unscripted command before an unscripted request', async () => {
    const system = fakeSystem();
    await system.exec('nvidia-smi', []).catch(() => undefined);
    await system.http('http://127.0.0.1:8080/health').catch(() => undefined);
    expect(() => verifyFakeSystem(system, scriptedNone)).toThrow(UnscriptedCommandError);
    system.unscripted.length = 0;
    expect(() => verifyFakeSystem(system, scriptedNone)).toThrow(UnscriptedHttpError);
    system.unscriptedHttp.length = 0;
    expect(() => verifyFakeSystem(system, scriptedNone)).not.toThrow();
  });

  it('reports scripted URLs never asked unless the test opted out', () => {
    const http = { 'GET http://127.0.0.1:8080/health': { body: 'ok' } };
    const system = fakeSystem({ http, allowUnusedHttp: true });
    const scripted = { commands: [], http: Object.keys(http) };
    expect(() => verifyFakeSystem(system, scripted)).toThrow(/scripted HTTP requests never asked/);
    expect(() => verifyFakeSystem(system, scripted, { allowUnusedHttp: true })).not.toThrow();
  });
});

describe('fakeSystem dns, tcp and portFree', () => {
  it('answer what is scripted and throw UnscriptedNetError on anything else', async () => {
    const system = fakeSystem({
      dns: { localhost: [{ address: '::1', family: 6 }] },
      tcp: { '127.0.0.1:8080': true },
      portFree: { '127.0.0.1:3000': false },
    });
    expect(await system.dnsLookup('localhost')).toEqual([{ address: '::1', family: 6 }]);
    expect(await system.tcpConnect('127.0.0.1', 8080, 1000)).toBe(true);
    expect(await system.portFree('127.0.0.1', 3000)).toBe(false);
    await expect(system.dnsLookup('example.invalid')).rejects.toThrow(UnscriptedNetError);
    await expect(system.tcpConnect('127.0.0.1', 3000, 1000)).rejects.toMatchObject({
      code: 'UNSCRIPTED_NET',
    });
    await expect(system.portFree('127.0.0.1', 3001)).rejects.toThrow(
      /unscripted network question "portFree 127\.0\.0\.1:3001"/,
    );
    expect(system.unscriptedNet).toEqual([
      'dnsLookup example.invalid',
      'tcpConnect 127.0.0.1:3000',
      'portFree 127.0.0.1:3001',
    ]);
    expect(() => verifyFakeSystem(system, { commands: [], http: [] })).toThrow(UnscriptedNetError);
    system.unscriptedNet.length = 0; // acknowledged: this test means it
  });

  it.fails('fail the test when a check asked an unscripted question, though the runner caught the throw', async () => {
    const asksPort: Check = {
      id: 'asks-a-port',
      title: 'asks a port',
      required: false,
      description: 'test double',
      async run(ctx) {
        return { status: 'pass', summary: String(await ctx.system.portFree('127.0.0.1', 3000)) };
      },
    };
    const r = await runCheck(asksPort, fakeContext(fakeSystem()), new Map());
    expect(r.status).toBe('error');
  });
});
