/**
 * Revenue leakage: the seed's closed-form model, and the same money arithmetic applied to
 * oversells the simulator actually measured.
 */

export interface RevenueLeakageParams {
  readonly dailyOrderVolume: number;
  readonly syncWindowSeconds: number;
  readonly averageOrderValue: number;
  /** Probability that an order placed within a sync window oversells; within (0, 1]. */
  readonly oversellProbability: number;
  readonly customerLifetimeValue: number;
  readonly churnMultiplier: number;
}

export interface LeakageResult {
  readonly syncWindowsPerDay: number;
  readonly estimatedOversellsPerDay: number;
  readonly directRevenueLoss: number;
  readonly ltvErosion: number;
  readonly totalDailyImpact: number;
}

const SECONDS_PER_DAY = 86_400;

const LEAKAGE_PARAM_NAMES = [
  'dailyOrderVolume',
  'syncWindowSeconds',
  'averageOrderValue',
  'oversellProbability',
  'customerLifetimeValue',
  'churnMultiplier',
] as const satisfies readonly (keyof RevenueLeakageParams)[];

/** A parameter of the closed-form model that cannot be used, and why. */
export interface LeakageParamIssue {
  readonly param: keyof RevenueLeakageParams;
  readonly reason: string;
}

/** Every problem with `params`, in parameter order; empty when the model can run. */
export function revenueLeakageIssues(params: RevenueLeakageParams): LeakageParamIssue[] {
  const issues: LeakageParamIssue[] = [];
  for (const param of LEAKAGE_PARAM_NAMES) {
    const value = params[param];
    if (!Number.isFinite(value) || value <= 0) issues.push({ param, reason: `must be a finite number > 0, got ${String(value)}` });
  }
  if (params.oversellProbability > 1) {
    issues.push({ param: 'oversellProbability', reason: `must be <= 1, got ${String(params.oversellProbability)}` });
  }
  return issues;
}

/** Rounds like the seed: `parseFloat(x.toFixed(digits))`. */
function roundTo(value: number, digits: number): number {
  return Number.parseFloat(value.toFixed(digits));
}

function throwIfIssues(issues: readonly string[]): void {
  if (issues.length > 0) throw new RangeError(issues.join('; '));
}

/**
 * The seed's closed-form model, with the same arithmetic and rounding, so its baseline
 * (500, 900, 1500, 0.02, 8000, 0.3) gives 96 windows, 10 oversells, 15 000 + 24 000 = 39 000.
 *
 * Note: in this model the oversell count does not depend on the sync window at all:
 * (volume / windows) · p · windows = volume · p, the window cancels out. That is the seed's
 * model, kept for comparison beside the simulator, which *measures* oversells instead.
 *
 * Every parameter must be finite and > 0 (and `oversellProbability` ≤ 1); all problems are
 * reported at once in one RangeError naming each parameter (`revenueLeakageIssues` lists them
 * as data, for a caller that validates user input first).
 */
export function computeRevenueLeakage(params: RevenueLeakageParams): LeakageResult {
  throwIfIssues(revenueLeakageIssues(params).map((issue) => `${issue.param} ${issue.reason}`));

  const windowsPerDay = SECONDS_PER_DAY / params.syncWindowSeconds;
  const ordersPerWindow = params.dailyOrderVolume / windowsPerDay;
  const oversellsPerDay = ordersPerWindow * params.oversellProbability * windowsPerDay;
  const directLoss = oversellsPerDay * params.averageOrderValue;
  const ltvErosion = oversellsPerDay * params.customerLifetimeValue * params.churnMultiplier;
  return {
    syncWindowsPerDay: Math.round(windowsPerDay),
    estimatedOversellsPerDay: roundTo(oversellsPerDay, 1),
    directRevenueLoss: roundTo(directLoss, 2),
    ltvErosion: roundTo(ltvErosion, 2),
    totalDailyImpact: roundTo(directLoss + ltvErosion, 2),
  };
}

export interface MeasuredLeakageParams {
  /** Oversells the simulator counted, per simulated day. */
  readonly oversellsPerDay: number;
  readonly averageOrderValue: number;
  readonly customerLifetimeValue: number;
  readonly churnMultiplier: number;
  /** Customers turned away by a listing at 0 while stock existed, per simulated day. Default 0. */
  readonly lostSalesPerDay?: number;
}

export interface MeasuredLeakage {
  readonly oversellsPerDay: number;
  readonly directRevenueLoss: number;
  readonly ltvErosion: number;
  /** Oversells' direct loss plus LTV erosion; lost sales are reported beside it, not in it. */
  readonly totalDailyImpact: number;
  readonly lostSalesRevenue: number;
}

/**
 * Leakage from measured rates: direct = oversells × AOV, ltv = oversells × CLV × churn,
 * total = direct + ltv, lostSalesRevenue = lostSales × AOV. Unrounded (reports format), and
 * zeros are allowed (a strategy with no oversells leaks nothing); negatives and non-finite
 * values are rejected, every problem named in one RangeError.
 */
export function measuredLeakage(params: MeasuredLeakageParams): MeasuredLeakage {
  const lostSalesPerDay = params.lostSalesPerDay ?? 0;
  const values: readonly (readonly [string, number])[] = [
    ['oversellsPerDay', params.oversellsPerDay],
    ['averageOrderValue', params.averageOrderValue],
    ['customerLifetimeValue', params.customerLifetimeValue],
    ['churnMultiplier', params.churnMultiplier],
    ['lostSalesPerDay', lostSalesPerDay],
  ];
  const issues: string[] = [];
  for (const [name, value] of values) {
    if (!Number.isFinite(value) || value < 0) issues.push(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
  throwIfIssues(issues);

  const directRevenueLoss = params.oversellsPerDay * params.averageOrderValue;
  const ltvErosion = params.oversellsPerDay * params.customerLifetimeValue * params.churnMultiplier;
  return {
    oversellsPerDay: params.oversellsPerDay,
    directRevenueLoss,
    ltvErosion,
    totalDailyImpact: directRevenueLoss + ltvErosion,
    lostSalesRevenue: lostSalesPerDay * params.averageOrderValue,
  };
}
