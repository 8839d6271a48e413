// The one source of truth for dsb's configuration (design.md §2). Flags, DSB_* environment
// variables, the project `dsb.config.json` and the user config are all validated by this schema.
import { z } from 'zod';
import { UPSTREAM_KINDS } from '../upstreams/kind.js';

/** An upstream's `kind` in the config: one of the server kinds, or `auto` (discovered). */
export const UPSTREAM_KIND_SETTINGS = ['auto', ...UPSTREAM_KINDS] as const;
export type UpstreamKindSetting = (typeof UPSTREAM_KIND_SETTINGS)[number];

/** An http(s) URL; `localhost:8080` (no scheme) gets the fix in the message. */
const httpUrl = z.string().superRefine((u, ctx) => {
  const message = httpUrlProblem(u);
  if (message) ctx.addIssue({ code: 'custom', message });
});

export function httpUrlProblem(u: string): string | undefined {
  if (/^https?:\/\//i.test(u)) {
    try {
      new URL(u);
      return undefined;
    } catch {
      return 'not a valid URL (example: http://127.0.0.1:8080)';
    }
  }
  // `localhost:8080` parses as a URL whose scheme is "localhost:": offer the URL that was meant.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(u) && /^[\w.-]+(:\d+)?(\/.*)?$|^\[[0-9a-f:]+\](:\d+)?/i.test(u))
    return `must be an http:// or https:// URL: did you mean http://${u}?`;
  return 'must be an http:// or https:// URL (example: http://127.0.0.1:8080)';
}

export const upstreamSchema = z
  .object({
    /** A name for logs, /health and routing; defaults to the URL's host:port. */
    name: z.string().min(1).optional(),
    /** Base URL of an OpenAI-compatible server, without the trailing /v1. */
    url: httpUrl,
    kind: z.enum(UPSTREAM_KIND_SETTINGS).default('auto'),
    /** Sent as `Authorization: Bearer` to the upstream (DeepSeek API). Never logged. */
    apiKey: z.string().min(1).optional(),
    /**
     * The name of the key in the user config's `secrets` to use as `apiKey`: a project's
     * dsb.config.json (which may be committed) names the key instead of holding it.
     */
    apiKeyRef: z.string().min(1).optional(),
    /** The model id sent upstream; when absent, the first id of the upstream's /v1/models. */
    model: z.string().min(1).optional(),
    /** Overrides the discovered per-request context size, in tokens. */
    contextSize: z.number().int().positive().optional(),
    /** The most output tokens the model may produce in one answer. */
    maxOutputTokens: z.number().int().positive().optional(),
    /**
     * How thinking is switched on: `chat-template` (chat_template_kwargs.thinking, llama.cpp / vLLM /
     * SGLang with DeepSeek templates), `deepseek-api`, or `none`. Default: from `kind`.
     */
    thinkingStyle: z.enum(['chat-template', 'deepseek-api', 'none']).optional(),
    /**
     * When a tool-call turn comes back without its reasoning and the cache has none: send a
     * placeholder (`placeholder`, needed by DeepSeek's API in thinking mode) or nothing (`off`).
     * Default: placeholder for deepseek-api, off elsewhere.
     */
    reasoningReplay: z.enum(['placeholder', 'off']).optional(),
    /**
     * DeepSeek in thinking mode rejects a forced tool_choice: `disable-thinking` for that request
     * (keeps the forced call), `relax` to `auto`, or `keep`. Default: disable-thinking for
     * deepseek-api, keep elsewhere.
     */
    forcedToolChoice: z.enum(['disable-thinking', 'relax', 'keep']).optional(),
    /** Turn tool calls the model leaked as text (DSML, <tool_call>) into tool_use blocks. Opt-in. */
    salvageToolCalls: z.boolean().optional(),
    /** How the prompt is counted: `auto` (exact through the upstream when it can, else local, else estimate). */
    tokenCounting: z.enum(['auto', 'local', 'estimate']).optional(),
  })
  .strict();
export type UpstreamConfig = z.infer<typeof upstreamSchema>;

const MiB = 1024 * 1024;

/** What one upstream answer may make the bridge hold (issue 13: endless answers grew to V8's string limit). */
export const limitsSchema = z
  .object({
    /** Reasoning text of one answer (kept for the thinking signature and the reasoning cache). */
    maxReasoningBytes: z
      .number()
      .int()
      .positive()
      .default(16 * MiB),
    /** Arguments of one tool call (collected until the call is complete). */
    maxToolArgumentsBytes: z
      .number()
      .int()
      .positive()
      .default(16 * MiB),
    /** One SSE line, and one event's data lines together (a server that never sends the blank line). */
    maxSseLineBytes: z
      .number()
      .int()
      .positive()
      .default(16 * MiB),
    /** A non-streaming answer's body. */
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(64 * MiB),
    /** Nesting of a request's JSON body (deeper bodies are refused with a 400). */
    maxRequestJsonDepth: z.number().int().positive().default(512),
  })
  .strict();
