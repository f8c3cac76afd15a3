/** Terminal formatting helpers shared by the commands. */
import { BETTER, type CompareMetric } from '../analysis/metrics.js';

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

/** A plain left/right aligned table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
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

/** A table whose every column is left-aligned (text rather than numbers); no trailing spaces. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
