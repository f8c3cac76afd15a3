/**
 * What counts as a swarm failure, for one run: a broken invariant (each by name), not
 * converging within the heal bound, a crash (an exception out of the simulator: a failed
 * assertion, a kernel limit, a bug), or a safety bound of the scenario's own `assert` blocks
 * (integrityViolations, oversells, converged) missed by this run alone.
 */
import type { SimulationResult } from '../model/result.js';
import { scenarioAssertions } from '../scenarios/assertions.js';
import { holds } from './holds.js';
import type { Scenario } from '../scenarios/schema.js';
import { simulate } from '../sim/world.js';
import { observe } from './metrics.js';
import type { RunFailure } from './shrink.js';

/** Assert metrics that one run must meet on its own (the rest are about means over seeds). */
const PER_RUN_METRICS = new Set(['integrityViolations', 'oversells', 'converged']);

export interface SwarmOutcome {
  readonly failure: RunFailure | null;
  readonly ordersPlaced: number;
  readonly traceHash: string;
}

export async function swarmOutcome(scenario: Scenario, strategy: string, seed: number): Promise<SwarmOutcome> {
  let result: SimulationResult;
  try {
    result = await simulate(scenario, { strategy, seed });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { failure: { kinds: ['crash'], details: [`crash: ${e.name}: ${e.message}`] }, ordersPlaced: 0, traceHash: '' };
  }
  return { failure: failureOf(scenario, strategy, result), ordersPlaced: result.orders.placed, traceHash: result.traceHash };
}

export function failureOf(scenario: Scenario, strategy: string, r: SimulationResult): RunFailure | null {
  const kinds = new Set<string>();
  const details: string[] = [];
  for (const v of r.violations) {
    kinds.add(`invariant:${v.invariant}`);
    if (details.length < 10) details.push(`${v.invariant} at ${Math.round(v.atMs)} ms: ${v.detail}`);
  }
  if (r.integrityViolations > r.violations.length) details.push(`… ${r.integrityViolations - r.violations.length} more violations`);
  if (!r.converged) {
    kinds.add('not-converged');
    details.push(`did not converge within the heal bound (${scenario.healBoundS} s)`);
  }
  const observed = observe(r);
  for (const a of scenarioAssertions(scenario)) {
    if (a.strategy !== strategy || !PER_RUN_METRICS.has(a.metric)) continue;
    if (holds(a.expected, observed[a.metric])) continue;
    kinds.add(`assert:${a.metric}`);
    details.push(`assert ${a.metric}: ${JSON.stringify(a.expected)} failed (${JSON.stringify(observed[a.metric])})`);
  }
  return kinds.size === 0 ? null : { kinds: [...kinds], details };
}
