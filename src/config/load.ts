// Loads the effective config: defaults < user config < project dsb.config.json < DSB_* env < flags.
import { readFileSync } from 'node:fs';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import type { z } from 'zod';
import { DsbError } from '../errors.js';
import { isRecord } from '../util/is-record.js';
import { projectConfigFile, userConfigFile } from './paths.js';
import { configSchema, type DsbConfig, type DsbConfigInput } from './schema.js';
import { suggestKey } from './suggest-keys.js';

export class ConfigError extends DsbError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

/**
 * "server.port: expected number, received string" lines, one per zod issue; a misspelled key gets
 * the key that was probably meant: `server: unknown key "prot" (did you mean "port"?)`.
 */
export function formatZodIssues(error: z.ZodError, schema: z.ZodType = configSchema): string {
  return error.issues
    .flatMap((issue) => {
      const where = issue.path.length ? issue.path.join('.') : '(root)';
      if (issue.code !== 'unrecognized_keys') return [`${where}: ${issue.message}`];
      return issue.keys.map((key) => {
        const meant = suggestKey(schema, issue.path, key);
        return `${where}: unknown key "${key}"${meant ? ` (did you mean "${meant}"?)` : ''}`;
      });
    })
    .join('\n');
}

/** JSON with comments and trailing commas (JSONC), as the settings files init merges are. */
export function parseJsoncConfig(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const parsed = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const before = text.slice(0, first.offset);
    const line = before.split('\n').length;
    const column = first.offset - before.lastIndexOf('\n');
    throw new ConfigError(
      `config file ${file} is not valid JSON (comments are allowed): ${printParseErrorCode(first.error)} at line ${line}, column ${column}`,
    );
  }
  return parsed;
}

type Plain = Record<string, unknown>;

/** Deep merge of plain objects; arrays and scalars from `over` replace those of `base`. */
export function mergeConfig(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prev = out[key];
    out[key] = isRecord(prev) && isRecord(value) ? mergeConfig(prev, value) : value;
  }
  return out;
}

function readJsonFile(file: string, required: boolean): Plain | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  const parsed = parseJsoncConfig(text, file);
  if (!isRecord(parsed)) throw new ConfigError(`config file ${file} must hold a JSON object`);
  const check = configSchema.safeParse(parsed);
  if (!check.success) throw new ConfigError(`invalid config in ${file}:\n${formatZodIssues(check.error)}`);
  return parsed;
}

const intFromEnv = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ConfigError(`environment variable ${name}=${raw}: expected an integer`);
  return n;
};

/** The DSB_* environment variables, as a partial config. */
export function configFromEnv(env: NodeJS.ProcessEnv): Plain {
  const server: Plain = {
    host: env.DSB_HOST || undefined,
    port: intFromEnv(env, 'DSB_PORT'),
    authToken: env.DSB_AUTH_TOKEN || undefined,
    logFormat: env.DSB_LOG_FORMAT || undefined,
    bodyLimitBytes: intFromEnv(env, 'DSB_BODY_LIMIT_BYTES'),
    allowedOrigins: env.DSB_ALLOWED_ORIGINS
      ? env.DSB_ALLOWED_ORIGINS.split(',')
          .map((o) => o.trim())
          .filter(Boolean)
      : undefined,
  };
  const out: Plain = { server };
  if (env.DSB_UPSTREAM) {
    out.upstreams = env.DSB_UPSTREAM.split(',')
      .map((u) => u.trim())
      .filter(Boolean)
      .map((url) => ({
        url,
        apiKey: env.DSB_UPSTREAM_API_KEY || undefined,
        model: env.DSB_UPSTREAM_MODEL || undefined,
      }));
  }
  return out;
}

export interface LoadOptions {
  /** An explicit config file (`--config`): it must exist. */
  configFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags: highest precedence. */
  overrides?: DsbConfigInput | Plain;
}

export interface LoadedConfig {
  config: DsbConfig;
  /** The files that contributed, lowest precedence first. */
  sources: string[];
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const sources: string[] = [];
  let merged: Plain = {};
  const layers: Array<[string, boolean]> = options.configFile
    ? [[options.configFile, true]]
    : [
        [userConfigFile(env), false],
        [projectConfigFile(options.cwd), false],
      ];
  for (const [file, required] of layers) {
    const layer = readJsonFile(file, required);
    if (layer) {
      sources.push(file);
      merged = mergeConfig(merged, layer);
    }
  }
  merged = mergeConfig(merged, configFromEnv(env));
  if (options.overrides) merged = mergeConfig(merged, options.overrides as Plain);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      `invalid configuration (from ${sources.length ? sources.join(', ') : 'flags and environment'}):\n${formatZodIssues(result.error)}`,
    );
  }
  return { config: resolveSecretRefs(result.data, () => readJsonFile(userConfigFile(env), false)), sources };
}

/**
 * `apiKeyRef: "deepseek-api"` → the key `secrets["deepseek-api"]` of the merged config, else of the
 * user config (a project config read alone with --config still finds the user's secrets).
 */
export function resolveSecretRefs(config: DsbConfig, userConfig: () => Plain | undefined): DsbConfig {
  if (!config.upstreams.some((u) => u.apiKeyRef && !u.apiKey)) return config;
  let secrets = config.secrets ?? {};
  const missing = () => config.upstreams.some((u) => u.apiKeyRef && !u.apiKey && !secrets[u.apiKeyRef]);
  if (missing()) {
    const user = userConfig()?.secrets;
    if (isRecord(user)) secrets = { ...(user as Record<string, string>), ...secrets };
  }
  const unresolved = config.upstreams.filter((u) => u.apiKeyRef && !u.apiKey && !secrets[u.apiKeyRef]);
  if (unresolved.length > 0) {
    throw new ConfigError(
      `upstream ${unresolved[0]!.url}: apiKeyRef "${unresolved[0]!.apiKeyRef}" names no key in the user config's "secrets" (${userConfigFile()}): run dsb init again with --api-key, or add it there`,
    );
  }
  return {
    ...config,
    upstreams: config.upstreams.map((u) =>
      u.apiKeyRef && !u.apiKey ? { ...u, apiKey: secrets[u.apiKeyRef] } : u,
    ),
  };
}
