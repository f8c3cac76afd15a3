/**
 * The comparison report (`invsim compare --report`, `invsim start`): which strategy wins and by
 * how much money, the table of means with 95% intervals and paired differences, charts from all
 * seeds (oversells, lost sales and revenue impact with interval bars), charts from one run per
 * strategy (latency CDF, freshness, DLQ depth, API calls against quota), oversell explanations,
 * assertions, and how to reproduce it all.
 */
import type { CheckReport } from '../analysis/check.js';
import { compareRunRows, type CompareResult, type StrategySummary } from '../analysis/compare.js';
import { COMPARE_METRICS, type CompareMetric } from '../analysis/metrics.js';
import type { Estimate } from '../analysis/stats.js';
import type { Scenario } from '../scenarios/schema.js';
import type { SimulationResult } from '../model/result.js';
import { engineConfig } from '../scenarios/compile.js';
import { channelCeilings } from './capacity.js';
import { intervalBarsSpec, renderChart, type Chart } from './charts.js';
import { REPORT_KIND, type BuiltReport, type ReportDocument } from './document.js';
import { frequencyWords, type Frequency } from '../scenarios/economics.js';
import { describeChange, fmtDuration, fmtMetric, fmtMoney, fmtNumber, fmtSeeds, listWords, metricHeading, noDataWords, significant } from './format.js';
import { datum, esc, pointer, table, th } from './html.js';
import { assertionsSection, channelTable, figures, oversellExplanations, reproducibilitySection, runCharts, type Reproducibility, type RunView } from './sections.js';
import { page } from './template.js';
import { verdict, type Verdict } from './verdict.js';

export interface CompareReportInput {
  readonly scenario: Scenario;
  readonly result: CompareResult;
  /** The scenario's assertions evaluated on every seed of the comparison. */
  readonly assertions: CheckReport | null;
  /** Assertions not evaluated because their strategy is not compared, described. */
  readonly skippedAssertions?: readonly string[];
  /** One full run per strategy, in the comparison's strategy order, all on the same seed. */
  readonly runs: readonly SimulationResult[];
  readonly reproducibility: Reproducibility;
}

export interface CompareSummary {
  readonly winner: string;
  readonly runnerUp: string | null;
  readonly ranking: readonly string[];
  readonly excludedFromRanking: readonly string[];
  /** The scenario's reference strategy, when compared. */
  readonly reference: string | null;
  /** What the winner is measured against below, and why: the reference, or (without one, or when it won) the runner-up. */
  readonly comparedWith: string | null;
  readonly comparedBecause: 'reference' | 'runner-up' | null;
  /** What the day and year figures rest on; null: none is given, and they are null. */
  readonly frequency: Frequency | null;
  /** `comparedWith` minus winner per seed: what choosing the winner saves. Per run first. */
  readonly impactSavedPerRun: Estimate | null;
  readonly impactSavedPerDay: Estimate | null;
  readonly impactSavedPerYear: Estimate | null;
  readonly oversellsAvoidedPerRun: Estimate | null;
  readonly lostSalesAvoidedPerRun: Estimate | null;
  readonly lostSalesRevenueSavedPerRun: Estimate | null;
  readonly lostSalesRevenueSavedPerDay: Estimate | null;
  readonly netSavedPerRun: Estimate | null;
  readonly netSavedPerDay: Estimate | null;
  readonly netSavedPerYear: Estimate | null;
  /** With a reference: every other strategy against it (reference minus strategy per seed). */
  readonly againstReference: readonly ReferenceSaving[];
  readonly assertionsHeld: boolean | null;
}

export interface ReferenceSaving {
  readonly strategy: string;
  readonly impactSavedPerRun: Estimate;
  readonly impactSavedPerYear: Estimate | null;
  readonly oversellsAvoidedPerRun: Estimate;
  readonly lostSalesAvoidedPerRun: Estimate;
  readonly netSavedPerRun: Estimate;
  readonly netSavedPerYear: Estimate | null;
}

