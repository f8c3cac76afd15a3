/**
 * The live report (`invsim live-report`): a k6 run against a deployment, next to what the
 * simulation predicts for the same scenario and strategy.
 *
 * A live run is one sample, so it is judged against a 95% *prediction* interval for one run
 * (mean ± t·s·√(1 + 1/n) over the simulated seeds), not against the narrower confidence interval
 * of the mean, which the table shows too. k6 compresses time (`--speedup`), so counts that scale
 * with volume are compared per 1,000 orders the channels took; latencies and integrity compare
 * as they are. Figures without a live equivalent (lost sales, time-integrated freshness, the heal
 * phase) are not compared; the freshness the service reports is the value at the end of the run.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import type { CheckReport } from '../analysis/check.js';
import { describeAssertion, holds, scenarioAssertions } from '../analysis/check.js';
import type { CsvRow } from '../analysis/output.js';
import { estimate, roundStat, tQuantile975, type Estimate } from '../analysis/stats.js';
import type { AssertableMetric, Scenario } from '../scenarios/schema.js';
import type { SimulationResult } from '../sim/result.js';
import { engineConfig } from '../sim/world.js';
import { groupedBarsSpec, intervalBarsSpec, latencyCdfSpec, renderChart, type CdfRow, type Chart, type MarkRow } from './charts.js';
import { REPORT_KIND, type BuiltReport, type ReportDocument } from './document.js';
import { fmtMoney, fmtMs, fmtNumber, fmtPercent, fmtSeeds, listWords } from './format.js';
import { datum, el, esc, pointer, table, th } from './html.js';
import type { LiveAudit, LiveK6 } from './live-input.js';
import { assertionsSection, figures, reproducibilitySection, type Reproducibility } from './sections.js';
import { page } from './template.js';

export interface Prediction extends Estimate {
  /** 95% prediction interval for a single run. */
  readonly pi95: readonly [number, number];
}

export interface LiveMeasure {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly live: number | null;
  readonly predicted: Prediction | null;
  /** The per-seed values the prediction comes from, in seed order. */
  readonly perSeed: readonly number[];
  /** Whether the live value lies within the prediction interval; null when either side is missing. */
  readonly withinPrediction: boolean | null;
  readonly note: string | null;
}

export interface LiveChannel {
  readonly channel: string;
  readonly liveP99Ms: number | null;
  readonly liveCount: number | null;
  readonly predictedP99Ms: Prediction | null;
}

export interface LiveAssertion {
  readonly assertion: string;
  readonly metric: AssertableMetric;
  readonly live: number | null;
  /** null: the metric has no live equivalent (or the audit did not report it). */
  readonly held: boolean | null;
}

export interface LiveResult {
  readonly scenario: string;
  readonly strategy: string;
  readonly seeds: readonly number[];
  readonly live: { readonly k6: LiveK6; readonly audit: LiveAudit };
  readonly measures: readonly LiveMeasure[];
  readonly channels: readonly LiveChannel[];
  readonly liveAssertions: readonly LiveAssertion[];
  readonly predictedRuns: readonly { readonly seed: number; readonly traceHash: string }[];
}

export interface LiveReportInput {
  readonly scenario: Scenario;
  readonly strategy: string;
  readonly k6: LiveK6;
  readonly audit: LiveAudit;
  /** The simulated runs of the prediction, one per seed, in seed order. */
  readonly predicted: readonly SimulationResult[];
  /** The scenario's assertions evaluated on the predicted runs. */
  readonly assertions: CheckReport | null;
  readonly reproducibility: Reproducibility;
}

/**
 * Mean, 95% CI of the mean, and 95% prediction interval for one more run, all clamped to the
 * measure's possible range (every measure here is a count, a duration or a share: never negative).
 */
