// The one source of truth for dsb's configuration (design.md §2). Flags, DSB_* environment
// variables, the project `dsb.config.json` and the user config are all validated by this schema.
import { z } from 'zod';

export const BACKENDS = ['llama.cpp', 'vllm', 'ollama', 'sglang', 'deepseek-api', 'openai'] as const;
export type Backend = (typeof BACKENDS)[number];

export const UPSTREAM_KINDS = ['auto', ...BACKENDS] as const;
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http:// or https:// URL' });

export const upstreamSchema = z.object({
  /** A name for logs, /health and routing; defaults to the URL's host:port. */
  name: z.string().min(1).optional(),
  /** Base URL of an OpenAI-compatible server, without the trailing /v1. */
  url: httpUrl,
  kind: z.enum(UPSTREAM_KINDS).default('auto'),
  /** Sent as `Authorization: Bearer` to the upstream (DeepSeek API). Never logged. */
  apiKey: z.string().min(1).optional(),
  /** The model id sent upstream; when absent, the first id of the upstream's /v1/models. */
  model: z.string().min(1).optional(),
  /** Overrides the discovered per-request context size, in tokens. */
  contextSize: z.number().int().positive().optional(),
  /** The most output tokens the model may produce in one answer. */
  maxOutputTokens: z.number().int().positive().optional(),
});
export type UpstreamConfig = z.infer<typeof upstreamSchema>;

export const serverSchema = z.object({
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
});
export type ServerConfig = z.infer<typeof serverSchema>;

export const configSchema = z.object({
  server: serverSchema.default(serverSchema.parse({})),
  upstreams: z.array(upstreamSchema).min(1).default([{ url: 'http://127.0.0.1:8080', kind: 'auto' }]),
  /** Claude Code model names (or tiers: opus, sonnet, haiku) mapped to upstream model ids. */
  models: z.record(z.string(), z.string()).default({}),
});
export type DsbConfig = z.infer<typeof configSchema>;
/** What a config file may contain: every field optional, validated with the same rules. */
export type DsbConfigInput = z.input<typeof configSchema>;

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