function summaryData(v: Verdict, assertions: CheckReport | null): CompareSummary {
  const h = v.headline;
  return {
    winner: v.winner.strategy,
    runnerUp: v.runnerUp?.strategy ?? null,
    ranking: v.ranking,
    excludedFromRanking: v.excluded,
    reference: v.reference?.strategy ?? null,
    comparedWith: h?.against.strategy ?? null,
    comparedBecause: v.comparedWith ?? null,
    frequency: v.frequency,
    impactSavedPerRun: h?.impact.perRun ?? null,
    impactSavedPerDay: h?.impact.perDay ?? null,
    impactSavedPerYear: h?.impact.perYear ?? null,
    oversellsAvoidedPerRun: h?.oversells ?? null,
    lostSalesAvoidedPerRun: h?.lostSales ?? null,
    lostSalesRevenueSavedPerRun: h?.lostSalesRevenue.perRun ?? null,
    lostSalesRevenueSavedPerDay: h?.lostSalesRevenue.perDay ?? null,
    netSavedPerRun: h?.net.perRun ?? null,
    netSavedPerDay: h?.net.perDay ?? null,
    netSavedPerYear: h?.net.perYear ?? null,
    againstReference: v.againstReference.map((p) => ({
      strategy: p.strategy.strategy,
      impactSavedPerRun: p.impact.perRun,
      impactSavedPerYear: p.impact.perYear,
      oversellsAvoidedPerRun: p.oversells,
      lostSalesAvoidedPerRun: p.lostSales,
      netSavedPerRun: p.net.perRun,
      netSavedPerYear: p.net.perYear,
    })),
    assertionsHeld: assertions === null || assertions.assertions === 0 ? null : assertions.passed,
  };
}

/** A money estimate in words, each number tied to its place in the JSON. */
function money(e: Estimate, path: string): string {
  return `${datum('span', { text: fmtMoney(e.mean), value: e.mean, path: `${path}/mean` })} (95% CI ${datum('span', { text: fmtMoney(e.ci95[0]), value: e.ci95[0], path: `${path}/ci95/0` })} to ${datum('span', { text: fmtMoney(e.ci95[1]), value: e.ci95[1], path: `${path}/ci95/1` })})`;
}

function count(e: Estimate, path: string): string {
  return `${datum('span', { text: fmtNumber(e.mean, 1), value: e.mean, path: `${path}/mean` })} (95% CI ${datum('span', { text: fmtNumber(e.ci95[0], 1), value: e.ci95[0], path: `${path}/ci95/0` })} to ${datum('span', { text: fmtNumber(e.ci95[1], 1), value: e.ci95[1], path: `${path}/ci95/1` })})`;
}

/** `, about X a year at 12 occurrences a year (…)`, or nothing: a year is shown only with the scenario's frequency. */
function yearly(e: Estimate | null, path: string, frequency: Frequency | null, durationS: number): string {
  if (e === null || frequency === null) return '';
  return `; about ${money(e, path)} a year ${esc(frequencyWords(frequency, durationS))}`;
}

