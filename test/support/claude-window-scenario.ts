// Issue #14's end-to-end scenarios, shared by the e2e tier (a fake llama-server) and the real tier
// (the real llama-server): with an upstream of N tokens per request behind the bridge, the real
// Claude Code CLI's `claude -p "/context"` reports N after `dsb init`, and after `dsb doctor --fix`
// starting from the settings the README used to give (CLAUDE_CODE_MAX_CONTEXT_TOKENS without a
// non-Claude ANTHROPIC_MODEL, which leaves Claude Code a 1M window).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { startBridge } from '../../src/bridge/server.js';
import { parseContextReport } from '../../src/checks/claude-window.js';
import { type DoctorReport, doctorReportSchema } from '../../src/checks/types.js';
import { configSchema } from '../../src/config/schema.js';
import { cleanEnv, RUN_JS } from '../init/cli.js';
import { type ClaudeSandbox, createClaudeSandbox, LOCAL_BIN, runClaude } from './claude-cli.js';

export interface WindowScenario {
  sandbox: ClaudeSandbox;
  bridgeUrl: string;
  close(): Promise<void>;
}

/** The bridge (in process) in front of `upstreamUrl`, and a throw-away HOME for Claude Code. */
export async function startWindowScenario(upstreamUrl: string): Promise<WindowScenario> {
  const bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 }, upstreams: [{ url: upstreamUrl }] }),
    logger: { request() {}, info() {}, warn() {} },
  });
  const sandbox = await createClaudeSandbox('dsb-e2e-window-');
  return {
    sandbox,
    bridgeUrl: bridge.url,
    async close() {
      await bridge.close();
      await sandbox.cleanup();
    },
  };
}

/** The built CLI, asynchronously (the bridge and the upstream in this process keep answering). */
export async function dsbCli(scenario: WindowScenario, args: string[]) {
  const { sandbox } = scenario;
  return execa(process.execPath, [RUN_JS, ...args], {
    cwd: sandbox.cwd,
    env: cleanEnv({
      HOME: sandbox.home,
      CLAUDE_CONFIG_DIR: sandbox.configDir,
      DSB_CONFIG_DIR: path.join(sandbox.root, 'dsb-config'),
      TMPDIR: sandbox.tmp,
      // The claude CLI the doctor asks (node_modules/.bin), as a user's PATH would have it.
      PATH: [LOCAL_BIN, process.env.PATH].join(path.delimiter),
      CI: 'true',
      NO_COLOR: '1',
    }),
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
}

/** `claude -p "/context"` with only the sandbox's settings: the window it prints, and the line. */
export async function claudeContextWindow(scenario: WindowScenario) {
  const run = await runClaude({ baseUrl: scenario.bridgeUrl, sandbox: scenario.sandbox, prompt: '/context' });
  const text = run.result?.result ?? '';
  const line = text.match(/\*\*Tokens:\*\*[^\n]*/)?.[0] ?? '';
  return { run, text, line, report: parseContextReport(text) };
}

export async function dsbInit(scenario: WindowScenario, upstreamUrl: string, ctxSize: number) {
  return dsbCli(scenario, [
    'init',
    '--yes',
    '--backend',
    'llama.cpp',
    '--model',
    '/models/DeepSeek-V4-Flash-Q4_K_M.gguf',
    '--ctx-size',
    String(ctxSize),
    '--port',
    new URL(scenario.bridgeUrl).port,
    '--upstream',
    upstreamUrl,
    '--no-vscode',
    '--no-firewall',
  ]);
}

/** The settings the README used to give: the window variable without a non-Claude model. */
export async function writeOldReadmeSettings(scenario: WindowScenario, ctxSize: number): Promise<void> {
  const { configDir } = scenario.sandbox;
  await mkdir(configDir, { recursive: true });
  await writeFile(
    path.join(configDir, 'settings.json'),
    `${JSON.stringify(
      {
        env: {
          ANTHROPIC_BASE_URL: scenario.bridgeUrl,
          ANTHROPIC_AUTH_TOKEN: 'dsb',
          CLAUDE_CODE_MAX_CONTEXT_TOKENS: String(ctxSize),
        },
      },
      null,
      2,
    )}\n`,
  );
}

export async function doctorFix(scenario: WindowScenario, upstreamUrl: string): Promise<DoctorReport> {
  const r = await dsbCli(scenario, [
    'doctor',
    'upstream-context',
    'client-context',
    '--fix',
    '--yes',
    '--json',
    '--upstream',
    upstreamUrl,
    '--bridge',
    scenario.bridgeUrl,
  ]);
  try {
    return doctorReportSchema.parse(JSON.parse(String(r.stdout)));
  } catch {
    throw new Error(`dsb doctor did not print a report (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`);
  }
}

export async function settingsEnv(scenario: WindowScenario): Promise<Record<string, string>> {
  const text = await readFile(path.join(scenario.sandbox.configDir, 'settings.json'), 'utf8');
  return JSON.parse(text).env;
}
