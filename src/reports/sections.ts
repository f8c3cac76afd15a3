/**
 * The parts every report is made of: the per-run charts and tables (latency CDF, freshness and
 * DLQ depth over time, API calls against quota, oversell explanations), the assertions, and the
 * reproducibility block. Each returns HTML (and the charts it needs); the builders arrange them.
 */
import type { CheckReport } from '../analysis/check.js';
import { describeAssertion } from '../analysis/check.js';
import type { SimulationResult } from '../model/result.js';
import { apiQuotaSpec, latencyCdfSpec, skippedChartHtml, timeSeriesSpec, type Chart, type CdfRow, type MarkRow, type QuotaRow, type RenderedChart, type SeriesRow } from './charts.js';
import { fmtClock, fmtMs, fmtNumber, fmtPercent, fmtSeeds, listWords, plural } from './format.js';
import { datum, el, esc, pointer, table, th } from './html.js';

/** A simulated run shown in the report, and where it sits in the report's JSON. */
export interface RunView {
  readonly result: SimulationResult;
  /** JSON pointer of the SimulationResult in the report document, e.g. `/runs/0`. */
  readonly path: string;
}

export function figure(rendered: RenderedChart, captionHtml: string): string {
  if (rendered.skipped !== null) return skippedChartHtml(rendered);
  return `<figure id="fig-${esc(rendered.chart.id)}" data-figure="${esc(rendered.chart.id)}">${rendered.html}<figcaption>${captionHtml}</figcaption></figure>`;
}

/** Figures in order, each with its alt text as caption (the caption is the text alternative people see). */
export function figures(rendered: readonly RenderedChart[]): string {
  return rendered.map((r) => figure(r, `<strong>${esc(r.chart.title)}.</strong> ${esc(r.chart.alt)}`)).join('\n');
}

function timeAxis(durationS: number): { unitMs: number; title: string } {
  return durationS <= 3 * 3600 ? { unitMs: 60_000, title: 'time since the start of the run (minutes)' } : { unitMs: 3_600_000, title: 'time since the start of the run (hours)' };
}

function series(runs: readonly RunView[], pick: (r: SimulationResult) => readonly number[], unitMs: number): SeriesRow[] {
  return runs.flatMap(({ result }) => pick(result).map((value, i) => ({ strategy: result.strategy, t: Number((((i + 1) * result.series.bucketMs) / unitMs).toFixed(4)), value })));
}

function seedLabel(runs: readonly RunView[]): string {
  const seeds = [...new Set(runs.map((r) => r.result.seed))];
  return seeds.length === 1 ? `seed ${seeds[0]!}` : `seeds ${fmtSeeds(seeds)}`;
}

export interface RunChartsOptions {
  readonly idPrefix: string;
  readonly runs: readonly RunView[];
  /** Colour domain: every strategy of the report, in order. */
  readonly strategies: readonly string[];
  readonly thresholdMs: number;
  readonly durationS: number;
  readonly ceilings: ReadonlyMap<string, number | null>;
}

/** The four per-run charts. Titles say which seed they show. */
export function runCharts(options: RunChartsOptions): Chart[] {
  const { runs } = options;
  const label = seedLabel(runs);
  const channelIds = runs[0]?.result.channels.map((c) => c.id) ?? [];
  const axis = timeAxis(options.durationS);
  return [latencyChart(options, label, channelIds), freshnessChart(options, label, axis), dlqChart(options, label, axis), quotaChart(options, label)];
}

