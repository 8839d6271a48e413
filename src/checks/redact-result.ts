// The doctor's output passes through dsb's one redactor (src/redact.ts): an upstream that echoes the
// Authorization header in its 401 must not put the user's key into `dsb doctor --json` or --verbose.
import type { DsbConfig } from '../config/schema.js';
import { createRedactor, type Redactor, redactJson } from '../redact.js';
import type { CheckResult } from './types.js';

/** A redactor for every secret a config holds: the bridge's token and each upstream's key. */
export function configRedactor(config: DsbConfig): Redactor {
  return createRedactor([config.server.authToken, ...config.upstreams.map((u) => u.apiKey)]);
}

/** The result with every text redacted; the fix keeps its `apply` function. */
export function redactCheckResult(result: CheckResult, redact: Redactor): CheckResult {
  const { fix, ...rest } = result;
  const clean = redactJson(rest, redact);
  if (!fix) return clean;
  return {
    ...clean,
    fix: { ...fix, description: redact(fix.description), commands: fix.commands.map(redact) },
  };
}
