/**
 * The numbers taken from one run: every assertable metric (what `check` evaluates), of which
 * the compared metrics (what `compare` and `sweep` aggregate) are a subset. A run is reduced to
 * a `RunRecord` inside the worker, so only a few hundred bytes cross the thread boundary.
 *
 * A metric with no data is null, never 0: the latency p99 of a strategy that propagated nothing,
 * the stale-window p99 of a run whose listings were never stale, the daily impact of a scenario
 * that declares no frequency (src/scenarios/economics.ts). Only the metrics in NULLABLE_METRICS
 * may be null.
 */
import { ASSERTABLE_METRICS, type AssertableMetric } from '../scenarios/schema.js';
import type { SimulationResult } from '../model/result.js';

export const COMPARE_METRICS = [
  'oversells',
  'lostSales',
  'integrityViolations',
  'listingLatencyMsP99',
  'latencyMsP99',
  'staleWindowMsP99',
  'meanConfidence',
  'invisibleFraction',
  'impactPerRun',
  'totalDailyImpact',
  'apiCalls',
  'dlqParked',
] as const satisfies readonly AssertableMetric[];
export type CompareMetric = (typeof COMPARE_METRICS)[number];

/** Which way each compared metric is better: less of everything, except listing freshness. */
export const BETTER: Readonly<Record<CompareMetric, 'lower' | 'higher'>> = {
  oversells: 'lower',
  lostSales: 'lower',
  integrityViolations: 'lower',
  listingLatencyMsP99: 'lower',
  latencyMsP99: 'lower',
  staleWindowMsP99: 'lower',
  meanConfidence: 'higher',
  invisibleFraction: 'lower',
  impactPerRun: 'lower',
  totalDailyImpact: 'lower',
  apiCalls: 'lower',
  dlqParked: 'lower',
};

/** The compared metrics that may have no data (null) on a run. */
export const NULLABLE_METRIC_NAMES = ['listingLatencyMsP99', 'latencyMsP99', 'staleWindowMsP99', 'totalDailyImpact'] as const satisfies readonly CompareMetric[];
export type NullableMetric = (typeof NULLABLE_METRIC_NAMES)[number];
export const NULLABLE_METRICS: ReadonlySet<CompareMetric> = new Set<CompareMetric>(NULLABLE_METRIC_NAMES);

/** A value of metric M: a number, or null for a metric that may have no data. */
export type MetricValue<M extends CompareMetric, T = number> = M extends NullableMetric ? T | null : T;
export type CompareMetrics = { [M in CompareMetric]: MetricValue<M> };
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
    listingLatencyMsP99: r.listingLatencyMs.p99,
    latencyMsP99: r.latencyMs.p99,
    staleWindowMsP99: r.staleWindowMs.p99,
    meanConfidence: r.freshness.meanConfidence,
    invisibleFraction: r.freshness.invisibleFraction,
    belowMinConfidenceFraction: r.freshness.belowMinConfidenceFraction,
    impactPerRun: r.leakage.perRun.totalImpact,
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

/** The compared metrics of a run; each a finite number, or null where NULLABLE_METRICS allows it. */
export function compareMetrics(observed: Observed): CompareMetrics {
  const out = {} as Record<CompareMetric, number | null>;
  for (const m of COMPARE_METRICS) {
    const v = observed[m];
    if (v === null && NULLABLE_METRICS.has(m)) out[m] = null;
    else if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`metric ${m} is not a finite number (${String(v)})`);
    else out[m] = v;
  }
  return out as CompareMetrics;
}
