/**
 * What a run's oversells and lost sales cost, and how often the scenario happens. Money is per
 * run first (DESIGN.md, Amendments): a run measures one occurrence of the scenario's situation,
 * so the run itself is the only figure it measures. A year is that figure times how often the
 * situation happens, which only the scenario can say: `economics.occurrencesPerYear`, or, for a
 * scenario of whole days, one occurrence per such stretch of the year (a day-long scenario: 365).
 * Without either, there is no day and no year figure: scaling a two-hour flash sale to a day
 * would claim it happens twelve times a day.
 */
import { measuredLeakage } from '../engine/leakage.js';
import type { Frequency, Money, RunMoney } from '../model/money.js';
import type { ScenarioSpec } from './schema.js';

export type { Frequency, Money, RunMoney } from '../model/money.js';

const DAY_S = 86_400;
export const DAYS_PER_YEAR = 365;

/** The scenario's frequency, or null when it declares none and is not a whole number of days. */
export function scenarioFrequency(scenario: Pick<ScenarioSpec, 'durationS' | 'economics'>): Frequency | null {
  const declared = scenario.economics.occurrencesPerYear;
  if (declared !== undefined) return { occurrencesPerYear: declared, basis: 'declared' };
  if (scenario.durationS % DAY_S === 0) return { occurrencesPerYear: (DAYS_PER_YEAR * DAY_S) / scenario.durationS, basis: 'whole-days' };
  return null;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function scaled(m: Money, factor: number): Money {
  return {
    directRevenueLoss: round2(m.directRevenueLoss * factor),
    ltvErosion: round2(m.ltvErosion * factor),
    totalImpact: round2(m.totalImpact * factor),
    lostSalesRevenue: round2(m.lostSalesRevenue * factor),
  };
}

/** What a run's counts cost, per run and, with a frequency, per year and per average day. */
export function runMoney(options: { readonly oversells: number; readonly lostSales: number; readonly scenario: Pick<ScenarioSpec, 'durationS' | 'economics'> }): RunMoney {
  const econ = options.scenario.economics;
  // The engine's money arithmetic, applied to the run's own counts (it is linear in them).
  const m = measuredLeakage({
    oversellsPerDay: options.oversells,
    averageOrderValue: econ.averageOrderValue,
    customerLifetimeValue: econ.customerLifetimeValue,
    churnMultiplier: econ.churnMultiplier,
    lostSalesPerDay: options.lostSales,
  });
  const perRun = scaled({ directRevenueLoss: m.directRevenueLoss, ltvErosion: m.ltvErosion, totalImpact: m.totalDailyImpact, lostSalesRevenue: m.lostSalesRevenue }, 1);
  const frequency = scenarioFrequency(options.scenario);
  if (frequency === null) {
    return { perRun, frequency, perYear: null, oversellsPerDay: null, directRevenueLoss: null, ltvErosion: null, totalDailyImpact: null, lostSalesRevenue: null };
  }
  const perYear = scaled(perRun, frequency.occurrencesPerYear);
  const dayFactor = frequency.occurrencesPerYear / DAYS_PER_YEAR;
  const perDay = scaled(perRun, dayFactor);
  return {
    perRun,
    frequency,
    perYear,
    oversellsPerDay: round3(options.oversells * dayFactor),
    directRevenueLoss: perDay.directRevenueLoss,
    ltvErosion: perDay.ltvErosion,
    totalDailyImpact: perDay.totalImpact,
    lostSalesRevenue: perDay.lostSalesRevenue,
  };
}

/** `at 12 occurrences a year (declared)`: the assumption a day or year figure rests on, in words. */
export function frequencyWords(frequency: Frequency, durationS: number): string {
  if (frequency.basis === 'declared') {
    const n = frequency.occurrencesPerYear;
    return `at ${n.toLocaleString('en-US', { maximumFractionDigits: 3 })} occurrence${n === 1 ? '' : 's'} a year (economics.occurrencesPerYear)`;
  }
  const days = durationS / DAY_S;
  return days === 1 ? 'if every day of the year were like this one' : `if every ${days} days of the year were like these`;
}
