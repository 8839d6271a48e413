// From `dsb probe`'s flags and the dsb config to ProbeOptions: where the bridge is, which token and
// upstream key to use, what to run. Pure; the command reads the config and the file, this decides.
import { bridgeUrlFor } from '../config/bridge-url.js';
import type { DsbConfig } from '../config/schema.js';
import type { ProbeOptions } from './options.js';

/** The flag values the options depend on (names as the flags spell them, minus the dashes). */
export interface ProbeFlagValues {
  url?: string | undefined;
  token?: string | undefined;
  scenario?: string[] | undefined;
  load?: number | undefined;
  concurrency: number;
  compareDirect: boolean;
  upstream?: string | undefined;
  clientModel: string;
  maxTokens: number;
  /** Seconds. */
  timeout: number;
}

/** The bridge's URL from its own config: a wildcard bind address is reached over loopback. */
export function bridgeUrlFromConfig(config: DsbConfig): string {
  return bridgeUrlFor(config.server);
}

/** The bridge to probe: --url, else the config's server address, else the default port on loopback. */
export function bridgeUrl(flagUrl: string | undefined, config: DsbConfig | undefined): string {
  return flagUrl ?? (config ? bridgeUrlFromConfig(config) : 'http://127.0.0.1:3000');
}

/** Why `url` cannot be the bridge's URL (the whole sentence after `--url URL`), or undefined. */
export function bridgeUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL (example: http://127.0.0.1:3000)';
  }
  return /^https?:$/.test(parsed.protocol) ? undefined : 'must be http:// or https://';
}

const normalizeUrl = (u: string) => u.replace(/\/+$/, '').replace(/\/v1$/, '');

export function probeOptionsFrom(
  flags: ProbeFlagValues,
  config: DsbConfig | undefined,
  longContext: ProbeOptions['longContext'],
): ProbeOptions {
  // The upstream's key and model come from the config entry for --upstream (else its first upstream).
  const configured = config?.upstreams.find(
    (u) => !flags.upstream || normalizeUrl(u.url) === normalizeUrl(flags.upstream),
  );
  return {
    url: bridgeUrl(flags.url, config).replace(/\/+$/, ''),
    token: flags.token ?? config?.server.authToken,
    model: flags.clientModel,
    maxTokens: flags.maxTokens,
    timeoutMs: flags.timeout * 1000,
    ...(flags.scenario ? { scenarioIds: flags.scenario } : {}),
    ...(longContext ? { longContext } : {}),
    ...(flags.load ? { load: { requests: flags.load, concurrency: flags.concurrency } } : {}),
    compareDirect: flags.compareDirect,
    upstream: {
      ...(flags.upstream ? { url: flags.upstream } : {}),
      ...(configured?.apiKey ? { apiKey: configured.apiKey } : {}),
      ...(configured?.model ? { model: configured.model } : {}),
    },
  };
}
