// Every doctor check, in report order (design.md §7).

import { DsbError } from '../errors.js';
import { bridgeCheck } from './bridge.js';
import { clientConfigCheck } from './client-config.js';
import { clientContextCheck } from './client-context.js';
import { clientVersionCheck } from './client-version.js';
import { firewallCheck } from './firewall.js';
import { isolationCheck } from './isolation.js';
import { loopbackCheck } from './loopback.js';
import { proxyEnvCheck } from './proxy-env.js';
import { quantizationCheck } from './quantization.js';
import type { Check } from './types.js';
import { upstreamContextCheck } from './upstream-context.js';
import { upstreamOpenaiCheck } from './upstream-openai.js';
import { upstreamToolsCheck } from './upstream-tools.js';
import { wslCheck } from './wsl.js';

export const CHECKS: readonly Check[] = [
  upstreamOpenaiCheck,
  upstreamContextCheck,
  upstreamToolsCheck,
  clientVersionCheck,
  clientConfigCheck,
  clientContextCheck,
  wslCheck,
  loopbackCheck,
  quantizationCheck,
  firewallCheck,
  proxyEnvCheck,
  isolationCheck,
  bridgeCheck,
];

export const CHECK_IDS = CHECKS.map((c) => c.id);

export class UnknownCheckError extends DsbError {
  constructor(readonly unknown: string[]) {
    super(
      'UNKNOWN_CHECK',
      `unknown check id${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${CHECK_IDS.join(', ')})`,
    );
    this.name = 'UnknownCheckError';
  }
}

/**
 * The checks to run for the ids asked for (all when none), plus the checks they depend on, in
 * registry order. Throws UnknownCheckError for an id that does not exist.
 */
export function selectChecks(ids: string[], registry: readonly Check[] = CHECKS): Check[] {
  registry ??= CHECKS;
  if (ids.length === 0) return [...registry];
  const byId = new Map(registry.map((c) => [c.id, c]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length) throw new UnknownCheckError(unknown);
  const wanted = new Set<string>();
  const add = (id: string) => {
    if (wanted.has(id)) return;
    wanted.add(id);
    for (const dep of byId.get(id)?.dependsOn ?? []) add(dep);
  };
  for (const id of ids) add(id);
  return registry.filter((c) => wanted.has(c.id));
}