function summaryHtml(input: CompareReportInput, v: Verdict, s: CompareSummary): string {
  const { scenario, result } = input;
  const econ = scenario.economics;
  const w = v.winner;
  const run = `per run (${esc(fmtDuration(scenario.durationS))} simulated)`;
  const metricPath = (strategy: string, metric: CompareMetric): string => pointer('result', 'strategies', result.strategies.findIndex((x) => x.strategy === strategy), 'metrics', metric, 'mean');
  const mean = (strategy: string, metric: CompareMetric, value: number): string => datum('span', { text: fmtMetric(metric, value), value, path: metricPath(strategy, metric) });
  const impactOf = (x: StrategySummary): string => mean(x.strategy, 'impactPerRun', x.metrics.impactPerRun.mean);
  const parts: string[] = [];
  const h = v.headline;
  const r = h?.against;
  const close = h !== undefined && !significant(h.impact.perRun.ci95);
  parts.push(
    `<p class="headline">Winner: <strong data-winner="${esc(w.strategy)}">${esc(w.strategy)}</strong>, the lowest revenue lost to oversells on ${esc(scenario.name)} over ${result.seeds.length} seeds (${esc(fmtSeeds(result.seeds))})` +
      `${close && r !== undefined ? `, though these seeds cannot tell it from ${esc(r.strategy)}: run more seeds to separate them` : ''}.</p>`,
  );
  if (h !== undefined && r !== undefined && s.impactSavedPerRun !== null && s.oversellsAvoidedPerRun !== null && s.lostSalesAvoidedPerRun !== null && s.netSavedPerRun !== null && s.lostSalesRevenueSavedPerRun !== null) {
    const why = v.comparedWith === 'reference' ? `${esc(r.strategy)}, the strategy this scenario asks about (its reference)` : `${esc(r.strategy)}, the runner-up${v.reference === undefined ? ' (the scenario names no reference strategy)' : ` (the reference, ${esc(v.reference.strategy)}, is the winner itself)`}`;
    const impactSig = significant(s.impactSavedPerRun.ci95);
    parts.push(
      `<p data-compared-with="${esc(r.strategy)}">Compared with ${why}: oversells cost ${esc(w.strategy)} ${impactOf(w)} ${run} and ${esc(r.strategy)} ${impactOf(r)}. ` +
        `Choosing ${esc(w.strategy)} over ${esc(r.strategy)} saves ${money(s.impactSavedPerRun, '/summary/impactSavedPerRun')} per run${yearly(s.impactSavedPerYear, '/summary/impactSavedPerYear', v.frequency, scenario.durationS)}` +
        `${impactSig ? '' : '; the interval includes zero, so the seeds cannot tell the two apart'}.</p>`,
    );
    const lost = s.lostSalesAvoidedPerRun.mean;
    const lostWords =
      lost < 0
        ? `${esc(w.strategy)} turns away ${esc(fmtNumber(-lost, 1))} more customers per run than ${esc(r.strategy)} (lost sales, worth ${esc(fmtMoney(-s.lostSalesRevenueSavedPerRun.mean))} per run at the average order value)`
        : lost > 0
          ? `${esc(w.strategy)} also turns away ${esc(fmtNumber(lost, 1))} fewer customers per run`
          : 'both turn away the same number of customers';
    const lostSalesDiffer = s.lostSalesRevenueSavedPerRun.ci95[0] !== 0 || s.lostSalesRevenueSavedPerRun.ci95[1] !== 0;
    parts.push(
      `<p>Per run: ${esc(w.strategy)} oversells ${mean(w.strategy, 'oversells', w.metrics.oversells.mean)} orders and loses ${mean(w.strategy, 'lostSales', w.metrics.lostSales.mean)} sales; ` +
        `${esc(r.strategy)} oversells ${mean(r.strategy, 'oversells', r.metrics.oversells.mean)} and loses ${mean(r.strategy, 'lostSales', r.metrics.lostSales.mean)}. ` +
        `${esc(w.strategy)} avoids ${count(s.oversellsAvoidedPerRun, '/summary/oversellsAvoidedPerRun')} oversells per run; ${lostWords}.` +
        (lostSalesDiffer
          ? ` Counting the revenue of lost sales as well, the net saving of ${esc(w.strategy)} over ${esc(r.strategy)} is ${money(s.netSavedPerRun, '/summary/netSavedPerRun')} per run${yearly(s.netSavedPerYear, '/summary/netSavedPerYear', v.frequency, scenario.durationS)}` +
            `${s.netSavedPerRun.ci95[1] < 0 ? `: negative, so ${esc(r.strategy)} comes out ahead once turned-away customers count` : ''}.</p>`
          : '</p>'),
    );
  } else {
    parts.push(`<p>Only one strategy was compared: oversells cost it ${impactOf(w)} ${run}.</p>`);
  }
  if (v.reference !== undefined) parts.push(referenceList(v, s, scenario.durationS));
  parts.push(assertionsSentence(input.assertions));
  const excluded = v.excluded.length === 0 ? '' : ` Pitfall variants (${esc(listWords(v.excluded))}) are left out of the ranking: they reproduce common mistakes so their cost can be measured.`;
  const frequencyNote =
    v.frequency === null
      ? `Money is per run: the scenario does not say how often it happens (<code>economics.occurrencesPerYear</code>), so no figure is scaled to a day or a year.`
      : `Money is per run first; a year is ${esc(fmtNumber(v.frequency.occurrencesPerYear, Number.isInteger(v.frequency.occurrencesPerYear) ? 0 : 3))} runs (${esc(frequencyWords(v.frequency, scenario.durationS))}).`;
  parts.push(
    `<p class="note">Money is in the scenario's currency units. An oversold order costs its value (average order value ${esc(fmtMoney(econ.averageOrderValue))}) plus the lifetime value lost when the disappointed customer churns (${esc(fmtMoney(econ.customerLifetimeValue))} × ${esc(String(econ.churnMultiplier))}). ` +
      `${frequencyNote} Intervals are 95% confidence intervals over the seeds; differences are paired per seed (common random numbers).${excluded}</p>`,
  );
  return `<div class="summary" data-winner="${esc(w.strategy)}">${parts.join('\n')}</div>`;
}

