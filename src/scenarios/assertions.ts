/**
 * A scenario's `assert` blocks as a flat list: one assertion per (block, strategy, metric), in
 * file order. What the assertions mean over runs (`holds`, `evaluateAssertions`) is the analysis'
 * (src/analysis/check.ts); this is only the reading of the file, shared by `invsim check`, the
 * reports and the k6 thresholds (src/loadtest/plan.ts).
 */
import { ASSERTABLE_METRICS, type AssertableMetric, type AssertBlock, type Scenario } from './schema.js';

export type Bound = number | boolean | string;

export interface Assertion {
  readonly scenario: string;
  /** Index of the block in the scenario's `assert` list (0 when it is a single block). */
  readonly block: number;
  readonly strategy: string;
  readonly metric: AssertableMetric;
  readonly expected: Bound;
}

export function assertBlocks(scenario: Scenario): readonly AssertBlock[] {
  if (scenario.assert === undefined) return [];
  return Array.isArray(scenario.assert) ? scenario.assert : [scenario.assert];
}

/** Strategies a block without `strategies:` applies to: every one that is not a pitfall. */
export function defaultAssertedStrategies(scenario: Scenario): string[] {
  return Object.entries(scenario.strategies)
    .filter(([, spec]) => spec.pitfall === undefined)
    .map(([name]) => name);
}

/**
 * Every (block, strategy, metric) assertion of a scenario, in file order. A block naming a
 * strategy the scenario does not declare is refused by validation (`unknown_strategy`); one that
 * was never validated is a RangeError here, a usage error at the command line.
 */
export function scenarioAssertions(scenario: Scenario): Assertion[] {
  const out: Assertion[] = [];
  assertBlocks(scenario).forEach((block, index) => {
    const strategies = block.strategies ?? defaultAssertedStrategies(scenario);
    for (const strategy of strategies) {
      if (scenario.strategies[strategy] === undefined) {
        throw new RangeError(`scenario ${scenario.name}: assert[${index}] names strategy ${strategy}, which the scenario does not declare (it has: ${Object.keys(scenario.strategies).join(', ')})`);
      }
      for (const metric of ASSERTABLE_METRICS) {
        const expected = (block as Partial<Record<AssertableMetric, Bound>>)[metric];
        if (expected !== undefined) out.push({ scenario: scenario.name, block: index, strategy, metric, expected });
      }
    }
  });
  return out;
}
