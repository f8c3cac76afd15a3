/**
 * Who wins a comparison, and by how much: pure functions of the comparison document.
 *
 * The winner has the lowest mean total daily impact of oversells (`totalDailyImpact`: direct
 * revenue plus lifetime value lost to churn, per simulated day), ties broken by lost sales, then
 * oversells, then file order. Pitfall variants are not candidates: they reproduce mistakes so
 * their cost can be measured, nobody would choose one. The margin over the runner-up is a paired
 * difference over the common seeds (each seed: runner-up minus winner), so its interval is the
 * narrow one that common random numbers give, not the overlap of two separate intervals.
 */
import type { CompareResult, StrategySummary } from '../analysis/compare.js';
import { pairedDifference, type Estimate } from '../analysis/stats.js';
import type { Scenario } from '../scenarios/schema.js';
import { DAYS_PER_YEAR } from './format.js';

export interface Margin {
  /** Runner-up minus winner, per seed: positive means the winner is better by that much. */
  readonly perDay: Estimate;
  readonly perYear: Estimate;
}

export interface Verdict {
  readonly winner: StrategySummary;
  readonly runnerUp: StrategySummary | undefined;
  /** Strategies left out of the ranking (pitfall variants). */
  readonly excluded: readonly string[];
  /** In rank order, winner first. */
  readonly ranking: readonly string[];
  /** Oversell revenue impact saved per day by choosing the winner over the runner-up. */
  readonly impact: Margin | undefined;
  /** Oversells and lost sales per run avoided (runner-up minus winner). */
  readonly oversells: Estimate | undefined;
  readonly lostSales: Estimate | undefined;
  /** The revenue of lost sales per day avoided (runner-up minus winner; negative: the winner loses more). */
  readonly lostSalesRevenue: Margin | undefined;
  /** impact + lostSalesRevenue: what the winner saves once turned-away customers count too. */
  readonly net: Margin | undefined;
}

function rankKey(s: StrategySummary): readonly number[] {
  return [s.metrics.totalDailyImpact.mean, s.metrics.lostSales.mean, s.metrics.oversells.mean];
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

function margin(perDay: Estimate): Margin {
  return { perDay, perYear: scale(perDay, DAYS_PER_YEAR) };
}

/** Per-seed `f(runnerUp) - f(winner)`, estimated; the runs are in the same seed order (common random numbers). */
function paired(winner: StrategySummary, runnerUp: StrategySummary, f: (r: StrategySummary['runs'][number]) => number): Estimate {
  return pairedDifference(runnerUp.runs.map(f), winner.runs.map(f));
}

export function verdict(result: CompareResult, scenario: Pick<Scenario, 'strategies' | 'durationS' | 'economics'>): Verdict {
  const isPitfall = (name: string): boolean => scenario.strategies[name]?.pitfall !== undefined;
  const candidates = result.strategies.filter((s) => !isPitfall(s.strategy));
  const pool = candidates.length > 0 ? candidates : result.strategies;
  const order = new Map(result.strategies.map((s, i) => [s.strategy, i]));
  const ranked = [...pool].sort((a, b) => compareKeys(rankKey(a), rankKey(b)) || order.get(a.strategy)! - order.get(b.strategy)!);
  const winner = ranked[0];
  if (winner === undefined) throw new RangeError('a verdict needs at least one strategy');
  const runnerUp = ranked[1];
  const excluded = result.strategies.filter((s) => !pool.includes(s)).map((s) => s.strategy);
  if (runnerUp === undefined) {
    return { winner, runnerUp, excluded, ranking: ranked.map((s) => s.strategy), impact: undefined, oversells: undefined, lostSales: undefined, lostSalesRevenue: undefined, net: undefined };
  }
  const days = scenario.durationS / 86_400;
  const aov = scenario.economics.averageOrderValue;
  const lostRevenuePerDay = (r: StrategySummary['runs'][number]): number => (r.metrics.lostSales / days) * aov;
  return {
    winner,
    runnerUp,
    excluded,
    ranking: ranked.map((s) => s.strategy),
    impact: margin(paired(winner, runnerUp, (r) => r.metrics.totalDailyImpact)),
    oversells: paired(winner, runnerUp, (r) => r.metrics.oversells),
    lostSales: paired(winner, runnerUp, (r) => r.metrics.lostSales),
    lostSalesRevenue: margin(paired(winner, runnerUp, lostRevenuePerDay)),
    net: margin(paired(winner, runnerUp, (r) => r.metrics.totalDailyImpact + lostRevenuePerDay(r))),
  };
}