/** Every other strategy against the scenario's reference: what choosing it instead saves (negative: costs). */
function referenceList(v: Verdict, s: CompareSummary, durationS: number): string {
  const ref = v.reference!.strategy;
  // The winner against the reference is the paragraph above; the list holds the others.
  const shown = s.againstReference.map((a, i) => ({ a, i })).filter(({ a }) => !(v.comparedWith === 'reference' && a.strategy === v.winner.strategy));
  if (shown.length === 0) return '';
  const items = shown.map(({ a, i }) => {
    const path = `/summary/againstReference/${i}`;
    const sig = significant(a.impactSavedPerRun.ci95) ? (a.impactSavedPerRun.mean < 0 ? ' (negative: it costs more than the reference)' : '') : ' (not distinguishable from the reference on these seeds)';
    return `<li data-strategy="${esc(a.strategy)}"><strong>${esc(a.strategy)}</strong> saves ${money(a.impactSavedPerRun, `${path}/impactSavedPerRun`)} per run in oversells${yearly(a.impactSavedPerYear, `${path}/impactSavedPerYear`, v.frequency, durationS)}${sig}; oversells avoided per run ${count(a.oversellsAvoidedPerRun, `${path}/oversellsAvoidedPerRun`)}, lost sales avoided ${count(a.lostSalesAvoidedPerRun, `${path}/lostSalesAvoidedPerRun`)}.</li>`;
  });
  return `<p>Against the reference, ${esc(ref)} (per seed: ${esc(ref)} minus the strategy; positive means the strategy does better)${v.comparedWith === 'reference' ? ', the other strategies' : ''}:</p><ul class="against-reference" data-reference="${esc(ref)}">${items.join('')}</ul>`;
}

export function assertionsSentence(report: CheckReport | null): string {
  if (report === null || report.assertions === 0) return '<p>The scenario asserts nothing about these strategies.</p>';
  if (report.passed) return `<p class="verdict-pass" data-assertions="held">Every assertion held: all ${report.assertions} of the scenario's assertions, on every seed.</p>`;
  const failed = report.outcomes.filter((o) => !o.passed).map((o) => `${o.strategy} ${o.metric}`);
  return `<p class="verdict-fail" data-assertions="failed">${report.failed} of ${report.assertions} assertions failed: ${esc(listWords(failed))}. The assertions section below gives the command that replays each failure.</p>`;
}

