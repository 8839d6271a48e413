// answers + facts → Plan, with no I/O: every file's full new content, whether it changes, the
// firewall commands and what to do next. apply.ts reads the files first and writes the result.

import { nonClaudeModelName } from '../checks/claude-window.js';
import { formatZodIssues, parseJsoncConfig } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import { isLocalBackend } from '../launch/backends.js';
import { generateLaunch, type LaunchPlan, ollamaModelName } from '../launch/generate.js';
import { type CommandLine, psString, quoteSh, renderCommand } from '../launch/quote.js';
import { launchScriptBody } from '../launch/script.js';
import { jsonStringEscape, renderTemplate } from '../launch/template.js';
import {
  linuxFirewallPlan,
  renderLinuxFirewallScript,
  renderWindowsFirewallScript,
  windowsApplyCommand,
} from './firewall.js';
import { JsonDocument, MergeError, mergeNameValueArray } from './jsonc-merge.js';
import { claudeSettingsFile, dsbConfigFile, pathFor, scriptsDir, vscodeTargets } from './paths.js';
import type { FileRole, FirewallPlan, InitAnswers, InitFacts, Plan, PlannedFile } from './types.js';

export { MergeError };

/** Any non-empty token: the bridge on loopback does not check it, Claude Code needs one to skip login. */
export const CLAUDE_AUTH_TOKEN = 'dsb';

/** The model name Claude Code will send: readable, and what the bridge routes by. */
export function claudeModelName(answers: Pick<InitAnswers, 'backend' | 'model'>): string {
  // Never a Claude-looking name: Claude Code would ignore CLAUDE_CODE_MAX_CONTEXT_TOKENS (claude-window.ts).
  return nonClaudeModelName(servedModelLabel(answers));
}

function servedModelLabel(answers: Pick<InitAnswers, 'backend' | 'model'>): string {
  const model = answers.model?.trim();
  if (!model) return 'deepseek';
  if (answers.backend === 'llama.cpp') {
    const file = model.split(/[\\/]/).pop() ?? model;
    return file.replace(/\.gguf$/i, '') || 'deepseek';
  }
  if (answers.backend === 'ollama') return ollamaModelName(model);
  return model;
}

/** Claude Code asks for 32000 output tokens for non-Claude names; keep it within a quarter of the window. */
export function defaultMaxOutputTokens(ctxSize: number): number {
  return Math.max(1024, Math.min(32_000, Math.floor(ctxSize / 4)));
}

interface Output {
  path: string;
  role: FileRole;
  description: string;
  mode?: number;
  /** The new content, given the current one. Throws MergeError when the current one cannot be merged. */
  produce(before: string | undefined): string;
}

interface Derived {
  claudeModel: string;
  launch?: LaunchPlan;
  outputs: Output[];
  firewall?: FirewallPlan;
  notes: string[];
  nextSteps: string[];
}

function upstreamHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '127.0.0.1';
  }
}

function upstreamPort(url: string, fallback: number): number {
  try {
    const u = new URL(url);
    return u.port ? Number(u.port) : fallback;
  } catch {
    return fallback;
  }
}