export function prediction(values: readonly number[], range: { min: number; max: number } = { min: 0, max: Number.POSITIVE_INFINITY }): Prediction | null {
  if (values.length === 0) return null;
  const clamp = (x: number): number => roundStat(Math.min(range.max, Math.max(range.min, x)));
  if (values.length === 1) {
    const v = roundStat(values[0]!);
    return { mean: v, ci95: [v, v], pi95: [v, v] };
  }
  const e = estimate(values);
  const half = tQuantile975(values.length - 1) * sampleStandardDeviation([...values]) * Math.sqrt(1 + 1 / values.length);
  const m = mean([...values]);
  return { mean: e.mean, ci95: [clamp(e.ci95[0]), clamp(e.ci95[1])], pi95: [clamp(m - half), clamp(m + half)] };
}

function within(live: number | null, p: Prediction | null): boolean | null {
  if (live === null || p === null) return null;
  const eps = 1e-9 * Math.max(1, Math.abs(live));
  return live >= p.pi95[0] - eps && live <= p.pi95[1] + eps;
}

/** Orders the channels took in the live run: distinct orders less those their listings did not show. */
function liveOrdersTaken(a: LiveAudit): number {
  return (a.ordersDistinct ?? a.applied + a.rejected) - (a.notListed ?? 0);
}

function per1000(n: number, d: number): number | null {
  return d > 0 ? roundStat((n / d) * 1000) : null;
}

function measure(id: string, label: string, unit: string, live: number | null, perSeed: readonly (number | null)[], note: string | null = null): LiveMeasure {
  const values = perSeed.filter((v): v is number => v !== null);
  const predicted = prediction(values, { min: 0, max: id === 'meanConfidence' ? 1 : Number.POSITIVE_INFINITY });
  return { id, label, unit, live, predicted, perSeed: values, withinPrediction: within(live, predicted), note };
}

/** Assertable metrics a live run measures, and where the audit has them. */
const LIVE_ASSERTABLE: Partial<Record<AssertableMetric, (a: LiveAudit) => number | null>> = {
  oversells: (a) => a.oversells,
  integrityViolations: (a) => a.integrityViolations,
  latencyMsP99: (a) => a.latencyMsP99,
  dlqParked: (a) => a.dlqParked,
};

export function liveResult(input: Omit<LiveReportInput, 'reproducibility' | 'assertions'>): LiveResult {
  const { audit, predicted } = input;
  const taken = liveOrdersTaken(audit);
  const measures: LiveMeasure[] = [
    measure('oversellsPer1000', 'Oversells', 'per 1,000 orders taken', per1000(audit.oversells, taken), predicted.map((r) => per1000(r.oversells, r.orders.placed))),
    measure('integrityViolations', 'Integrity violations', 'count', audit.integrityViolations, predicted.map((r) => r.integrityViolations)),
    measure('latencyMsP99', 'Propagation latency p99', 'ms', audit.latencyMsP99, predicted.map((r) => r.latencyMs.p99)),
    measure('dlqParked', 'Parked in the DLQ', 'updates per run', audit.dlqParked, predicted.map((r) => r.dlq.parked), 'a count per run: the live run is time-compressed, so compare with care'),
    measure('duplicatesPer1000', 'Duplicate deliveries', 'per 1,000 orders taken', per1000(audit.duplicates, taken), predicted.map((r) => per1000(r.orders.duplicatesIgnored, r.orders.placed))),
    measure('meanConfidence', 'Listing freshness', 'mean confidence, 0 to 1', audit.meanConfidence, predicted.map((r) => r.freshness.meanConfidence), 'live: the value when the audit ran; predicted: the average over the run'),
  ];
  const channelIds = input.scenario.channels.map((c) => c.id);
  const channels = channelIds.map((channel) => {
    const live = audit.latencyMsByChannel[channel];
    const values = predicted.map((r) => r.channels.find((c) => c.id === channel)).filter((c) => c !== undefined && c.latencyMs.count > 0).map((c) => c!.latencyMs.p99);
    return { channel, liveP99Ms: live?.p99 ?? null, liveCount: live?.count ?? null, predictedP99Ms: prediction(values) };
  });
  const liveAssertions = scenarioAssertions(input.scenario)
    .filter((a) => a.strategy === input.strategy)
    .map((a) => {
      const read = LIVE_ASSERTABLE[a.metric];
      const live = read === undefined ? null : read(audit);
      return { assertion: describeAssertion(a), metric: a.metric, live, held: live === null ? null : holds(a.expected, live) };
    });
  return {
    scenario: input.scenario.name,
    strategy: input.strategy,
    seeds: predicted.map((r) => r.seed),
    live: { k6: input.k6, audit },
    measures,
    channels,
    liveAssertions,
    predictedRuns: predicted.map((r) => ({ seed: r.seed, traceHash: r.traceHash })),
  };
}

