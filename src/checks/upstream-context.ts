// Is the upstream's real per-request context big enough for Claude Code? Its fixed prompt alone is
// ~14K tokens and sessions grow fast: 64K is the practical minimum (src/upstreams/window-advice.ts). Also checks
// that Claude Code's EFFECTIVE window (claude-window.ts: a non-Claude ANTHROPIC_MODEL together with
// CLAUDE_CODE_MAX_CONTEXT_TOKENS, nothing less) is the upstream's, since it drives compaction;
// Ollama's small default window, and llama.cpp's `-np` splitting the context between slots.

import { deepseekApiContext } from '../upstreams/deepseek-api.js';
import { LOCAL_UPSTREAMS } from '../upstreams/index.js';
import { isLocalUpstreamKind } from '../upstreams/kind.js';
import {
  CLAUDE_CODE_FIXED_PROMPT_TOKENS,
  CLAUDE_CODE_NEEDED_CONTEXT,
  fixedPromptDoesNotFit,
  MIN_OUTPUT_TOKENS,
} from '../upstreams/window-advice.js';
import { compareClaudeWindow } from './claude-window-settings.js';
import {
  launchAddress,
  launchCommand,
  RECOMMENDED_CONTEXT,
  relaunchCommand,
  shellOf,
} from './fix-commands.js';
import type { Check, CheckContext, CheckOutcome, Fix } from './types.js';
import { describeUpstream, discoverUpstream, type UpstreamInfo } from './upstream-info.js';
import { startServerFix, unreachableOutcome } from './upstream-openai.js';
import { formatTokens } from './util.js';

/** Below this, a Claude Code session cannot even start reliably. */
export const MIN_CONTEXT = 32_768;
/** Below this, sessions hit the limit within a few turns (window-advice.ts says where it comes from). */
export const RECOMMENDED_MIN_CONTEXT = CLAUDE_CODE_NEEDED_CONTEXT;

interface ContextFinding {
  perRequest?: number;
  trained?: number;
  source: string;
  slots?: number;
  note?: string;
}

function findContext(ctx: CheckContext, info: UpstreamInfo): ContextFinding {
  switch (info.kind) {
    case 'llama.cpp':
      return {
        perRequest: info.llama?.nCtx,
        trained: info.llama?.nCtxTrain,
        slots: info.llama?.totalSlots,
        source: 'llama.cpp GET /props default_generation_settings.n_ctx (per slot)',
      };
    case 'vllm':
    case 'sglang':
      return { perRequest: info.maxModelLen, source: '/v1/models max_model_len' };
    case 'ollama':
      return {
        perRequest: info.ollama?.loadedContext ?? info.ollama?.numCtxParameter,
        trained: info.ollama?.trainedContext,
        source: info.ollama?.loadedContext
          ? 'Ollama GET /api/ps context_length of the loaded model'
          : info.ollama?.numCtxParameter
            ? "the model's Modelfile PARAMETER num_ctx"
            : 'Ollama (no model loaded yet)',
        note: info.ollama?.loaded
          ? undefined
          : 'Ollama picks the window when it loads the model: OLLAMA_CONTEXT_LENGTH, else a default of 4K to 256K depending on VRAM.',
      };
    case 'deepseek-api':
      return {
        perRequest: deepseekApiContext(info.model),
        source: 'the DeepSeek API model table',
      };
    default:
      return {
        perRequest: ctx.config.upstreams[0]?.contextSize,
        source: 'upstreams[0].contextSize in the dsb config',
      };
  }
}

/** The upstream's model id and per-request context, when it answers and tells (shared discovery). */
export async function upstreamWindow(
  ctx: CheckContext,
): Promise<{ model: string | undefined; window: number } | undefined> {
  const info = await discoverUpstream(ctx);
  if (!info.reachable) return undefined;
  const window = findContext(ctx, info).perRequest;
  return window ? { model: info.model, window } : undefined;
}

function contextFix(ctx: CheckContext, info: UpstreamInfo, finding: ContextFinding): Fix {
  if (isLocalUpstreamKind(info.kind)) {
    return {
      description: LOCAL_UPSTREAMS[info.kind].doctor.contextFix(RECOMMENDED_CONTEXT, finding.slots ?? 1),
      commands: [relaunchCommand(ctx, info.kind, { model: info.model, modelFile: info.llama?.modelPath })],
    };
  }
  return {
    description: `serve the model with at least a ${formatTokens(RECOMMENDED_CONTEXT)}-token context, and tell dsb the real size`,
    commands: [`set "contextSize": ${RECOMMENDED_CONTEXT} in upstreams[0] of dsb.config.json`],
  };
}

