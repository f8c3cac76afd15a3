/**
 * The shape of what a run costs: per run, and per year and per average day when the scenario says
 * how often it happens. The figures are computed from the scenario's economics
 * (src/scenarios/economics.ts); the shape lives here, beside the result it is part of, so the
 * result type needs nothing from the scenario layer.
 */

/** How often the scenario happens, and on what grounds. */
export interface Frequency {
  readonly occurrencesPerYear: number;
  /** `declared`: `economics.occurrencesPerYear`; `whole-days`: a run of whole days, every such stretch of a year like it. */
  readonly basis: 'declared' | 'whole-days';
}

/** Money of one period: cancelled orders, lifetime value lost to churn, their sum, and turned-away customers. */
export interface Money {
  readonly directRevenueLoss: number;
  readonly ltvErosion: number;
  /** directRevenueLoss + ltvErosion: what oversells cost. Lost sales are beside it, not in it. */
  readonly totalImpact: number;
  readonly lostSalesRevenue: number;
}

/** The `leakage` block of a run's result, without the seed model. */
export interface RunMoney {
  readonly perRun: Money;
  readonly frequency: Frequency | null;
  /** perRun × occurrencesPerYear; null without a frequency. */
  readonly perYear: Money | null;
  /** The day figures: perYear / 365 (an average day of such a year); null without a frequency. */
  readonly oversellsPerDay: number | null;
  readonly directRevenueLoss: number | null;
  readonly ltvErosion: number | null;
  readonly totalDailyImpact: number | null;
  readonly lostSalesRevenue: number | null;
}
