// Pure plans for each backend × OS: paths, the Claude Code env, VS Code, scripts, firewall, and golden
// copies of every rendered file.
import { describe, expect, it } from 'vitest';
import { buildPlan, claudeModelName, planTargets } from '../../src/init/plan.js';
import type { InitAnswers, InitFacts } from '../../src/init/types.js';
import { quoteSystemd } from '../../src/shell/quote.js';
import { expectGolden, readTemplates } from './golden.js';

const templates = readTemplates();

type Os = 'linux' | 'darwin' | 'win32' | 'wsl';
function facts(os: Os, over: Partial<InitFacts> = {}): Omit<InitFacts, 'files'> {
  const win = os === 'win32';
  const homedir = win ? 'C:\\Users\\Ada' : os === 'darwin' ? '/Users/ada' : '/home/ada';
  return {
    platform: win ? 'win32' : os === 'darwin' ? 'darwin' : 'linux',
    env: win
      ? { APPDATA: 'C:\\Users\\Ada\\AppData\\Roaming' }
      : os === 'wsl'
        ? { WSL_DISTRO_NAME: 'Ubuntu' }
        : {},
    homedir,
    cwd: win ? 'C:\\src\\app' : '/src/app',
    isWsl: os === 'wsl',
    existingDirs: [],
    dsbCommand: win
      ? [
          'C:\\Program Files\\nodejs\\node.exe',
          'C:\\Users\\Ada\\AppData\\Roaming\\npm\\node_modules\\dsb\\bin\\run.js',
        ]
      : ['/usr/bin/node', '/usr/lib/node_modules/dsb/bin/run.js'],
    firewall: { ufw: true, firewalld: false, admin: false },
    templates,
    ...over,
  };
}

function answers(over: Partial<InitAnswers> = {}): InitAnswers {
  return {
    backend: 'llama.cpp',
    upstreamUrl: 'http://127.0.0.1:8080',
    model: '/models/DeepSeek-V4-Flash-Q4_K_M.gguf',
    ctxSize: 65536,
    ctxSource: '--ctx-size',
    maxOutputTokens: 16384,
    gpus: 1,
    bridgePort: 3000,
    scope: 'user',
    vscode: true,
    firewall: true,
    ...over,
  };
}

/** A plan over empty disks (every target absent). */
function plan(a: InitAnswers, f: Omit<InitFacts, 'files'>) {
  const files = Object.fromEntries(planTargets(a, f).map((p) => [p, undefined]));
  return buildPlan(a, { ...f, files });
}

describe('Claude Code settings', () => {
  it('writes the variables of design.md §6 with the real context', () => {
    const p = plan(answers({ ctxSize: 98304, maxOutputTokens: 24576, bridgePort: 3456 }), facts('linux'));
    const settings = p.files.find((f) => f.role === 'claude-settings')!;
    expect(settings.path).toBe('/home/ada/.claude/settings.json');
    const env = JSON.parse(settings.after).env;
    expect(env).toEqual({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:3456',
      ANTHROPIC_AUTH_TOKEN: 'dsb',
      ANTHROPIC_API_KEY: '',
      ANTHROPIC_MODEL: 'DeepSeek-V4-Flash-Q4_K_M',
      ANTHROPIC_DEFAULT_OPUS_MODEL: 'DeepSeek-V4-Flash-Q4_K_M',
      ANTHROPIC_DEFAULT_SONNET_MODEL: 'DeepSeek-V4-Flash-Q4_K_M',
      ANTHROPIC_DEFAULT_HAIKU_MODEL: 'DeepSeek-V4-Flash-Q4_K_M',
      CLAUDE_CODE_SUBAGENT_MODEL: 'DeepSeek-V4-Flash-Q4_K_M',
      API_TIMEOUT_MS: '600000',
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: '98304',
      CLAUDE_CODE_MAX_OUTPUT_TOKENS: '24576',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_ATTRIBUTION_HEADER: '0',
      NO_PROXY: '127.0.0.1,localhost,::1',
    });
    expect(settings.after).not.toMatch(/localhost:/);
  });

  it('respects CLAUDE_CONFIG_DIR, and project scope writes into the project', () => {
    const f = facts('linux', { env: { CLAUDE_CONFIG_DIR: '/cfg/claude' } });
    expect(plan(answers(), f).files.find((x) => x.role === 'claude-settings')!.path).toBe(
      '/cfg/claude/settings.json',
    );
    const proj = plan(answers({ scope: 'project' }), f);
    expect(proj.files.find((x) => x.role === 'claude-settings')!.path).toBe('/src/app/.claude/settings.json');
    expect(proj.files.find((x) => x.role === 'dsb-config')!.path).toBe('/src/app/dsb.config.json');
    expect(proj.files.find((x) => x.path.endsWith('start-bridge.sh'))!.after).toMatch(
      /serve --port 3000 --config \/src\/app\/dsb.config.json/,
    );
  });

  it('model names Claude Code will send', () => {
    expect(claudeModelName({ backend: 'llama.cpp', model: 'C:\\m\\DeepSeek-V4.gguf' })).toBe('DeepSeek-V4');
    expect(claudeModelName({ backend: 'ollama', model: 'deepseek-r1:14b' })).toBe('deepseek-r1-14b-dsb');
    expect(claudeModelName({ backend: 'vllm', model: 'deepseek-ai/DeepSeek-V4-Flash' })).toBe(
      'deepseek-ai/DeepSeek-V4-Flash',
    );
    expect(claudeModelName({ backend: 'openai', model: undefined })).toBe('deepseek');
  });
});