function fmtMeasure(id: string, x: number): string {
  switch (id) {
    case 'latencyMsP99':
      return fmtMs(x);
    case 'meanConfidence':
      return fmtNumber(x, 3);
    case 'integrityViolations':
    case 'dlqParked':
      return fmtNumber(x, Number.isInteger(x) ? 0 : 1);
    default:
      return fmtNumber(x, 1);
  }
}

function summaryHtml(input: LiveReportInput, r: LiveResult): string {
  const a = input.audit;
  const comparable = r.measures.filter((m) => m.withinPrediction !== null);
  const outside = comparable.filter((m) => m.withinPrediction === false);
  const econ = input.scenario.economics;
  const perOversell = econ.averageOrderValue + econ.customerLifetimeValue * econ.churnMultiplier;
  const k = input.k6;
  const failedThresholds = k.thresholds.filter((t) => !t.ok);
  const measurePath = (i: number, ...rest: (string | number)[]): string => pointer('result', 'measures', i, ...rest);
  const outsideWords = outside.map((m) => {
    const i = r.measures.indexOf(m);
    return `${esc(m.label.toLowerCase())} (${esc(m.unit)}): live ${datum('span', { text: fmtMeasure(m.id, m.live!), value: m.live, path: measurePath(i, 'live') })}, predicted ${esc(fmtMeasure(m.id, m.predicted!.mean))} (one run: ${esc(fmtMeasure(m.id, m.predicted!.pi95[0]))} to ${esc(fmtMeasure(m.id, m.predicted!.pi95[1]))})`;
  });
  const verdict = outside.length === 0 ? 'matched the prediction' : 'departed from the prediction';
  const live = (text: string, value: number | null, ...path: (string | number)[]): string => datum('span', { text, value, path: pointer('result', 'live', 'audit', ...path) });
  const liveHeld = r.liveAssertions.filter((x) => x.held !== null);
  const liveFailed = liveHeld.filter((x) => x.held === false);
  return `<div class="summary" data-verdict="${outside.length === 0 ? 'matched' : 'departed'}">
<p class="headline">The live run ${verdict} on ${datum('strong', { text: `${comparable.length - outside.length} of ${comparable.length}`, value: comparable.length - outside.length, path: '/summary/matched' })} comparable measures (${esc(r.scenario)}, strategy ${esc(r.strategy)}, simulated on ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'}).</p>
${outside.length === 0 ? '' : `<p class="verdict-fail">Outside the range one simulated run would fall in (95% prediction interval): ${outsideWords.join('; ')}.</p>`}
<p>The service received ${live(fmtNumber(a.ordersReceived), a.ordersReceived, 'ordersReceived')} order deliveries: ${live(fmtNumber(a.applied), a.applied, 'applied')} applied, ${live(fmtNumber(a.rejected), a.rejected, 'rejected')} rejected, ${live(fmtNumber(a.duplicates), a.duplicates, 'duplicates')} duplicates ignored. ${a.integrityViolations === 0 ? 'It kept its integrity: no invariant was broken.' : `It broke its invariants ${live(fmtNumber(a.integrityViolations), a.integrityViolations, 'integrityViolations')} times.`} ` +
    `It oversold ${live(fmtNumber(a.oversells), a.oversells, 'oversells')} order${a.oversells === 1 ? '' : 's'}, which would cost about ${datum('span', { text: fmtMoney(a.oversells * perOversell), value: roundStat(a.oversells * perOversell), path: '/summary/liveOversellCost' })} in the scenario's currency units (order value ${esc(fmtMoney(econ.averageOrderValue))} plus lifetime value ${esc(fmtMoney(econ.customerLifetimeValue))} × ${esc(String(econ.churnMultiplier))} lost to churn, each).</p>
<p>k6: ${k.httpReqs === null ? 'no request count' : `${esc(fmtNumber(k.httpReqs))} requests`}${k.httpReqDurationMs.p99 === null ? '' : `, HTTP p99 ${esc(fmtMs(k.httpReqDurationMs.p99))}`}${k.checksRate === null ? '' : `, ${esc(fmtPercent(k.checksRate, 2))} of checks passed`}. ${k.thresholds.length === 0 ? 'The summary has no thresholds.' : failedThresholds.length === 0 ? `<span class="verdict-pass">All ${k.thresholds.length} k6 thresholds passed.</span>` : `<span class="verdict-fail">${failedThresholds.length} of ${k.thresholds.length} k6 thresholds failed: ${esc(listWords(failedThresholds.map((t) => `${t.metric} ${t.expression}`)))}.</span>`}</p>
<p>${liveHeld.length === 0 ? 'No assertion of the scenario has a live equivalent.' : liveFailed.length === 0 ? `<span class="verdict-pass">Every assertion with a live equivalent held on the live run (${esc(listWords(liveHeld.map((x) => x.assertion)))}).</span>` : `<span class="verdict-fail">Assertions that failed on the live run: ${esc(listWords(liveFailed.map((x) => `${x.assertion} (live ${String(x.live)})`)))}.</span>`} ${input.assertions === null ? '' : input.assertions.passed ? 'The simulated prediction met every assertion on every seed.' : `The simulated prediction failed ${input.assertions.failed} of ${input.assertions.assertions} assertions.`}</p>
<p class="note">A live run is one sample: it is judged against the 95% prediction interval of a single simulated run, not the confidence interval of the mean. Counts that grow with volume are per 1,000 orders the channels took, because k6 compresses time.${a.settled === false ? ' The audit ran while work was still in flight (settled: false): end-to-end checks were skipped.' : ''}</p>
</div>`;
}

