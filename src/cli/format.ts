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