describe('VS Code settings per OS and flavour', () => {
  it.each([
    ['linux', '/home/ada/.config/Code/User/settings.json'],
    ['darwin', '/Users/ada/Library/Application Support/Code/User/settings.json'],
    ['win32', 'C:\\Users\\Ada\\AppData\\Roaming\\Code\\User\\settings.json'],
  ] as const)('%s: stable Code when no flavour is installed', (os, file) => {
    const p = plan(answers(), facts(os));
    expect(p.files.filter((f) => f.role === 'vscode-settings').map((f) => f.path)).toEqual([file]);
    expect(p.notes.join('\n')).toMatch(/no VS Code settings folder found/);
  });
  it('every installed flavour (Insiders, VSCodium, VS Code Server), not the missing ones', () => {
    const f = facts('linux', {
      existingDirs: [
        '/home/ada/.config/Code - Insiders/User',
        '/home/ada/.config/VSCodium/User',
        '/home/ada/.vscode-server/data/Machine',
      ],
    });
    expect(
      plan(answers(), f)
        .files.filter((x) => x.role === 'vscode-settings')
        .map((x) => x.path),
    ).toEqual([
      '/home/ada/.config/Code - Insiders/User/settings.json',
      '/home/ada/.config/VSCodium/User/settings.json',
      '/home/ada/.vscode-server/data/Machine/settings.json',
    ]);
  });
  it('environmentVariables is an array of {name, value} and the login prompt is off', () => {
    const v = plan(answers(), facts('linux')).files.find((f) => f.role === 'vscode-settings')!;
    const json = JSON.parse(v.after);
    expect(json['claudeCode.disableLoginPrompt']).toBe(true);
    expect(json['claudeCode.environmentVariables']).toContainEqual({
      name: 'ANTHROPIC_BASE_URL',
      value: 'http://127.0.0.1:3000',
    });
    expect(json['claudeCode.environmentVariables']).toContainEqual({
      name: 'CLAUDE_CODE_MAX_CONTEXT_TOKENS',
      value: '65536',
    });
  });
  it('--no-vscode writes no VS Code file', () => {
    expect(
      plan(answers({ vscode: false }), facts('linux')).files.some((f) => f.role === 'vscode-settings'),
    ).toBe(false);
  });
});

describe('firewall', () => {
  it('Linux with ufw: one loopback rule for the bridge port; the script is the manual fallback', () => {
    const p = plan(answers({ bridgePort: 3456 }), facts('linux'));
    expect(p.firewall!.commands).toEqual([
      {
        program: 'ufw',
        args: [
          'allow',
          'in',
          'on',
          'lo',
          'to',
          'any',
          'port',
          '3456',
          'proto',
          'tcp',
          'comment',
          'dsb bridge',
        ],
      },
    ]);
    expect(p.firewall!.canApply).toBe(false);
    expect(p.firewall!.manual[0]).toBe('sudo sh /home/ada/.config/dsb/scripts/firewall-linux.sh');
  });
  it('Linux with firewalld as root: a rich rule from 127.0.0.1 and a reload', () => {
    const p = plan(answers(), facts('linux', { firewall: { ufw: false, firewalld: true, admin: true } }));
    expect(p.firewall!.canApply).toBe(true);
    expect(p.firewall!.commands.map((c) => c.args.join(' '))).toEqual([
      '--permanent --add-rich-rule rule family="ipv4" source address="127.0.0.1" port port="3000" protocol="tcp" accept',
      '--reload',
    ]);
  });
  it('Windows: a PowerShell script with New-NetFirewallRule (netsh fallback), Private profile, local subnet', () => {
    const p = plan(answers(), facts('win32', { firewall: { ufw: false, firewalld: false, admin: true } }));
    const script = p.files.find((f) => f.role === 'firewall-script')!;
    expect(script.after).toMatch(
      /New-NetFirewallRule .*-LocalPort 3000 -Profile Private -RemoteAddress LocalSubnet/,
    );
    expect(script.after).toMatch(
      /netsh advfirewall firewall add rule .*localport=3000 profile=private remoteip=localsubnet/,
    );
    expect(p.firewall!.commands[0]).toEqual({
      program: 'powershell.exe',
      args: ['-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', script.path],
    });
  });
  it('WSL: writes the Windows script with a \\\\wsl.localhost path to run on Windows', () => {
    const p = plan(answers(), facts('wsl'));
    expect(p.files.some((f) => f.path.endsWith('firewall-windows.ps1'))).toBe(true);
    expect(p.nextSteps.join('\n')).toContain(
      '\\\\wsl.localhost\\Ubuntu\\home\\ada\\.config\\dsb\\scripts\\firewall-windows.ps1',
    );
  });
  it('--no-firewall: no rule, no script', () => {
    const p = plan(answers({ firewall: false }), facts('linux'));
    expect(p.firewall).toBeUndefined();
    expect(p.files.some((f) => f.role === 'firewall-script')).toBe(false);
  });
});

