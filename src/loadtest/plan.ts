/**
 * A scenario as a k6 load: the data a generated script runs on (loadtest/lib/config.ts has the
 * same shape; the type-check of every generated script holds the two together).
 *
 * Time is compressed by `speedup`: a scenario hour lasts 3600/speedup real seconds, and every
 * arrival rate is multiplied by `speedup`, so the orders and their mix are the simulation's, only
 * sooner. What is not compressed: a burst's spread (a flash sale is concurrent), channel
 * latencies (the service's channel models run in real time; give `invsim serve --speedup` the
 * same value so its fault windows line up).
 *
 * The catalog (SKU names, Zipf popularity, initial stock) is the simulator's for the same seed:
 * the stock comes from the same named stream (`catalog.stock`), so a live run starts where
 * `invsim run --seed N` starts.
 */
import { scenarioAssertions, type Bound } from '../analysis/check.js';
import type { AssertableMetric, Scenario } from '../scenarios/schema.js';
import { RandomStreams, ZipfSampler } from '../sim/random.js';
import { effectivePreset } from '../sim/world.js';

export interface K6ScriptConfig {
  readonly scenario: string;
  readonly strategy: string;
  readonly generatedBy: string;
  readonly speedup: number;
  readonly durationMs: number;
  readonly channels: readonly { readonly id: string; readonly duplicateRate: number }[];
  readonly channelCdf: readonly number[];
  readonly skus: readonly string[];
  readonly skuCdf: readonly number[];
  readonly initialStock: readonly number[];
  readonly unitsPerOrderMax: number;
  readonly demand: {
    readonly timeUnit: string;
    readonly steps: readonly { readonly durationMs: number; readonly target: number }[];
    readonly preAllocatedVUs: number;
    readonly maxVUs: number;
  } | null;
  readonly bursts: readonly {
    readonly name: string;
    readonly startTimeMs: number;
    readonly orders: number;
    readonly hotSkus: number;
    readonly spreadMs: number;
    readonly channels: readonly number[];
  }[];
  readonly surge: {
    readonly startTimeMs: number;
    readonly durationMs: number;
    readonly timeUnit: string;
    readonly rate: number;
    readonly hotSkus: number;
    readonly preAllocatedVUs: number;
    readonly maxVUs: number;
  } | null;
  readonly restock: { readonly everyMs: number; readonly upToUnits: number } | null;
  readonly duplicateDelayMaxMs: number;
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
  readonly notMirrored: readonly string[];
  readonly summaryFile: string;
}

export interface PlanOptions {
  readonly speedup: number;
  /** Root seed of the catalog's initial stock (the simulator's `--seed`). */
  readonly seed: number;
  /** Strategy whose assert blocks the thresholds mirror (default: event-driven, else the first non-pitfall one). */
  readonly strategy?: string;
  /** Bound on the webhooks' p(99) acknowledgement time. */
  readonly httpP99Ms: number;
  readonly generatedBy: string;
}

const HOUR_MS = 3_600_000;
const DAY_S = 86_400;
/** Time units an arrival rate may be expressed in; the smallest that gives 100 or more per unit wins. */
const TIME_UNITS: readonly (readonly [string, number])[] = [
  ['1s', 1],
  ['1m', 60],
  ['1h', 3600],
];
const RATE_RESOLUTION = 100;

/** Assert metrics a live run measures (from /audit in teardown), and the k6 metric each becomes. */
export const LIVE_METRICS: Partial<Record<AssertableMetric, string>> = {
  oversells: 'invsim_oversells',
  integrityViolations: 'invsim_integrity_violations',
  latencyMsP99: 'invsim_propagation_latency_p99_ms',
  dlqParked: 'invsim_dlq_parked',
};

const NOT_LIVE: Partial<Record<AssertableMetric, string>> = {
  lostSales: 'k6 cannot see a customer turned away by a listing showing 0',
  converged: 'the heal phase exists only in the simulator',
  convergenceMs: 'the heal phase exists only in the simulator',
  staleWindowMsP99: 'the service reports staleness now, not its distribution',
  meanConfidence: 'time-integrated in the simulator; the service reports the value at the end (invsim_listing_freshness)',
  invisibleFraction: 'time-integrated in the simulator only',
  belowMinConfidenceFraction: 'time-integrated in the simulator only',
  totalDailyImpact: 'a money figure of the simulated day',
  apiCalls: "the service's simulated channel APIs are counted in /audit, not bounded by the scenario",
  apiThrottled: "the service's simulated channel APIs are counted in /audit, not bounded by the scenario",
};

