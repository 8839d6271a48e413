// Init's plan, part 2: the clients. Claude Code's settings.json "env" (the variables of design.md §6,
// from templates/claude-settings.json) and the same variables in VS Code's user settings, for
// every flavour installed.
import { jsonStringEscape, renderTemplate } from '../shell/template.js';
import { JsonDocument, mergeNameValueArray } from './jsonc-merge.js';
import type { Draft, PlanInput } from './outputs.js';
import { claudeSettingsFile, vscodeTargets } from './paths.js';

/** Any non-empty token: the bridge on loopback does not check it, Claude Code needs one to skip login. */
export const CLAUDE_AUTH_TOKEN = 'dsb';

/** The environment Claude Code gets, as name/value pairs in the template's order. */
export function claudeEnv({ answers, facts, bridgeUrl }: PlanInput, claudeModel: string): [string, string][] {
  const settings = JSON.parse(
    renderTemplate(
      facts.templates.claudeSettings,
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
  return Object.entries(settings.env);
}

export function planClaudeSettings(
  { answers, facts }: PlanInput,
  envVars: [string, string][],
  draft: Draft,
): void {
  const claudePath = claudeSettingsFile(answers.scope, facts);
  draft.outputs.push({
    path: claudePath,
    role: 'claude-settings',
    description: `Claude Code settings (${answers.scope})`,
    produce(before) {
      const doc = new JsonDocument(claudePath, before, 'json');
      for (const [name, value] of envVars) doc.set(['env', name], value);
      return doc.result(before);
    },
  });
}

/** VS Code user settings for every flavour installed (stable Code when none is found). */
export function planVscodeSettings(
  { answers, facts }: PlanInput,
  envVars: [string, string][],
  draft: Draft,
): void {
  if (!answers.vscode) return;
  const targets = vscodeTargets(facts);
  let chosen = targets.filter((v) => facts.existingDirs.includes(v.userDir));
  if (chosen.length === 0) {
    chosen = targets.slice(0, 1);
    draft.notes.push(
      `no VS Code settings folder found: writing ${chosen[0]!.settingsFile} for when it is installed`,
    );
  }
  const vscodeShape = new JsonDocument(
    'templates/vscode-settings.jsonc',
    facts.templates.vscodeSettings,
    'jsonc',
  );
  const items = envVars.map(([name, value]) => ({ name, value }));
  for (const target of chosen) {
    draft.outputs.push({
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