function latencyChart(options: RunChartsOptions, label: string, channelIds: readonly string[]): Chart {
  const rows: CdfRow[] = [];
  const marks: MarkRow[] = [];
  const p99Words: string[] = [];
  const silent: string[] = [];
  for (const channel of channelIds) {
    const parts: string[] = [];
    for (const { result } of options.runs) {
      const c = result.channels.find((x) => x.id === channel);
      if (c === undefined) continue;
      const p99 = c.latencyMs.p99;
      if (c.latencyMs.count === 0 || p99 === null) {
        silent.push(`${result.strategy} on ${channel}`);
        continue;
      }
      c.latencyCdf.q.forEach((q, i) => rows.push({ channel, strategy: result.strategy, q, ms: c.latencyCdf.ms[i]! }));
      marks.push({ channel, strategy: result.strategy, ms: p99, label: 'p99' });
      parts.push(`${options.runs.length > 1 ? `${result.strategy} ` : ''}${fmtMs(p99)}${p99 > options.thresholdMs ? ' (above the alert threshold)' : ''}`);
    }
    if (parts.length > 0) p99Words.push(`${channel}: ${parts.join(', ')}`);
  }
  const alt =
    `For each channel, the share of stock updates the channel acknowledged within a given time after the commit (${label}); a diamond marks each p99, the red dashed line the alert threshold of ${fmtMs(options.thresholdMs)}. ` +
    (p99Words.length > 0 ? `p99 by channel: ${p99Words.join('; ')}.` : 'No update was propagated in this run.') +
    (silent.length > 0 ? ` No propagation at all (nothing to plot): ${listWords(silent)}.` : '');
  return {
    id: `${options.idPrefix}latency-cdf`,
    title: `Propagation latency per channel (CDF, ${label})`,
    alt,
    spec: latencyCdfSpec({ title: `Propagation latency per channel (CDF, ${label})`, description: alt, strategies: options.strategies, channels: channelIds, rows, marks, thresholdMs: options.thresholdMs, columns: Math.min(3, Math.max(1, channelIds.length)) }),
    ...(rows.length === 0 ? { nothingToShow: `No update was propagated to any channel (${label}), so there is no latency to plot.` } : {}),
  };
}

function freshnessChart(options: RunChartsOptions, label: string, axis: { unitMs: number; title: string }): Chart {
  const rows = series(options.runs, (r) => r.series.freshness, axis.unitMs);
  const lows = options.runs.map(({ result }) => {
    const min = Math.min(...result.series.freshness);
    return `${options.runs.length > 1 ? `${result.strategy} ` : ''}lowest ${fmtNumber(min, 3)}, mean over the run ${fmtNumber(result.freshness.meanConfidence, 3)}`;
  });
  const alt = `The mean confidence of all listings (1: every listing up to date; 0: every listing older than the staleness limit) sampled ${options.runs[0]?.result.series.freshness.length ?? 0} times over the run (${label}). ${lows.join('; ')}.`;
  const min = Math.min(0.9, ...rows.map((r) => r.value));
  return {
    id: `${options.idPrefix}freshness`,
    title: `Listing freshness over time (${label})`,
    alt,
    spec: timeSeriesSpec({ title: `Listing freshness over time (${label})`, description: alt, strategies: options.strategies, rows, xTitle: axis.title, yTitle: 'mean listing confidence (0–1)', yDomain: [Math.max(0, Math.floor(min * 20) / 20), 1] }),
  };
}

function dlqChart(options: RunChartsOptions, label: string, axis: { unitMs: number; title: string }): Chart {
  const rows = series(options.runs, (r) => r.series.dlqDepth, axis.unitMs);
  const words = options.runs.map(({ result }) => `${options.runs.length > 1 ? `${result.strategy}: ` : ''}${plural(result.dlq.parked, 'update')} parked, deepest ${fmtNumber(result.dlq.maxDepth)}`);
  const alt = `Updates waiting in the dead-letter queue after their last retry, sampled over the run (${label}). ${words.join('; ')}.`;
  return {
    id: `${options.idPrefix}dlq`,
    title: `Dead-letter queue depth over time (${label})`,
    alt,
    spec: timeSeriesSpec({ title: `Dead-letter queue depth over time (${label})`, description: alt, strategies: options.strategies, rows, xTitle: axis.title, yTitle: 'updates in the dead-letter queue (count)', yFormat: 'd', yZeroBased: true }),
    ...(rows.every((r) => r.value === 0) ? { nothingToShow: `No update was parked in the dead-letter queue (${label}): its depth stayed at 0.` } : {}),
  };
}

