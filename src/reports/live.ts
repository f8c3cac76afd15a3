/**
 * The live report (`invsim live-report`): a k6 run against a deployment, next to what the
 * simulation predicts for the same scenario and strategy.
 *
 * A live run is one sample, so it is judged against a 95% *prediction* interval for one run
 * (mean ± t·s·√(1 + 1/n) over the simulated seeds), not against the narrower confidence interval
 * of the mean, which the table shows too.
 *
 * Like with like: the prediction simulates the live world (live-world.ts: the scenario with the
 * orders reaching the engine as the k6 script sends them), and the service compresses the whole
 * scenario by its speedup and reports scenario time, so latencies, DLQ counts and freshness
 * compare as they are; counts that grow with volume are per 1,000 orders. A measure that cannot
 * be compared says why (`reason`) and gets no verdict: a service that took orders its listings did
 * not show (no `--storefront`), an audit that does not say its time base, a freshness window that
 * does not cover the scenario, a strategy the service does not run.
 *
 * What the live run's files say of its own draws, the prediction holds fixed (`conditioning`,
 * src/loadtest/live-world.ts `liveConditioning`): the catalogue is the load's seed's, on every
 * predicted seed, and a restock is the job it was live (reads, then writes, over its measured
 * length), not the simulator's instant one.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import type { CheckReport } from '../analysis/check.js';
import { describeAssertion, holds, scenarioAssertions } from '../analysis/check.js';
import type { CsvRow } from '../analysis/output.js';
import { estimate, roundStat, tQuantile975, type Estimate } from '../analysis/stats.js';
import type { AssertableMetric, Scenario } from '../scenarios/schema.js';
import type { SimulationResult } from '../model/result.js';
import { engineConfig } from '../scenarios/compile.js';
import type { LiveConditioning } from '../loadtest/live-world.js';
import type { StrategySpec } from '../scenarios/schema.js';
import { durationUnit, groupedBarsSpec, intervalBarsSpec, latencyCdfSpec, renderChart, type CdfRow, type Chart, type MarkRow } from './charts.js';
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
  /** Whether the live value lies within the prediction interval; null when not compared. */
  readonly withinPrediction: boolean | null;
  /** Whether live and predicted measure the same thing here; when not, `reason` says why. */
  readonly comparable: boolean;
  readonly reason: string | null;
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
  /** The speedup the live run ran at (scenario seconds per real second), when known. */
  readonly speedup: number | null;
  readonly seeds: readonly number[];
  readonly live: { readonly k6: LiveK6; readonly audit: LiveAudit };
  readonly measures: readonly LiveMeasure[];
  readonly channels: readonly LiveChannel[];
  readonly liveAssertions: readonly LiveAssertion[];
  /** What the prediction held fixed at the live run's values, and the same in a sentence. */
  readonly conditioning: LiveConditioning;
  readonly conditioningSummary: string;
  /** What the live run did differently from the world the prediction simulates, as far as its files tell. */
  readonly diagnostics: readonly string[];
  readonly predictedRuns: readonly { readonly seed: number; readonly traceHash: string }[];
}

