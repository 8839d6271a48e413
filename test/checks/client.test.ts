import { describe, expect, it } from 'vitest';
import { clientConfigCheck } from '../../src/checks/client-config.js';
import { clientVersionCheck } from '../../src/checks/client-version.js';
import { runCheck } from '../../src/checks/runner.js';
import type { Check, CheckContext } from '../../src/checks/types.js';
import {
  type FakeSystemOptions,
  fakeContext,
  fakeSystem,
  llamaWithContext,
  nothingListensAt,
} from './fake-system.js';

const UPSTREAM = 'http://127.0.0.1:8080';

const run = (check: Check, ctx: CheckContext) => runCheck(check, ctx, new Map());

describe('client-version', () => {
  const versions = (
    claude: string | 'notfound',
    node: string,
    ext?: string,
    platform: NodeJS.Platform = 'linux',
  ): FakeSystemOptions => ({
    platform,
    commands: {
      'claude --version': claude === 'notfound' ? 'notfound' : { stdout: `${claude} (Claude Code)\n` },
      'node --version': { stdout: `${node}\n` },
      'code --list-extensions --show-versions': ext
        ? {
            stdout: `dbaeumer.vscode-eslint@3.0.16\nanthropic.claude-code@${ext}\nms-vscode-remote.remote-wsl@0.99.0\n`,
          }
        : 'notfound',
    },
  });

  it('passes with the tested CLI and extension (linux, macOS, Windows)', async () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const r = await run(
        clientVersionCheck,
        fakeContext(fakeSystem(versions('2.1.331', 'v22.12.0', '2.1.331', platform))),
      );
      expect(r).toMatchObject({ status: 'pass', summary: 'CLI 2.1.331, VS Code extension 2.1.331' });
    }
  });

  it('warns on a CLI older than the tested range', async () => {
    const r = await run(clientVersionCheck, fakeContext(fakeSystem(versions('1.0.128', 'v22.12.0'))));
    expect(r.status).toBe('warn');
    expect(r.fix?.commands).toContain('claude update');
  });

  it('fails when the CLI runs on Node < 22, and when Claude Code is missing entirely', async () => {
    const old = await run(clientVersionCheck, fakeContext(fakeSystem(versions('2.1.331', 'v20.11.1'))));
    expect(old).toMatchObject({
      status: 'fail',
      summary: 'Node v20.11.1 is too old for Claude Code (needs 22+)',
    });
    const oldWin = await run(
      clientVersionCheck,
      fakeContext(fakeSystem(versions('2.1.331', 'v18.20.4', undefined, 'win32'))),
    );
    expect(oldWin.fix?.commands[0]).toBe('winget install OpenJS.NodeJS.LTS');
    const none = await run(clientVersionCheck, fakeContext(fakeSystem(versions('notfound', 'v22.12.0'))));
    expect(none.status).toBe('fail');
    expect(none.fix?.commands[0]).toBe('npm install -g @anthropic-ai/claude-code');
  });

  it('passes with only the VS Code extension (no CLI)', async () => {
    const r = await run(
      clientVersionCheck,
      fakeContext(fakeSystem(versions('notfound', 'v22.12.0', '2.0.14'))),
    );
    expect(r).toMatchObject({ status: 'pass', summary: 'VS Code extension 2.0.14' });
  });
  // Not platform-dependent beyond the fix commands: no skip case (it applies everywhere).
});