function quotaChart(options: RunChartsOptions, label: string): Chart {
  const rows: QuotaRow[] = [];
  const words: string[] = [];
  for (const { result } of options.runs) {
    for (const c of result.channels) {
      const ceiling = options.ceilings.get(c.id) ?? null;
      const limit = c.quota.limitPerDay ?? ceiling;
      const share = limit === null || limit === 0 ? '' : ` (${fmtPercent(c.quota.usedPerDay / limit, 1)} of ${c.quota.limitPerDay !== null ? 'quota' : 'rate limit'})`;
      rows.push({ channel: c.id, strategy: result.strategy, callsPerDay: c.quota.usedPerDay, quotaPerDay: c.quota.limitPerDay, ceilingPerDay: ceiling, label: `${fmtNumber(c.quota.usedPerDay)}${share}` });
    }
  }
  for (const id of options.runs[0]?.result.channels.map((c) => c.id) ?? []) {
    const c0 = options.runs[0]!.result.channels.find((c) => c.id === id)!;
    const limits = [c0.quota.limitPerDay === null ? 'no daily quota' : `quota ${fmtNumber(c0.quota.limitPerDay)} a day`, options.ceilings.get(id) == null ? 'no rate limit' : `rate limit about ${fmtNumber(options.ceilings.get(id)!)} a day`];
    const used = options.runs.map(({ result }) => `${options.runs.length > 1 ? `${result.strategy} ` : ''}${fmtNumber(result.channels.find((c) => c.id === id)?.quota.usedPerDay ?? 0)}`);
    words.push(`${id} (${limits.join(', ')}): ${used.join(', ')}`);
  }
  const alt = `API calls each channel received per simulated day (${label}), against its daily quota (red line) and the sustained rate its rate limiter admits (grey dashed line). ${words.join('; ')}.`;
  return { id: `${options.idPrefix}api-quota`, title: `API calls per day against each channel's quota (${label})`, alt, spec: apiQuotaSpec({ title: `API calls per day against each channel's quota (${label})`, description: alt, strategies: options.strategies, rows }) };
}

/** Per channel and strategy: latency percentiles, calls, quota, orders (every number tied to the JSON). */
export function channelTable(runs: readonly RunView[], ceilings: ReadonlyMap<string, number | null>): string {
  const head = ['strategy', 'channel', 'updates', 'p50', 'p95', 'p99', 'max', 'API calls', 'throttled', 'calls per day', 'quota per day', 'rate limit per day', 'orders placed', 'lost sales'].map((h) => th(h));
  const rows: string[] = [];
  for (const { result, path } of runs) {
    result.channels.forEach((c, j) => {
      const p = (...rest: (string | number)[]): string => `${path}${pointer('channels', j, ...rest)}`;
      const ms = (field: 'p50' | 'p95' | 'p99' | 'max'): string => {
        const value = c.latencyMs[field];
        return datum('td', { text: value === null ? 'no propagation' : fmtMs(value), value, path: p('latencyMs', field), ...(value === null ? { className: 'no-data' } : {}) });
      };
      const ceiling = ceilings.get(c.id) ?? null;
      rows.push(
        [
          `<td>${esc(result.strategy)}</td>`,
          `<td class="text">${esc(c.id)} <span class="note">(${esc(c.preset)})</span></td>`,
          datum('td', { text: fmtNumber(c.latencyMs.count), value: c.latencyMs.count, path: p('latencyMs', 'count') }),
          ms('p50'),
          ms('p95'),
          ms('p99'),
          ms('max'),
          datum('td', { text: fmtNumber(c.api.calls), value: c.api.calls, path: p('api', 'calls') }),
          datum('td', { text: fmtNumber(c.api.throttled), value: c.api.throttled, path: p('api', 'throttled') }),
          datum('td', { text: fmtNumber(c.quota.usedPerDay), value: c.quota.usedPerDay, path: p('quota', 'usedPerDay') }),
          datum('td', { text: c.quota.limitPerDay === null ? 'none' : fmtNumber(c.quota.limitPerDay), value: c.quota.limitPerDay, path: p('quota', 'limitPerDay') }),
          `<td>${ceiling === null ? 'none' : esc(fmtNumber(ceiling))}</td>`,
          datum('td', { text: fmtNumber(c.orders.placed), value: c.orders.placed, path: p('orders', 'placed') }),
          datum('td', { text: fmtNumber(c.orders.lostSales), value: c.orders.lostSales, path: p('orders', 'lostSales') }),
        ].join(''),
      );
    });
  }
  return table({ caption: `Per channel, ${seedLabel(runs)}: propagation latency (commit to the channel's acknowledgement), API use and orders.`, head, rows });
}

