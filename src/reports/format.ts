/**
 * How numbers read, on screen and in the report: every compared metric with a label people read
 * and its unit, estimates and paired differences, money, clock times within a run. The commands
 * print their tables with these same formatters (src/cli/format.ts lays the tables out), so a
 * number reads the same in the table on screen and in the report.
 */
import { BETTER, type CompareMetric } from '../analysis/metrics.js';

export { DAYS_PER_YEAR } from '../scenarios/economics.js';

export function fmtNumber(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return String(x);
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtMs(ms: number): string {
  if (ms < 1_000) return `${fmtNumber(ms, 0)} ms`;
  if (ms < 120_000) return `${fmtNumber(ms / 1000, 1)} s`;
  if (ms < 7_200_000) return `${fmtNumber(ms / 60_000, 1)} min`;
  return `${fmtNumber(ms / 3_600_000, 1)} h`;
}

export function fmtPercent(fraction: number, digits = 1): string {
  return `${fmtNumber(fraction * 100, digits)}%`;
}

/**
 * What a metric with no data (null) reads as: a strategy that propagated nothing has no latency
 * ("no propagation"), not one of 0 ms; a scenario without a frequency has no daily figure.
 */
export function noDataWords(metric: string): string {
  switch (metric) {
    case 'listingLatencyMsP99':
    case 'latencyMsP99':
      return 'no propagation';
    case 'staleWindowMsP99':
      return 'never stale';
    case 'totalDailyImpact':
      return 'no frequency';
    default:
      return 'no data';
  }
}

/** A compared metric's value in its unit: counts to 1 decimal, milliseconds as durations, fractions as such; null in words. */
export function fmtMetric(metric: string, x: number | null): string {
  if (x === null) return noDataWords(metric);
  const sign = x < 0 ? '-' : '';
  const abs = Math.abs(x);
  switch (metric) {
    case 'listingLatencyMsP99':
    case 'latencyMsP99':
    case 'staleWindowMsP99':
    case 'convergenceMs':
      return `${sign}${fmtMs(abs)}`;
    case 'meanConfidence':
      return fmtNumber(x, 4);
    case 'invisibleFraction':
    case 'belowMinConfidenceFraction':
      return fmtPercent(x, 2);
    case 'impactPerRun':
    case 'totalDailyImpact':
      return fmtNumber(x, 0);
    default:
      return fmtNumber(x, 1);
  }
}

/** `(of 3 seeds)` when an estimate is over fewer seeds than the comparison ran (the others had no data). */
function partial(e: { readonly seedsWithData?: number }): string {
  return e.seedsWithData === undefined ? '' : ` (${e.seedsWithData} seeds with data)`;
}

/** `mean ± half-width` of a 95% interval; a metric with no data in words. */
export function fmtEstimate(metric: string, e: { readonly mean: number; readonly ci95: readonly [number, number]; readonly seedsWithData?: number } | null): string {
  if (e === null) return noDataWords(metric);
  return `${fmtMetric(metric, e.mean)} ± ${fmtMetric(metric, (e.ci95[1] - e.ci95[0]) / 2)}${partial(e)}`;
}

/**
 * A paired difference's direction and worth: ▲ it went up, ▼ down (whether that is good depends
 * on the metric), `better` or `worse` by the metric's better direction when the 95% interval
 * excludes zero, `same` when it does not.
 */
export interface Change {
  readonly arrow: '▲' | '▼' | '';
  readonly verdict: 'better' | 'worse' | 'same';
}

export function describeChange(metric: CompareMetric, d: { readonly meanDiff: number; readonly ci95: readonly [number, number] }): Change {
  const significant = d.ci95[0] > 0 || d.ci95[1] < 0;
  if (!significant) return { arrow: '', verdict: 'same' };
  const up = d.meanDiff > 0;
  return { arrow: up ? '▲' : '▼', verdict: up === (BETTER[metric] === 'higher') ? 'better' : 'worse' };
}

/** A paired difference: signed mean ± half-width, then ▲/▼ and better/worse when the interval excludes zero. */
export function fmtDifference(metric: CompareMetric, d: { readonly meanDiff: number | null; readonly ci95: readonly [number, number] | null; readonly seedsWithData?: number }): string {
  if (d.meanDiff === null || d.ci95 === null) return noDataWords(metric);
  const change = describeChange(metric, { meanDiff: d.meanDiff, ci95: d.ci95 });
  const mean = `${d.meanDiff > 0 ? '+' : ''}${fmtMetric(metric, d.meanDiff)}`;
  return `${mean} ± ${fmtMetric(metric, (d.ci95[1] - d.ci95[0]) / 2)}${change.verdict === 'same' ? '' : ` ${change.arrow} ${change.verdict}`}${partial(d)}`;
}

/** `1..20` for a contiguous run of seeds, else the list. */
export function fmtSeeds(seeds: readonly number[]): string {
  const first = seeds[0];
  const last = seeds[seeds.length - 1];
  if (first === undefined || last === undefined) return 'none';
  const contiguous = seeds.every((s, i) => s === first + i);
  return contiguous && seeds.length > 2 ? `${first}..${last}` : seeds.join(', ');
}

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