describe('client-config', () => {
  const home = '/home/dev';
  const settings = (env: Record<string, string>) => JSON.stringify({ model: 'sonnet', env }, null, 2);

  it('passes when ~/.claude/settings.json points at the bridge with a token', async () => {
    const system = fakeSystem({
      files: {
        [`${home}/.claude/settings.json`]: settings({
          ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000',
          ANTHROPIC_AUTH_TOKEN: 'dsb',
          ANTHROPIC_API_KEY: '',
          ANTHROPIC_MODEL: 'deepseek-v4-flash',
          CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
        }),
      },
    });
    const r = await run(clientConfigCheck, fakeContext(system));
    expect(r).toMatchObject({
      status: 'pass',
      summary: 'ANTHROPIC_BASE_URL=http://127.0.0.1:3000 (Claude Code user settings)',
      data: {
        claudeWindow: 65536,
        claudeWindowSource: 'max-context-tokens',
        claudeModel: 'deepseek-v4-flash',
      },
    });
  });

  it("warns when the settings leave Claude Code a 1M window, and the fix writes the upstream's", async () => {
    const file = `${home}/.claude/settings.json`;
    const system = fakeSystem({
      http: llamaWithContext(65536),
      files: {
        [file]: settings({
          ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000',
          ANTHROPIC_AUTH_TOKEN: 'dsb',
          CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
        }),
      },
    });
    const r = await run(clientConfigCheck, fakeContext(system));
    expect(r.status).toBe('warn');
    expect(r.summary).toBe(
      "Claude Code uses a 1M (1000000) window, not the upstream's 64K (65536): it will not compact before the upstream overflows (needs a non-Claude ANTHROPIC_MODEL and CLAUDE_CODE_MAX_CONTEXT_TOKENS)",
    );
    expect(r.details.join('\n')).toMatch(
      /default model \(Opus\) with a 1M window and ignores CLAUDE_CODE_MAX_CONTEXT_TOKENS/,
    );
    await r.fix!.apply!(fakeContext(system), { dryRun: false });
    expect(JSON.parse(system.written[file]!).env).toMatchObject({
      ANTHROPIC_MODEL: 'tiny-random-F32',
      CLAUDE_CODE_SUBAGENT_MODEL: 'tiny-random-F32',
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
    });
    expect((await run(clientConfigCheck, fakeContext(system))).status).toBe('pass');
  });

  it('fails when ANTHROPIC_BASE_URL is not set, and --fix writes it, keeping other keys and a backup', async () => {
    const file = `${home}/.claude/settings.json`;
    const system = fakeSystem({
      http: llamaWithContext(65536),
      files: { [file]: '{\n  // comments survive\n  "model": "sonnet",\n  "env": { "FOO": "1" }\n}\n' },
    });
    const ctx = fakeContext(system);
    const r = await run(clientConfigCheck, ctx);
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/ANTHROPIC_BASE_URL is not set/);
    const changes = await r.fix!.apply!(ctx, { dryRun: false });
    const model = 'tiny-random-F32';
    expect(changes).toEqual([
      `${file}: set env.ANTHROPIC_BASE_URL=http://127.0.0.1:3000`,
      `${file}: set env.ANTHROPIC_AUTH_TOKEN=<redacted>`,
      `${file}: set env.ANTHROPIC_MODEL=${model}`,
      `${file}: set env.ANTHROPIC_DEFAULT_OPUS_MODEL=${model}`,
      `${file}: set env.ANTHROPIC_DEFAULT_SONNET_MODEL=${model}`,
      `${file}: set env.ANTHROPIC_DEFAULT_HAIKU_MODEL=${model}`,
      `${file}: set env.CLAUDE_CODE_SUBAGENT_MODEL=${model}`,
      `${file}: set env.CLAUDE_CODE_MAX_CONTEXT_TOKENS=65536`,
      expect.stringMatching(/^backup: \/home\/dev\/\.claude\/settings\.json\.bak-/),
    ]);
    const written = system.written[file]!;
    expect(written).toContain('// comments survive');
    expect(written).toContain('"FOO": "1"');
    expect(written).toContain('"ANTHROPIC_BASE_URL": "http://127.0.0.1:3000"');
    // Re-run on a fresh context sees the change.
    expect((await run(clientConfigCheck, fakeContext(system))).status).toBe('pass');
  });

  it('dry-run changes nothing', async () => {
    const system = fakeSystem({ http: nothingListensAt(UPSTREAM) });
    const ctx = fakeContext(system);
    const r = await run(clientConfigCheck, ctx);
    const changes = await r.fix!.apply!(ctx, { dryRun: true });
    expect(changes.length).toBeGreaterThan(0);
    expect(system.written).toEqual({});
  });

  it('warns when the URL is only in the shell (VS Code will not see it) and when sources disagree', async () => {
    const shellOnly = await run(
      clientConfigCheck,
      fakeContext(
        fakeSystem({
          http: nothingListensAt(UPSTREAM),
          env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000', ANTHROPIC_AUTH_TOKEN: 'x' },
        }),
      ),
    );
    expect(shellOnly.status).toBe('warn');
    expect(shellOnly.summary).toMatch(/set only in this shell/);

    const vscodeFile = `${home}/.config/Code/User/settings.json`;
    const disagree = await run(
      clientConfigCheck,
      fakeContext(
        fakeSystem({
          http: nothingListensAt(UPSTREAM),
          files: {
            [`${home}/.claude/settings.json`]: settings({
              ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000',
              ANTHROPIC_AUTH_TOKEN: 'dsb',
            }),
            [vscodeFile]:
              '{ "claudeCode.environmentVariables": [ { "name": "ANTHROPIC_BASE_URL", "value": "http://127.0.0.1:4000" } ], }',
          },
        }),
      ),
    );
    expect(disagree.status).toBe('warn');
    expect(disagree.summary).toMatch(/differs between Claude Code user settings, VS Code settings/);
  });

  it('fails on Bedrock/Vertex switches, /v1 suffixes, a URL that is not the bridge (Windows paths)', async () => {
    const winFile = 'C:\\Users\\dev\\.claude\\settings.json';
    const bedrock = await run(
      clientConfigCheck,
      fakeContext(
        fakeSystem({
          http: nothingListensAt(UPSTREAM),
          platform: 'win32',
          files: {
            [winFile]: settings({
              ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000',
              ANTHROPIC_AUTH_TOKEN: 'dsb',
              CLAUDE_CODE_USE_BEDROCK: '1',
            }),
          },
        }),
      ),
    );
    expect(bedrock.status).toBe('fail');
    expect(bedrock.summary).toMatch(/CLAUDE_CODE_USE_BEDROCK=1 .*ignores ANTHROPIC_BASE_URL/);
    expect(bedrock.fix?.apply).toBeTypeOf('function');

    const v1 = await run(
      clientConfigCheck,
      fakeContext(
        fakeSystem({
          http: nothingListensAt(UPSTREAM),
          env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000/v1', ANTHROPIC_AUTH_TOKEN: 'x' },
        }),
      ),
    );
    expect(v1.status).toBe('fail');
    expect(v1.details.join('\n')).toMatch(/ends in \/v1/);

    const other = await run(
      clientConfigCheck,
      fakeContext(
        fakeSystem({
          http: nothingListensAt(UPSTREAM),
          env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:8080', ANTHROPIC_AUTH_TOKEN: 'x' },
        }),
      ),
    );
    expect(other.summary).toMatch(/is not the bridge/);
  });

  it('warns about conflicting auth variables and a real Anthropic key (macOS)', async () => {
    const file = '/Users/dev/.claude/settings.json';
    const both = await run(
      clientConfigCheck,
      fakeContext(
        fakeSystem({
          http: nothingListensAt(UPSTREAM),
          platform: 'darwin',
          files: {
            [file]: settings({
              ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000',
              ANTHROPIC_AUTH_TOKEN: 'dsb',
              ANTHROPIC_API_KEY: 'abc',
            }),
          },
        }),
      ),
    );
    expect(both.status).toBe('warn');
    expect(both.summary).toMatch(/both ANTHROPIC_API_KEY .* and ANTHROPIC_AUTH_TOKEN/);
    const real = await run(
      clientConfigCheck,
      fakeContext(
        fakeSystem({
          http: nothingListensAt(UPSTREAM),
          platform: 'darwin',
          env: { ANTHROPIC_API_KEY: 'sk-ant-api03-xyz' },
          files: { [file]: settings({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000' }) },
        }),
      ),
    );
    expect(real.summary).toMatch(/a real Anthropic key/);
  });

  it('fails when the token does not match the bridge auth token', async () => {
    const r = await run(
      clientConfigCheck,
      fakeContext(
        fakeSystem({
          http: nothingListensAt(UPSTREAM),
          files: {
            [`${home}/.claude/settings.json`]: settings({
              ANTHROPIC_BASE_URL: 'http://127.0.0.1:3000',
              ANTHROPIC_AUTH_TOKEN: 'wrong',
            }),
          },
        }),
        {
          config: { server: { authToken: 'secret-token-123' } },
        },
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/does not match the bridge's auth token/);
  });
});
