// Makes tool-call arguments cut off by the token limit into valid JSON (llama.cpp sends
// `arguments: "{"` when max_tokens cuts a call — verified). Claude Code must never receive
// tool input that does not parse. Pure.

import { isRecord } from '../../util/is-record.js';

interface Scan {
  /** Positions of commas directly inside an object or array (outside strings). */
  memberCuts: number[];
  /** Position just after the first `{` (to fall back on an empty object). */
  firstBrace: number;
}

function scan(text: string): Scan {
  const memberCuts: number[] = [];
  let firstBrace = -1;
  let inString = false;
  let escaped = false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (c === '{' && firstBrace === -1) firstBrace = i + 1;
      depth++;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth > 0) memberCuts.push(i);
  }
  return { memberCuts, firstBrace };
}

/** Closes open strings and containers of a JSON prefix. */
function close(prefix: string): string {
  const stack: string[] = [];
  let inString = false;
  let escaped = false;
  for (const c of prefix) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '}' || c === ']') stack.pop();
  }
  let out = prefix;
  if (inString) out += escaped ? '\\"' : '"';
  out = out.replace(/[\s,]+$/, '');
  if (/:\s*$/.test(out)) out += 'null';
  return out + stack.reverse().join('');
}

function parsesToObject(text: string): boolean {
  try {
    return isRecord(JSON.parse(text));
  } catch {
    return false;
  }
}

export interface RepairedArguments {
  json: string;
  /** false when the arguments already were valid JSON. */
  repaired: boolean;
}

/**
 * Returns arguments that parse to a JSON object: as sent when valid, else the longest prefix that
 * can be closed, else undefined (not JSON at all).
 */
export function repairToolArguments(raw: string): RepairedArguments | undefined {
  const text = raw.trim();
  if (text === '') return { json: '{}', repaired: raw.length > 0 };
  if (parsesToObject(text)) return { json: text, repaired: false };
  if (!text.startsWith('{')) return undefined;
  const closed = close(text);
  if (parsesToObject(closed)) return { json: closed, repaired: true };
  const { memberCuts, firstBrace } = scan(text);
  for (let i = memberCuts.length - 1, tries = 0; i >= 0 && tries < 64; i--, tries++) {
    const candidate = close(text.slice(0, memberCuts[i]));
    if (parsesToObject(candidate)) return { json: candidate, repaired: true };
  }
  if (firstBrace > 0) return { json: '{}', repaired: true };
  return undefined;
}
