// Which DeepSeek generation a model is: vLLM and SGLang need parsers that match it (design.md §5).

export type DeepSeekFamily = 'v4' | 'v3.2' | 'v3.1' | 'r1' | 'v3' | 'unknown';

/** Which DeepSeek generation a model name (file, HF id or tag) belongs to: picks vLLM/SGLang parsers. */
export function deepseekFamily(model: string): DeepSeekFamily {
  const m = model.toLowerCase();
  if (/v4/.test(m)) return 'v4';
  if (/v3[._-]?2/.test(m)) return 'v3.2';
  if (/v3[._-]?1/.test(m)) return 'v3.1';
  if (/(^|[^a-z0-9])r1([^0-9]|$)/.test(m)) return 'r1';
  if (/v3/.test(m)) return 'v3';
  return 'unknown';
}

/** A server's `--tool-call-parser` / `--reasoning-parser` names. */
export interface Parsers {
  toolCallParser: string;
  /** Absent for models that do not reason (DeepSeek V3). */
  reasoningParser?: string;
}
