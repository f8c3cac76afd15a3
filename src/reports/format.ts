/**
 * How the report names and formats numbers: every compared metric with a label people read and
 * its unit, money, clock times within a run. The terminal's formatters (src/cli/format.ts) are
 * reused so a number reads the same in the table on screen and in the report.
 */
import { BETTER, type CompareMetric } from '../analysis/metrics.js';
import { fmtMetric, fmtMs, fmtNumber } from '../cli/format.js';

export { describeChange, fmtMetric, fmtMs, fmtNumber, fmtPercent, fmtSeeds, noDataWords } from '../cli/format.js';
export { DAYS_PER_YEAR } from '../scenarios/economics.js';

export interface MetricInfo {
  /** What it is, in words. */
  readonly label: string;
  /** Its unit, as an axis or column would say it. */
  readonly unit: string;
  /** Whether less is better (all compared metrics but freshness). */
  readonly lowerIsBetter: boolean;
}

const INFO: Readonly<Record<CompareMetric, Omit<MetricInfo, 'lowerIsBetter'>>> = {
  oversells: { label: 'Oversells', unit: 'orders per run' },
  lostSales: { label: 'Lost sales', unit: 'customers turned away per run' },
  integrityViolations: { label: 'Integrity violations', unit: 'per run' },
  listingLatencyMsP99: { label: 'Propagation latency p99', unit: 'duration, commit to the listing changing' },
  latencyMsP99: { label: 'Acknowledgement latency p99', unit: 'duration, commit to the channel accepting it' },
  staleWindowMsP99: { label: 'Stale window p99', unit: 'duration' },
  meanConfidence: { label: 'Listing freshness', unit: 'mean confidence, 0 to 1' },
  invisibleFraction: { label: 'Time invisible', unit: 'share of listing-time' },
  impactPerRun: { label: 'Oversell revenue impact', unit: 'money per run' },
  totalDailyImpact: { label: 'Oversell revenue impact', unit: 'money per average day, from the declared frequency' },
  apiCalls: { label: 'API calls', unit: 'per run' },
  dlqParked: { label: 'Parked in the DLQ', unit: 'updates per run' },
};

export const METRIC_INFO: Readonly<Record<CompareMetric, MetricInfo>> = Object.fromEntries(
  Object.entries(INFO).map(([m, info]) => [m, { ...info, lowerIsBetter: BETTER[m as CompareMetric] === 'lower' }]),
) as Record<CompareMetric, MetricInfo>;

export function metricHeading(metric: CompareMetric): string {
  const info = METRIC_INFO[metric];
  return `${info.label} (${info.unit})`;
}

/** Money in the scenario's currency units, whole units with thousands separators. */
export function fmtMoney(x: number): string {
  return fmtNumber(Math.round(x), 0);
}

/** `0:30:01.498`: a moment of a run as hours:minutes:seconds.milliseconds from its start. */
export function fmtClock(ms: number): string {
  const totalMs = Math.round(ms);
  const h = Math.floor(totalMs / 3_600_000);
  const m = Math.floor((totalMs % 3_600_000) / 60_000);
  const s = Math.floor((totalMs % 60_000) / 1000);
  const frac = totalMs % 1000;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(frac).padStart(3, '0')}`;
}

/** `2 h`, `1 day`, `6 h`: how long a scenario simulates. */
export function fmtDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  return fmtMs(seconds * 1000);
}

/** `mean (95% CI lo to hi)` of an estimate in a metric's format. */
export function fmtInterval(metric: string, e: { readonly ci95: readonly [number, number] }): string {
  return `95% CI ${fmtMetric(metric, e.ci95[0])} to ${fmtMetric(metric, e.ci95[1])}`;
}

/** Whether a 95% interval excludes zero. */
export function significant(ci95: readonly [number, number]): boolean {
  return ci95[0] > 0 || ci95[1] < 0;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtNumber(n, Number.isInteger(n) ? 0 : 1)} ${n === 1 ? one : many}`;
}

/** `a, b and c`. */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}
