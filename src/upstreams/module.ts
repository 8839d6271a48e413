// The shape of one kind's file (src/upstreams/<kind>.ts): everything dsb knows about a kind of
// server, in one object, so the bridge, doctor, launch and init look facts up instead of switching
// on kind names. index.ts holds the registry.
import type { UpstreamConfig } from '../config/schema.js';
import type { LocalUpstreamKind, UpstreamKind } from './kind.js';
import type { ServerInput, ServerLaunch } from './server-launch.js';
import type { Discovered, DiscoveryIo } from './types.js';

/** How the bridge talks to a kind unless the upstream's config says otherwise (design.md §4.6). */
export interface ProfileDefaults {
  thinkingStyle: NonNullable<UpstreamConfig['thinkingStyle']>;
  reasoningReplay: NonNullable<UpstreamConfig['reasoningReplay']>;
  forcedToolChoice: NonNullable<UpstreamConfig['forcedToolChoice']>;
}

/** A server with DeepSeek's chat template: the template's thinking switch, nothing replayed or relaxed. */
export const CHAT_TEMPLATE_PROFILE: ProfileDefaults = {
  thinkingStyle: 'chat-template',
  reasoningReplay: 'off',
  forcedToolChoice: 'keep',
};

/**
 * The ways a server counts a prompt's tokens exactly (the bridge's context/tokens.ts calls them):
 * llama.cpp `POST /v1/chat/completions/input_tokens`; llama.cpp `POST /apply-template` then
 * `POST /tokenize`; vLLM `POST /tokenize` with `messages`.
 */
export type TokenCountMethod = 'llama-input-tokens' | 'llama-template' | 'vllm-tokenize';

/** What a too-small per-request context comes from, and the fix (window-advice.ts). */
export interface SmallWindowInput {
  /** Tokens per request. */
  size: number;
  /** llama.cpp parallel slots, when known. */
  slots?: number;
  /** The context `dsb launch` asks for. */
  advised: number;
  /** The `dsb launch` command that restarts this kind with `advised`. */
  launch: string;
}

/** A prompt the server cut to fit its context without failing (the bridge's ollama-truncation.ts). */
export interface SilentTruncation {
  /** Prompt tokens the server processed. */
  theirs: number;
  /** Prompt tokens the bridge counted. */
  ours: number;
  /** How the bridge counted. */
  how: string;
  /** The server's context, as the message says it. */
  context: string;
  /** The context to ask for. */
  size: number;
}

export interface UpstreamKindModule<K extends UpstreamKind = UpstreamKind> {
  kind: K;
  /** How `dsb init` offers it. */
  title: string;
  /** How doctor names a server of this kind it found. */
  label: string;
  /** `dsb init`'s model question. */
  modelQuestion: string;
  /** The upstream URL `dsb init` offers when none is saved. */
  defaultUrl(host: string): string | undefined;
  /** `dsb init` asks for an API key (read from this environment variable when set). */
  apiKey?: { env?: string };
  profileDefaults: ProfileDefaults;
  /** What the server says about its context and model (design.md §4.5). */
  discover(io: DiscoveryIo, wanted: string | undefined): Promise<Discovered>;
  /** How the server counts a prompt exactly, best first; empty: the bridge counts locally. */
  tokenCounting: readonly TokenCountMethod[];
  /** This kind cuts a too-long prompt silently instead of failing: what to tell the user. */
  silentTruncation?(t: SilentTruncation): string;
  /** Why a too-small context is so small, in the server's own setting, and the fix; else generic. */
  smallWindow?(input: SmallWindowInput): { cause: string; fix: string };
}

/** Doctor's advice for a local server (src/checks/upstream-context.ts, upstream-tools.ts). */
export interface LocalDoctorHints {
  /** How to restart it with `recommended` tokens per request (`slots`: llama.cpp's -np). */
  contextFix(recommended: number, slots: number): string;
  /** How to make it parse tool calls; `commands` absent: the launch command. */
  toolsFix: { description: string; commands?: string[] };
  /** It rejects tool_choice "auto" unless started with a flag: doctor tries one. */
  checkAutoToolChoice: boolean;
  /** A Python package: doctor checks it has its own virtual environment. */
  pythonServer: boolean;
  /** Which model a restart command names: the file the server runs, the id it serves, or none. */
  relaunchModel: 'file' | 'served' | 'none';
}

export interface LocalUpstreamKindModule<K extends LocalUpstreamKind = LocalUpstreamKind>
  extends UpstreamKindModule<K> {
  /** dsb always passes the port explicitly (llama.cpp's default changed between builds). */
  defaultPort: number;
  model: {
    /** A file on this machine (a GGUF), rather than an id or tag the server resolves. */
    file: boolean;
    /** The `dsb launch` flag that names it. */
    flag: '--model-file' | '--model';
    /** What it is, in `dsb launch`'s messages. */
    noun: string;
    /** What it is, in `dsb init`'s messages. */
    initNoun: string;
    /** Printed where `dsb launch` does not know the model: a template the user fills in. */
    placeholder: string;
    /** Shown where doctor does not know the model. */
    doctorPlaceholder: string;
  };
  /** GPUs matter: `dsb init` asks how many. */
  usesGpus: boolean;
  /** The server command (design.md §5: current flags only). */
  launch(input: ServerInput): ServerLaunch;
  doctor: LocalDoctorHints;
}

/** `http://HOST:PORT`, the URL of a local server on its default port. */
export const localUrl = (port: number) => (host: string) => `http://${host}:${port}`;