function comparisonTable(result: CompareResult, winner: string): string {
  const head = [th('metric (unit)'), ...result.strategies.map((s) => th(s.strategy))];
  const rows = COMPARE_METRICS.map((m) => {
    const cells = result.strategies.map((s, i) => {
      const e = s.metrics[m];
      const base = pointer('result', 'strategies', i, 'metrics', m);
      // No data is said in words and tied to the JSON's null, never shown as a number.
      if (e === null) return `<td data-strategy="${esc(s.strategy)}" data-metric="${m}">${datum('span', { text: noDataWords(m), value: null, path: base, className: 'no-data' })}</td>`;
      const partial = e.seedsWithData === undefined ? '' : `<span class="ci">${datum('span', { text: `${e.seedsWithData} of ${result.seeds.length} seeds with data`, value: e.seedsWithData, path: `${base}/seedsWithData` })}</span>`;
      return `<td data-strategy="${esc(s.strategy)}" data-metric="${m}">${datum('span', { text: fmtMetric(m, e.mean), value: e.mean, path: `${base}/mean` })}<span class="ci">${datum('span', { text: fmtMetric(m, e.ci95[0]), value: e.ci95[0], path: `${base}/ci95/0` })} to ${datum('span', { text: fmtMetric(m, e.ci95[1]), value: e.ci95[1], path: `${base}/ci95/1` })}</span>${partial}</td>`;
    });
    return `<th scope="row">${esc(metricHeading(m))}</th>${cells.join('')}`;
  });
  return table({ caption: `Means over ${result.seeds.length} seeds, 95% confidence interval below each. Winner: ${winner}.`, head, rows, className: 'comparison' });
}

function pairedTable(result: CompareResult): string {
  const baseline = result.baseline;
  const others = result.strategies.map((s) => s.strategy).filter((s) => s !== baseline);
  if (others.length === 0) return '';
  const head = [th('metric (unit)'), ...others.map((o) => th(`${o} − ${baseline}`))];
  const rows = COMPARE_METRICS.map((m) => {
    const cells = others.map((o) => {
      const k = result.paired.findIndex((p) => p.strategy === o && p.metric === m);
      const d = result.paired[k];
      if (d === undefined) return '<td></td>';
      const base = pointer('result', 'paired', k);
      if (d.meanDiff === null || d.ci95 === null) return `<td data-strategy="${esc(o)}" data-metric="${m}">${datum('span', { text: noDataWords(m), value: null, path: `${base}/meanDiff`, className: 'no-data' })}</td>`;
      const change = describeChange(m, { meanDiff: d.meanDiff, ci95: d.ci95 });
      const sig = change.verdict !== 'same';
      // The arrow says which way the metric moved; the word and its colour whether that is better.
      const mark = sig ? ` <span class="${change.verdict === 'better' ? 'ok' : 'fail'}" data-change="${change.verdict}">${change.arrow} ${change.verdict}</span>` : '';
      const title = sig ? `${change.verdict} than ${baseline}` : `not distinguishable from ${baseline}`;
      return `<td class="${sig ? `significant ${change.verdict}` : ''}" data-strategy="${esc(o)}" data-metric="${m}" title="${esc(title)}">${datum('span', { text: `${d.meanDiff > 0 ? '+' : ''}${fmtMetric(m, d.meanDiff)}`, value: d.meanDiff, path: `${base}/meanDiff` })}${mark}<span class="ci">${datum('span', { text: fmtMetric(m, d.ci95[0]), value: d.ci95[0], path: `${base}/ci95/0` })} to ${datum('span', { text: fmtMetric(m, d.ci95[1]), value: d.ci95[1], path: `${base}/ci95/1` })}</span></td>`;
    });
    return `<th scope="row">${esc(metricHeading(m))}</th>${cells.join('')}`;
  });
  const why = baseline === result.strategies[0]?.strategy ? '' : ` (${esc(baseline)} is the scenario's reference)`;
  return `<h3>Paired differences against ${esc(baseline)}</h3><p>Per seed, each strategy minus ${esc(baseline)}${why} on the same orders and faults, then the mean and its 95% interval. Bold: the interval excludes zero. ▲ the metric went up, ▼ it went down; <em>better</em> or <em>worse</em> follows each metric's own direction (fewer oversells is better, higher freshness is better).</p>${table({ head, rows, className: 'paired' })}`;
}

