/**
 * The report of one run (`invsim run --report`): what it cost in plain words and money, its
 * numbers, the per-run charts, the oversells explained, its assertions, and how to replay it.
 * One seed has no confidence interval; the summary says so and points at `compare`.
 */
import type { CheckReport } from '../analysis/check.js';
import { COMPARE_METRICS, compareMetrics, observe } from '../analysis/metrics.js';
import type { CsvRow } from '../analysis/output.js';
import type { Scenario } from '../scenarios/schema.js';
import type { SimulationResult } from '../model/result.js';
import { engineConfig } from '../scenarios/compile.js';
import { channelCeilings } from './capacity.js';
import { renderChart } from './charts.js';
import { assertionsSentence, strategyWords } from './compare.js';
import { REPORT_KIND, type BuiltReport, type ReportDocument } from './document.js';
import { frequencyWords } from '../scenarios/economics.js';
import { fmtDuration, fmtMetric, fmtMoney, fmtMs, fmtNumber, fmtPercent } from './format.js';
import { datum, esc, pointer, table, th } from './html.js';
import { assertionsSection, channelTable, figures, oversellExplanations, reproducibilitySection, runCharts, type Reproducibility } from './sections.js';
import { page } from './template.js';

export interface RunReportInput {
  readonly scenario: Scenario;
  readonly result: SimulationResult;
  readonly assertions: CheckReport | null;
  readonly skippedAssertions?: readonly string[];
  readonly reproducibility: Reproducibility;
}

/** A value of the result, shown and tied to its JSON pointer under /result. */
function v(result: SimulationResult, text: string, ...path: (string | number)[]): string {
  let value: unknown = result;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return datum('span', { text, value: value as number, path: pointer('result', ...path) });
}

function summaryHtml(input: RunReportInput): string {
  const r = input.result;
  const l = r.leakage;
  const durationS = input.scenario.durationS;
  // Money per run first; a year only from the scenario's frequency, with that assumption said.
  const year =
    l.frequency === null || l.perYear === null
      ? ` The scenario does not say how often it happens (<code>economics.occurrencesPerYear</code>), so this is not scaled to a day or a year.`
      : ` That is about ${v(r, fmtMoney(l.perYear.totalImpact), 'leakage', 'perYear', 'totalImpact')} a year ${esc(frequencyWords(l.frequency, durationS))}, with another ${v(r, fmtMoney(l.perYear.lostSalesRevenue), 'leakage', 'perYear', 'lostSalesRevenue')} of lost sales.`;
  const latency =
    r.latencyMs.p99 === null
      ? `No update was sent to any channel in this run: no propagation, so no latency to report.`
      : `Stock changes reached the channels within ${v(r, fmtMs(r.latencyMs.p99), 'latencyMs', 'p99')} for 99% of updates (alert threshold ${esc(fmtMs(engineConfig(input.scenario).alertThresholdMs))}).`;
  return `<div class="summary" data-strategy="${esc(r.strategy)}">
<p class="headline">${esc(r.strategy)} on ${esc(r.scenario)}, seed ${r.seed}: ${v(r, fmtNumber(r.oversells), 'oversells')} oversells and ${v(r, fmtNumber(r.lostSales), 'lostSales')} lost sales in ${esc(fmtDuration(durationS))} simulated.</p>
<p>Oversells cost ${v(r, fmtMoney(l.perRun.totalImpact), 'leakage', 'perRun', 'totalImpact')} in this run (${v(r, fmtMoney(l.perRun.directRevenueLoss), 'leakage', 'perRun', 'directRevenueLoss')} in cancelled orders and ${v(r, fmtMoney(l.perRun.ltvErosion), 'leakage', 'perRun', 'ltvErosion')} in lifetime value of customers who churn). Customers turned away by listings showing 0 cost another ${v(r, fmtMoney(l.perRun.lostSalesRevenue), 'leakage', 'perRun', 'lostSalesRevenue')}.${year} The seed article's closed-form model, a daily figure by its definition, predicts ${v(r, fmtMoney(l.seedModel.totalDailyImpact), 'leakage', 'seedModel', 'totalDailyImpact')} a day for its inputs.</p>
<p>${latency} Listings kept a mean confidence of ${v(r, fmtNumber(r.freshness.meanConfidence, 3), 'freshness', 'meanConfidence')} and were invisible ${v(r, fmtPercent(r.freshness.invisibleFraction, 2), 'freshness', 'invisibleFraction')} of the time. ${r.integrityViolations === 0 ? 'The engine kept its integrity: no invariant was broken.' : `${v(r, fmtNumber(r.integrityViolations), 'integrityViolations')} integrity violations.`} ${r.converged ? 'Every channel converged to the source of truth after the faults stopped.' : 'The channels did NOT converge to the source of truth after the faults stopped.'}</p>
${assertionsSentence(input.assertions)}
<p class="note">One seed gives one sample, with no confidence interval: <code>invsim compare ${esc(input.reproducibility.file)} --scenario ${esc(r.scenario)}</code> runs every strategy on many seeds. Money is in the scenario's currency units.</p>
</div>`;
}