function measuresTable(r: LiveResult): string {
  const rows = r.measures.map((m, i) => {
    const p = m.predicted;
    const base = pointer('result', 'measures', i);
    const f = (x: number): string => fmtMeasure(m.id, x);
    const verdict = m.withinPrediction === null ? 'not compared' : m.withinPrediction ? 'within' : 'OUTSIDE';
    return [
      `<th scope="row">${esc(m.label)} <span class="note">(${esc(m.unit)})</span>${m.note === null ? '' : `<br><span class="note">${esc(m.note)}</span>`}</th>`,
      m.live === null ? '<td>–</td>' : datum('td', { text: f(m.live), value: m.live, path: `${base}/live` }),
      p === null ? '<td>–</td>' : datum('td', { text: f(p.mean), value: p.mean, path: `${base}/predicted/mean` }),
      p === null ? '<td>–</td>' : `<td>${datum('span', { text: f(p.ci95[0]), value: p.ci95[0], path: `${base}/predicted/ci95/0` })} to ${datum('span', { text: f(p.ci95[1]), value: p.ci95[1], path: `${base}/predicted/ci95/1` })}</td>`,
      p === null ? '<td>–</td>' : `<td>${datum('span', { text: f(p.pi95[0]), value: p.pi95[0], path: `${base}/predicted/pi95/0` })} to ${datum('span', { text: f(p.pi95[1]), value: p.pi95[1], path: `${base}/predicted/pi95/1` })}</td>`,
      el('td', { class: m.withinPrediction === false ? 'fail' : m.withinPrediction === true ? 'ok' : undefined, 'data-path': `${base}/withinPrediction`, 'data-value': JSON.stringify(m.withinPrediction) }, verdict),
    ].join('');
  });
  return table({
    caption: `Live figures beside the simulation's prediction (${r.seeds.length} seeds: ${fmtSeeds(r.seeds)}).`,
    head: ['measure (unit)', 'live', 'predicted mean', '95% CI of the mean', '95% prediction interval (one run)', 'live within prediction'].map((h) => th(h)),
    rows,
  });
}

