/**
 * "Did you mean …?": the closest allowed word to a misspelt one, when it is close enough to be
 * a likely typo rather than a different word. Case and the separators `-`, `_` and space are
 * ignored, so `IntervalS`, `shopify_graphql` and `event driven` all find their word.
 */
import { distance } from 'fastest-levenshtein';

const normalize = (word: string): string => word.toLowerCase().replace(/[-_ ]/g, '');

/**
 * The candidate closest to `word` by edit distance (the first on a tie), or undefined when
 * none is within a third of the longer word's length (at least one edit) or when the best one
 * would replace every character.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const target = normalize(word);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const d = distance(target, normalize(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const longer = Math.max(target.length, normalize(best).length);
  const limit = Math.max(1, Math.floor(longer / 3));
  return bestDistance <= limit && bestDistance < longer ? best : undefined;
}

/** `; did you mean "x"?` when a close candidate exists, else `fallback` (e.g. the allowed list). */
export function didYouMean(word: string, candidates: Iterable<string>, fallback = ''): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? fallback : `; did you mean ${JSON.stringify(match)}?`;
}

/** A short list of allowed words for a message: `a, b, c` (at most `max`, then `…`). */
export function listWords(words: readonly string[], max = 12): string {
  const shown = words.slice(0, max).join(', ');
  return words.length > max ? `${shown}, …` : shown;
}
