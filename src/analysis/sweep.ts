/**
 * One parameter varied over a list of values, each value a full comparison (same seeds for every
 * value and strategy, so differences between values are paired too). Every modified scenario is
 * validated before the first run: a bad path or value stops the sweep with nothing run.
 */
import { scenarioFrequency, type Frequency } from '../scenarios/economics.js';
import type { Scenario } from '../scenarios/schema.js';
import { aggregateRecords, MIN_COMPARE_SEEDS, planTasks, type ComparePlan, type StrategySummary } from './compare.js';
import { AnalysisInputError } from './errors.js';
import { COMPARE_METRICS, type RunRecord } from './metrics.js';
import { applyOverride, parseParamPath, type ParamValue } from './params.js';
import type { RunTask } from './execute.js';
import type { CsvRow } from './output.js';

export interface SweepPoint {
  readonly value: ParamValue;
  /** What this value's day and year figures rest on (a sweep over durationS changes it); null: per run only. */
  readonly frequency: Frequency | null;
  readonly strategies: readonly StrategySummary[];
}

export interface SweepResult {
  readonly scenario: string;
  readonly param: string;
  readonly seeds: readonly number[];
  readonly points: readonly SweepPoint[];
}

export interface SweepPlan {
  readonly file: string;
  readonly scenario: Scenario;
  readonly param: string;
  readonly values: readonly ParamValue[];
  readonly strategies: readonly string[];
  readonly seeds: readonly number[];
}

/** Without `--strategy`: the strategy the parameter belongs to, or every strategy of the scenario. */
export function defaultSweepStrategies(scenario: Scenario, param: string): string[] {
  const path = parseParamPath(param);
  if (path[0] === 'strategies' && typeof path[1] === 'string' && scenario.strategies[path[1]] !== undefined) return [path[1]];
  return Object.keys(scenario.strategies);
}

/** Validates every value up front (throws AnalysisInputError or ScenarioError) and returns one comparison plan per value. */
export function sweepPlans(plan: SweepPlan): ComparePlan[] {
  if (plan.seeds.length < MIN_COMPARE_SEEDS) throw new AnalysisInputError(`--seeds must be at least ${MIN_COMPARE_SEEDS} for a confidence interval, got ${plan.seeds.length}`);
  const seen = new Set<string>();
  const frequencies: (Frequency | null)[] = [];
  for (const value of plan.values) {
    const k = JSON.stringify(value);
    if (seen.has(k)) throw new AnalysisInputError(`--values lists ${k} twice`);
    seen.add(k);
    frequencies.push(scenarioFrequency(applyOverride(plan.scenario, { param: plan.param, value }, plan.file)));
  }
  return plan.values.map((value, i) => ({
    file: plan.file,
    scenario: plan.scenario.name,
    strategies: plan.strategies,
    seeds: plan.seeds,
    frequency: frequencies[i]!,
    override: { param: plan.param, value },
  }));
}

export function sweepTasks(plans: readonly ComparePlan[]): RunTask[] {
  return plans.flatMap(planTasks);
}

/** Records in task order → one aggregated point per value. */
export function aggregateSweep(plan: SweepPlan, plans: readonly ComparePlan[], records: readonly RunRecord[]): SweepResult {
  let offset = 0;
  const points = plans.map((p, i) => {
    const n = p.strategies.length * p.seeds.length;
    const result = aggregateRecords(p, records.slice(offset, offset + n));
    offset += n;
    return { value: plan.values[i]!, frequency: result.frequency, strategies: result.strategies };
  });
  return { scenario: plan.scenario.name, param: plan.param, seeds: [...plan.seeds], points };
}

/** Long format for plotting: one row per (value, strategy, metric); a metric with no data has empty cells. */
export function sweepSummaryRows(result: SweepResult): CsvRow[] {
  const rows: CsvRow[] = [['param', 'value', 'strategy', 'metric', 'mean', 'ci95Low', 'ci95High']];
  for (const point of result.points) {
    for (const s of point.strategies) {
      for (const m of COMPARE_METRICS) {
        const e = s.metrics[m];
        rows.push([result.param, point.value, s.strategy, m, e?.mean ?? null, e?.ci95[0] ?? null, e?.ci95[1] ?? null]);
      }
    }
  }
  return rows;
}

/** One row per run, with the value it ran with. */
export function sweepRunRows(result: SweepResult): CsvRow[] {
  const rows: CsvRow[] = [['param', 'value', 'scenario', 'strategy', 'seed', 'traceHash', ...COMPARE_METRICS]];
  for (const point of result.points) {
    for (const s of point.strategies) {
      for (const r of s.runs) rows.push([result.param, point.value, result.scenario, s.strategy, r.seed, r.traceHash, ...COMPARE_METRICS.map((m) => r.metrics[m])]);
    }
  }
  return rows;
}