function channelsTable(r: LiveResult): string {
  const rows = r.channels.map((c, i) => {
    const base = pointer('result', 'channels', i);
    const p = c.predictedP99Ms;
    return [
      `<td>${esc(c.channel)}</td>`,
      c.liveCount === null ? '<td>–</td>' : datum('td', { text: fmtNumber(c.liveCount), value: c.liveCount, path: `${base}/liveCount` }),
      c.liveP99Ms === null ? '<td>–</td>' : datum('td', { text: fmtMs(c.liveP99Ms), value: c.liveP99Ms, path: `${base}/liveP99Ms` }),
      p === null ? '<td>–</td>' : datum('td', { text: fmtMs(p.mean), value: p.mean, path: `${base}/predictedP99Ms/mean` }),
      p === null ? '<td>–</td>' : `<td>${datum('span', { text: fmtMs(p.pi95[0]), value: p.pi95[0], path: `${base}/predictedP99Ms/pi95/0` })} to ${datum('span', { text: fmtMs(p.pi95[1]), value: p.pi95[1], path: `${base}/predictedP99Ms/pi95/1` })}</td>`,
    ].join('');
  });
  return table({ caption: 'Propagation latency p99 per channel.', head: ['channel', 'live updates', 'live p99', 'predicted p99 (mean)', '95% prediction interval'].map((h) => th(h)), rows });
}

function k6Table(k: LiveK6): string {
  const path = (...p: (string | number)[]): string => pointer('result', 'live', 'k6', ...p);
  const row = (label: string, value: number | null, text: (x: number) => string, ...p: (string | number)[]): string => `<th scope="row">${esc(label)}</th>${value === null ? '<td>–</td>' : datum('td', { text: text(value), value, path: path(...p) })}`;
  const rows = [
    row('test run duration', k.testRunDurationMs, fmtMs, 'testRunDurationMs'),
    row('HTTP requests', k.httpReqs, (x) => fmtNumber(x), 'httpReqs'),
    row('HTTP requests per second', k.httpReqsPerS, (x) => fmtNumber(x, 1), 'httpReqsPerS'),
    row('HTTP request duration, median', k.httpReqDurationMs.med, fmtMs, 'httpReqDurationMs', 'med'),
    row('HTTP request duration, p95', k.httpReqDurationMs.p95, fmtMs, 'httpReqDurationMs', 'p95'),
    row('HTTP request duration, p99', k.httpReqDurationMs.p99, fmtMs, 'httpReqDurationMs', 'p99'),
    row('HTTP requests failed', k.httpReqFailedRate, (x) => fmtPercent(x, 2), 'httpReqFailedRate'),
    row('checks passed', k.checksRate, (x) => fmtPercent(x, 2), 'checksRate'),
    row('iterations', k.iterations, (x) => fmtNumber(x), 'iterations'),
  ];
  const thresholds = k.thresholds.map((t, i) => `<td>${esc(t.metric)}</td><td class="text"><code>${esc(t.expression)}</code></td>${el('td', { class: t.ok ? 'ok' : 'fail', 'data-path': path('thresholds', i, 'ok'), 'data-value': JSON.stringify(t.ok) }, t.ok ? 'passed' : 'FAILED')}`);
  return `${table({ caption: 'From the k6 summary (HTTP figures are the service\'s response times, not propagation).', head: [th('k6 metric'), th('value')], rows })}${thresholds.length === 0 ? '' : table({ caption: 'k6 thresholds.', head: [th('metric'), th('threshold'), th('result')], rows: thresholds })}`;
}

function liveAssertionsTable(r: LiveResult): string {
  if (r.liveAssertions.length === 0) return `<p>The scenario has no assertion for ${esc(r.strategy)}.</p>`;
  const rows = r.liveAssertions.map((a, i) => `<td class="text"><code>${esc(a.assertion)}</code></td><td>${a.live === null ? 'no live equivalent' : esc(String(a.live))}</td>${el('td', { class: a.held === false ? 'fail' : a.held === true ? 'ok' : undefined, 'data-path': pointer('result', 'liveAssertions', i, 'held'), 'data-value': JSON.stringify(a.held) }, a.held === null ? 'not measurable live' : a.held ? 'held' : 'FAILED')}`);
  return table({ caption: `The scenario's assertions for ${r.strategy}, on the live run.`, head: [th('assertion'), th('live value'), th('result')], rows });
}