function derive(answers: InitAnswers, facts: Omit<InitFacts, 'files'>): Derived {
  const p = pathFor(facts.platform);
  const t = facts.templates;
  const notes: string[] = [];
  const nextSteps: string[] = [];
  const outputs: Output[] = [];
  const scripts = scriptsDir(facts);
  const claudeModel = claudeModelName(answers);
  const bridgeUrl = `http://127.0.0.1:${answers.bridgePort}`;
  const local = isLocalBackend(answers.backend);

  // The model server's launch command (local backends).
  let launch: LaunchPlan | undefined;
  if (local && answers.model) {
    const backend = answers.backend as Parameters<typeof generateLaunch>[0]['backend'];
    launch = generateLaunch(
      {
        backend,
        model: answers.model,
        ctxSize: answers.ctxSize,
        gpus: answers.gpus,
        host: upstreamHost(answers.upstreamUrl),
        port: upstreamPort(answers.upstreamUrl, 80),
        platform: facts.platform,
        modelfilePath: p.join(scripts, 'Modelfile'),
      },
      { modelfile: t.modelfile },
    );
    notes.push(...launch.notes);
  } else if (local) {
    notes.push('no model given: launch scripts are not written (run dsb init again with --model)');
  }

  // 1. dsb's own config. An API key never goes into a config outside the user's own folder (a
  // project's dsb.config.json gets committed): there it is only named (apiKeyRef), and the key
  // itself goes to the user config's "secrets", mode 0600.
  const configPath = answers.configFile ?? dsbConfigFile(answers.scope, facts);
  const userConfigPath = dsbConfigFile('user', facts);
  const keyByRef = answers.apiKey !== undefined && configPath !== userConfigPath;
  const secretName = answers.backend;
  if (answers.apiKey) {
    notes.push(
      keyByRef
        ? `the API key goes to ${userConfigPath} ("secrets"."${secretName}", mode 0600); ${configPath} only names it ("apiKeyRef": "${secretName}")`
        : `the API key goes to ${userConfigPath} (mode 0600), never into Claude Code's settings`,
    );
  }
  if (keyByRef) {
    outputs.push({
      path: userConfigPath,
      role: 'dsb-config',
      description: 'dsb config (user): the API key',
      mode: 0o600,
      produce(before) {
        const doc = new JsonDocument(userConfigPath, before, 'jsonc');
        doc.set(['secrets', secretName], answers.apiKey);
        return doc.result(before);
      },
    });
  }
  outputs.push({
    path: configPath,
    role: 'dsb-config',
    description: `dsb config (${answers.scope})`,
    mode: answers.apiKey && !keyByRef ? 0o600 : undefined,
    produce(before) {
      // dsb reads its config as JSONC: comments the user wrote there survive the merge.
      const doc = new JsonDocument(configPath, before, 'jsonc');
      doc.set(['server', 'port'], answers.bridgePort);
      const existing = doc.get(['upstreams']);
      const same = Array.isArray(existing)
        ? existing.find(
            (u) =>
              typeof u === 'object' && u !== null && (u as { url?: unknown }).url === answers.upstreamUrl,
          )
        : undefined;
      const upstream: Record<string, unknown> = {
        ...(same as object | undefined),
        url: answers.upstreamUrl,
        kind: answers.backend,
      };
      const upstreamModel = answers.backend === 'ollama' ? launch?.servedModel : answers.model;
      // llama-server serves the one model it loaded, whatever the request names.
      if (upstreamModel && answers.backend !== 'llama.cpp') upstream.model = upstreamModel;
      if (answers.apiKey && keyByRef) {
        upstream.apiKeyRef = secretName;
        delete upstream.apiKey;
      } else if (answers.apiKey) upstream.apiKey = answers.apiKey;
      if (answers.backend === 'openai') upstream.contextSize = answers.ctxSize;
      doc.set(['upstreams'], [upstream]);
      const profile: Record<string, unknown> = { backend: answers.backend, ctxSize: answers.ctxSize };
      if (answers.model) profile.model = answers.model;
      if (local) {
        profile.gpus = answers.gpus;
        profile.host = upstreamHost(answers.upstreamUrl);
        profile.port = upstreamPort(answers.upstreamUrl, 80);
      }
      for (const [key, value] of Object.entries(profile)) doc.set(['profile', key], value);
      const text = doc.result(before);
      // References are checked by name only here: the key is in the user config written beside it.
      const check = configSchema.safeParse(parseJsoncConfig(text, configPath));
      if (!check.success) {
        throw new MergeError(
          configPath,
          `${configPath} would not be a valid dsb config:\n${formatZodIssues(check.error)}`,
        );
      }
      return text;
    },
  });

  // 1b. Keep the project's dsb config out of git, when the user agreed (it holds no key either way).
  if (answers.gitignore) {
    const gitignorePath = p.join(facts.cwd, '.gitignore');
    const entry = p.basename(configPath);
    outputs.push({
      path: gitignorePath,
      role: 'script',
      description: `.gitignore: ${entry}`,
      produce: (before) => appendGitignore(before, entry),
    });
  }

  // 2. Claude Code's settings.json "env" (the variables of design.md §6, from templates/claude-settings.json).
  const settingsTemplate = JSON.parse(
    renderTemplate(
      t.claudeSettings,
      {
        baseUrl: bridgeUrl,
        authToken: CLAUDE_AUTH_TOKEN,
        model: claudeModel,
        contextTokens: String(answers.ctxSize),
        maxOutputTokens: String(answers.maxOutputTokens),
      },
      jsonStringEscape,
    ),
  ) as { env: Record<string, string> };
  const envVars = Object.entries(settingsTemplate.env);
  const claudePath = claudeSettingsFile(answers.scope, facts);
  outputs.push({
    path: claudePath,
    role: 'claude-settings',
    description: `Claude Code settings (${answers.scope})`,
    produce(before) {
      const doc = new JsonDocument(claudePath, before, 'json');
      for (const [name, value] of envVars) doc.set(['env', name], value);
      return doc.result(before);
    },
  });

  // 3. VS Code user settings, for every flavour installed (stable Code when none is found).
  if (answers.vscode) {
    const targets = vscodeTargets(facts);
    let chosen = targets.filter((v) => facts.existingDirs.includes(v.userDir));
    if (chosen.length === 0) {
      chosen = targets.slice(0, 1);
      notes.push(
        `no VS Code settings folder found: writing ${chosen[0]!.settingsFile} for when it is installed`,
      );
    }
    const vscodeShape = new JsonDocument('templates/vscode-settings.jsonc', t.vscodeSettings, 'jsonc');
    const items = envVars.map(([name, value]) => ({ name, value }));
    for (const target of chosen) {
      outputs.push({
        path: target.settingsFile,
        role: 'vscode-settings',
        description: `${target.title} user settings`,
        produce(before) {
          const doc = new JsonDocument(target.settingsFile, before, 'jsonc');
          doc.set(['claudeCode.disableLoginPrompt'], vscodeShape.get(['claudeCode.disableLoginPrompt']));
          mergeNameValueArray(doc, ['claudeCode.environmentVariables'], items);
          return doc.result(before);
        },
      });
    }
  }

  // 4. Launch scripts for the model server, in sh, and PowerShell where PowerShell is at hand
  // (Windows, and WSL whose Windows side runs it); on Linux and macOS a .ps1 is clutter.
  const windowsReachable = facts.platform === 'win32' || facts.isWsl;
  const whole = (path: string, role: FileRole, description: string, content: string, mode?: number) =>
    outputs.push({ path, role, description, mode, produce: () => content });
  if (launch) {
    const vars = (shell: 'sh' | 'powershell') => ({
      title: launch.server.description,
      backend: answers.backend,
      command: launchScriptBody(launch, shell),
    });
    for (const file of launch.files) whole(file.path, 'script', file.description, file.content);
    whole(
      p.join(scripts, 'start-model-server.sh'),
      'script',
      'model server launch script (sh)',
      renderTemplate(t.modelServerSh, vars('sh')),
      0o755,
    );
    if (windowsReachable) {
      whole(
        p.join(scripts, 'start-model-server.ps1'),
        'script',
        'model server launch script (PowerShell)',
        renderTemplate(t.modelServerPs1, vars('powershell')),
      );
    }
  }

  // 5. The bridge: start scripts and a service (systemd user unit / Windows scheduled task).
  const bridgeCmd: CommandLine = {
    program: facts.dsbCommand[0]!,
    args: [...facts.dsbCommand.slice(1), 'serve', '--port', String(answers.bridgePort)],
  };
  if (answers.scope === 'project' || answers.configFile) bridgeCmd.args.push('--config', configPath);
  whole(
    p.join(scripts, 'start-bridge.sh'),
    'script',
    'bridge launch script (sh)',
    renderTemplate(t.bridgeSh, { port: String(answers.bridgePort), command: renderCommand(bridgeCmd, 'sh') }),
    0o755,
  );
  if (windowsReachable) {
    whole(
      p.join(scripts, 'start-bridge.ps1'),
      'script',
      'bridge launch script (PowerShell)',
      renderTemplate(t.bridgePs1, {
        port: String(answers.bridgePort),
        command: renderCommand(bridgeCmd, 'powershell'),
      }),
    );
  }
  if (facts.platform === 'linux') {
    const unitPath = p.join(scripts, 'dsb-bridge.service');
    whole(
      unitPath,
      'script',
      'systemd user unit for the bridge',
      renderTemplate(t.systemdUnit, {
        port: String(answers.bridgePort),
        unitPath,
        execStart: [bridgeCmd.program, ...bridgeCmd.args].map(quoteSystemd).join(' '),
      }),
    );
    nextSteps.push(`optional, start the bridge at login: systemctl --user enable --now ${quoteSh(unitPath)}`);
  } else if (facts.platform === 'win32') {
    const taskPath = p.join(scripts, 'dsb-bridge-task.ps1');
    const windowsArgs = bridgeCmd.args
      .map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a))
      .join(' ');
    whole(
      taskPath,
      'script',
      'Windows scheduled task for the bridge',
      renderTemplate(t.windowsTask, {
        port: String(answers.bridgePort),
        program: psString(bridgeCmd.program),
        arguments: psString(windowsArgs),
      }),
    );
    nextSteps.push(
      `optional, start the bridge at logon: powershell -NoProfile -ExecutionPolicy Bypass -File "${taskPath}"`,
    );
  }

  // 6. Firewall rule scripts (and what applying them runs).
  let firewall: FirewallPlan | undefined;
  if (answers.firewall) {
    if (facts.platform === 'win32' || facts.isWsl) {
      const ps1 = p.join(scripts, 'firewall-windows.ps1');
      whole(
        ps1,
        'firewall-script',
        'Windows firewall rule for the bridge port',
        renderWindowsFirewallScript(t, answers.bridgePort),
      );
      if (facts.platform === 'win32') {
        firewall = {
          commands: [windowsApplyCommand(ps1)],
          canApply: facts.firewall.admin,
          manual: [
            `powershell -NoProfile -ExecutionPolicy Bypass -File "${ps1}"   (in an elevated PowerShell)`,
          ],
          summary: `Windows Defender Firewall: allow TCP ${answers.bridgePort} inbound, Private profile, local subnet only`,
        };
      } else {
        const distro = facts.env.WSL_DISTRO_NAME || '<distro>';
        const winPath = `\\\\wsl.localhost\\${distro}${ps1.replace(/\//g, '\\')}`;
        nextSteps.push(
          `WSL: for Windows-side clients, run in an elevated Windows PowerShell: powershell -NoProfile -ExecutionPolicy Bypass -File "${winPath}"`,
        );
      }
    }
    if (facts.platform === 'linux') {
      const sh = p.join(scripts, 'firewall-linux.sh');
      whole(
        sh,
        'firewall-script',
        'Linux firewall rule for the bridge port',
        renderLinuxFirewallScript(t, answers.bridgePort, sh),
        0o755,
      );
      firewall = linuxFirewallPlan(facts.firewall, answers.bridgePort, sh);
    } else if (facts.platform === 'darwin') {
      notes.push(
        'macOS: the application firewall filters apps, not ports, and never loopback: no rule needed',
      );
    }
  }

  // Next steps.
  if (launch) {
    const script =
      facts.platform === 'win32'
        ? `powershell -NoProfile -ExecutionPolicy Bypass -File "${p.join(scripts, 'start-model-server.ps1')}"`
        : `sh ${quoteSh(p.join(scripts, 'start-model-server.sh'))}`;
    nextSteps.unshift(`start the model server: ${script}   (or: dsb launch ${answers.backend} --run)`);
  } else if (answers.backend === 'deepseek-api' && !answers.apiKey) {
    notes.push(
      'no API key given: the bridge will get 401 from the DeepSeek API (run dsb init again with --api-key)',
    );
  }
  nextSteps.splice(
    launch ? 1 : 0,
    0,
    `start the bridge: dsb serve${answers.scope === 'project' ? ` --config ${quoteSh(configPath)}` : ''}   (listens on ${bridgeUrl})`,
    'run claude (terminal or VS Code): it now talks to the bridge',
  );
  return { claudeModel, launch, outputs, firewall, notes, nextSteps };
}

