/**
 * The sweep report (`invsim sweep --report`): each compared metric against the swept parameter,
 * with 95% intervals, for every strategy; the best value in money; the assertions at each value.
 */
import type { AssertionOutcome, CheckReport } from '../analysis/check.js';
import { COMPARE_METRICS, type CompareMetric } from '../analysis/metrics.js';
import type { ParamValue } from '../analysis/params.js';
import { sweepRunRows, type SweepResult } from '../analysis/sweep.js';
import type { Scenario } from '../scenarios/schema.js';
import { renderChart, sweepSpec, type Chart, type SweepRow } from './charts.js';
import { REPORT_KIND, type BuiltReport, type ReportDocument } from './document.js';
import { DAYS_PER_YEAR, fmtDuration, fmtMetric, fmtMoney, fmtSeeds, METRIC_INFO, metricHeading } from './format.js';
import { datum, esc, pointer, table, th } from './html.js';
import { assertionsSection, figures, reproducibilitySection, type Reproducibility } from './sections.js';
import { page } from './template.js';

export interface SweepReportInput {
  readonly scenario: Scenario;
  readonly result: SweepResult;
  /** The assertions evaluated at each value, in the order of `result.points`. */
  readonly assertions: readonly (CheckReport | null)[];
  readonly reproducibility: Reproducibility;
}

/** One check report over every value: each outcome carries the value it was evaluated at. */
export type SweepOutcome = AssertionOutcome & { readonly paramValue: ParamValue };

function mergeAssertions(result: SweepResult, reports: readonly (CheckReport | null)[]): CheckReport | null {
  const outcomes: SweepOutcome[] = [];
  reports.forEach((r, i) => {
    for (const o of r?.outcomes ?? []) outcomes.push({ ...o, paramValue: result.points[i]!.value });
  });
  if (outcomes.length === 0) return null;
  const failed = outcomes.filter((o) => !o.passed).length;
  const file = reports.find((r) => r !== null)?.file ?? '';
  return { file, seeds: [...result.seeds], passed: failed === 0, assertions: outcomes.length, failed, outcomes };
}

function best(result: SweepResult, strategyIndex: number): { value: ParamValue; mean: number; worst: ParamValue; worstMean: number } | undefined {
  const scored = result.points.map((p) => ({ value: p.value, mean: p.strategies[strategyIndex]!.metrics.totalDailyImpact.mean }));
  const sorted = [...scored].sort((a, b) => a.mean - b.mean);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  return first === undefined || last === undefined ? undefined : { value: first.value, mean: first.mean, worst: last.value, worstMean: last.mean };
}

function summaryHtml(input: SweepReportInput, assertions: CheckReport | null): string {
  const { result } = input;
  const strategies = result.points[0]?.strategies.map((s) => s.strategy) ?? [];
  const lines = strategies.map((name, i) => {
    const b = best(result, i);
    if (b === undefined) return '';
    const p = result.points.findIndex((x) => x.value === b.value);
    const path = pointer('result', 'points', p, 'strategies', i, 'metrics', 'totalDailyImpact', 'mean');
    return `<li><strong>${esc(name)}</strong>: the least revenue lost to oversells at ${esc(result.param)} = <strong data-best="${esc(String(b.value))}">${esc(String(b.value))}</strong>, ${datum('span', { text: fmtMoney(b.mean), value: b.mean, path })} a day` +
      (b.worst === b.value ? '.' : `; the most at ${esc(String(b.worst))}, ${esc(fmtMoney(b.worstMean))} a day: a difference of ${esc(fmtMoney(b.worstMean - b.mean))} a day, about ${esc(fmtMoney((b.worstMean - b.mean) * DAYS_PER_YEAR))} a year.`) +
      '</li>';
  });
  const verdict =
    assertions === null
      ? '<p>The scenario asserts nothing about these strategies.</p>'
      : assertions.passed
        ? `<p class="verdict-pass" data-assertions="held">Every assertion held at every value, on every seed (${assertions.assertions} checks).</p>`
        : `<p class="verdict-fail" data-assertions="failed">${assertions.failed} of ${assertions.assertions} checks failed; see the assertions section.</p>`;
  return `<div class="summary"><p class="headline">${esc(result.param)} swept over ${result.points.length} values on ${esc(result.scenario)}, ${result.seeds.length} seeds each.</p><ul>${lines.join('')}</ul>${verdict}<p class="note">Money is in the scenario's currency units, per simulated day; a year is 365 such days. Means over seeds with 95% confidence intervals; every value and strategy runs on the same seeds.</p></div>`;
}

