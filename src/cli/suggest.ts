// "Did you mean …?": the closest known name to a mistyped one (flags, config keys, commands).
import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `input` by edit distance, when it is close enough to be a typo: at most
 * a third of the longer name's length (2 from 4 letters: a swap is 2 edits), so "prot" → "port" but
 * "xyz" → nothing.
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = input.toLowerCase();
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const longer = Math.max(input.length, best.length);
  const limit = longer < 4 ? 1 : Math.max(2, Math.floor(longer / 3));
  return bestDistance <= limit ? best : undefined;
}

/** " (did you mean --port?)" or "". */
export const didYouMean = (suggestion: string | undefined, prefix = ''): string =>
  suggestion === undefined ? '' : ` (did you mean ${prefix}${suggestion}?)`;
