/**
 * A scenario as a k6 load: the data a generated script runs on (loadtest/lib/config.ts has the
 * same shape; the type-check of every generated script holds the two together).
 *
 * Time is compressed by `speedup`, the same way `invsim serve --speedup` compresses it
 * (src/adapters/realtime.ts): a scenario hour lasts 3600/speedup real seconds, every arrival rate
 * is multiplied by `speedup`, and every duration the script waits (a burst's spread, a
 * redelivery's delay, the restock period) is divided by it. The orders and their mix are the
 * simulation's, only sooner; what the script sends is the live world of live-world.ts.
 *
 * Not every speedup can be honoured: `speedupLimits` says which the scenario allows and why
 * (timer resolution against the channels' latencies, the target's capacity against the peak
 * order rate and the bursts), and `planScript` refuses a speedup above them.
 *
 * The catalog (SKU names, Zipf popularity, initial stock) is the simulator's for the same seed:
 * the stock comes from the same named stream (`catalog.stock`), so a live run starts where
 * `invsim run --seed N` starts.
 */
import { scenarioAssertions, type Bound } from '../scenarios/assertions.js';
import { InputError } from '../engine/errors.js';
import type { AssertableMetric, Scenario } from '../scenarios/schema.js';
import { latencyQuantileMs } from '../model/latency.js';
import { RandomStreams, ZipfSampler } from '../model/random.js';
import { effectivePreset } from '../scenarios/compile.js';
import { liveRedeliveries } from './live-world.js';

export interface K6ScriptConfig {
  readonly scenario: string;
  readonly strategy: string;
  readonly generatedBy: string;
  readonly speedup: number;
  /** Root seed of the load: each iteration draws from randomSeed(f(seed, scenario, iteration)). */
  readonly seed: number;
  readonly durationMs: number;
  readonly channels: readonly { readonly id: string; readonly duplicateRate: number; readonly redeliveryMinMs: number; readonly redeliverySpreadMs: number }[];
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
    /** Cumulative demand weights of `channels`: a burst's orders follow them. */
    readonly channelCdf: readonly number[];
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
  /** Real ms setup waits for the stock to reach the channels, and teardown for the service to settle. */
  readonly settleTimeoutMs: number;
  /** Real ms an iteration may still run after its scenario ends (a redelivery's wait). */
  readonly gracefulStopMs: number;
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
  readonly notMirrored: readonly string[];
}

export interface PlanOptions {
  readonly speedup: number;
  /** Root seed of the catalog's initial stock (the simulator's `--seed`). */
  readonly seed: number;
  /** Strategy whose assert blocks the thresholds mirror (default: event-driven, else the first non-pitfall one). */
  readonly strategy?: string;
  /** Bound on the webhooks' p(99) acknowledgement time. */
  readonly httpP99Ms: number;
  /** Orders per real second the target sustains (bounds the speedup; default DEFAULT_TARGET_CAPACITY_PER_S). */
  readonly targetCapacityPerS?: number;
  /** Real ms the script waits for the service to settle (default: from the scenario, see settleTimeoutMs). */
  readonly settleTimeoutMs?: number;
  readonly generatedBy: string;
}

/**
 * Orders per real second the target is assumed to sustain with k6 beside it: `invsim serve` on
 * the embedded store answered 6 854–10 753 signed webhooks/s alone on two cores (README,
 * bench:serve); k6 generating the load on the same machine takes about half of that.
 */
export const DEFAULT_TARGET_CAPACITY_PER_S = 3_000;
/**
 * The live path's time resolution: a wait in the service or the script is good to about a real
 * millisecond (timers, the event loop), i.e. `speedup` scenario milliseconds.
 */
export const LIVE_RESOLUTION_MS = 1;
/** That resolution may shift a channel's p99 latency by at most this share. */
const RESOLUTION_SHARE_OF_P99 = 0.05;
/** The target runs at most this share of its capacity at the peak rate. */
const PEAK_UTILISATION = 0.5;
/** A burst's backlog at the target may last at most its spread, or this much scenario time. */
const BURST_BACKLOG_MIN_MS = 1_000;