function pointTables(result: SweepResult): string {
  const strategies = result.points[0]?.strategies.map((s) => s.strategy) ?? [];
  return strategies
    .map((name, i) => {
      const head = [th('metric (unit)'), ...result.points.map((p) => th(`${result.param.split('.').pop() ?? result.param} = ${String(p.value)}`))];
      const rows = COMPARE_METRICS.map((m) => {
        const cells = result.points.map((p, j) => {
          const e = p.strategies[i]!.metrics[m];
          const base = pointer('result', 'points', j, 'strategies', i, 'metrics', m);
          return `<td data-strategy="${esc(name)}" data-metric="${m}">${datum('span', { text: fmtMetric(m, e.mean), value: e.mean, path: `${base}/mean` })}<span class="ci">${datum('span', { text: fmtMetric(m, e.ci95[0]), value: e.ci95[0], path: `${base}/ci95/0` })} to ${datum('span', { text: fmtMetric(m, e.ci95[1]), value: e.ci95[1], path: `${base}/ci95/1` })}</span></td>`;
        });
        return `<th scope="row">${esc(metricHeading(m))}</th>${cells.join('')}`;
      });
      return `<h3>${esc(name)}</h3>${table({ caption: `Means over ${result.seeds.length} seeds, 95% interval below each.`, head, rows })}`;
    })
    .join('\n');
}

const SWEEP_CHART_METRICS: readonly CompareMetric[] = COMPARE_METRICS;

function unitLabel(m: CompareMetric): string {
  const info = METRIC_INFO[m];
  if (m === 'latencyMsP99' || m === 'staleWindowMsP99') return `${info.label} (ms)`;
  if (m === 'totalDailyImpact') return `${info.label} (money per day)`;
  return `${info.label} (${info.unit})`;
}

function sweepChart(result: SweepResult): Chart {
  const strategies = result.points[0]?.strategies.map((s) => s.strategy) ?? [];
  const rows: SweepRow[] = [];
  for (const p of result.points) {
    for (const s of p.strategies) {
      for (const m of SWEEP_CHART_METRICS) rows.push({ metric: unitLabel(m), strategy: s.strategy, value: typeof p.value === 'boolean' ? String(p.value) : p.value, mean: s.metrics[m].mean, lo: s.metrics[m].ci95[0], hi: s.metrics[m].ci95[1] });
    }
  }
  const numeric = result.points.every((p) => typeof p.value === 'number');
  const nums = numeric ? result.points.map((p) => p.value as number) : [];
  const logX = numeric && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) >= 100;
  const impact = strategies.map((name, i) => `${name}: ${result.points.map((p) => `${String(p.value)} → ${fmtMoney(p.strategies[i]!.metrics.totalDailyImpact.mean)}`).join(', ')}`);
  const alt = `Each compared metric (one panel each) against ${result.param}, mean over ${result.seeds.length} seeds with 95% intervals, one line per strategy. Revenue lost to oversells per day: ${impact.join('; ')}.`;
  const title = `Every metric against ${result.param}`;
  return {
    id: 'sweep',
    title,
    alt,
    spec: sweepSpec({ title, description: alt, strategies, rows, metrics: SWEEP_CHART_METRICS.map(unitLabel), paramTitle: `${result.param}${logX ? ' (log scale)' : ''}`, numeric, logX }),
  };
}

export async function buildSweepReport(input: SweepReportInput): Promise<BuiltReport<SweepResult>> {
  const { result, scenario } = input;
  const assertions = mergeAssertions(result, input.assertions);
  const charts = await Promise.all([sweepChart(result)].map(renderChart));
  const json: ReportDocument<SweepResult> = {
    kind: REPORT_KIND,
    version: 1,
    report: 'sweep',
    reproducibility: input.reproducibility,
    assertions,
    result,
    runs: [],
    summary: {
      param: result.param,
      bestValueByStrategy: Object.fromEntries((result.points[0]?.strategies ?? []).map((s, i) => [s.strategy, best(result, i)?.value ?? null])),
      assertionsHeld: assertions === null ? null : assertions.passed,
    },
  };
  const traces = result.points.flatMap((p, j) => p.strategies.flatMap((s, i) => s.runs.map((r, k) => ({ label: `${s.strategy}, ${result.param}=${String(p.value)}`, seed: r.seed, traceHash: r.traceHash, path: pointer('result', 'points', j, 'strategies', i, 'runs', k, 'traceHash') }))));
  const html = page({
    kind: 'sweep',
    title: `invsim: ${scenario.name}, ${result.param} swept`,
    subtitle: `${fmtDuration(scenario.durationS)} simulated per run, values ${result.points.map((p) => String(p.value)).join(', ')}, seeds ${fmtSeeds(result.seeds)}. invsim ${input.reproducibility.invsimVersion}.`,
    sections: [
      { id: 'summary', heading: 'Executive summary', html: summaryHtml(input, assertions) },
      { id: 'charts', heading: `Metrics against ${result.param}`, html: figures(charts) },
      { id: 'comparison', heading: 'Numbers at each value', html: pointTables(result) },
      { id: 'assertions', heading: 'Assertions', html: sweepAssertions(assertions) },
      { id: 'reproduce', heading: 'Reproducibility', html: reproducibilitySection(input.reproducibility, traces, '/reproducibility') },
    ],
  });
  return { html, json, csv: sweepRunRows(result), charts };
}

function sweepAssertions(report: CheckReport | null): string {
  if (report === null) return assertionsSection(null, { path: '/assertions' });
  const withValues: CheckReport = { ...report, outcomes: report.outcomes.map((o) => ({ ...o, strategy: `${o.strategy} at ${String((o as SweepOutcome).paramValue)}` })) };
  return assertionsSection(withValues, { path: '/assertions' });
}