function seedCharts(input: CompareReportInput): Chart[] {
  const { result, scenario } = input;
  const names = result.strategies.map((s) => s.strategy);
  const est = (s: StrategySummary, m: 'oversells' | 'lostSales' | 'impactPerRun'): Estimate => s.metrics[m];
  const rows = (m: 'oversells' | 'lostSales' | 'impactPerRun'): { category: string; mean: number; lo: number; hi: number }[] => result.strategies.map((s) => ({ category: s.strategy, mean: est(s, m).mean, lo: est(s, m).ci95[0], hi: est(s, m).ci95[1] }));
  const per = `per run (${fmtDuration(scenario.durationS)} simulated)`;
  const words = (m: 'oversells' | 'lostSales' | 'impactPerRun'): string => result.strategies.map((s) => `${s.strategy} ${fmtMetric(m, est(s, m).mean)} (${fmtMetric(m, est(s, m).ci95[0])} to ${fmtMetric(m, est(s, m).ci95[1])})`).join('; ');
  const seeds = `${result.seeds.length} seeds`;
  const altCounts = `Mean oversells and lost sales ${per} over ${seeds}, with 95% confidence intervals as error bars. Oversells: ${words('oversells')}. Lost sales: ${words('lostSales')}.`;
  const altMoney = `Mean revenue lost to oversells ${per} over ${seeds}, with 95% confidence intervals: ${words('impactPerRun')}.`;
  const zero = (m: 'oversells' | 'lostSales' | 'impactPerRun'): boolean => rows(m).every((r) => r.mean === 0 && r.hi === 0);
  return [
    {
      id: 'oversells-lost-sales',
      title: `Oversells and lost sales per strategy (${seeds}, 95% intervals)`,
      alt: altCounts,
      ...(zero('oversells') && zero('lostSales') ? { nothingToShow: `No strategy oversold or turned a customer away on any of the ${seeds}.` } : {}),
      spec: intervalBarsSpec({
        title: `Oversells and lost sales per strategy (${seeds}, 95% intervals)`,
        description: altCounts,
        categories: names,
        categoryTitle: 'strategy',
        panels: [
          { title: 'Oversells (orders)', rows: rows('oversells') },
          { title: 'Lost sales (customers turned away)', rows: rows('lostSales') },
        ],
        yTitle: `count ${per}`,
      }),
    },
    {
      id: 'impact',
      title: `Revenue lost to oversells per run (${seeds}, 95% intervals)`,
      alt: altMoney,
      ...(zero('impactPerRun') ? { nothingToShow: `No oversell cost any revenue on any of the ${seeds}.` } : {}),
      spec: intervalBarsSpec({
        title: `Revenue lost to oversells per run (${seeds}, 95% intervals)`,
        description: altMoney,
        categories: names,
        categoryTitle: 'strategy',
        panels: [{ title: 'Oversell revenue impact', rows: rows('impactPerRun') }],
        yTitle: `money ${per} (currency units)`,
        yFormat: ',.0f',
        width: Math.max(240, 70 * names.length),
      }),
    },
  ];
}

/** Checks that the runs are what the comparison ran: same strategies, one seed, matching trace hashes. */
function checkRuns(result: CompareResult, runs: readonly SimulationResult[]): void {
  const names = result.strategies.map((s) => s.strategy);
  if (JSON.stringify(runs.map((r) => r.strategy)) !== JSON.stringify(names)) throw new Error(`report runs are for ${runs.map((r) => r.strategy).join(',')}, the comparison has ${names.join(',')}`);
  for (const run of runs) {
    const compared = result.strategies.find((s) => s.strategy === run.strategy)?.runs.find((r) => r.seed === run.seed);
    // A mismatch means a run is not a pure function of (scenario, strategy, seed): a determinism bug.
    if (compared !== undefined && compared.traceHash !== run.traceHash) {
      throw new Error(`determinism: ${run.strategy} seed ${run.seed} gave trace hash ${run.traceHash} in the report and ${compared.traceHash} in the comparison`);
    }
  }
}