export interface SpeedupLimit {
  readonly constraint: 'timer-resolution' | 'peak-rate' | 'burst-backlog';
  readonly maxSpeedup: number;
  readonly reason: string;
}

/**
 * The speedups at which the live path still measures the scenario: each limit with its reason.
 * A speedup above the smallest is refused by planScript.
 */
export function speedupLimits(scenario: Scenario, targetCapacityPerS: number = DEFAULT_TARGET_CAPACITY_PER_S): SpeedupLimit[] {
  const limits: SpeedupLimit[] = [];
  const presets = scenario.channels.map((c) => ({ id: c.id, preset: effectivePreset(c.preset, c.overrides as Record<string, unknown> | undefined) }));
  const p99s = presets.map(({ id, preset }) => ({ id, p99Ms: latencyQuantileMs(preset.latency, 0.99) }));
  const tightest = p99s.reduce((a, b) => (b.p99Ms < a.p99Ms ? b : a));
  limits.push({
    constraint: 'timer-resolution',
    maxSpeedup: floor2((RESOLUTION_SHARE_OF_P99 * tightest.p99Ms) / LIVE_RESOLUTION_MS),
    reason: `a real millisecond of timer resolution is N scenario ms; at most ${RESOLUTION_SHARE_OF_P99 * 100}% of ${tightest.id}'s p99 API latency of ${Math.round(tightest.p99Ms * 1000) / 1000} ms`,
  });
  const peakPerS = peakOrdersPerS(scenario);
  if (peakPerS > 0) {
    limits.push({
      constraint: 'peak-rate',
      maxSpeedup: floor2((PEAK_UTILISATION * targetCapacityPerS) / peakPerS),
      reason: `the peak of ${round3(peakPerS)} orders per scenario second, times N, must stay within ${PEAK_UTILISATION * 100}% of the target's ${targetCapacityPerS} orders/s (--target-capacity-per-s)`,
    });
  }
  for (const [n, b] of scenario.demand.bursts.entries()) {
    const allowedMs = Math.max(b.spreadMs, BURST_BACKLOG_MIN_MS);
    // The target takes orders/capacity real seconds for the burst: N times that in scenario time.
    const realMs = (b.orders / targetCapacityPerS) * 1000;
    limits.push({
      constraint: 'burst-backlog',
      maxSpeedup: floor2(allowedMs / realMs),
      reason: `burst ${n}: ${b.orders} orders take the target ${round3(realMs)} real ms, N times that in scenario time, which must stay within ${allowedMs} ms (the burst's spread, at least ${BURST_BACKLOG_MIN_MS} ms)`,
    });
  }
  return limits;
}

/** The largest speedup every limit allows. */
export function maxSpeedup(limits: readonly SpeedupLimit[]): number {
  return Math.min(...limits.map((l) => l.maxSpeedup));
}

/** The scenario's highest order rate outside bursts: the daily profile's peak hour plus the surge. */
function peakOrdersPerS(scenario: Scenario): number {
  const d = scenario.demand;
  const peakMultiplier = Math.max(...hourlyMultipliers(scenario));
  const surge = d.surge === undefined ? 0 : d.surge.ordersPerHour / 3600;
  return (d.ordersPerDay / DAY_S) * peakMultiplier + surge;
}