/** How many oversells each run explains in words. */
export const EXPLAINED_OVERSELLS = 3;

/** The first few oversells of each run, in plain words. */
export function oversellExplanations(runs: readonly RunView[]): string {
  const parts: string[] = [];
  for (const { result } of runs) {
    const heading = `<h3>${esc(result.strategy)}, seed ${result.seed}: ${esc(plural(result.oversells, 'oversell'))}</h3>`;
    const examples = result.oversellExamples.slice(0, EXPLAINED_OVERSELLS);
    if (examples.length === 0) {
      parts.push(`${heading}<p>No order was oversold in this run.</p>`);
      continue;
    }
    const items = examples.map((e) => `<li>${esc(explainOversell(e))}</li>`).join('');
    const more = result.oversells > examples.length ? `<p class="note">The first ${examples.length} of ${fmtNumber(result.oversells)}, in the order the source of truth found them.</p>` : '';
    parts.push(`${heading}<ol class="explain">${items}</ol>${more}`);
  }
  return parts.join('\n');
}

export function explainOversell(e: SimulationResult['oversellExamples'][number]): string {
  const placed = `Order ${e.orderId} on ${e.channel} for ${e.sku} was placed ${fmtClock(e.placedAtMs)} into the run, when ${e.channel}'s listing showed ${plural(e.listedQuantity, 'unit')} and the source of truth held ${plural(e.sourceQuantityAtPlacement, 'unit')}.`;
  let change: string;
  if (e.sourceChangedAtMs === null) {
    change = ' The stock had not changed since the start of the run.';
  } else {
    const before = fmtMs(Math.max(0, e.placedAtMs - e.sourceChangedAtMs));
    change = ` The source of truth had last changed at ${fmtClock(e.sourceChangedAtMs)} (${before} before the order)`;
    if (e.channelUpdatedAtMs === null) change += `, and that change had not reached ${e.channel} yet.`;
    else if (e.channelUpdatedAtMs > e.placedAtMs) change += `; the update reached ${e.channel} at ${fmtClock(e.channelUpdatedAtMs)}, ${fmtMs(e.channelUpdatedAtMs - e.placedAtMs)} after the order.`;
    else change += `; the update had reached ${e.channel} at ${fmtClock(e.channelUpdatedAtMs)}, before the order, so concurrent orders took the units in between.`;
  }
  return `${placed}${change} By the time the order reached the source of truth, other orders had taken the units it needed, so it cannot be fulfilled and must be cancelled.`;
}

