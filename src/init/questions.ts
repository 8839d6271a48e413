// The interactive wizard: prompts only (@inquirer/prompts). Defaults and validation come from
// answers.ts, so `--yes` and the wizard agree on every value.
import { confirm, input, number, password, select } from '@inquirer/prompts';
import { deepseekApi } from '../upstreams/deepseek-api.js';
import { UPSTREAMS } from '../upstreams/index.js';
import { UPSTREAM_KINDS, type UpstreamKind } from '../upstreams/kind.js';
import { type Asker, validateUrl } from './answers.js';
import type { Scope } from './paths.js';

export function interactiveAsker(): Asker {
  return {
    backend: (def) =>
      select<UpstreamKind>({
        message: 'Which backend serves the model?',
        choices: UPSTREAM_KINDS.map((b) => ({ value: b, name: UPSTREAMS[b].title })),
        default: def,
      }),
    upstream: (backend, def) =>
      input({
        message: backend === 'deepseek-api' ? 'DeepSeek API base URL' : 'Model server URL (without /v1)',
        default: def,
        required: true,
        validate: validateUrl,
      }),
    model: async (backend, def) => {
      if (backend === 'deepseek-api') {
        return select<string>({
          message: deepseekApi.modelQuestion,
          choices: deepseekApi.models.map((m) => ({ value: m, name: m })),
          default: def,
        });
      }
      const required = backend !== 'openai';
      const answer = await input({ message: UPSTREAMS[backend].modelQuestion, default: def, required });
      return answer.trim() || undefined;
    },
    apiKey: async (backend, def) => {
      if (def) {
        const use = await confirm({ message: 'Use the API key from DEEPSEEK_API_KEY?', default: true });
        if (use) return def;
      }
      const key = await password({
        message: `${backend === 'deepseek-api' ? 'DeepSeek' : 'Upstream'} API key (stored in dsb's config only, mode 0600; empty for none)`,
        mask: '*',
      });
      return key.trim() || undefined;
    },
    ctxSize: async (def, source) =>
      (await number({
        message: contextPrompt(source),
        default: def,
        min: 1,
        required: true,
      })) ?? def,
    gpus: async (def) =>
      (await number({
        message: 'How many GPUs to use (0: CPU only)',
        default: def,
        min: 0,
        required: true,
      })) ?? def,
    port: async (def) =>
      (await number({
        message: 'Bridge port on 127.0.0.1',
        default: def,
        min: 1,
        max: 65535,
        required: true,
      })) ?? def,
    scope: (def) =>
      select<Scope>({
        message: "Where should Claude Code's settings go?",
        choices: [
          { value: 'user', name: 'user (~/.claude/settings.json: every project)' },
          { value: 'project', name: 'project (.claude/settings.json here)' },
        ],
        default: def,
      }),
    vscode: (def) => confirm({ message: 'Configure the Claude Code extension in VS Code?', default: def }),
    firewall: (def) =>
      confirm({ message: 'Write firewall rules for the bridge port (loopback/private only)?', default: def }),
  };
}

export const confirmApply = (changes: number) =>
  confirm({ message: `Apply these ${changes} change${changes === 1 ? '' : 's'}?`, default: true });

export const confirmGitignore = () =>
  confirm({ message: 'This is a git repository: add dsb.config.json to .gitignore?', default: true });

export const confirmFirewall = (summary: string) =>
  confirm({ message: `Apply the firewall rule now (${summary})?`, default: false });

/**
 * The context question: the reason for the default, without repeating the number inquirer shows in
 * parentheses after it ("default 65536: the upstream … did not answer" → "the upstream … did not
 * answer").
 */
export function contextPrompt(source: string): string {
  const reason = source
    .replace(/^default \d+:\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return `Context size in tokens (${reason})`;
}
