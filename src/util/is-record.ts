// The one guard for "a JSON object" (not null, not an array): parsed JSON from clients, upstreams and
// config files is checked with it before its fields are read.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
