/**
 * The runs a report shows beyond its analysis document, simulated here so that reports only take
 * results (src/reports/make.ts): one full run per strategy for a comparison's per-run charts, and
 * the simulation's prediction of a live run. The runs are few (one per strategy, one per seed of a
 * live run) and sequential; the comparison report checks them against the analysis' trace hashes.
 */
import { liveWorldScenario, type LiveConditioning } from '../loadtest/live-world.js';
import type { SimulationResult } from '../model/result.js';
import type { Scenario } from '../scenarios/schema.js';
import { simulate } from '../sim/world.js';
import type { CompareResult } from './compare.js';

/** One full run per strategy on one seed, in order. */
export async function representativeRuns(scenario: Scenario, strategies: readonly string[], seed: number): Promise<SimulationResult[]> {
  const runs: SimulationResult[] = [];
  for (const strategy of strategies) runs.push(await simulate(scenario, { strategy, seed }));
  return runs;
}

/** A comparison's representative runs: each of its strategies, in its order, on its first seed. */
export async function compareReportRuns(scenario: Scenario, result: CompareResult): Promise<SimulationResult[]> {
  const seed = result.seeds[0];
  if (seed === undefined) throw new RangeError('a comparison report needs at least one seed');
  return representativeRuns(
    scenario,
    result.strategies.map((s) => s.strategy),
    seed,
  );
}

/**
 * What the simulation predicts for a live run: the world the live run creates (orders reach the
 * engine as k6 sends them, src/loadtest/live-world.ts), one run per seed, in seed order, each
 * with what `conditioning` holds fixed at the live run's values (its catalogue, its restock job).
 */
export async function livePrediction(
  scenario: Scenario,
  strategy: string,
  seeds: readonly number[],
  conditioning: LiveConditioning = { catalogSeed: null, restockJob: null },
): Promise<SimulationResult[]> {
  const world = liveWorldScenario(scenario);
  const held = {
    ...(conditioning.catalogSeed === null ? {} : { catalogSeed: conditioning.catalogSeed }),
    ...(conditioning.restockJob === null ? {} : { restockJob: conditioning.restockJob }),
  };
  const predicted: SimulationResult[] = [];
  for (const seed of seeds) predicted.push(await simulate(world, { strategy, seed, ...held }));
  return predicted;
}

/**
 * What the simulation predicts for the channel twins: the scenario's own world (the twins run its
 * notification models, limits and faults; their customers buy only what a listing shows), one run
 * per seed, in seed order, each with the twins' catalogue (their seed's draw) when it is given.
 */
export async function twinsPrediction(scenario: Scenario, strategy: string, seeds: readonly number[], catalogSeed: number | null = null): Promise<SimulationResult[]> {
  const predicted: SimulationResult[] = [];
  for (const seed of seeds) predicted.push(await simulate(scenario, { strategy, seed, ...(catalogSeed === null ? {} : { catalogSeed }) }));
  return predicted;
}
