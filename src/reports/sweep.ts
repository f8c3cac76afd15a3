/**
 * The sweep report (`invsim sweep --report`): each compared metric against the swept parameter,
 * with 95% intervals, for every strategy; the best value in money; the assertions at each value.
 * The parameter is named in words with its unit (param-label.ts), its values in that unit
 * (900 of an `…S` parameter reads "15 min"), and each panel's axis in the unit that suits it.
 */
import type { AssertionOutcome, CheckReport } from '../analysis/check.js';
import { COMPARE_METRICS, type CompareMetric } from '../analysis/metrics.js';
import type { ParamValue } from '../analysis/params.js';
import { sweepRunRows, type SweepResult } from '../analysis/sweep.js';
import type { Scenario } from '../scenarios/schema.js';
import { frequencyWords, type Frequency } from '../scenarios/economics.js';
import { durationUnit, renderChart, sweepSpec, type Chart, type SweepPanel } from './charts.js';
import { REPORT_KIND, type BuiltReport, type ReportDocument } from './document.js';
import { fmtDuration, fmtMetric, fmtMoney, fmtSeeds, listWords, METRIC_INFO, metricHeading, noDataWords } from './format.js';
import { datum, esc, pointer, table, th } from './html.js';
import { capitalized, paramLabel, paramUnit, paramValueText, type ParamLabel } from './param-label.js';
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

interface Extremes {
  readonly value: ParamValue;
  readonly mean: number;
  readonly worst: ParamValue;
  readonly worstMean: number;
}

/** The values with the least and the most revenue lost to oversells per run, for one strategy. */
function best(result: SweepResult, strategyIndex: number): Extremes | undefined {
  const scored = result.points.flatMap((p) => {
    const e = p.strategies[strategyIndex]!.metrics.impactPerRun;
    return e === null ? [] : [{ value: p.value, mean: e.mean }];
  });
  const sorted = [...scored].sort((a, b) => a.mean - b.mean);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  return first === undefined || last === undefined ? undefined : { value: first.value, mean: first.mean, worst: last.value, worstMean: last.mean };
}

/** The one frequency every value shares, or null (none declared, or a sweep over the run length). */
function sharedFrequency(result: SweepResult): Frequency | null {
  const first = result.points[0]?.frequency ?? null;
  return first !== null && result.points.every((p) => JSON.stringify(p.frequency) === JSON.stringify(first)) ? first : null;
}

/** The swept values in words, with their unit: "1 min, 15 min and 1 h". */
function valuesWords(label: ParamLabel, result: SweepResult): string {
  return listWords(result.points.map((p) => paramValueText(label, p.value)));
}

function summaryHtml(input: SweepReportInput, label: ParamLabel, assertions: CheckReport | null): string {
  const { result, scenario } = input;
  const strategies = result.points[0]?.strategies.map((s) => s.strategy) ?? [];
  const at = (value: ParamValue): string => `${label.words} = ${paramValueText(label, value)}`;
  const frequency = sharedFrequency(result);
  const lines = strategies.map((name, i) => {
    const b = best(result, i);
    if (b === undefined) return `<li><strong>${esc(name)}</strong>: no value of the ${esc(label.words)} has a revenue figure.</li>`;
    const p = result.points.findIndex((x) => x.value === b.value);
    const path = pointer('result', 'points', p, 'strategies', i, 'metrics', 'impactPerRun', 'mean');
    const year = frequency === null ? '' : `, about ${esc(fmtMoney((b.worstMean - b.mean) * frequency.occurrencesPerYear))} a year ${esc(frequencyWords(frequency, scenario.durationS))}`;
    return `<li><strong>${esc(name)}</strong>: the least revenue lost to oversells at ${esc(label.words)} = <strong data-best="${esc(String(b.value))}">${esc(paramValueText(label, b.value))}</strong>, ${datum('span', { text: fmtMoney(b.mean), value: b.mean, path })} per run` +
      (b.worst === b.value ? '.' : `; the most at ${esc(at(b.worst))}, ${esc(fmtMoney(b.worstMean))} per run: a difference of ${esc(fmtMoney(b.worstMean - b.mean))} per run${year}.`) +
      '</li>';
  });
  const verdict =
    assertions === null
      ? '<p>The scenario asserts nothing about these strategies.</p>'
      : assertions.passed
        ? `<p class="verdict-pass" data-assertions="held">Every assertion held at every value, on every seed (${assertions.assertions} checks).</p>`
        : `<p class="verdict-fail" data-assertions="failed">${assertions.failed} of ${assertions.assertions} checks failed; see the assertions section.</p>`;
  const headline = `${capitalized(label.words)} at ${valuesWords(label, result)}: what it does to oversells, latency and the money lost on ${scenario.name}`;
  const money = frequency === null ? 'per run (one occurrence of the scenario)' : `per run (one occurrence of the scenario); a year is ${frequencyWords(frequency, scenario.durationS)}`;
  return `<div class="summary"><p class="headline" data-param="${esc(result.param)}">${esc(headline)}.</p>` +
    `<p class="note">Parameter <code>${esc(result.param)}</code>, ${result.points.length} values, ${result.seeds.length} seeds each, ${esc(listWords(strategies))}.</p>` +
    `<ul>${lines.join('')}</ul>${verdict}<p class="note">Money is in the scenario's currency units, ${esc(money)}. Means over seeds with 95% confidence intervals; every value and strategy runs on the same seeds.</p></div>`;
}