function numbersTable(r: SimulationResult): string {
  const observed = compareMetrics(observe(r));
  const paths: Record<(typeof COMPARE_METRICS)[number], (string | number)[]> = {
    oversells: ['oversells'],
    lostSales: ['lostSales'],
    integrityViolations: ['integrityViolations'],
    listingLatencyMsP99: ['listingLatencyMs', 'p99'],
    latencyMsP99: ['latencyMs', 'p99'],
    staleWindowMsP99: ['staleWindowMs', 'p99'],
    meanConfidence: ['freshness', 'meanConfidence'],
    invisibleFraction: ['freshness', 'invisibleFraction'],
    impactPerRun: ['leakage', 'perRun', 'totalImpact'],
    totalDailyImpact: ['leakage', 'totalDailyImpact'],
    apiCalls: ['api', 'calls'],
    dlqParked: ['dlq', 'parked'],
  };
  const rows = COMPARE_METRICS.map((m) => `<th scope="row">${esc(m)}</th><td data-metric="${m}">${datum('span', { text: fmtMetric(m, observed[m]), value: observed[m], path: pointer('result', ...paths[m]) })}</td>`);
  return table({ caption: `The compared metrics of this run (names as in scenario assert blocks).`, head: [th('metric'), th('value')], rows });
}

export async function buildRunReport(input: RunReportInput): Promise<BuiltReport<SimulationResult>> {
  const { result, scenario } = input;
  const ceilings = channelCeilings(scenario);
  const views = [{ result, path: '/result' }];
  const charts = await Promise.all(runCharts({ idPrefix: 'run-', runs: views, strategies: [result.strategy], thresholdMs: engineConfig(scenario).alertThresholdMs, durationS: scenario.durationS, ceilings }).map(renderChart));
  const json: ReportDocument<SimulationResult> = {
    kind: REPORT_KIND,
    version: 1,
    report: 'run',
    reproducibility: input.reproducibility,
    assertions: input.assertions,
    result,
    runs: [],
    summary: { strategy: result.strategy, seed: result.seed, oversells: result.oversells, lostSales: result.lostSales, impactPerRun: result.leakage.perRun.totalImpact, totalDailyImpact: result.leakage.totalDailyImpact, assertionsHeld: input.assertions === null ? null : input.assertions.passed },
  };
  const html = page({
    kind: 'run',
    title: `invsim: ${scenario.name} / ${result.strategy} / seed ${result.seed}`,
    subtitle: `One run: ${strategyWords(scenario, result.strategy)} invsim ${input.reproducibility.invsimVersion}.`,
    sections: [
      { id: 'summary', heading: 'Executive summary', html: summaryHtml(input) },
      { id: 'numbers', heading: 'Numbers', html: numbersTable(result) },
      { id: 'runs', heading: `The run (seed ${result.seed})`, html: `${figures(charts)}${channelTable(views, ceilings)}` },
      { id: 'oversells', heading: 'Oversell explanations', html: oversellExplanations(views) },
      { id: 'assertions', heading: 'Assertions', html: assertionsSection(input.assertions, { path: '/assertions', ...(input.skippedAssertions === undefined ? {} : { skipped: input.skippedAssertions }) }) },
      { id: 'reproduce', heading: 'Reproducibility', html: reproducibilitySection(input.reproducibility, [{ label: result.strategy, seed: result.seed, traceHash: result.traceHash, path: '/result/traceHash' }], '/reproducibility') },
    ],
  });
  const observed = compareMetrics(observe(result));
  const csv: CsvRow[] = [
    ['scenario', 'strategy', 'seed', 'traceHash', ...COMPARE_METRICS],
    [result.scenario, result.strategy, result.seed, result.traceHash, ...COMPARE_METRICS.map((m) => observed[m])],
  ];
  return { html, json, csv, charts };
}
