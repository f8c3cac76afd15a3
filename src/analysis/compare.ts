/**
 * Strategy comparison on common random numbers: every strategy runs on the same seeds, so the
 * per-seed differences against the first strategy remove the variance the strategies share
 * (the same orders, the same faults) and the paired intervals are narrower than the separate ones.
 *
 * The aggregation is a pure function of the run records in (strategy, seed) order; shards carry
 * the raw records, so merging them reproduces the unsharded document byte for byte.
 */
import { COMPARE_METRICS, compareMetrics, type CompareMetric, type CompareMetrics, type MetricValue, type RunRecord } from './metrics.js';
import type { RunTask } from './execute.js';
import type { ParamOverride } from './params.js';
import { estimateOrNull, pairedDifferenceOrNull, type Estimate } from './stats.js';
import type { Frequency } from '../scenarios/economics.js';
import { AnalysisInputError } from './errors.js';
import type { CsvRow } from './output.js';

export interface ComparePlan {
  readonly file: string;
  readonly scenario: string;
  /** In report order. */
  readonly strategies: readonly string[];
  /** The strategy the paired differences are taken against (default: the first). */
  readonly baseline?: string;
  /** How often the scenario happens (scenarioFrequency), or null: what its day and year figures rest on. */
  readonly frequency: Frequency | null;
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
  /** Null where fewer than two seeds have a value (a strategy that propagated nothing has no latency). */
  readonly metrics: { readonly [M in CompareMetric]: MetricValue<M, Estimate> };
}

export interface PairedDiff {
  readonly strategy: string;
  readonly baseline: string;
  readonly metric: CompareMetric;
  /** Null where fewer than two seeds have a value on both sides. */
  readonly meanDiff: number | null;
  readonly ci95: readonly [number, number] | null;
  /** Present only when some seeds lacked a value on either side: how many pairs the difference is over. */
  readonly seedsWithData?: number;
}

export interface CompareResult {
  readonly scenario: string;
  readonly seeds: readonly number[];
  /** The strategy every paired difference is taken against: the scenario's `reference` when compared, else the first. */
  readonly baseline: string;
  /** What `totalDailyImpact` rests on; null: the scenario declares no frequency, so money is per run only. */
  readonly frequency: Frequency | null;
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
  plan: Pick<ComparePlan, 'scenario' | 'strategies' | 'seeds' | 'baseline' | 'frequency'>,
  runsOf: (strategy: string) => readonly CompareRun[],
): CompareResult {
  if (plan.seeds.length < MIN_COMPARE_SEEDS) throw new AnalysisInputError(`a comparison needs at least ${MIN_COMPARE_SEEDS} seeds, got ${plan.seeds.length}`);
  const strategies = plan.strategies.map((strategy) => {
    const runs = runsOf(strategy);
    const seeds = runs.map((r) => r.seed);
    if (JSON.stringify(seeds) !== JSON.stringify(plan.seeds)) throw new Error(`runs of ${strategy} are for seeds ${seeds.join(',')}, expected ${plan.seeds.join(',')}`);
    const metrics = Object.fromEntries(COMPARE_METRICS.map((m) => [m, estimateOrNull(runs.map((r) => r.metrics[m]))])) as StrategySummary['metrics'];
    return { strategy, runs, metrics };
  });
  if (strategies.length === 0) throw new AnalysisInputError('a comparison needs at least one strategy');
  const baseline = strategies.find((s) => s.strategy === (plan.baseline ?? plan.strategies[0]));
  if (baseline === undefined) throw new AnalysisInputError(`the baseline ${plan.baseline ?? ''} is not among the compared strategies (${plan.strategies.join(', ')})`);
  const paired: PairedDiff[] = [];
  for (const other of strategies.filter((s) => s !== baseline)) {
    for (const metric of COMPARE_METRICS) {
      const diff = pairedDifferenceOrNull(
        other.runs.map((r) => r.metrics[metric]),
        baseline.runs.map((r) => r.metrics[metric]),
      );
      const partial = diff?.seedsWithData === undefined ? {} : { seedsWithData: diff.seedsWithData };
      paired.push({ strategy: other.strategy, baseline: baseline.strategy, metric, meanDiff: diff?.mean ?? null, ci95: diff?.ci95 ?? null, ...partial });
    }
  }
  return { scenario: plan.scenario, seeds: [...plan.seeds], baseline: baseline.strategy, frequency: plan.frequency, strategies, paired };
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

/** One CSV row per run, with the compared metrics: the header, then the rows. A metric with no data is an empty cell. */
export function compareRunRows(result: CompareResult): CsvRow[] {
  const rows: CsvRow[] = [['scenario', 'strategy', 'seed', 'traceHash', ...COMPARE_METRICS]];
  for (const s of result.strategies) {
    for (const r of s.runs) rows.push([result.scenario, s.strategy, r.seed, r.traceHash, ...COMPARE_METRICS.map((m) => r.metrics[m])]);
  }
  return rows;
}
