/**
 * Strategy comparison on common random numbers: every strategy runs on the same seeds, so the
 * per-seed differences against the first strategy remove the variance the strategies share
 * (the same orders, the same faults) and the paired intervals are narrower than the separate ones.
 *
 * The aggregation is a pure function of the run records in (strategy, seed) order; shards carry
 * the raw records, so merging them reproduces the unsharded document byte for byte.
 */
import { COMPARE_METRICS, compareMetrics, type CompareMetric, type CompareMetrics, type RunRecord } from './metrics.js';
import type { RunTask } from './execute.js';
import type { ParamOverride } from './params.js';
import { estimate, pairedDifference, type Estimate } from './stats.js';
import { AnalysisInputError } from './errors.js';
import type { CsvRow } from './output.js';

export interface ComparePlan {
  readonly file: string;
  readonly scenario: string;
  /** In report order; the first is the baseline of the paired differences. */
  readonly strategies: readonly string[];
  readonly seeds: readonly number[];
  readonly override?: ParamOverride;
}

/** One run as reported: enough to recompute every statistic (and to merge shards). */
export interface CompareRun {
  readonly seed: number;
  readonly traceHash: string;
  readonly metrics: CompareMetrics;
}

export interface StrategySummary {
  readonly strategy: string;
  readonly runs: readonly CompareRun[];
  readonly metrics: Record<CompareMetric, Estimate>;
}

export interface PairedDiff {
  readonly strategy: string;
  readonly baseline: string;
  readonly metric: CompareMetric;
  readonly meanDiff: number;
  readonly ci95: readonly [number, number];
}

export interface CompareResult {
  readonly scenario: string;
  readonly seeds: readonly number[];
  readonly strategies: readonly StrategySummary[];
  readonly paired: readonly PairedDiff[];
}

/** Confidence intervals need two values per strategy. */
export const MIN_COMPARE_SEEDS = 2;
/** A bound on the plan: beyond this a sweep belongs on many machines (`--shard`). */
export const MAX_SEEDS = 100_000;

export function seedRange(count: number, start: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SEEDS) throw new AnalysisInputError(`--seeds must be an integer from 1 to ${MAX_SEEDS}, got ${count}`);
  if (!Number.isSafeInteger(start) || start < 0) throw new AnalysisInputError(`--seed-start must be an integer >= 0, got ${start}`);
  return Array.from({ length: count }, (_, i) => start + i);
}

/** Every (strategy, seed) run of a plan, strategy-major: the canonical order of records. */
export function planTasks(plan: ComparePlan): RunTask[] {
  return plan.strategies.flatMap((strategy) =>
    plan.seeds.map((seed) => ({
      file: plan.file,
      scenario: plan.scenario,
      strategy,
      seed,
      ...(plan.override === undefined ? {} : { override: plan.override }),
    })),
  );
}

export function toCompareRun(record: RunRecord): CompareRun {
  return { seed: record.seed, traceHash: record.traceHash, metrics: compareMetrics(record.observed) };
}

/**
 * The comparison document from runs keyed by strategy. Each strategy must have exactly one run
 * per seed of the plan (the caller guarantees it; a gap is a programmer error).
 */
export function aggregate(
  plan: Pick<ComparePlan, 'scenario' | 'strategies' | 'seeds'>,
  runsOf: (strategy: string) => readonly CompareRun[],
): CompareResult {
  if (plan.seeds.length < MIN_COMPARE_SEEDS) throw new AnalysisInputError(`a comparison needs at least ${MIN_COMPARE_SEEDS} seeds, got ${plan.seeds.length}`);
  const strategies = plan.strategies.map((strategy) => {
    const runs = runsOf(strategy);
    const seeds = runs.map((r) => r.seed);
    if (JSON.stringify(seeds) !== JSON.stringify(plan.seeds)) throw new Error(`runs of ${strategy} are for seeds ${seeds.join(',')}, expected ${plan.seeds.join(',')}`);
    const metrics = Object.fromEntries(COMPARE_METRICS.map((m) => [m, estimate(runs.map((r) => r.metrics[m]))])) as Record<CompareMetric, Estimate>;
    return { strategy, runs, metrics };
  });
  const [baseline, ...others] = strategies;
  const paired: PairedDiff[] = [];
  if (baseline === undefined) throw new AnalysisInputError('a comparison needs at least one strategy');
  for (const other of others) {
    for (const metric of COMPARE_METRICS) {
      const diff = pairedDifference(
        other.runs.map((r) => r.metrics[metric]),
        baseline.runs.map((r) => r.metrics[metric]),
      );
      paired.push({ strategy: other.strategy, baseline: baseline.strategy, metric, meanDiff: diff.mean, ci95: diff.ci95 });
    }
  }
  return { scenario: plan.scenario, seeds: [...plan.seeds], strategies, paired };
}

/** Records in plan order (as `runTasks` returns them) → the comparison document. */
export function aggregateRecords(plan: ComparePlan, records: readonly RunRecord[]): CompareResult {
  const byStrategy = new Map<string, CompareRun[]>();
  for (const record of records) {
    const list = byStrategy.get(record.strategy) ?? [];
    list.push(toCompareRun(record));
    byStrategy.set(record.strategy, list);
  }
  return aggregate(plan, (strategy) => byStrategy.get(strategy) ?? []);
}

/** One CSV row per run, with the compared metrics: the header, then the rows. */
export function compareRunRows(result: CompareResult): CsvRow[] {
  const rows: CsvRow[] = [['scenario', 'strategy', 'seed', 'traceHash', ...COMPARE_METRICS]];
  for (const s of result.strategies) {
    for (const r of s.runs) rows.push([result.scenario, s.strategy, r.seed, r.traceHash, ...COMPARE_METRICS.map((m) => r.metrics[m])]);
  }
  return rows;
}