/** `.gitignore` with `entry` on a line of its own (unchanged when it is already ignored). */
export function appendGitignore(before: string | undefined, entry: string): string {
  const text = before ?? '';
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(entry) || lines.includes(`/${entry}`)) return text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return `${text}${text === '' || text.endsWith('\n') ? '' : eol}${entry}${eol}`;
}

/** The files a plan reads and may write: apply reads exactly these before planning. */
export function planTargets(answers: InitAnswers, facts: Omit<InitFacts, 'files'>): string[] {
  return derive(answers, facts).outputs.map((o) => o.path);
}

/** Builds the whole plan. Throws MergeError (nothing planned, nothing written) when a file cannot be merged. */
export function buildPlan(answers: InitAnswers, facts: InitFacts): Plan {
  const d = derive(answers, facts);
  const files: PlannedFile[] = d.outputs.map((o) => {
    if (!(o.path in facts.files)) throw new Error(`bug: ${o.path} was not read before planning`);
    const before = facts.files[o.path];
    const after = o.produce(before);
    return {
      path: o.path,
      role: o.role,
      description: o.description,
      before,
      after,
      changed: before !== after,
      mode: o.mode,
    };
  });
  return {
    answers,
    claudeModel: d.claudeModel,
    files,
    launch: d.launch,
    firewall: d.firewall,
    notes: d.notes,
    nextSteps: d.nextSteps,
    secrets: answers.apiKey ? [answers.apiKey] : [],
  };
}

/** systemd ExecStart word: double-quoted when needed; `%` and `$` are specifiers / variables there. */
export function quoteSystemd(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@+=:,./%$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