function pointTables(result: SweepResult, label: ParamLabel): string {
  const strategies = result.points[0]?.strategies.map((s) => s.strategy) ?? [];
  return strategies
    .map((name, i) => {
      const head = [th('metric (unit)'), ...result.points.map((p) => th(`${label.words} = ${paramValueText(label, p.value)}`))];
      const rows = COMPARE_METRICS.map((m) => {
        const cells = result.points.map((p, j) => {
          const e = p.strategies[i]!.metrics[m];
          const base = pointer('result', 'points', j, 'strategies', i, 'metrics', m);
          if (e === null) return `<td data-strategy="${esc(name)}" data-metric="${m}">${datum('span', { text: noDataWords(m), value: null, path: base })}</td>`;
          return `<td data-strategy="${esc(name)}" data-metric="${m}">${datum('span', { text: fmtMetric(m, e.mean), value: e.mean, path: `${base}/mean` })}<span class="ci">${datum('span', { text: fmtMetric(m, e.ci95[0]), value: e.ci95[0], path: `${base}/ci95/0` })} to ${datum('span', { text: fmtMetric(m, e.ci95[1]), value: e.ci95[1], path: `${base}/ci95/1` })}</span></td>`;
        });
        return `<th scope="row">${esc(metricHeading(m))}</th>${cells.join('')}`;
      });
      return `<h3>${esc(name)}</h3>${table({ caption: `Means over ${result.seeds.length} seeds, 95% interval below each.`, head, rows })}`;
    })
    .join('\n');
}

/** The metrics the chart plots: money per run (the day figure, where there is one, is the same curve scaled). */
const SWEEP_CHART_METRICS: readonly CompareMetric[] = COMPARE_METRICS.filter((m) => m !== 'totalDailyImpact');

const DURATION_METRICS: ReadonlySet<CompareMetric> = new Set<CompareMetric>(['listingLatencyMsP99', 'latencyMsP99', 'staleWindowMsP99']);

/** A panel's y axis: its unit (a duration in the unit that suits its largest value) and how to scale and format values. */
function panelAxis(m: CompareMetric, maxValue: number): { yTitle: string; divisor: number; yFormat?: string } {
  const info = METRIC_INFO[m];
  if (DURATION_METRICS.has(m)) {
    const unit = durationUnit(maxValue);
    return { yTitle: `${unit.name === 'min' ? 'minutes' : unit.name === 'h' ? 'hours' : unit.name === 's' ? 'seconds' : 'milliseconds'}`, divisor: unit.ms };
  }
  if (m === 'invisibleFraction') return { yTitle: '% of listing-time', divisor: 0.01 };
  if (m === 'meanConfidence') return { yTitle: 'mean confidence (0 to 1)', divisor: 1 };
  if (m === 'impactPerRun') return { yTitle: 'money per run (currency units)', divisor: 1, yFormat: ',.0f' };
  if (m === 'integrityViolations') return { yTitle: 'violations per run', divisor: 1 };
  if (m === 'apiCalls') return { yTitle: 'calls per run', divisor: 1 };
  return { yTitle: info.unit, divisor: 1 };
}

