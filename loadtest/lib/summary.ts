/**
 * The text half of handleSummary: a compact end-of-test summary (every threshold with its result
 * and observed value, then every metric), written without k6's remote jslib so a script runs
 * offline. Pure: the tests feed it summary data shaped like k6's.
 */

export interface SummaryMetric {
  readonly type: 'counter' | 'gauge' | 'rate' | 'trend';
  readonly contains?: 'default' | 'time' | 'data';
  readonly values: Readonly<Record<string, number>>;
  readonly thresholds?: Readonly<Record<string, { readonly ok: boolean }>>;
}

export interface SummaryData {
  readonly metrics: Readonly<Record<string, SummaryMetric>>;
  readonly state?: { readonly testRunDurationMs?: number };
}

function num(x: number | undefined, digits = 2): string {
  if (x === undefined || !isFinite(x)) return '-';
  return Math.abs(x) >= 1e6 || Number.isInteger(x) ? String(Math.round(x * 100) / 100) : x.toFixed(digits);
}

function time(x: number | undefined): string {
  if (x === undefined || !isFinite(x)) return '-';
  return x >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${x.toFixed(2)}ms`;
}

/** The metric's values in one line, as k6 prints them. */
export function formatValues(m: SummaryMetric): string {
  const v = m.values;
  switch (m.type) {
    case 'trend': {
      const f = m.contains === 'time' ? time : (x: number | undefined) => num(x);
      return Object.keys(v)
        .filter((k) => k !== 'count')
        .map((k) => `${k}=${f(v[k])}`)
        .join(' ');
    }
    case 'rate':
      return `rate=${num((v['rate'] ?? 0) * 100)}% (${num(v['passes'])} of ${num((v['passes'] ?? 0) + (v['fails'] ?? 0))})`;
    case 'counter':
      return `count=${num(v['count'])} rate=${num(v['rate'])}/s`;
    case 'gauge':
      return `value=${num(v['value'])}`;
  }
}

export function thresholdResults(data: SummaryData): { metric: string; expression: string; ok: boolean }[] {
  const results: { metric: string; expression: string; ok: boolean }[] = [];
  for (const name of Object.keys(data.metrics).sort()) {
    const t = data.metrics[name]!.thresholds;
    if (t === undefined) continue;
    for (const expression of Object.keys(t)) results.push({ metric: name, expression, ok: t[expression]!.ok });
  }
  return results;
}

export function renderTextSummary(data: SummaryData, title: string): string {
  const lines: string[] = [];
  const durationMs = data.state?.testRunDurationMs;
  lines.push(`${title}${durationMs === undefined ? '' : `, ran ${time(durationMs)}`}`, '');
  const results = thresholdResults(data);
  const failed = results.filter((r) => !r.ok).length;
  lines.push(`  thresholds: ${results.length - failed} passed, ${failed} failed`);
  for (const r of results) {
    const m = data.metrics[r.metric]!;
    lines.push(`    ${r.ok ? '✓' : '✗'} ${r.metric} ${r.expression}   (${formatValues(m)})`);
  }
  lines.push('');
  const names = Object.keys(data.metrics).sort();
  const width = Math.min(48, names.reduce((w, n) => Math.max(w, n.length), 0) + 2);
  for (const name of names) {
    const label = `${name} `.padEnd(width, '.');
    lines.push(`  ${label}: ${formatValues(data.metrics[name]!)}`);
  }
  lines.push('');
  return lines.join('\n');
}
