/**
 * Who wins a comparison, and by how much: pure functions of the comparison document.
 *
 * The winner has the lowest mean revenue impact of oversells per run (`impactPerRun`: direct
 * revenue plus lifetime value lost to churn), ties broken by lost sales, then oversells, then
 * file order. Pitfall variants are not candidates: they reproduce mistakes so their cost can be
 * measured, nobody would choose one.
 *
 * What the winner is measured against: the scenario's `reference` strategy (the one its question
 * is about) when it is compared and is not the winner itself, else the runner-up; the summary
 * says which. With a reference, every other strategy is also measured against it. Each margin is
 * a paired difference over the common seeds (each seed: the other minus this one), so its
 * interval is the narrow one that common random numbers give, not the overlap of two intervals.
 *
 * Money is per run first. A year is the run times the scenario's frequency (declared, or a run of
 * whole days), and a day that year's 365th; without a frequency both are null, never extrapolated.
 */
import type { CompareResult, StrategySummary } from '../analysis/compare.js';
import { pairedDifference, type Estimate } from '../analysis/stats.js';
import { DAYS_PER_YEAR, scenarioFrequency, type Frequency } from '../scenarios/economics.js';
import type { Scenario } from '../scenarios/schema.js';

export interface Margin {
  /** Per seed, the other strategy minus this one: positive means this one costs that much less per run. */
  readonly perRun: Estimate;
  /** perRun × occurrences a year; null when the scenario has no frequency. */
  readonly perYear: Estimate | null;
  /** perYear / 365: an average day of such a year; null when the scenario has no frequency. */
  readonly perDay: Estimate | null;
}

/** One strategy measured against another on the same seeds. */
export interface Pairing {
  readonly strategy: StrategySummary;
  readonly against: StrategySummary;
  /** Oversell revenue impact saved by choosing `strategy` over `against`. */
  readonly impact: Margin;
  /** Oversells and lost sales per run avoided (against minus strategy). */
  readonly oversells: Estimate;
  readonly lostSales: Estimate;
  /** The revenue of lost sales avoided (negative: `strategy` turns away more customers). */
  readonly lostSalesRevenue: Margin;
  /** impact + lostSalesRevenue: the saving once turned-away customers count too. */
  readonly net: Margin;
}

export interface Verdict {
  readonly winner: StrategySummary;
  readonly runnerUp: StrategySummary | undefined;
  /** Strategies left out of the ranking (pitfall variants). */
  readonly excluded: readonly string[];
  /** In rank order, winner first. */
  readonly ranking: readonly string[];
  /** What day and year figures rest on; null: per run only. */
  readonly frequency: Frequency | null;
  /** The scenario's reference strategy, when it is among those compared. */
  readonly reference: StrategySummary | undefined;
  /** The winner against the reference (or, when there is none or it won, the runner-up); undefined with one strategy. */
  readonly headline: Pairing | undefined;
  readonly comparedWith: 'reference' | 'runner-up' | undefined;
  /** With a reference: every other compared strategy against it, in the comparison's order. */
  readonly againstReference: readonly Pairing[];
}

type Run = StrategySummary['runs'][number];

function rankKey(s: StrategySummary): readonly number[] {
  return [s.metrics.impactPerRun.mean, s.metrics.lostSales.mean, s.metrics.oversells.mean];
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function scale(e: Estimate, factor: number): Estimate {
  const r = (x: number): number => Number((x * factor).toFixed(6)) || 0;
  return { mean: r(e.mean), ci95: [r(e.ci95[0]), r(e.ci95[1])] };
}

function margin(perRun: Estimate, frequency: Frequency | null): Margin {
  if (frequency === null) return { perRun, perYear: null, perDay: null };
  return { perRun, perYear: scale(perRun, frequency.occurrencesPerYear), perDay: scale(perRun, frequency.occurrencesPerYear / DAYS_PER_YEAR) };
}

/** `strategy` against `against`, per seed `f(against) - f(strategy)`; the runs are in the same seed order (common random numbers). */
export function pairing(strategy: StrategySummary, against: StrategySummary, options: { averageOrderValue: number; frequency: Frequency | null }): Pairing {
  const paired = (f: (r: Run) => number): Estimate => pairedDifference(against.runs.map(f), strategy.runs.map(f));
  const lostRevenue = (r: Run): number => r.metrics.lostSales * options.averageOrderValue;
  return {
    strategy,
    against,
    impact: margin(paired((r) => r.metrics.impactPerRun), options.frequency),
    oversells: paired((r) => r.metrics.oversells),
    lostSales: paired((r) => r.metrics.lostSales),
    lostSalesRevenue: margin(paired(lostRevenue), options.frequency),
    net: margin(paired((r) => r.metrics.impactPerRun + lostRevenue(r)), options.frequency),
  };
}

export function verdict(result: CompareResult, scenario: Pick<Scenario, 'strategies' | 'durationS' | 'economics' | 'reference'>): Verdict {
  const isPitfall = (name: string): boolean => scenario.strategies[name]?.pitfall !== undefined;
  const candidates = result.strategies.filter((s) => !isPitfall(s.strategy));
  const pool = candidates.length > 0 ? candidates : result.strategies;
  const order = new Map(result.strategies.map((s, i) => [s.strategy, i]));
  const ranked = [...pool].sort((a, b) => compareKeys(rankKey(a), rankKey(b)) || order.get(a.strategy)! - order.get(b.strategy)!);
  const winner = ranked[0];
  if (winner === undefined) throw new RangeError('a verdict needs at least one strategy');
  const runnerUp = ranked[1];
  const excluded = result.strategies.filter((s) => !pool.includes(s)).map((s) => s.strategy);
  const frequency = scenarioFrequency(scenario);
  const options = { averageOrderValue: scenario.economics.averageOrderValue, frequency };
  const reference = result.strategies.find((s) => s.strategy === scenario.reference);
  const against = reference !== undefined && reference !== winner ? reference : runnerUp;
  return {
    winner,
    runnerUp,
    excluded,
    ranking: ranked.map((s) => s.strategy),
    frequency,
    reference,
    headline: against === undefined ? undefined : pairing(winner, against, options),
    comparedWith: against === undefined ? undefined : against === reference ? 'reference' : 'runner-up',
    againstReference: reference === undefined ? [] : result.strategies.filter((s) => s !== reference).map((s) => pairing(s, reference, options)),
  };
}