function sweepChart(result: SweepResult, label: ParamLabel): Chart {
  const strategies = result.points[0]?.strategies.map((s) => s.strategy) ?? [];
  const numeric = result.points.every((p) => typeof p.value === 'number');
  const unit = numeric ? paramUnit(label, result.points.map((p) => p.value)) : null;
  // The x axis in the unit of the title: 900 of a `…S` parameter is 15 on an axis in minutes.
  const xOf = (v: ParamValue): number | string => (typeof v === 'boolean' ? String(v) : typeof v === 'number' && unit !== null && label.durationMs !== null ? Number(((v * label.durationMs) / unit.ms).toPrecision(6)) : v);
  const xValues = result.points.map((p) => xOf(p.value));
  const nums = numeric ? (xValues as number[]) : [];
  const logX = numeric && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) >= 100;
  const empty: string[] = [];
  const panels: SweepPanel[] = [];
  for (const m of SWEEP_CHART_METRICS) {
    const estimates = result.points.flatMap((p) => p.strategies.map((s) => ({ value: p.value, strategy: s.strategy, e: s.metrics[m] })));
    const present = estimates.filter((x): x is typeof x & { e: NonNullable<typeof x.e> } => x.e !== null);
    if (present.length === 0) {
      empty.push(METRIC_INFO[m].label.toLowerCase());
      continue;
    }
    const axis = panelAxis(m, Math.max(...present.map((x) => Math.abs(x.e.ci95[1])), ...present.map((x) => Math.abs(x.e.mean))));
    const scale = (v: number): number => Number((v / axis.divisor).toPrecision(8));
    panels.push({
      title: METRIC_INFO[m].label,
      yTitle: axis.yTitle,
      ...(axis.yFormat === undefined ? {} : { yFormat: axis.yFormat }),
      rows: present.map((x) => ({ strategy: x.strategy, value: xOf(x.value), mean: scale(x.e.mean), lo: scale(x.e.ci95[0]), hi: scale(x.e.ci95[1]) })),
    });
  }
  const paramTitle = `${label.words}${unit === null ? '' : ` (${unit.name})`}${logX ? ', log scale' : ''}`;
  const impact = strategies.map((name, i) => `${name}: ${result.points.map((p) => `${paramValueText(label, p.value)} → ${p.strategies[i]!.metrics.impactPerRun === null ? 'no figure' : fmtMoney(p.strategies[i]!.metrics.impactPerRun!.mean)}`).join(', ')}`);
  const alt = `Each compared metric (one panel each, its unit on its axis) against the ${label.words} (${result.param}), mean over ${result.seeds.length} seeds with 95% intervals, one line per strategy. Revenue lost to oversells per run: ${impact.join('; ')}.${empty.length === 0 ? '' : ` Not plotted, no data at any value: ${listWords(empty)}.`}`;
  const title = `Every metric against the ${label.words}`;
  return {
    id: 'sweep',
    title,
    alt,
    spec: sweepSpec({ title, description: alt, strategies, panels, paramTitle, numeric, logX, xValues }),
  };
}

export async function buildSweepReport(input: SweepReportInput): Promise<BuiltReport<SweepResult>> {
  const { result, scenario } = input;
  const assertions = mergeAssertions(result, input.assertions);
  const label = paramLabel(result.param, scenario);
  const charts = await Promise.all([sweepChart(result, label)].map(renderChart));
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
      paramWords: label.words,
      bestValueByStrategy: Object.fromEntries((result.points[0]?.strategies ?? []).map((s, i) => [s.strategy, best(result, i)?.value ?? null])),
      assertionsHeld: assertions === null ? null : assertions.passed,
    },
  };
  const traces = result.points.flatMap((p, j) => p.strategies.flatMap((s, i) => s.runs.map((r, k) => ({ label: `${s.strategy}, ${result.param}=${String(p.value)}`, seed: r.seed, traceHash: r.traceHash, path: pointer('result', 'points', j, 'strategies', i, 'runs', k, 'traceHash') }))));
  const html = page({
    kind: 'sweep',
    title: `invsim: ${scenario.name}, the ${label.words} swept`,
    subtitle: `${fmtDuration(scenario.durationS)} simulated per run; ${result.param} at ${valuesWords(label, result)}; seeds ${fmtSeeds(result.seeds)}. invsim ${input.reproducibility.invsimVersion}.`,
    sections: [
      { id: 'summary', heading: 'Executive summary', html: summaryHtml(input, label, assertions) },
      { id: 'charts', heading: `Metrics against the ${label.words}`, html: figures(charts) },
      { id: 'comparison', heading: 'Numbers at each value', html: pointTables(result, label) },
      { id: 'assertions', heading: 'Assertions', html: sweepAssertions(assertions, label) },
      { id: 'reproduce', heading: 'Reproducibility', html: reproducibilitySection(input.reproducibility, traces, '/reproducibility') },
    ],
  });
  return { html, json, csv: sweepRunRows(result), charts };
}

function sweepAssertions(report: CheckReport | null, label: ParamLabel): string {
  if (report === null) return assertionsSection(null, { path: '/assertions' });
  const withValues: CheckReport = { ...report, outcomes: report.outcomes.map((o) => ({ ...o, strategy: `${o.strategy} at ${paramValueText(label, (o as SweepOutcome).paramValue)}` })) };
  return assertionsSection(withValues, { path: '/assertions' });
}