export const upstreamContextCheck: Check = {
  id: 'upstream-context',
  title: 'Upstream context window',
  required: true,
  description:
    "The upstream's real per-request context against what Claude Code needs (64K practical minimum), and the window Claude Code's settings really give it (ANTHROPIC_MODEL + CLAUDE_CODE_MAX_CONTEXT_TOKENS).",
  dependsOn: ['upstream-openai'],
  async run(ctx): Promise<CheckOutcome> {
    const info = await discoverUpstream(ctx);
    if (!info.reachable) return unreachableOutcome(ctx, info, 'Reading the context size');
    const finding = findContext(ctx, info);
    const override = ctx.config.upstreams[0]?.contextSize;
    const details: string[] = [];
    const data: Record<string, unknown> = {
      kind: info.kind,
      perRequest: finding.perRequest ?? null,
      trained: finding.trained ?? null,
      slots: finding.slots ?? null,
      source: finding.source,
      configContextSize: override ?? null,
    };
    if (finding.perRequest)
      details.push(`per-request context: ${formatTokens(finding.perRequest)} (from ${finding.source})`);
    if (finding.trained) details.push(`the model was trained for ${formatTokens(finding.trained)}`);
    if (finding.slots && finding.slots > 1 && finding.perRequest) {
      details.push(
        `-np ${finding.slots}: llama-server splits -c between ${finding.slots} slots; each request gets ${formatTokens(finding.perRequest)}`,
      );
    }
    if (finding.note) details.push(finding.note);

    // The model itself cannot hold a Claude Code session (e.g. deepseek-coder v1: 16K).
    if (finding.trained && finding.trained < MIN_CONTEXT) {
      return {
        status: 'fail',
        summary: `${info.model ?? 'the model'} was trained for only ${formatTokens(finding.trained)} tokens: too small for Claude Code`,
        details: [
          ...details,
          "Claude Code's first request alone is 12K–20K tokens; raising -c beyond the trained length degrades the model.",
        ],
        data,
        fix: {
          description:
            'use a model with a long context (DeepSeek V3/V4 or a current coder model with ≥ 64K), e.g. a Q4_K_M GGUF',
          commands: [
            launchCommand(
              { kind: 'llama.cpp', ...launchAddress(ctx), model: 'DeepSeek-MODEL-Q4_K_M.gguf' },
              shellOf(ctx),
            ),
          ],
        },
      };
    }

    const window = finding.perRequest;
    if (!window) {
      return {
        status: 'warn',
        summary: `could not read the context window of ${describeUpstream(info)}`,
        details,
        data,
        fix:
          info.kind === 'ollama'
            ? contextFix(ctx, info, finding)
            : {
                description: `tell dsb the upstream's real context so the bridge can clamp max_tokens and Claude Code can compact in time`,
                commands: [`set "contextSize": N in upstreams[0] of dsb.config.json`],
              },
      };
    }
    if (override && override > window) {
      details.push(
        `upstreams[0].contextSize = ${override} is larger than what the server really has (${window})`,
      );
    }

    let status: CheckOutcome['status'] = 'pass';
    let summary = `${formatTokens(window)} tokens per request`;
    const split =
      finding.slots && finding.slots > 1
        ? ` (-np ${finding.slots} splits -c ${window * finding.slots} into ${finding.slots} slots of ${window})`
        : '';
    let fix: Fix | undefined;
    if (fixedPromptDoesNotFit(window))
      details.push(
        `Claude Code's fixed prompt alone (~${CLAUDE_CODE_FIXED_PROMPT_TOKENS} tokens) leaves less than ${MIN_OUTPUT_TOKENS} tokens for an answer: every request is refused and compaction cannot help`,
      );
    if (window < MIN_CONTEXT) {
      status = 'fail';
      summary = `${formatTokens(window)} tokens per request${split}: Claude Code needs ${formatTokens(RECOMMENDED_CONTEXT)} (its fixed prompt alone is ~${CLAUDE_CODE_FIXED_PROMPT_TOKENS})`;
      fix = contextFix(ctx, info, finding);
    } else if (window < RECOMMENDED_MIN_CONTEXT) {
      status = 'warn';
      summary = `${formatTokens(window)} tokens per request${split}: sessions will hit the limit within a few turns (64K recommended)`;
      fix = contextFix(ctx, info, finding);
    }

    // Claude Code compacts only when its window is the upstream's: compare what its settings give it.
    const compared = await compareClaudeWindow(ctx, info.model, window);
    details.push(...compared.details);
    Object.assign(data, compared.data);
    if (compared.problem && status === 'pass') {
      status = 'warn';
      summary = compared.problem.summary;
      fix = compared.problem.fix;
    }
    if (status === 'fail' || status === 'warn')
      return { status, summary, details, data, fix: fix ?? startServerFix(ctx, info) };
    return { status, summary, details, data };
  },
};