function charts(input: LiveReportInput, r: LiveResult): Chart[] {
  const comparable = r.measures.filter((m) => m.live !== null || m.predicted !== null);
  const categories = ['predicted', 'live'];
  const measureAlt = comparable.map((m) => `${m.label} (${m.unit}): live ${m.live === null ? 'not reported' : fmtMeasure(m.id, m.live)}, predicted ${m.predicted === null ? 'none' : `${fmtMeasure(m.id, m.predicted.mean)} (one run: ${fmtMeasure(m.id, m.predicted.pi95[0])} to ${fmtMeasure(m.id, m.predicted.pi95[1])})`}`).join('; ');
  const alt1 = `Each measure live (one run) beside the simulation's prediction (mean over ${r.seeds.length} seeds, error bar: 95% prediction interval for one run). ${measureAlt}.`;
  const latencyUnit = (m: (typeof comparable)[number]): string => (m.id === 'latencyMsP99' ? 'ms' : m.unit);
  const panels = comparable.map((m) => ({
    title: `${m.label} (${latencyUnit(m)})`,
    rows: [
      ...(m.predicted === null ? [] : [{ category: 'predicted', mean: m.predicted.mean, lo: m.predicted.pi95[0], hi: m.predicted.pi95[1] }]),
      ...(m.live === null ? [] : [{ category: 'live', mean: m.live, lo: null, hi: null }]),
    ],
  }));
  const channelRows = r.channels.flatMap((c) => [
    ...(c.predictedP99Ms === null ? [] : [{ group: c.channel, series: 'predicted', value: c.predictedP99Ms.mean, lo: c.predictedP99Ms.pi95[0], hi: c.predictedP99Ms.pi95[1] }]),
    ...(c.liveP99Ms === null ? [] : [{ group: c.channel, series: 'live', value: c.liveP99Ms, lo: null, hi: null }]),
  ]);
  const alt2 = `Propagation latency p99 per channel, live beside predicted (error bar: 95% prediction interval for one run). ${r.channels.map((c) => `${c.channel}: live ${c.liveP99Ms === null ? 'not reported' : fmtMs(c.liveP99Ms)}, predicted ${c.predictedP99Ms === null ? 'none' : fmtMs(c.predictedP99Ms.mean)}`).join('; ')}.`;
  const first = input.predicted[0];
  const cdfRows: CdfRow[] = [];
  const marks: MarkRow[] = [];
  for (const c of first?.channels ?? []) {
    if (c.latencyMs.count > 0) {
      c.latencyCdf.q.forEach((q, i) => cdfRows.push({ channel: c.id, strategy: 'predicted', q, ms: c.latencyCdf.ms[i]! }));
      marks.push({ channel: c.id, strategy: 'predicted', ms: c.latencyMs.p99, label: 'p99' });
    }
    const live = r.channels.find((x) => x.channel === c.id)?.liveP99Ms;
    if (live !== null && live !== undefined) marks.push({ channel: c.id, strategy: 'live', ms: live, label: 'live p99' });
  }
  const threshold = engineConfig(input.scenario).alertThresholdMs;
  const alt3 = `The predicted distribution of propagation latency per channel (seed ${first?.seed ?? '–'}), with the predicted p99 and the live p99 as diamonds and the alert threshold of ${fmtMs(threshold)} as a red dashed line.`;
  return [
    { id: 'live-vs-predicted', title: 'Live against predicted', alt: alt1, spec: intervalBarsSpec({ title: 'Live against predicted', description: alt1, categories, categoryTitle: 'source', panels, yTitle: 'value (unit in the panel title)', columns: 3, width: 150 }) },
    { id: 'channel-p99', title: 'Propagation latency p99 per channel, live and predicted', alt: alt2, spec: groupedBarsSpec({ title: 'Propagation latency p99 per channel, live and predicted', description: alt2, series: categories, rows: channelRows, groupTitle: 'channel', yTitle: 'propagation latency p99 (ms)' }) },
    { id: 'latency-cdf', title: `Predicted propagation latency per channel (CDF, seed ${first?.seed ?? '–'}) with the live p99`, alt: alt3, spec: latencyCdfSpec({ title: `Predicted propagation latency per channel (CDF, seed ${first?.seed ?? '–'}) with the live p99`, description: alt3, strategies: categories, channels: input.scenario.channels.map((c) => c.id), rows: cdfRows, marks, thresholdMs: threshold, columns: Math.min(3, Math.max(1, input.scenario.channels.length)) }) },
  ];
}