export type LimitsConfig = z.infer<typeof limitsSchema>;

export const serverSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3000),
    /** Required when `host` is not a loopback address (design.md §4.8). */
    authToken: z.string().min(8).optional(),
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(32 * 1024 * 1024),
    logFormat: z.enum(['text', 'json']).default('text'),
    /** Interval of `ping` events while the upstream is silent (Claude Code tolerates 10-15 s). */
    pingIntervalMs: z.number().int().positive().default(10_000),
    /** Longest silence allowed between two upstream chunks before the request is failed. */
    idleTimeoutMs: z.number().int().positive().default(300_000),
    /** Time to connect to the upstream and get its response headers (prefill can be slow). */
    headersTimeoutMs: z.number().int().positive().default(600_000),
    /**
     * On SIGINT/SIGTERM, how long `dsb serve` lets requests in flight finish before it ends them
     * with an `error` event or a 503. 8 s so the whole shutdown fits in `docker stop`'s 10 s.
     */
    shutdownGraceMs: z.number().int().min(0).default(8_000),
    /** Interval of active upstream health checks when there are several upstreams. */
    healthCheckIntervalMs: z.number().int().positive().default(10_000),
    /**
     * Browser origins (`https://app.example`) allowed to call the bridge, with CORS. Any request
     * carrying another `Origin` is refused: a web page must not drive the bridge (design.md §4.8).
     */
    allowedOrigins: z.array(z.string().url()).default([]),
    /**
     * Longest time a client may take to send a whole request, headers and body (0: no limit). Only
     * the request: a long streamed answer is never cut by it.
     */
    requestTimeoutMs: z.number().int().min(0).default(120_000),
    /** Longest time a client may take to send its request headers. */
    requestHeadersTimeoutMs: z.number().int().positive().default(30_000),
    /** Bounds on one upstream answer and on a request's JSON. */
    limits: limitsSchema.prefault({}),
    /** Opt-in cache of byte-identical `temperature: 0` requests (design.md §4.7). */
    cache: z
      .object({
        enabled: z.boolean().default(false),
        maxEntries: z.number().int().positive().default(256),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024),
      })
      .strict()
      .default({ enabled: false, maxEntries: 256, maxBytes: 64 * 1024 * 1024 }),
  })
  .strict();
export type ServerConfig = z.infer<typeof serverSchema>;

/**
 * The model server `dsb init` set up and `dsb launch` starts (design.md §8). Optional: the bridge
 * itself only needs `upstreams`.
 */
export const profileSchema = z
  .object({
    backend: z.enum(UPSTREAM_KINDS),
    /** GGUF path (llama.cpp), Hugging Face id or path (vLLM, SGLang), tag (Ollama) or API model id. */
    model: z.string().min(1).optional(),
    /** Per-request context the model server is started with, in tokens. */
    ctxSize: z.number().int().positive().optional(),
    /** GPUs to use: llama.cpp offloads all layers when > 0; vLLM/SGLang tensor parallel size. */
    gpus: z.number().int().min(0).optional(),
    /** Address and port the model server listens on. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).optional(),
    /** The server executable when it is not on PATH (llama-server, vllm, ollama, python). */
    bin: z.string().min(1).optional(),
    /** vLLM / SGLang parser overrides; by default chosen from the model name. */
    toolCallParser: z.string().min(1).optional(),
    reasoningParser: z.string().min(1).optional(),
  })
  .strict();
export type ProfileConfig = z.infer<typeof profileSchema>;

export const modelRouteSchema = z.union([
  z.string().min(1),
  z
    .object({
      model: z.string().min(1).optional(),
      upstreams: z.array(z.string().min(1)).min(1).optional(),
    })
    .strict(),
]);
export type ModelRoute = z.infer<typeof modelRouteSchema>;

export const configSchema = z
  .object({
    server: serverSchema.default(serverSchema.parse({})),
    upstreams: z
      .array(upstreamSchema)
      .min(1)
      .default([{ url: 'http://127.0.0.1:8080', kind: 'auto' }]),
    /**
     * Claude Code model names mapped to upstream models (design.md §4.7). Keys: exact names, the
     * tiers `opus` / `sonnet` / `haiku` (matched when the name contains them), `subagent`, and
     * `default` for everything else. Values: a model id, or `{ model, upstreams }` naming the
     * upstreams (by `name`) that serve it.
     */
    models: z.record(z.string(), modelRouteSchema).default({}),
    /** What `dsb init` set up; read by `dsb launch`. */
    profile: profileSchema.optional(),
    /** API keys by name (user config, mode 0600), referenced by `upstreams[].apiKeyRef`. */
    secrets: z.record(z.string(), z.string().min(1)).optional(),
    /** A JSON schema reference editors use; ignored. */
    $schema: z.string().optional(),
  })
  .strict();
export type DsbConfig = z.infer<typeof configSchema>;
/** What a config file may contain: every field optional, validated with the same rules. */
export type DsbConfigInput = z.input<typeof configSchema>;

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
