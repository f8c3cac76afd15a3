/** Terminal formatting helpers shared by the commands. */

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

/** A compared metric's value in its unit: counts to 1 decimal, milliseconds as durations, fractions as such. */
export function fmtMetric(metric: string, x: number): string {
  const sign = x < 0 ? '-' : '';
  const abs = Math.abs(x);
  switch (metric) {
    case 'latencyMsP99':
    case 'staleWindowMsP99':
    case 'convergenceMs':
      return `${sign}${fmtMs(abs)}`;
    case 'meanConfidence':
      return fmtNumber(x, 4);
    case 'invisibleFraction':
    case 'belowMinConfidenceFraction':
      return fmtPercent(x, 2);
    case 'totalDailyImpact':
      return fmtNumber(x, 0);
    default:
      return fmtNumber(x, 1);
  }
}

/** `mean ± half-width` of a 95% interval. */
export function fmtEstimate(metric: string, e: { readonly mean: number; readonly ci95: readonly [number, number] }): string {
  return `${fmtMetric(metric, e.mean)} ± ${fmtMetric(metric, (e.ci95[1] - e.ci95[0]) / 2)}`;
}

/** A paired difference: signed mean ± half-width, `*` when the interval excludes zero. */
export function fmtDifference(metric: string, d: { readonly meanDiff: number; readonly ci95: readonly [number, number] }): string {
  const significant = d.ci95[0] > 0 || d.ci95[1] < 0;
  const mean = `${d.meanDiff > 0 ? '+' : ''}${fmtMetric(metric, d.meanDiff)}`;
  return `${mean} ± ${fmtMetric(metric, (d.ci95[1] - d.ci95[0]) / 2)}${significant ? ' *' : '  '}`;
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