export async function buildCompareReport(input: CompareReportInput): Promise<BuiltReport<CompareResult>> {
  const { result, scenario } = input;
  checkRuns(result, input.runs);
  const v = verdict(result, scenario);
  const summary = summaryData(v, input.assertions);
  const names = result.strategies.map((s) => s.strategy);
  const views: RunView[] = input.runs.map((r, i) => ({ result: r, path: pointer('runs', i) }));
  const seed = input.runs[0]?.seed;
  const ceilings = channelCeilings(scenario);
  const perSeed = await Promise.all(seedCharts(input).map(renderChart));
  const perRun = await Promise.all(runCharts({ idPrefix: 'run-', runs: views, strategies: names, thresholdMs: engineConfig(scenario).alertThresholdMs, durationS: scenario.durationS, ceilings }).map(renderChart));
  const json: ReportDocument<CompareResult> = {
    kind: REPORT_KIND,
    version: 1,
    report: 'compare',
    reproducibility: input.reproducibility,
    assertions: input.assertions,
    result,
    runs: input.runs,
    summary: summary as unknown as Record<string, unknown>,
  };
  const traces = result.strategies.flatMap((s, i) => s.runs.map((r, j) => ({ label: s.strategy, seed: r.seed, traceHash: r.traceHash, path: pointer('result', 'strategies', i, 'runs', j, 'traceHash') })));
  const description = scenario.description === undefined ? '' : `<p>${esc(scenario.description)}</p>`;
  const strategyList = `<ul>${names.map((n) => `<li><strong>${esc(n)}</strong>: ${esc(strategyWords(scenario, n))}</li>`).join('')}</ul>`;
  const html = page({
    kind: 'compare',
    title: `invsim: ${scenario.name}, ${names.length} strateg${names.length === 1 ? 'y' : 'ies'} compared`,
    subtitle: `${fmtDuration(scenario.durationS)} simulated per run, ${result.seeds.length} seeds (${fmtSeeds(result.seeds)}) per strategy on common random numbers. invsim ${input.reproducibility.invsimVersion}.`,
    sections: [
      { id: 'summary', heading: 'Executive summary', html: summaryHtml(input, v, summary) },
      { id: 'comparison', heading: 'Strategy comparison', html: `${description}${strategyList}${comparisonTable(result, v.winner.strategy)}${pairedTable(result)}` },
      { id: 'seeds', heading: `Across all ${result.seeds.length} seeds`, html: figures(perSeed) },
      {
        id: 'runs',
        heading: `One run per strategy (seed ${seed ?? '–'})`,
        html: `<p>The charts below show one run of each strategy on seed ${seed ?? '–'}, the same orders and faults for all; the comparison above uses every seed.</p>${figures(perRun)}${channelTable(views, ceilings)}`,
      },
      { id: 'oversells', heading: `Oversell explanations (seed ${seed ?? '–'})`, html: oversellExplanations(views) },
      { id: 'assertions', heading: 'Assertions', html: assertionsSection(input.assertions, { path: '/assertions', ...(input.skippedAssertions === undefined ? {} : { skipped: input.skippedAssertions }) }) },
      { id: 'reproduce', heading: 'Reproducibility', html: reproducibilitySection(input.reproducibility, traces, '/reproducibility') },
    ],
  });
  return { html, json, csv: compareRunRows(result), charts: [...perSeed, ...perRun] };
}

export function strategyWords(scenario: Scenario, name: string): string {
  const s = scenario.strategies[name];
  if (s === undefined) return '';
  const kind =
    s.kind === 'polling'
      ? `polls every ${fmtDuration(s.intervalS)}`
      : s.kind === 'event-batched'
        ? `pushes commits in ${fmtNumber(s.windowMs)} ms windows`
        : s.kind === 'hybrid'
          ? `pushes every commit at once and reconciles every ${fmtDuration(s.reconcileIntervalS)} (hybrid)`
          : s.kind === 'plugin'
            ? `a custom strategy (${s.module.split(/[\\/]/).pop() ?? s.module})`
            : 'pushes every commit at once (event-driven)';
  const pitfall = s.pitfall === undefined ? '' : ` Pitfall variant: ${s.pitfall}.`;
  const partition = s.partitionStock ? ' Each channel sells only from its own share of the stock.' : '';
  return `${s.description ?? `${kind[0]!.toUpperCase()}${kind.slice(1)}.${s.description === undefined ? partition : ''}`}${pitfall}`;
}