function floor2(x: number): number {
  return Math.floor(x * 100) / 100;
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
  lostSales: 'in the audit (orders.lostSales, with invsim serve --storefront) and the live report, not a k6 threshold',
  converged: 'the heal phase exists only in the simulator',
  convergenceMs: 'the heal phase exists only in the simulator',
  staleWindowMsP99: 'the service reports staleness now, not its distribution',
  meanConfidence: 'in the audit (freshness.integrated) and the live report, not a k6 threshold',
  invisibleFraction: 'in the audit (freshness.integrated) and the live report, not a k6 threshold',
  belowMinConfidenceFraction: 'in the audit (freshness.integrated) and the live report, not a k6 threshold',
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
  if (!(speedup > 0) || !Number.isFinite(speedup)) throw InputError.of('--speedup', `must be a finite number > 0, got ${speedup}`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw InputError.of('--seed', `must be an integer >= 0, got ${options.seed}`);
  if (!(options.httpP99Ms > 0) || !Number.isFinite(options.httpP99Ms)) throw InputError.of('--http-p99-ms', `must be a finite number > 0, got ${options.httpP99Ms}`);
  const capacity = options.targetCapacityPerS ?? DEFAULT_TARGET_CAPACITY_PER_S;
  if (!(capacity > 0) || !Number.isFinite(capacity)) throw InputError.of('--target-capacity-per-s', `must be a finite number > 0, got ${capacity}`);
  if (options.settleTimeoutMs !== undefined && (!(options.settleTimeoutMs >= 0) || !Number.isFinite(options.settleTimeoutMs))) {
    throw InputError.of('--settle-timeout-s', `must be a finite number >= 0, got ${options.settleTimeoutMs / 1000}`);
  }
  const limits = speedupLimits(scenario, capacity);
  const broken = limits.filter((l) => speedup > l.maxSpeedup);
  if (broken.length > 0) {
    throw InputError.of(
      '--speedup',
      `${speedup}: scenario ${scenario.name} cannot be honoured live above --speedup ${maxSpeedup(limits)}:\n` +
        broken.map((l) => `  ${l.constraint} (at most ${l.maxSpeedup}): ${l.reason}`).join('\n'),
    );
  }
  const strategy = options.strategy ?? defaultStrategy(scenario);
  if (scenario.strategies[strategy] === undefined) {
    throw new InputError(`--strategy: scenario ${scenario.name} has no strategy ${strategy} (it has: ${Object.keys(scenario.strategies).join(', ')})`, {
      field: '--strategy',
      reason: `scenario ${scenario.name} has no strategy ${strategy} (it has: ${Object.keys(scenario.strategies).join(', ')})`,
    });
  }
  const durationMs = (scenario.durationS * 1000) / speedup;
  const redeliveries = liveRedeliveries(scenario);
  const channels = redeliveries.map((r) => ({
    id: r.channel,
    duplicateRate: r.duplicateRate,
    redeliveryMinMs: round3(r.minMs / speedup),
    redeliverySpreadMs: round3(r.spreadMs / speedup),
  }));
  const longestRedeliveryMs = Math.max(0, ...channels.filter((c) => c.duplicateRate > 0).map((c) => Math.max(c.redeliveryMinMs, c.redeliverySpreadMs)));

  const cat = scenario.catalog;
  const zipf = new ZipfSampler(cat.skus, cat.zipfExponent);
  const stockRng = new RandomStreams(options.seed).stream('catalog.stock');
  const initialStock = Array.from({ length: cat.skus }, () => stockRng.int(cat.initialStockMin, cat.initialStockMax + 1));

  return {
    scenario: scenario.name,
    strategy,
    generatedBy: options.generatedBy,
    speedup,
    seed: options.seed,
    durationMs: round3(durationMs),
    channels,
    channelCdf: cumulative(scenario.channels.map((c) => c.demandWeight)),
    skus: skuNames(scenario),
    skuCdf: cumulative(Array.from({ length: cat.skus }, (_, k) => zipf.probability(k))),
    initialStock,
    unitsPerOrderMax: scenario.demand.unitsPerOrderMax,
    demand: demandPlan(scenario, speedup, longestRedeliveryMs),
    bursts: scenario.demand.bursts.map((b, n) => ({
      name: `burst_${n}`,
      startTimeMs: round3((b.atS * 1000) / speedup),
      orders: b.orders,
      hotSkus: Math.min(b.hotSkus, cat.skus),
      spreadMs: round3(b.spreadMs / speedup),
      channels: (b.channels ?? scenario.channels.map((c) => c.id)).map((id) => channelIndex(scenario, id)),
      channelCdf: cumulative((b.channels ?? scenario.channels.map((c) => c.id)).map((id) => scenario.channels[channelIndex(scenario, id)]!.demandWeight)),
    })),
    surge: surgePlan(scenario, speedup, longestRedeliveryMs),
    restock: cat.restock === undefined ? null : { everyMs: round3((cat.restock.everyS * 1000) / speedup), upToUnits: cat.restock.upToUnits },
    settleTimeoutMs: round3(options.settleTimeoutMs ?? defaultSettleTimeoutMs(scenario, speedup)),
    gracefulStopMs: round3(Math.max(GRACEFUL_STOP_MIN_MS, longestRedeliveryMs + GRACEFUL_STOP_MIN_MS)),
    ...thresholdPlan(scenario, strategy, options.httpP99Ms),
  };
}

/** Iterations still running when their scenario ends get at least this long (real ms). */
const GRACEFUL_STOP_MIN_MS = 10_000;
const SETTLE_TIMEOUT_MIN_MS = 30_000;

/**
 * How long (real ms) the script waits for propagation to settle: what the simulator's heal
 * phase allows (`healBoundS`, scenario time, compressed), at least 30 s, at most 10 minutes.
 */
export function defaultSettleTimeoutMs(scenario: Scenario, speedup: number): number {
  return Math.min(600_000, Math.max(SETTLE_TIMEOUT_MIN_MS, (scenario.healBoundS * 1000) / speedup));
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

/** Each hour's share of the mean daily rate, from the daily profile (flat without one). */
function hourlyMultipliers(scenario: Scenario): number[] {
  const raw = scenario.demand.dailyProfile ?? new Array<number>(24).fill(1);
  const mean = raw.reduce((a, b) => a + b, 0) / 24;
  return raw.map((x) => (mean > 0 ? x / mean : 0));
}

/** One step per scenario hour, at the hour's rate from the daily profile, compressed. */
function demandPlan(scenario: Scenario, speedup: number, redeliveryMs: number): K6ScriptConfig['demand'] {
  const d = scenario.demand;
  if (d.ordersPerDay <= 0) return null;
  const multipliers = hourlyMultipliers(scenario);
  const hours = Math.ceil(scenario.durationS / 3600);
  const perHour: { durationMs: number; ratePerS: number }[] = [];
  for (let h = 0; h < hours; h++) {
    const scenarioMs = Math.min(HOUR_MS, scenario.durationS * 1000 - h * HOUR_MS);
    const multiplier = multipliers[h % 24]!;
    perHour.push({ durationMs: scenarioMs / speedup, ratePerS: (d.ordersPerDay / DAY_S) * multiplier * speedup });
  }
  const peak = Math.max(...perHour.map((p) => p.ratePerS));
  if (peak <= 0) return null;
  const [timeUnit, unitS] = timeUnitFor(peak);
  return {
    timeUnit,
    steps: perHour.map((p) => ({ durationMs: round3(p.durationMs), target: Math.round(p.ratePerS * unitS) })),
    ...vusFor(peak, redeliveryMs),
  };
}

function surgePlan(scenario: Scenario, speedup: number, redeliveryMs: number): K6ScriptConfig['surge'] {
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
    ...vusFor(ratePerS, redeliveryMs),
  };
}

function timeUnitFor(peakPerS: number): readonly [string, number] {
  return TIME_UNITS.find(([, s]) => peakPerS * s >= RATE_RESOLUTION) ?? TIME_UNITS[TIME_UNITS.length - 1]!;
}

/**
 * An order takes well under a second of a VU; one that is redelivered holds its VU for the
 * redelivery's wait too (up to `redeliveryMs`). k6 drops an arrival when every VU is busy, so
 * there are enough for ten seconds of orders, or the longest wait, whichever is more.
 */
function vusFor(peakPerS: number, redeliveryMs: number): { preAllocatedVUs: number; maxVUs: number } {
  const holdS = Math.max(10, redeliveryMs / 1000 + 1);
  return { preAllocatedVUs: clamp(Math.ceil(peakPerS), 2, 200), maxVUs: clamp(Math.ceil(peakPerS * holdS) + 10, 10, 2_000) };
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
