/**
 * Applying a mutant: each patch replaces the one occurrence of its `find` in a source file. A
 * `find` that occurs zero or several times is an error naming the file and the count, never a
 * guess: the list must say exactly where each defect goes (test/mutants/mutants.test.ts checks
 * this for every mutant, so a source change that moves the text fails CI instead of silently
 * turning the mutant into a no-op).
 */
import type { Patch } from './mutants.js';

/** How many times `needle` occurs in `text` (non-overlapping). */
export function occurrences(text: string, needle: string): number {
  if (needle.length === 0) return Number.POSITIVE_INFINITY;
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** `source` with every patch for `file` applied in order; throws unless each `find` occurs exactly once when its turn comes. */
export function applyPatches(file: string, source: string, patches: readonly Patch[]): string {
  let text = source;
  for (const [i, patch] of patches.entries()) {
    if (patch.file !== file) continue;
    const found = occurrences(text, patch.find);
    if (found !== 1) throw new Error(`patch ${i + 1} of ${file}: its find text occurs ${found} times (must be exactly once)`);
    text = text.replace(patch.find, () => patch.replace);
  }
  return text;
}

/** The source files a mutant changes, each once, in the order they are first named. */
export function filesOf(patches: readonly Patch[]): string[] {
  return [...new Set(patches.map((p) => p.file))];
}