export interface LiveReportInput {
  readonly scenario: Scenario;
  readonly strategy: string;
  /** The live run's speedup: from the audit, or `--speedup` (null: unknown). */
  readonly speedup: number | null;
  readonly k6: LiveK6;
  readonly audit: LiveAudit;
  /** The simulated runs of the prediction, one per seed, in seed order. */
  readonly predicted: readonly SimulationResult[];
  /** What the predicted runs held fixed at the live run's values (`livePrediction`'s conditioning). */
  readonly conditioning: LiveConditioning;
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

function within(live: number | null, p: Prediction | null, slackAbove = 0): boolean | null {
  if (live === null || p === null) return null;
  const eps = 1e-9 * Math.max(1, Math.abs(live));
  return live >= p.pi95[0] - eps && live <= p.pi95[1] + slackAbove + eps;
}

/** Customers of the live run: distinct orders, those their listings turned away included. */
function liveArrivals(a: LiveAudit): number {
  return a.ordersDistinct ?? a.applied + a.rejected + (a.notListed ?? 0);
}

/** Orders the channels took in the live run: its customers less those their listings did not show. */
function liveOrdersTaken(a: LiveAudit): number {
  return liveArrivals(a) - (a.notListed ?? 0);
}

/** A per-1,000 count measure over `d` live units: one event is 1000 / d of it (none when d is 0). */
function countStepPer1000(d: number): { countStep?: number } {
  return d > 0 ? { countStep: 1000 / d } : {};
}

export function per1000(n: number | null, d: number): number | null {
  return n !== null && d > 0 ? roundStat((n / d) * 1000) : null;
}

export interface MeasureSpec {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly live: number | null;
  readonly perSeed: readonly (number | null)[];
  /** Why live and predicted are not the same quantity here (null: they are). */
  readonly notComparable: string | null;
  /**
   * The live value can only grow (work still in flight adds to it): below the prediction it is
   * no verdict, and this is the reason given; above it, it is a departure all the same.
   */
  readonly lowerBoundReason?: string | null;
  /**
   * A count (or a count per some denominator): the value one event adds. The band is then at
   * least the central 95% of a Poisson count with the predicted mean: from ten seeds a normal
   * band undershoots a rare event (one lost sale where the mean is 0.1 is a 10% chance, not a
   * departure).
   */
  readonly countStep?: number;
  /** Scenario units above the band still judged within (the service's own work the model leaves out, see the note). */
  readonly slackAbove?: number;
  readonly note?: string;
  readonly max?: number;
}

/** The central 95% of a Poisson count with mean `mean`: [largest k with P(X < k) <= 2.5%, smallest k with P(X <= k) >= 97.5%]. */
export function poissonRange95(mean: number): readonly [number, number] {
  if (!(mean > 0)) return [0, 0];
  let p = Math.exp(-mean);
  let cumulative = p;
  let low = 0;
  let k = 0;
  while (cumulative < 0.975) {
    if (cumulative <= 0.025) low = k + 1;
    k++;
    p *= mean / k;
    cumulative += p;
  }
  return [low, k];
}

/** The prediction with its band widened to the Poisson range of its mean, for a count measure. */
function countBand(p: Prediction | null, step: number | undefined): Prediction | null {
  if (p === null || step === undefined || !(step > 0)) return p;
  const [low, high] = poissonRange95(p.mean / step);
  return { ...p, pi95: [roundStat(Math.min(p.pi95[0], low * step)), roundStat(Math.max(p.pi95[1], high * step))] };
}

export function measure(spec: MeasureSpec): LiveMeasure {
  const values = spec.perSeed.filter((v): v is number => v !== null);
  const predicted = countBand(prediction(values, { min: 0, max: spec.max ?? Number.POSITIVE_INFINITY }), spec.countStep);
  const missing = spec.live === null ? 'the live run did not report it' : predicted === null ? 'the prediction has no value' : null;
  const low = spec.lowerBoundReason != null && spec.live !== null && predicted !== null && within(spec.live, predicted) === false && spec.live < predicted.pi95[0];
  const reason = spec.notComparable ?? missing ?? (low ? spec.lowerBoundReason! : null);
  return {
    id: spec.id,
    label: spec.label,
    unit: spec.unit,
    live: spec.live,
    predicted,
    perSeed: values,
    withinPrediction: reason === null ? within(spec.live, predicted, spec.slackAbove ?? 0) : null,
    comparable: reason === null,
    reason,
    note: spec.note ?? null,
  };
}

/** Assertable metrics a live run measures, and where the audit has them. */
const LIVE_ASSERTABLE: Partial<Record<AssertableMetric, (a: LiveAudit) => number | null>> = {
  oversells: (a) => a.oversells,
  integrityViolations: (a) => a.integrityViolations,
  latencyMsP99: (a) => a.latencyMsP99,
  dlqParked: (a) => a.dlqParked,
};

/** Whether `invsim serve` runs this strategy: it is event-driven, with no listing policy, partition or pitfall. */
export function serviceRunsStrategy(spec: StrategySpec | undefined): boolean {
  if (spec === undefined) return false;
  const policy = Object.values(spec.listingPolicy).some((v) => v !== undefined);
  return spec.kind === 'event-driven' && !policy && !spec.partitionStock && spec.pitfall === undefined;
}

/** The name under which the live report predicts the service's own sync when the scenario has no such strategy. */
export const SERVICE_STRATEGY = 'service-event-driven';

/**
 * The strategy a live report predicts with by default: the scenario's `event-driven` when the
 * service runs it, else the first strategy the service runs, else the service's own sync (plain
 * event-driven) added to the scenario under SERVICE_STRATEGY.
 */
export function liveStrategy(scenario: Scenario): { scenario: Scenario; strategy: string } {
  const names = Object.keys(scenario.strategies);
  const runs = (name: string): boolean => serviceRunsStrategy(scenario.strategies[name]);
  const found = names.includes('event-driven') && runs('event-driven') ? 'event-driven' : names.find(runs);
  if (found !== undefined) return { scenario, strategy: found };
  const service = { kind: 'event-driven', description: 'What invsim serve runs: every commit pushed at once, no listing policy.', listingPolicy: {}, partitionStock: false };
  return { scenario: { ...scenario, strategies: { ...scenario.strategies, [SERVICE_STRATEGY]: service } as Scenario['strategies'] }, strategy: SERVICE_STRATEGY };
}

export function liveResult(input: Omit<LiveReportInput, 'reproducibility' | 'assertions'>): LiveResult {
  const { audit, predicted, scenario } = input;
  const taken = liveOrdersTaken(audit);
  const arrivals = liveArrivals(audit);
  const invsimService = audit.speedup !== null;
  const strategyGap =
    invsimService && !serviceRunsStrategy(scenario.strategies[input.strategy])
      ? `invsim serve runs event-driven sync with no listing policy; strategy ${input.strategy} is not that, so the prediction is of another engine configuration`
      : null;
  const timeGap =
    input.speedup === null
      ? 'the audit does not say in which time it measured (no speedup in it, none given with --speedup)'
      : audit.speedup !== null && audit.speedup !== input.speedup
        ? `the service ran at speedup ${audit.speedup}, the load at ${input.speedup}`
        : null;
  const tookUnlisted =
    audit.storefront !== true && (audit.notListed ?? 0) > 0
      ? `the service took ${audit.notListed} orders its channels' listings did not show (the simulator's customers would not have ordered): run invsim serve with --storefront`
      : null;
  const windowGap =
    audit.freshnessWindowS === null
      ? 'the audit reports freshness at one moment, not integrated over the run'
      : audit.freshnessWindowS < 0.99 * scenario.durationS
        ? `the audit's freshness window covers ${roundStat(audit.freshnessWindowS)} of the scenario's ${scenario.durationS} s (read before the run ended?)`
        : null;
  const first = (...reasons: (string | null)[]): string | null => reasons.find((r) => r !== null) ?? null;
  const measures: LiveMeasure[] = [
    measure({
      id: 'oversellsPer1000',
      label: 'Oversells',
      unit: 'per 1,000 orders taken',
      live: per1000(audit.oversells, taken),
      perSeed: predicted.map((r) => per1000(r.oversells, r.orders.placed)),
      notComparable: first(strategyGap, tookUnlisted),
      ...countStepPer1000(taken),
    }),
    measure({
      id: 'lostSalesPer1000',
      label: 'Lost sales',
      unit: 'per 1,000 customers',
      live: audit.storefront === true ? per1000(audit.lostSales, arrivals) : null,
      perSeed: predicted.map((r) => per1000(r.lostSales, r.orders.arrivals)),
      notComparable: first(strategyGap, audit.storefront === true ? null : 'only a service whose channels act as storefronts (invsim serve --storefront) turns customers away'),
      ...countStepPer1000(arrivals),
    }),
    measure({ id: 'integrityViolations', label: 'Integrity violations', unit: 'count', live: audit.integrityViolations, perSeed: predicted.map((r) => r.integrityViolations), notComparable: null }),
    measure({
      id: 'latencyMsP99',
      label: 'Propagation latency p99',
      unit: 'ms, scenario time',
      live: audit.latencyMsP99,
      perSeed: predicted.map((r) => r.latencyMs.p99),
      notComparable: first(strategyGap, timeGap),
      lowerBoundReason: audit.settled === false ? 'the audit was read with updates still undelivered (settled: false): the live p99 counts only those delivered, a lower bound, and it is below the prediction' : null,
    }),
    measure({
      id: 'orderProcessingMsP99',
      label: "Order processing p99 (arrival to the engine's answer)",
      unit: 'ms, scenario time',
      live: audit.orderProcessingMs?.p99 ?? null,
      perSeed: predicted.map((r) => r.engine.orderProcessingMs.p99),
      notComparable: first(strategyGap, timeGap),
      slackAbove: PROCESSING_LAG_NOTICE_MS,
      note: `the simulated engine spends its store operations and its queue on an order; the live one its CPU too, which the speedup multiplies: within up to ${fmtMs(PROCESSING_LAG_NOTICE_MS)} of scenario time above the band`,
    }),
    measure({ id: 'dlqParked', label: 'Parked in the DLQ', unit: 'updates per run', live: audit.dlqParked, perSeed: predicted.map((r) => r.dlq.parked), notComparable: first(strategyGap, timeGap) }),
    measure({
      id: 'duplicatesPer1000',
      label: 'Duplicate deliveries',
      unit: 'per 1,000 orders taken',
      live: per1000(audit.duplicates, taken),
      perSeed: predicted.map((r) => per1000(r.orders.duplicatesIgnored, r.orders.placed)),
      notComparable: null,
      ...countStepPer1000(taken),
    }),
    measure({
      id: 'meanConfidence',
      label: 'Listing freshness',
      unit: 'mean confidence, 0 to 1',
      live: audit.meanConfidence,
      perSeed: predicted.map((r) => r.freshness.meanConfidence),
      notComparable: first(strategyGap, timeGap, windowGap),
      max: 1,
      note: 'integrated over the run, listing by listing, on both sides',
    }),
    measure({
      id: 'invisibleFraction',
      label: 'Listings invisible to AI agents',
      unit: 'share of listing-time, 0 to 1',
      live: audit.invisibleFraction,
      perSeed: predicted.map((r) => r.freshness.invisibleFraction),
      notComparable: first(strategyGap, timeGap, windowGap),
      max: 1,
    }),
  ];
  const channelIds = scenario.channels.map((c) => c.id);
  const channels = channelIds.map((channel) => {
    const live = audit.latencyMsByChannel[channel];
    const values = predicted.map((r) => r.channels.find((c) => c.id === channel)).flatMap((c) => (c === undefined || c.latencyMs.p99 === null ? [] : [c.latencyMs.p99]));
    return { channel, liveP99Ms: live?.p99 ?? null, liveCount: live?.count ?? null, predictedP99Ms: prediction(values) };
  });
  const liveAssertions = scenarioAssertions(scenario)
    .filter((a) => a.strategy === input.strategy)
    .map((a) => {
      const read = LIVE_ASSERTABLE[a.metric];
      const live = read === undefined ? null : read(audit);
      return { assertion: describeAssertion(a), metric: a.metric, live, held: live === null ? null : holds(a.expected, live) };
    });
  return {
    scenario: scenario.name,
    strategy: input.strategy,
    speedup: input.speedup,
    seeds: predicted.map((r) => r.seed),
    live: { k6: input.k6, audit },
    measures,
    channels,
    liveAssertions,
    conditioning: input.conditioning,
    conditioningSummary: conditioningWords(input.conditioning, scenario.catalog.restock !== undefined),
    diagnostics: diagnose(input, measures),
    predictedRuns: predicted.map((r) => ({ seed: r.seed, traceHash: r.traceHash })),
  };
}

/**
 * Known ways a live run departs from the world the prediction simulates, found in its files:
 * each is a cause a reader can act on when a measure lands outside the prediction.
 */
function diagnose(input: Omit<LiveReportInput, 'reproducibility' | 'assertions'>, measures: readonly LiveMeasure[]): string[] {
  const { k6, audit } = input;
  const found: string[] = [];
  if (k6.droppedIterations !== null && k6.droppedIterations > 0) {
    found.push(`k6 dropped ${k6.droppedIterations} iterations for want of a free VU: the live run sent fewer orders than the scenario (raise the scenarios' maxVUs, or lower --speedup)`);
  }
  if (audit.settled === false) {
    found.push(
      "the audit was read while work was still in flight (settled: false): its end-to-end checks were skipped and its counts may still move; propagation latency counts only the updates delivered by then, so a latency p99 below the prediction is a lower bound, not a departure (the simulator counts every update, however late)",
    );
  }
  const processing = measures.find((m) => m.id === 'orderProcessingMsP99');
  const lag = processing === undefined ? null : processingLag(audit, processing.predicted);
  if (lag !== null) found.push(lag);
  const waited = lostWhileWaiting(audit, measures.find((m) => m.id === 'lostSalesPer1000'));
  if (waited !== null) found.push(waited);
  return found;
}

/**
 * Lost sales above the prediction, some of them counted only because the service was slow: a
 * customer turned away by a channel that had sold out, while the orders that emptied it still
 * waited for the engine's commit (the source still counted their units). The simulated engine
 * answers in milliseconds, so its runs have almost none of these. Says how many, and where the
 * live value lands without them.
 */
function lostWhileWaiting(audit: LiveAudit, lost: LiveMeasure | undefined): string | null {
  const n = audit.lostSalesWhileOrdersWaited;
  if (lost === undefined || lost.withinPrediction !== false || lost.live === null || lost.predicted === null || n === null || n === 0 || audit.lostSales === null) return null;
  if (lost.live < lost.predicted.pi95[0]) return null;
  const arrivals = liveArrivals(audit);
  const without = per1000(audit.lostSales - n, arrivals);
  if (without === null) return null;
  const band = lost.predicted.pi95;
  const verdict = without <= band[1] ? 'within the predicted band' : 'still above the predicted band';
  return (
    `${fmtNumber(n)} of the ${fmtNumber(audit.lostSales)} live lost sales were customers turned away while orders of the same SKU that their channel had already taken waited for the engine's commit, so the source of truth still counted those units: ` +
    `without them the live value is ${fmtNumber(without, 1)} per 1,000 customers, ${verdict} (${fmtNumber(band[0], 1)}–${fmtNumber(band[1], 1)})`
  );
}

/** A live order-processing p99 above the prediction is named as a cause only from this many scenario ms on. */
export const PROCESSING_LAG_NOTICE_MS = 1_000;

/**
 * The simulated engine spends its store operations and its queue on an order; the live service
 * spends real CPU too, which the speedup multiplies. When orders waited longer for their answer
 * than the prediction allows, and long enough to matter beside the channels' own delays (a
 * second), the other channels listed units already sold for that long, and the source of truth
 * counted them as in stock: a customer turned away meanwhile by a channel that had sold out is,
 * by the definition, a lost sale (seen live on pitfalls at 25x: five Shopify customers of the
 * burst turned away while the burst's orders of the same SKU waited 2 s for their commits).
 */
function processingLag(audit: LiveAudit, band: Prediction | null): string | null {
  const p = audit.orderProcessingMs;
  if (p === null || p.count === 0 || band === null || p.p99 <= Math.max(band.pi95[1], PROCESSING_LAG_NOTICE_MS)) return null;
  const real = audit.speedup === null ? '' : ` (${fmtNumber(Math.round(p.p99 / audit.speedup))} real ms at speedup ${fmtNumber(audit.speedup)})`;
  return (
    `orders waited ${fmtMs(p.p99)} of scenario time at p99 (median ${fmtMs(p.p50)}, max ${fmtMs(p.max)}) for the engine's answer${real}, ` +
    `above the ${fmtMs(band.pi95[1])} the simulated engine's queue and store operations allow: while an order waits, the other channels still list the units it took, ` +
    'so oversells and propagation latency read high, and the source of truth still counts them, so a customer turned away by a channel that sold out meanwhile counts as a lost sale. ' +
    'Lower --speedup, or give the service and the load cores of their own'
  );
}

/** What the prediction held fixed, in one sentence (the report and the command's text). */
function conditioningWords(c: LiveConditioning, restocks: boolean): string {
  const seconds = (ms: number): string => `${fmtNumber(Math.round(ms / 100) / 10, 1)} s`;
  const catalogue =
    c.catalogSeed === null
      ? "each predicted seed draws its own catalogue (the summary does not give the load's seed, invsim_load_seed)"
      : `every predicted seed has the live catalogue (the load's seed ${c.catalogSeed})`;
  const job = c.restockJob;
  const restockWords = !restocks
    ? 'the scenario has no restocks'
    : job === null
      ? 'restocks are instant, as the scenario has them (the summary does not say how long the live ones took)'
      : `each restock is the job it was live: ${seconds(job.readSpanMs)} of reads, then ${seconds(job.writeSpanMs)} of writes, ${fmtNumber(job.batch)} SKUs at a time (scenario time, the live mean)`;
  const flags = [
    ...(c.catalogSeed === null ? [] : [`--catalog-seed ${c.catalogSeed}`]),
    ...(job === null ? [] : [`--restock-read-ms ${job.readSpanMs} --restock-write-ms ${job.writeSpanMs}`]),
  ];
  return `The prediction holds the live run's conditions fixed: ${catalogue}; ${restockWords}. One predicted run alone: invsim run --live --seed N${flags.map((f) => ` ${f}`).join('')}.`;
}

function fmtMeasure(id: string, x: number): string {
  switch (id) {
    case 'latencyMsP99':
    case 'orderProcessingMsP99':
      return fmtMs(x);
    case 'meanConfidence':
      return fmtNumber(x, 3);
    case 'invisibleFraction':
      return fmtPercent(x, 2);
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
  const notCompared = r.measures.filter((m) => !m.comparable);
  const headlineCount =
    outside.length === 0
      ? `matched the prediction on ${comparable.length === 1 ? 'the' : `all ${datum('strong', { text: String(comparable.length), value: comparable.length, path: '/summary/comparable' })}`} comparable measure${comparable.length === 1 ? '' : 's'}`
      : `departed from the prediction on ${datum('strong', { text: `${outside.length} of ${comparable.length}`, value: outside.length, path: '/summary/departed' })} comparable measures`;
  const live = (text: string, value: number | null, ...path: (string | number)[]): string => datum('span', { text, value, path: pointer('result', 'live', 'audit', ...path) });
  const liveHeld = r.liveAssertions.filter((x) => x.held !== null);
  const liveFailed = liveHeld.filter((x) => x.held === false);
  return `<div class="summary" data-verdict="${outside.length === 0 ? 'matched' : 'departed'}">
<p class="headline">The live run ${headlineCount} (${esc(r.scenario)}, strategy ${esc(r.strategy)}${r.speedup === null ? '' : `, speedup ${esc(String(r.speedup))}`}, simulated on ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'}).</p>
${outside.length === 0 ? '' : `<p class="verdict-fail">Outside the range one simulated run would fall in (95% prediction interval): ${outsideWords.join('; ')}.</p>`}
${notCompared.length === 0 ? '' : `<p class="note">Not compared: ${notCompared.map((m) => `${esc(m.label.toLowerCase())} (${esc(m.reason ?? '')})`).join('; ')}.</p>`}
${r.diagnostics.length === 0 ? '' : `<p${outside.length === 0 ? ' class="note"' : ''}>${outside.length === 0 ? 'Where the live run differed from the simulated world' : 'What may explain the departures'}: ${r.diagnostics.map((d, i) => datum('span', { text: d, value: d, path: pointer('result', 'diagnostics', i) })).join('; ')}.</p>`}
<p>The service received ${live(fmtNumber(a.ordersReceived), a.ordersReceived, 'ordersReceived')} order deliveries: ${live(fmtNumber(a.applied), a.applied, 'applied')} applied, ${live(fmtNumber(a.rejected), a.rejected, 'rejected')} rejected, ${live(fmtNumber(a.duplicates), a.duplicates, 'duplicates')} duplicates ignored${a.storefront === true && a.notListed !== null ? `, ${live(fmtNumber(a.notListed), a.notListed, 'notListed')} not taken because their channel's listing showed too few units (${live(fmtNumber(a.lostSales ?? 0), a.lostSales, 'lostSales')} of them lost sales: the source of truth had the units)` : ''}. ${a.integrityViolations === 0 ? 'It kept its integrity: no invariant was broken.' : `It broke its invariants ${live(fmtNumber(a.integrityViolations), a.integrityViolations, 'integrityViolations')} times.`} ` +
    `It oversold ${live(fmtNumber(a.oversells), a.oversells, 'oversells')} order${a.oversells === 1 ? '' : 's'}, which would cost about ${datum('span', { text: fmtMoney(a.oversells * perOversell), value: roundStat(a.oversells * perOversell), path: '/summary/liveOversellCost' })} in the scenario's currency units (order value ${esc(fmtMoney(econ.averageOrderValue))} plus lifetime value ${esc(fmtMoney(econ.customerLifetimeValue))} × ${esc(String(econ.churnMultiplier))} lost to churn, each).</p>
<p>k6: ${k.httpReqs === null ? 'no request count' : `${esc(fmtNumber(k.httpReqs))} requests`}${k.httpReqDurationMs.p99 === null ? '' : `, HTTP p99 ${esc(fmtMs(k.httpReqDurationMs.p99))}`}${k.checksRate === null ? '' : `, ${esc(fmtPercent(k.checksRate, 2))} of checks passed`}. ${k.thresholds.length === 0 ? 'The summary has no thresholds.' : failedThresholds.length === 0 ? `<span class="verdict-pass">All ${k.thresholds.length} k6 thresholds passed.</span>` : `<span class="verdict-fail">${failedThresholds.length} of ${k.thresholds.length} k6 thresholds failed: ${esc(listWords(failedThresholds.map((t) => `${t.metric} ${t.expression}`)))}.</span>`}</p>
<p>${liveHeld.length === 0 ? 'No assertion of the scenario has a live equivalent.' : liveFailed.length === 0 ? `<span class="verdict-pass">Every assertion with a live equivalent held on the live run (${esc(listWords(liveHeld.map((x) => x.assertion)))}).</span>` : `<span class="verdict-fail">Assertions that failed on the live run: ${esc(listWords(liveFailed.map((x) => `${x.assertion} (live ${String(x.live)})`)))}.</span>`} ${input.assertions === null ? '' : input.assertions.passed ? 'The simulated prediction met every assertion on every seed.' : `The simulated prediction failed ${input.assertions.failed} of ${input.assertions.assertions} assertions.`}</p>
<p class="note">A live run is one sample: it is judged against the 95% prediction interval of a single simulated run, not the confidence interval of the mean. The prediction simulates the world the live run creates (orders reach the engine as the k6 script sends them), in scenario time, as the service reports it. ${esc(r.conditioningSummary)} Counts that grow with volume are per 1,000 orders.${a.settled === false ? ' The audit ran while work was still in flight (settled: false): end-to-end checks were skipped.' : ''}</p>
</div>`;
}

function measuresTable(r: LiveResult): string {
  const rows = r.measures.map((m, i) => {
    const p = m.predicted;
    const base = pointer('result', 'measures', i);
    const f = (x: number): string => fmtMeasure(m.id, x);
    const verdict = m.withinPrediction === null ? `not compared: ${m.reason ?? 'no value'}` : m.withinPrediction ? 'within' : 'OUTSIDE';
    return [
      `<th scope="row">${esc(m.label)} <span class="note">(${esc(m.unit)})</span>${m.note === null ? '' : `<br><span class="note">${esc(m.note)}</span>`}</th>`,
      m.live === null ? '<td>–</td>' : datum('td', { text: f(m.live), value: m.live, path: `${base}/live` }),
      p === null ? '<td>–</td>' : datum('td', { text: f(p.mean), value: p.mean, path: `${base}/predicted/mean` }),
      p === null ? '<td>–</td>' : `<td>${datum('span', { text: f(p.ci95[0]), value: p.ci95[0], path: `${base}/predicted/ci95/0` })} to ${datum('span', { text: f(p.ci95[1]), value: p.ci95[1], path: `${base}/predicted/ci95/1` })}</td>`,
      p === null ? '<td>–</td>' : `<td>${datum('span', { text: f(p.pi95[0]), value: p.pi95[0], path: `${base}/predicted/pi95/0` })} to ${datum('span', { text: f(p.pi95[1]), value: p.pi95[1], path: `${base}/predicted/pi95/1` })}</td>`,
      el('td', { class: m.withinPrediction === false ? 'fail' : m.withinPrediction === true ? 'ok' : 'text', 'data-path': `${base}/withinPrediction`, 'data-value': JSON.stringify(m.withinPrediction) }, verdict),
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
  // A measure at 0 live and in every simulated run draws an empty panel: it is named instead.
  const allZero = (m: LiveMeasure): boolean => m.live === 0 && m.predicted !== null && m.predicted.mean === 0 && m.predicted.pi95[0] === 0 && m.predicted.pi95[1] === 0;
  const comparable = r.measures.filter((m) => m.comparable && !allZero(m));
  const zeros = r.measures.filter((m) => m.comparable && allZero(m));
  const categories = ['predicted', 'live'];
  const measureAlt = comparable.map((m) => `${m.label} (${m.unit}): live ${m.live === null ? 'not reported' : fmtMeasure(m.id, m.live)}, predicted ${m.predicted === null ? 'none' : `${fmtMeasure(m.id, m.predicted.mean)} (one run: ${fmtMeasure(m.id, m.predicted.pi95[0])} to ${fmtMeasure(m.id, m.predicted.pi95[1])})`}`).join('; ');
  const zeroWords = zeros.length === 0 ? '' : ` Left out, 0 live and in every simulated run: ${listWords(zeros.map((m) => m.label.toLowerCase()))}.`;
  const alt1 = `Each comparable measure live (one run) beside the simulation's prediction (mean over ${r.seeds.length} seeds, error bar: 95% prediction interval for one run). ${measureAlt}.${zeroWords}`;
  const latencyUnit = (m: (typeof comparable)[number]): string => (m.id === 'latencyMsP99' || m.id === 'orderProcessingMsP99' ? 'ms' : m.unit);
  const panels = comparable.map((m) => ({
    title: `${m.label} (${latencyUnit(m)})`,
    rows: [
      ...(m.predicted === null ? [] : [{ category: 'predicted', mean: m.predicted.mean, lo: m.predicted.pi95[0], hi: m.predicted.pi95[1] }]),
      ...(m.live === null ? [] : [{ category: 'live', mean: m.live, lo: null, hi: null }]),
    ],
  }));
  // In the unit the largest p99 reads best in (an outage's p99 is an hour, not 3 600 000 ms).
  const largestMs = Math.max(0, ...r.channels.flatMap((c) => [c.predictedP99Ms?.pi95[1] ?? 0, c.predictedP99Ms?.mean ?? 0, c.liveP99Ms ?? 0]));
  const unit = durationUnit(largestMs);
  const inUnit = (ms: number | null): number | null => (ms === null ? null : Math.round((ms / unit.ms) * 1000) / 1000);
  const channelRows = r.channels.flatMap((c) => [
    ...(c.predictedP99Ms === null ? [] : [{ group: c.channel, series: 'predicted', value: inUnit(c.predictedP99Ms.mean)!, lo: inUnit(c.predictedP99Ms.pi95[0]), hi: inUnit(c.predictedP99Ms.pi95[1]) }]),
    ...(c.liveP99Ms === null ? [] : [{ group: c.channel, series: 'live', value: inUnit(c.liveP99Ms)!, lo: null, hi: null }]),
  ]);
  const alt2 = `Propagation latency p99 per channel, live beside predicted (error bar: 95% prediction interval for one run). ${r.channels.map((c) => `${c.channel}: live ${c.liveP99Ms === null ? 'not reported' : fmtMs(c.liveP99Ms)}, predicted ${c.predictedP99Ms === null ? 'none' : fmtMs(c.predictedP99Ms.mean)}`).join('; ')}.`;
  const first = input.predicted[0];
  const cdfRows: CdfRow[] = [];
  const marks: MarkRow[] = [];
  for (const c of first?.channels ?? []) {
    if (c.latencyMs.p99 !== null) {
      c.latencyCdf.q.forEach((q, i) => cdfRows.push({ channel: c.id, strategy: 'predicted', q, ms: c.latencyCdf.ms[i]! }));
      marks.push({ channel: c.id, strategy: 'predicted', ms: c.latencyMs.p99, label: 'p99' });
    }
    const live = r.channels.find((x) => x.channel === c.id)?.liveP99Ms;
    if (live !== null && live !== undefined) marks.push({ channel: c.id, strategy: 'live', ms: live, label: 'live p99' });
  }
  const threshold = engineConfig(input.scenario).alertThresholdMs;
  const shapes = ['diamond', 'triangle-down'];
  const markLabels = [...new Set(marks.map((m) => m.label))];
  const shapeOf = (label: string): string => ({ diamond: 'diamond', 'triangle-down': 'downward triangle' })[shapes[markLabels.indexOf(label)] ?? ''] ?? 'square';
  const markWords = markLabels.map((l) => `the ${l === 'p99' ? 'predicted p99' : l} as a ${shapeOf(l)}`).join(' and ');
  const alt3 = `The predicted distribution of propagation latency per channel (seed ${first?.seed ?? '–'}, a line), with ${markWords === '' ? 'no p99 markers' : markWords} and the alert threshold of ${fmtMs(threshold)} as a red dashed line.`;
  return [
    { id: 'live-vs-predicted', title: 'Live against predicted', alt: alt1, spec: intervalBarsSpec({ title: 'Live against predicted', description: alt1, categories, categoryTitle: 'source', panels, yTitle: 'value (unit in the panel title)', columns: 3, width: 150 }) },
    { id: 'channel-p99', title: 'Propagation latency p99 per channel, live and predicted', alt: alt2, spec: groupedBarsSpec({ title: 'Propagation latency p99 per channel, live and predicted', description: alt2, series: categories, rows: channelRows, groupTitle: 'channel', yTitle: `propagation latency p99 (${unit.name}, scenario time)` }) },
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
      departed: comparable.length - matched,
      outside: comparable.filter((m) => m.withinPrediction === false).map((m) => m.id),
      notCompared: r.measures.filter((m) => !m.comparable).map((m) => ({ id: m.id, reason: m.reason })),
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
    ['measure', 'unit', 'live', 'predictedMean', 'ci95Low', 'ci95High', 'pi95Low', 'pi95High', 'comparable', 'withinPrediction', 'reason'],
    ...r.measures.map((m) => [m.id, m.unit, m.live, m.predicted?.mean ?? null, m.predicted?.ci95[0] ?? null, m.predicted?.ci95[1] ?? null, m.predicted?.pi95[0] ?? null, m.predicted?.pi95[1] ?? null, m.comparable, m.withinPrediction, m.reason]),
    ...r.channels.map((c) => {
      const latency = r.measures.find((m) => m.id === 'latencyMsP99')!;
      const inBand = within(c.liveP99Ms, c.predictedP99Ms);
      const comparable = latency.reason === null && inBand !== null;
      const reason = latency.reason ?? (inBand === null ? 'no live or predicted value' : null);
      return [`latencyMsP99:${c.channel}`, 'ms', c.liveP99Ms, c.predictedP99Ms?.mean ?? null, c.predictedP99Ms?.ci95[0] ?? null, c.predictedP99Ms?.ci95[1] ?? null, c.predictedP99Ms?.pi95[0] ?? null, c.predictedP99Ms?.pi95[1] ?? null, comparable, comparable ? inBand : null, reason];
    }),
  ];
  return { html, json, csv, charts: rendered };
}