export async function buildLiveReport(input: LiveReportInput): Promise<BuiltReport<LiveResult>> {
  const r = liveResult(input);
  const rendered = await Promise.all(charts(input, r).map(renderChart));
  const comparable = r.measures.filter((m) => m.withinPrediction !== null);
  const matched = comparable.filter((m) => m.withinPrediction === true).length;
  const json: ReportDocument<LiveResult> = {
    kind: REPORT_KIND,
    version: 1,
    report: 'live',
    reproducibility: input.reproducibility,
    assertions: input.assertions,
    result: r,
    runs: input.predicted.slice(0, 1),
    summary: {
      matched,
      comparable: comparable.length,
      outside: comparable.filter((m) => m.withinPrediction === false).map((m) => m.id),
      liveOversellCost: roundStat(input.audit.oversells * (input.scenario.economics.averageOrderValue + input.scenario.economics.customerLifetimeValue * input.scenario.economics.churnMultiplier)),
      thresholdsPassed: input.k6.thresholds.every((t) => t.ok),
      liveAssertionsHeld: r.liveAssertions.every((a) => a.held !== false),
    },
  };
  const traces = r.predictedRuns.map((p, i) => ({ label: `${r.strategy} (predicted)`, seed: p.seed, traceHash: p.traceHash, path: pointer('result', 'predictedRuns', i, 'traceHash') }));
  const html = page({
    kind: 'live',
    title: `invsim: live run against ${input.scenario.name}, beside the prediction`,
    subtitle: `Live: a k6 run and the service's audit. Predicted: strategy ${r.strategy} simulated on seeds ${fmtSeeds(r.seeds)}. invsim ${input.reproducibility.invsimVersion}.`,
    sections: [
      { id: 'summary', heading: 'Executive summary', html: summaryHtml(input, r) },
      { id: 'comparison', heading: 'Live against predicted', html: `${measuresTable(r)}${channelsTable(r)}` },
      { id: 'charts', heading: 'Charts', html: figures(rendered) },
      { id: 'k6', heading: 'k6', html: k6Table(input.k6) },
      { id: 'assertions', heading: 'Assertions', html: `<h3>On the live run</h3>${liveAssertionsTable(r)}<h3>On the prediction</h3>${assertionsSection(input.assertions, { path: '/assertions' })}` },
      { id: 'reproduce', heading: 'Reproducibility', html: reproducibilitySection(input.reproducibility, traces, '/reproducibility') },
    ],
  });
  const csv: CsvRow[] = [
    ['measure', 'unit', 'live', 'predictedMean', 'ci95Low', 'ci95High', 'pi95Low', 'pi95High', 'withinPrediction'],
    ...r.measures.map((m) => [m.id, m.unit, m.live, m.predicted?.mean ?? null, m.predicted?.ci95[0] ?? null, m.predicted?.ci95[1] ?? null, m.predicted?.pi95[0] ?? null, m.predicted?.pi95[1] ?? null, m.withinPrediction]),
    ...r.channels.map((c) => [`latencyMsP99:${c.channel}`, 'ms', c.liveP99Ms, c.predictedP99Ms?.mean ?? null, c.predictedP99Ms?.ci95[0] ?? null, c.predictedP99Ms?.ci95[1] ?? null, c.predictedP99Ms?.pi95[0] ?? null, c.predictedP99Ms?.pi95[1] ?? null, within(c.liveP99Ms, c.predictedP99Ms)]),
  ];
  return { html, json, csv, charts: rendered };
}