/** The assertions of the scenario: a sentence and a table with one row per (assertion, strategy). */
export function assertionsSection(report: CheckReport | null, options: { path: string; skipped?: readonly string[] }): string {
  if (report === null || report.assertions === 0) return '<p>The scenario has no assert block for these strategies.</p>';
  const verdict = report.passed
    ? `<p class="verdict-pass">All ${report.assertions} assertions held on every seed (${esc(fmtSeeds(report.seeds))}).</p>`
    : `<p class="verdict-fail">${report.failed} of ${report.assertions} assertions failed.</p>`;
  const rows = report.outcomes.map((o, i) => {
    const first = o.failures[0];
    return [
      `<td>${esc(o.strategy)}</td>`,
      `<td class="text"><code>${esc(describeAssertion(o))}</code></td>`,
      el('td', { class: o.passed ? 'ok' : 'fail', 'data-path': `${options.path}${pointer('outcomes', i, 'passed')}`, 'data-value': String(o.passed) }, o.passed ? 'held' : 'FAILED'),
      `<td>${first === undefined ? '' : esc(`${o.failures.length} of ${report.seeds.length} seeds; seed ${first.seed} observed ${JSON.stringify(first.value)}`)}</td>`,
      `<td class="text">${o.reproduce === null ? '' : `<code>${esc(o.reproduce)}</code>`}</td>`,
    ].join('');
  });
  const skipped = options.skipped !== undefined && options.skipped.length > 0 ? `<p class="note">Not evaluated (strategy not in this report): ${esc(listWords(options.skipped))}.</p>` : '';
  return `${verdict}${table({ head: ['strategy', 'assertion', 'result', 'failures', 'reproduce'].map((h) => th(h)), rows })}${skipped}`;
}

export interface Reproducibility {
  readonly scenario: string;
  readonly file: string;
  /** sha256 of the scenario as loaded (src/analysis/shard.ts `scenarioHash`, also in shard documents). */
  readonly scenarioHash: string;
  readonly seeds: readonly number[];
  readonly strategies: readonly string[];
  readonly invsimVersion: string;
  /** The command that regenerates this report (the same HTML, JSON and CSV). */
  readonly command: string;
  /** Other commands that give the same numbers, e.g. for one scenario of `invsim start`. */
  readonly alsoCommands: readonly string[];
  /** Files the report reads besides the scenario (a live run's k6 summary and audit), with their sha256. */
  readonly inputs?: readonly { readonly role: string; readonly path: string; readonly sha256: string }[];
}

export interface TraceHashRow {
  readonly label: string;
  readonly seed: number;
  readonly traceHash: string;
  readonly path: string;
}

export function reproducibilitySection(repro: Reproducibility, traces: readonly TraceHashRow[], path: string): string {
  const dd = (key: keyof Reproducibility, text: string): string => datum('dd', { text, value: typeof repro[key] === 'string' ? (repro[key] as string) : null, path: `${path}${pointer(key)}` });
  const also = repro.alsoCommands.length === 0 ? '' : `<dt>The same numbers, alone</dt>${repro.alsoCommands.map((c) => `<dd><pre><code>${esc(c)}</code></pre></dd>`).join('')}`;
  const traceRows = traces.map((t) => `<td>${esc(t.label)}</td><td>${t.seed}</td>${datum('td', { text: t.traceHash, value: t.traceHash, path: t.path, className: 'text' })}`);
  return `<dl class="repro">
<dt>Scenario</dt>${dd('scenario', repro.scenario)}
<dt>Scenario file</dt>${dd('file', repro.file)}
<dt>Scenario content hash (sha256 of the scenario as loaded, defaults filled in)</dt><dd><code>${esc(repro.scenarioHash)}</code></dd>
<dt>Seeds</dt><dd>${esc(fmtSeeds(repro.seeds))} (${repro.seeds.length})</dd>
<dt>Strategies</dt><dd>${esc(repro.strategies.join(', '))}</dd>
<dt>invsim version</dt>${dd('invsimVersion', repro.invsimVersion)}${(repro.inputs ?? []).map((i) => `<dt>${esc(i.role)}</dt><dd><code>${esc(i.path)}</code> (sha256 <code>${esc(i.sha256)}</code>)</dd>`).join('')}
<dt>Regenerate this report</dt><dd><pre><code>${esc(repro.command)}</code></pre></dd>${also}
</dl>
<p class="note">A run is a pure function of scenario, strategy and seed: the same three give byte-identical JSON and the same trace hash. Replay one with <code>invsim run ${esc(repro.file)} --scenario ${esc(repro.scenario)} --strategy NAME --seed N</code>.</p>
<details><summary>Trace hashes (${traces.length} run${traces.length === 1 ? '' : 's'})</summary>${table({ head: [th('strategy'), th('seed'), th('trace hash')], rows: traceRows })}</details>`;
}
