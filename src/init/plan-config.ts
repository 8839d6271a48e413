// Init's plan, part 1: dsb's own config (upstream, bridge port, the profile `dsb launch` reads), the
// API key in the user config, and the project's .gitignore entry for the project config.
import { formatZodIssues, parseJsoncConfig } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import type { LaunchPlan } from '../launch/generate.js';
import { isLocalUpstreamKind } from '../upstreams/kind.js';
import { JsonDocument, MergeError } from './jsonc-merge.js';
import type { Draft, Output, PlanInput } from './outputs.js';
import { dsbConfigFile } from './paths.js';
import type { InitAnswers } from './types.js';

/**
 * An API key never goes into a config outside the user's own folder (a project's dsb.config.json
 * gets committed): there it is only named (apiKeyRef), and the key itself goes to the user config's
 * "secrets", mode 0600.
 */
export function planDsbConfig(input: PlanInput, launch: LaunchPlan | undefined, draft: Draft): void {
  const { answers, facts, configPath } = input;
  const userConfigPath = dsbConfigFile('user', facts);
  const keyByRef = answers.apiKey !== undefined && configPath !== userConfigPath;
  const secretName = answers.backend;
  if (answers.apiKey) {
    draft.notes.push(
      keyByRef
        ? `the API key goes to ${userConfigPath} ("secrets"."${secretName}", mode 0600); ${configPath} only names it ("apiKeyRef": "${secretName}")`
        : `the API key goes to ${userConfigPath} (mode 0600), never into Claude Code's settings`,
    );
  }
  if (keyByRef) {
    draft.outputs.push({
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
  draft.outputs.push(configOutput(input, launch, keyByRef ? secretName : undefined));
}

function configOutput(input: PlanInput, launch: LaunchPlan | undefined, secretRef?: string): Output {
  const { answers, configPath } = input;
  return {
    path: configPath,
    role: 'dsb-config',
    description: `dsb config (${answers.scope})`,
    mode: answers.apiKey && !secretRef ? 0o600 : undefined,
    produce(before) {
      // dsb reads its config as JSONC: comments the user wrote there survive the merge.
      const doc = new JsonDocument(configPath, before, 'jsonc');
      doc.set(['server', 'port'], answers.bridgePort);
      doc.set(['upstreams'], [upstreamEntry(answers, doc.get(['upstreams']), launch, secretRef)]);
      for (const [key, value] of Object.entries(profileEntry(answers))) doc.set(['profile', key], value);
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
  };
}

/** The one upstream: what the config already said about the same URL, updated with the answers. */
function upstreamEntry(
  answers: InitAnswers,
  existing: unknown,
  launch: LaunchPlan | undefined,
  secretRef: string | undefined,
): Record<string, unknown> {
  const same = Array.isArray(existing)
    ? existing.find(
        (u) => typeof u === 'object' && u !== null && (u as { url?: unknown }).url === answers.upstreamUrl,
      )
    : undefined;
  const upstream: Record<string, unknown> = {
    ...(same as object | undefined),
    url: answers.upstreamUrl,
    kind: answers.backend,
  };
  // The model the server serves (Ollama: the copy `dsb launch` creates with the right context).
  const upstreamModel = launch?.servedModel ?? answers.model;
  // llama-server serves the one model it loaded, whatever the request names.
  if (upstreamModel && answers.backend !== 'llama.cpp') upstream.model = upstreamModel;
  if (answers.apiKey && secretRef) {
    upstream.apiKeyRef = secretRef;
    delete upstream.apiKey;
  } else if (answers.apiKey) upstream.apiKey = answers.apiKey;
  if (answers.backend === 'openai') upstream.contextSize = answers.ctxSize;
  return upstream;
}

/** The model-server profile `dsb launch` starts from. */
function profileEntry(answers: InitAnswers): Record<string, unknown> {
  const profile: Record<string, unknown> = { backend: answers.backend, ctxSize: answers.ctxSize };
  if (answers.model) profile.model = answers.model;
  if (isLocalUpstreamKind(answers.backend)) {
    profile.gpus = answers.gpus;
    profile.host = upstreamHost(answers.upstreamUrl);
    profile.port = upstreamPort(answers.upstreamUrl, 80);
  }
  return profile;
}

/** Keeps the project's dsb config out of git, when the user agreed (it holds no key either way). */
export function planGitignore({ answers, facts, p, configPath }: PlanInput, draft: Draft): void {
  if (!answers.gitignore) return;
  const entry = p.basename(configPath);
  draft.outputs.push({
    path: p.join(facts.cwd, '.gitignore'),
    role: 'script',
    description: `.gitignore: ${entry}`,
    produce: (before) => appendGitignore(before, entry),
  });
}

/** `.gitignore` with `entry` on a line of its own (unchanged when it is already ignored). */
export function appendGitignore(before: string | undefined, entry: string): string {
  const text = before ?? '';
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(entry) || lines.includes(`/${entry}`)) return text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return `${text}${text === '' || text.endsWith('\n') ? '' : eol}${entry}${eol}`;
}

export function upstreamHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '127.0.0.1';
  }
}

export function upstreamPort(url: string, fallback: number): number {
  try {
    const u = new URL(url);
    return u.port ? Number(u.port) : fallback;
  } catch {
    return fallback;
  }
}
