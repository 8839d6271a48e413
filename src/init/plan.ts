// answers + facts → Plan, with no I/O: every file's full new content, whether it changes, the
// firewall commands and what to do next. apply.ts reads the files first and writes the result.
// The parts of the plan live in plan-*.ts; this module runs them in the order the user reads them.

import { nonClaudeModelName } from '../checks/claude-window.js';
import { generateLaunch, type LaunchPlan } from '../launch/generate.js';
import { shellFor } from '../shell/kind.js';
import { quoteSh } from '../shell/quote.js';
import { isLocalUpstreamKind } from '../upstreams/kind.js';
import { ollamaModelName } from '../upstreams/ollama.js';
import { MergeError } from './jsonc-merge.js';
import type { Draft, Output, PlanInput } from './outputs.js';
import { dsbConfigFile, pathFor, scriptsDir } from './paths.js';
import { claudeEnv, planClaudeSettings, planVscodeSettings } from './plan-clients.js';
import { planDsbConfig, planGitignore, upstreamHost, upstreamPort } from './plan-config.js';
import { planFirewall } from './plan-firewall.js';
import { modelServerScriptCommand, planBridgeScripts, planModelServerScripts } from './plan-scripts.js';
import type { FirewallPlan, InitAnswers, InitFacts, Plan, PlannedFile } from './types.js';

export { CLAUDE_AUTH_TOKEN } from './plan-clients.js';
export { appendGitignore } from './plan-config.js';
export { MergeError };

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

interface Derived {
  claudeModel: string;
  launch?: LaunchPlan;
  outputs: Output[];
  firewall?: FirewallPlan;
  notes: string[];
  nextSteps: string[];
}

function derive(answers: InitAnswers, facts: Omit<InitFacts, 'files'>): Derived {
  const input: PlanInput = {
    answers,
    facts,
    p: pathFor(facts.platform),
    scripts: scriptsDir(facts),
    configPath: answers.configFile ?? dsbConfigFile(answers.scope, facts),
    bridgeUrl: `http://127.0.0.1:${answers.bridgePort}`,
  };
  const claudeModel = claudeModelName(answers);
  const draft: Draft = { outputs: [], notes: [], nextSteps: [] };
  const launch = planLaunch(input, draft);
  planDsbConfig(input, launch, draft);
  planGitignore(input, draft);
  const envVars = claudeEnv(input, claudeModel);
  planClaudeSettings(input, envVars, draft);
  planVscodeSettings(input, envVars, draft);
  if (launch) planModelServerScripts(input, launch, draft);
  planBridgeScripts(input, draft);
  const firewall = planFirewall(input, draft);
  if (!launch && answers.backend === 'deepseek-api' && !answers.apiKey) {
    draft.notes.push(
      'no API key given: the bridge will get 401 from the DeepSeek API (run dsb init again with --api-key)',
    );
  }
  const nextSteps = [...firstSteps(input, launch), ...draft.nextSteps];
  return { claudeModel, launch, outputs: draft.outputs, firewall, notes: draft.notes, nextSteps };
}

/** The model server's launch command (local backends with a model). */
function planLaunch({ answers, facts, p, scripts }: PlanInput, draft: Draft): LaunchPlan | undefined {
  if (!isLocalUpstreamKind(answers.backend)) return undefined;
  if (!answers.model) {
    draft.notes.push('no model given: launch scripts are not written (run dsb init again with --model)');
    return undefined;
  }
  const launch = generateLaunch(
    {
      backend: answers.backend,
      model: answers.model,
      ctxSize: answers.ctxSize,
      gpus: answers.gpus,
      host: upstreamHost(answers.upstreamUrl),
      port: upstreamPort(answers.upstreamUrl, 80),
      platform: facts.platform,
      modelfilePath: p.join(scripts, 'Modelfile'),
    },
    { modelfile: facts.templates.modelfile },
  );
  draft.notes.push(...launch.notes);
  return launch;
}

/** What every plan's next steps start with: the model server (when local), the bridge, Claude Code. */
function firstSteps(input: PlanInput, launch: LaunchPlan | undefined): string[] {
  const { answers, configPath, bridgeUrl } = input;
  const steps: string[] = [];
  if (launch) {
    const script = modelServerScriptCommand(input, shellFor(input.facts));
    steps.push(`start the model server: ${script}   (or: dsb launch ${answers.backend} --run)`);
  }
  steps.push(
    `start the bridge: dsb serve${answers.scope === 'project' ? ` --config ${quoteSh(configPath)}` : ''}   (listens on ${bridgeUrl})`,
    'run claude (terminal or VS Code): it now talks to the bridge',
  );
  return steps;
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