describe('systemd and scheduled task quoting', () => {
  it('quotes ExecStart words for systemd', () => {
    expect(quoteSystemd('/usr/bin/node')).toBe('/usr/bin/node');
    expect(quoteSystemd('/opt/my dsb/run.js')).toBe('"/opt/my dsb/run.js"');
    expect(quoteSystemd('100%')).toBe('100%%');
    expect(quoteSystemd('$HOME')).toBe('$$HOME');
    expect(quoteSystemd('a "b"')).toBe('"a \\"b\\""');
  });
});

const CASES: Array<[string, InitAnswers, Os, Partial<InitFacts>?]> = [
  ['llama.cpp-linux', answers(), 'linux'],
  ['llama.cpp-darwin', answers({ model: '/Users/ada/models/DeepSeek-V4-Flash-Q4_K_M.gguf' }), 'darwin'],
  [
    'llama.cpp-win32',
    answers({ model: 'C:\\Users\\Ada\\My Models\\DeepSeek-V4-Flash-Q4_K_M.gguf' }),
    'win32',
  ],
  ['llama.cpp-wsl', answers(), 'wsl'],
  [
    'vllm-linux',
    answers({
      backend: 'vllm',
      upstreamUrl: 'http://127.0.0.1:8000',
      model: 'deepseek-ai/DeepSeek-V4-Flash',
      gpus: 2,
      ctxSize: 131072,
      maxOutputTokens: 32000,
    }),
    'linux',
  ],
  [
    'sglang-linux',
    answers({
      backend: 'sglang',
      upstreamUrl: 'http://127.0.0.1:30000',
      model: 'deepseek-ai/DeepSeek-V4-Pro',
      gpus: 8,
    }),
    'linux',
  ],
  [
    'ollama-darwin',
    answers({
      backend: 'ollama',
      upstreamUrl: 'http://127.0.0.1:11434',
      model: 'deepseek-r1:14b',
      gpus: 0,
      scope: 'project',
    }),
    'darwin',
  ],
  [
    'ollama-win32',
    answers({ backend: 'ollama', upstreamUrl: 'http://127.0.0.1:11434', model: 'deepseek-r1:14b', gpus: 0 }),
    'win32',
  ],
  [
    'deepseek-api-win32',
    answers({
      backend: 'deepseek-api',
      upstreamUrl: 'https://api.deepseek.com',
      model: 'deepseek-v4-pro',
      apiKey: 'sk-test-not-a-real-key',
      ctxSize: 1_000_000,
      maxOutputTokens: 32000,
      gpus: 0,
      firewall: false,
    }),
    'win32',
  ],
  [
    'openai-linux',
    answers({
      backend: 'openai',
      upstreamUrl: 'http://10.0.0.5:9000',
      model: 'deepseek-v4-flash',
      gpus: 0,
      vscode: false,
      firewall: false,
    }),
    'linux',
  ],
];

describe('golden plans (backend × OS)', () => {
  it.each(CASES)('%s', (name, a, os, over) => {
    const p = plan(a, facts(os, over));
    const summary = [
      `claudeModel: ${p.claudeModel}`,
      ...p.files.map((f) => `${f.role.padEnd(16)} ${f.mode ? `0${f.mode.toString(8)} ` : ''}${f.path}`),
      ...(p.firewall
        ? [
            `firewall: ${p.firewall.summary}`,
            ...p.firewall.commands.map((c) => `  ${c.program} ${c.args.join(' ')}`),
          ]
        : []),
      ...p.notes.map((n) => `note: ${n}`),
      ...p.nextSteps.map((s) => `next: ${s}`),
      '',
    ].join('\n');
    expectGolden(`plans/${name}/plan.txt`, summary);
    const seen = new Map<string, number>();
    for (const f of p.files) {
      const baseName = f.path.split(/[\\/]/).pop()!;
      const key = `${f.role}-${baseName}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      expectGolden(`plans/${name}/${key}${n > 1 ? `.${n}` : ''}`, f.after);
    }
  });
});
