/** Whether an observed value meets an assert bound: the one reading of `< 500`, `>= 0.9`, `true`. */
import type { Bound } from '../scenarios/assertions.js';
import { AnalysisInputError } from './errors.js';
import type { ObservedValue } from './metrics.js';

const COMPARISON = /^\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i;

function asNumber(value: ObservedValue): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** Whether an observed value satisfies a bound: a number is equality, a boolean is equality, a string compares. */
export function holds(expected: Bound, observed: ObservedValue): boolean {
  if (typeof expected === 'boolean') return observed === expected;
  const value = asNumber(observed);
  if (value === null) return false;
  if (typeof expected === 'number') return value === expected;
  const match = COMPARISON.exec(expected);
  if (match === null) throw new AnalysisInputError(`cannot read the bound "${expected}" (write it like "< 500" or ">= 0.9")`);
  const limit = Number(match[2]);
  switch (match[1]) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '==':
      return value === limit;
    default:
      return value !== limit;
  }
}