export function defaultStrategy(scenario: Scenario): string {
  const names = Object.keys(scenario.strategies);
  if (names.includes('event-driven')) return 'event-driven';
  return names.find((n) => scenario.strategies[n]!.pitfall === undefined) ?? names[0]!;
}

/** `"< 500"` → `value<500`; `0` → `value==0`; a boolean has no k6 form (undefined). */
export function thresholdExpression(bound: Bound): string | undefined {
  if (typeof bound === 'boolean') return undefined;
  if (typeof bound === 'number') return `value==${bound}`;
  const match = /^\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(bound);
  if (match === null) throw new RangeError(`cannot read the bound "${bound}" (write it like "< 500" or ">= 0.9")`);
  return `value${match[1]}${match[2]}`;
}

export function skuNames(scenario: Scenario): string[] {
  const cat = scenario.catalog;
  const width = String(cat.skus).length;
  return Array.from({ length: cat.skus }, (_, i) => `${cat.skuPrefix}${String(i + 1).padStart(width, '0')}`);
}

export function planScript(scenario: Scenario, options: PlanOptions): K6ScriptConfig {
  const { speedup } = options;
  if (!(speedup > 0) || !Number.isFinite(speedup)) throw new RangeError(`--speedup must be a finite number > 0, got ${speedup}`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new RangeError(`--seed must be an integer >= 0, got ${options.seed}`);
  if (!(options.httpP99Ms > 0)) throw new RangeError(`--http-p99-ms must be > 0, got ${options.httpP99Ms}`);
  const strategy = options.strategy ?? defaultStrategy(scenario);
  if (scenario.strategies[strategy] === undefined) {
    throw new RangeError(`--strategy: scenario ${scenario.name} has no strategy ${strategy} (it has: ${Object.keys(scenario.strategies).join(', ')})`);
  }
  const durationMs = (scenario.durationS * 1000) / speedup;
  const f = scenario.faults;
  const presets = scenario.channels.map((c) => effectivePreset(c.preset, c.overrides as Record<string, unknown> | undefined));
  const channels = scenario.channels.map((c, i) => {
    const note = presets[i]!.orderNotification;
    return { id: c.id, duplicateRate: note.mode === 'webhook' ? round9(Math.min(1, note.duplicateRate + f.webhookDuplicateRate)) : 0 };
  });
  // The simulator redelivers at least 1 s later, spread over 1% of the channel's retry window.
  const retryWindowsS = presets.map((p) => (p.orderNotification.mode === 'webhook' ? p.orderNotification.retryWindowS : 0));
  const duplicateDelayMaxMs = round3(Math.max(1_000, ...retryWindowsS.map((s) => s * 1000 * 0.01)) / speedup);

  const cat = scenario.catalog;
  const zipf = new ZipfSampler(cat.skus, cat.zipfExponent);
  const stockRng = new RandomStreams(options.seed).stream('catalog.stock');
  const initialStock = Array.from({ length: cat.skus }, () => stockRng.int(cat.initialStockMin, cat.initialStockMax + 1));

  return {
    scenario: scenario.name,
    strategy,
    generatedBy: options.generatedBy,
    speedup,
    durationMs: round3(durationMs),
    channels,
    channelCdf: cumulative(scenario.channels.map((c) => c.demandWeight)),
    skus: skuNames(scenario),
    skuCdf: cumulative(Array.from({ length: cat.skus }, (_, k) => zipf.probability(k))),
    initialStock,
    unitsPerOrderMax: scenario.demand.unitsPerOrderMax,
    demand: demandPlan(scenario, speedup),
    bursts: scenario.demand.bursts.map((b, n) => ({
      name: `burst_${n}`,
      startTimeMs: round3((b.atS * 1000) / speedup),
      orders: b.orders,
      hotSkus: Math.min(b.hotSkus, cat.skus),
      spreadMs: b.spreadMs,
      channels: (b.channels ?? scenario.channels.map((c) => c.id)).map((id) => channelIndex(scenario, id)),
    })),
    surge: surgePlan(scenario, speedup),
    restock: cat.restock === undefined ? null : { everyMs: round3((cat.restock.everyS * 1000) / speedup), upToUnits: cat.restock.upToUnits },
    duplicateDelayMaxMs,
    ...thresholdPlan(scenario, strategy, options.httpP99Ms),
    summaryFile: `${scenario.name}.summary.json`,
  };
}

function thresholdPlan(scenario: Scenario, strategy: string, httpP99Ms: number): { thresholds: Record<string, string[]>; notMirrored: string[] } {
  const thresholds: Record<string, string[]> = {
    'http_req_duration{kind:webhook}': [`p(99)<${httpP99Ms}`],
    checks: ['rate>0.99'],
  };
  const notMirrored: string[] = [];
  let integrityAsserted = false;
  for (const a of scenarioAssertions(scenario)) {
    if (a.strategy !== strategy) continue;
    const metric = LIVE_METRICS[a.metric];
    const expression = metric === undefined ? undefined : thresholdExpression(a.expected);
    if (metric === undefined || expression === undefined) {
      const why = NOT_LIVE[a.metric] ?? 'no live equivalent';
      const entry = `${a.metric} (${why})`;
      if (!notMirrored.includes(entry)) notMirrored.push(entry);
      continue;
    }
    if (a.metric === 'integrityViolations') integrityAsserted = true;
    const list = (thresholds[metric] ??= []);
    if (!list.includes(expression)) list.push(expression);
  }
  // The engine must never break an invariant, asserted or not.
  if (!integrityAsserted) thresholds['invsim_integrity_violations'] = ['value==0'];
  return { thresholds, notMirrored };
}

/** One step per scenario hour, at the hour's rate from the daily profile, compressed. */
function demandPlan(scenario: Scenario, speedup: number): K6ScriptConfig['demand'] {
  const d = scenario.demand;
  if (d.ordersPerDay <= 0) return null;
  const raw = d.dailyProfile ?? new Array<number>(24).fill(1);
  const mean = raw.reduce((a, b) => a + b, 0) / 24;
  const hours = Math.ceil(scenario.durationS / 3600);
  const perHour: { durationMs: number; ratePerS: number }[] = [];
  for (let h = 0; h < hours; h++) {
    const scenarioMs = Math.min(HOUR_MS, scenario.durationS * 1000 - h * HOUR_MS);
    const multiplier = mean > 0 ? raw[h % 24]! / mean : 0;
    perHour.push({ durationMs: scenarioMs / speedup, ratePerS: (d.ordersPerDay / DAY_S) * multiplier * speedup });
  }
  const peak = Math.max(...perHour.map((p) => p.ratePerS));
  if (peak <= 0) return null;
  const [timeUnit, unitS] = timeUnitFor(peak);
  return {
    timeUnit,
    steps: perHour.map((p) => ({ durationMs: round3(p.durationMs), target: Math.round(p.ratePerS * unitS) })),
    ...vusFor(peak),
  };
}

function surgePlan(scenario: Scenario, speedup: number): K6ScriptConfig['surge'] {
  const s = scenario.demand.surge;
  if (s === undefined || s.ordersPerHour <= 0 || s.startS >= scenario.durationS) return null;
  const ratePerS = (s.ordersPerHour / 3600) * speedup;
  const [timeUnit, unitS] = timeUnitFor(ratePerS);
  return {
    startTimeMs: round3((s.startS * 1000) / speedup),
    durationMs: round3((Math.min(s.durationS, scenario.durationS - s.startS) * 1000) / speedup),
    timeUnit,
    rate: Math.max(1, Math.round(ratePerS * unitS)),
    hotSkus: Math.min(s.hotSkus, scenario.catalog.skus),
    ...vusFor(ratePerS),
  };
}

function timeUnitFor(peakPerS: number): readonly [string, number] {
  return TIME_UNITS.find(([, s]) => peakPerS * s >= RATE_RESOLUTION) ?? TIME_UNITS[TIME_UNITS.length - 1]!;
}

/** An order takes well under a second; a redelivery waits up to a few seconds more. */
function vusFor(peakPerS: number): { preAllocatedVUs: number; maxVUs: number } {
  return { preAllocatedVUs: clamp(Math.ceil(peakPerS), 2, 200), maxVUs: clamp(Math.ceil(peakPerS * 10) + 10, 10, 2_000) };
}

function channelIndex(scenario: Scenario, id: string): number {
  const i = scenario.channels.findIndex((c) => c.id === id);
  if (i < 0) throw new RangeError(`scenario ${scenario.name}: a burst names channel ${id}, which it does not declare`);
  return i;
}

function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  const cdf = weights.map((w) => {
    sum += w;
    return round9(sum / total);
  });
  if (cdf.length > 0) cdf[cdf.length - 1] = 1;
  return cdf;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
