// The exact commands doctor shows as fixes (design.md §5 flags). Kept here, not in src/launch, so the
// doctor does not depend on the launch generators; both follow the same table in design.md.
import type { CheckContext } from './types.js';
import { isLoopback, urlParts } from './util.js';

export type Shell = 'sh' | 'powershell';
export type ServerKind = 'llama.cpp' | 'vllm' | 'ollama' | 'sglang';

/** The context size the fixes ask for: Claude Code's first prompt is 12K–20K tokens and grows fast. */
export const RECOMMENDED_CONTEXT = 65_536;

export const DEFAULT_PORTS: Record<ServerKind, number> = {
  'llama.cpp': 8080,
  vllm: 8000,
  ollama: 11434,
  sglang: 30000,
};

export function shellOf(ctx: CheckContext): Shell {
  return ctx.system.platform === 'win32' ? 'powershell' : 'sh';
}

/** Quotes one argument for the shell when it needs it. */
export function quoteArg(arg: string, shell: Shell): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(arg)) return arg;
  if (shell === 'powershell') return `'${arg.replace(/'/g, "''")}'`;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface LaunchTarget {
  kind: ServerKind;
  host: string;
  port: number;
  /** A GGUF path (llama.cpp), a Hugging Face id (vLLM, SGLang) or an Ollama model name. */
  model?: string;
  ctxSize?: number;
  /** llama.cpp parallel slots; the context is split between them. */
  parallel?: number;
}

export function launchCommand(target: LaunchTarget, shell: Shell): string {
  const ctx = String(target.ctxSize ?? RECOMMENDED_CONTEXT);
  const q = (a: string) => quoteArg(a, shell);
  switch (target.kind) {
    case 'llama.cpp': {
      const args = ['llama-server', '-m', q(target.model ?? 'MODEL.gguf'), '-c', ctx];
      if (target.parallel && target.parallel > 1) args.push('-np', String(target.parallel));
      args.push(
        '--host',
        target.host,
        '--port',
        String(target.port),
        '-ngl',
        '99',
        '--jinja',
        '--reasoning-format',
        'deepseek',
      );
      return args.join(' ');
    }
    case 'vllm':
      return [
        'vllm serve',
        q(target.model ?? 'MODEL'),
        '--host',
        target.host,
        '--port',
        String(target.port),
        '--max-model-len',
        ctx,
        '--enable-auto-tool-choice --tool-call-parser deepseek_v3 --reasoning-parser deepseek_r1',
      ].join(' ');
    case 'sglang':
      return [
        'python -m sglang.launch_server --model-path',
        q(target.model ?? 'MODEL'),
        '--host',
        target.host,
        '--port',
        String(target.port),
        '--context-length',
        ctx,
        '--tool-call-parser deepseekv3',
      ].join(' ');
    case 'ollama': {
      const host =
        target.host === '127.0.0.1' && target.port === 11434 ? undefined : `${target.host}:${target.port}`;
      if (shell === 'powershell') {
        const env = [`$env:OLLAMA_CONTEXT_LENGTH=${ctx}`, ...(host ? [`$env:OLLAMA_HOST='${host}'`] : [])];
        return `${env.join('; ')}; ollama serve`;
      }
      return `OLLAMA_CONTEXT_LENGTH=${ctx}${host ? ` OLLAMA_HOST=${host}` : ''} ollama serve`;
    }
  }
}

/** The server kind to suggest when the upstream does not answer: from the config, else from the port. */
export function guessServerKind(ctx: CheckContext, known?: string): ServerKind {
  const fromKind = (k: string | undefined): ServerKind | undefined =>
    k === 'llama.cpp' || k === 'vllm' || k === 'ollama' || k === 'sglang' ? k : undefined;
  const configured = fromKind(known) ?? fromKind(ctx.config.upstreams[0]?.kind);
  if (configured) return configured;
  const port = urlParts(ctx.upstreamUrl)?.port;
  const byPort = (Object.entries(DEFAULT_PORTS) as Array<[ServerKind, number]>).find(([, p]) => p === port);
  return byPort?.[0] ?? 'llama.cpp';
}

/** Host and port the upstream should listen on, from the configured upstream URL. */
export function launchAddress(ctx: CheckContext): { host: string; port: number } {
  const parts = urlParts(ctx.upstreamUrl);
  const host = !parts || isLoopback(parts.host) ? '127.0.0.1' : '0.0.0.0';
  return { host, port: parts?.port ?? 8080 };
}

/** Sets an environment variable for the current shell session. */
export function setEnvCommand(name: string, value: string, shell: Shell): string {
  return shell === 'powershell'
    ? `$env:${name} = '${value.replace(/'/g, "''")}'`
    : `export ${name}=${quoteArg(value, 'sh')}`;
}
