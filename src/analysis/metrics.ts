/**
 * The numbers taken from one run: every assertable metric (what `check` evaluates), of which
 * the compared metrics (what `compare` and `sweep` aggregate) are a subset. A run is reduced to
 * a `RunRecord` inside the worker, so only a few hundred bytes cross the thread boundary.
 */
import { ASSERTABLE_METRICS, type AssertableMetric } from '../scenarios/schema.js';
import type { SimulationResult } from '../sim/result.js';

export const COMPARE_METRICS = [
  'oversells',
  'lostSales',
  'integrityViolations',
  'latencyMsP99',
  'staleWindowMsP99',
  'meanConfidence',
  'invisibleFraction',
  'totalDailyImpact',
  'apiCalls',
  'dlqParked',
] as const satisfies readonly AssertableMetric[];
export type CompareMetric = (typeof COMPARE_METRICS)[number];

export type CompareMetrics = Record<CompareMetric, number>;
export type ObservedValue = number | boolean | null;
export type Observed = Record<AssertableMetric, ObservedValue>;

/** One (strategy, seed) run, reduced to what the analyses need. */
export interface RunRecord {
  readonly scenario: string;
  readonly strategy: string;
  readonly seed: number;
  readonly traceHash: string;
  readonly observed: Observed;
}

/** Every assertable metric of a result, by its scenario-file name. */
export function observe(r: SimulationResult): Observed {
  const observed: Observed = {
    oversells: r.oversells,
    lostSales: r.lostSales,
    integrityViolations: r.integrityViolations,
    latencyMsP99: r.latencyMs.p99,
    staleWindowMsP99: r.staleWindowMs.p99,
    meanConfidence: r.freshness.meanConfidence,
    invisibleFraction: r.freshness.invisibleFraction,
    belowMinConfidenceFraction: r.freshness.belowMinConfidenceFraction,
    totalDailyImpact: r.leakage.totalDailyImpact,
    apiCalls: r.api.calls,
    apiThrottled: r.api.throttled,
    dlqParked: r.dlq.parked,
    converged: r.converged,
    convergenceMs: r.convergenceMs,
  };
  // A metric added to the schema but not mapped here is a programmer error, caught on the first run.
  for (const m of ASSERTABLE_METRICS) {
    if (!(m in observed)) throw new Error(`metric ${m} is assertable but not observed`);
  }
  return observed;
}

export function toRunRecord(r: SimulationResult): RunRecord {
  return { scenario: r.scenario, strategy: r.strategy, seed: r.seed, traceHash: r.traceHash, observed: observe(r) };
}

/** The compared metrics of a run; each must be a finite number. */
export function compareMetrics(observed: Observed): CompareMetrics {
  const out = {} as CompareMetrics;
  for (const m of COMPARE_METRICS) {
    const v = observed[m];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`metric ${m} is not a finite number (${String(v)})`);
    out[m] = v;
  }
  return out;
}
