/**
 * The scenario schema: the single source of truth for what a scenario may say. Every key
 * carries its unit (`intervalS`, `delayMsMax`); every number has a lower and an upper bound
 * (bounds.ts, documented in docs/scenarios.md), and each scenario as a whole a run budget
 * (budget.ts, checked by the file schema of file-schema.ts), so that a valid scenario's run
 * ends. The types the simulator consumes are inferred from it, so the schema and the simulator
 * cannot drift.
 */
import { z } from 'zod';
import { DEFAULT_CHANNEL_CONCURRENCY } from '../engine/defaults.js';
import { DEFAULT_RETRY_POLICY } from '../engine/retry.js';
import { PRESET_IDS } from '../model/presets.js';
import * as B from './bounds.js';

/** A number within [min, max]. */
const num = (min: number, max: number) => z.number().finite().min(min).max(max);
/** A number within (min, max]: a duration or rate that must not be 0. */
const above = (min: number, max: number) => z.number().finite().gt(min).max(max);
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const prob = num(0, 1);
/** A wait in ms: a latency, a delay, a window. */
const waitMs = num(0, B.MAX_WAIT_MS);
/** A moment of the run (s from its start), and the length of a window within it. */
const atS = num(0, B.MAX_DURATION_S);
const spanS = above(0, B.MAX_DURATION_S);
/** The period of something periodic. */
const intervalS = num(B.MIN_INTERVAL_S, B.MAX_WAIT_S);
/** Stock units: a level, a threshold, an allocation. */
const units = int(0, B.MAX_STOCK_LEVEL);
const list = <T extends z.ZodType>(item: T) => z.array(item).max(B.MAX_LIST_ENTRIES);
/** A name: of a scenario, a strategy, a channel. */
export const ident = z.string().regex(/^[a-z0-9][a-z0-9-_]*$/i, 'must be letters, digits, - or _');

const latencySpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), ms: waitMs }),
  z.strictObject({ kind: z.literal('lognormal'), medianMs: above(0, B.MAX_WAIT_MS), p99Ms: above(0, B.MAX_WAIT_MS) }).refine((v) => v.p99Ms > v.medianMs, {
    message: 'p99Ms must be greater than medianMs',
    path: ['p99Ms'],
  }),
  z.strictObject({ kind: z.literal('uniform'), minMs: waitMs, maxMs: waitMs }).refine((v) => v.maxMs >= v.minMs, {
    message: 'maxMs must be >= minMs',
    path: ['maxMs'],
  }),
]);

const rateLimitSpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('leaky-bucket'), capacity: above(0, B.MAX_BUCKET), leakPerS: above(0, B.MAX_RATE) }),
  z.strictObject({ kind: z.literal('token-bucket'), ratePerS: above(0, B.MAX_RATE), burst: above(0, B.MAX_BUCKET) }),
  z.strictObject({
    kind: z.literal('cost-bucket'),
    capacityPoints: above(0, B.MAX_BUCKET),
    restorePerS: above(0, B.MAX_RATE),
    costPerRequest: num(0, B.MAX_BUCKET),
    costPerItem: num(0, B.MAX_BUCKET).optional(),
  }),
  z.strictObject({ kind: z.literal('quota'), limit: int(1, B.MAX_BUCKET), periodS: above(0, B.MAX_WAIT_S), scope: z.enum(['channel', 'listing']).optional() }),
]);

const orderNotification = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('webhook'),
    delay: latencySpec,
    duplicateRate: prob,
    reorderWindowMs: waitMs,
    maxDeliveryAttempts: int(1, B.MAX_DELIVERY_ATTEMPTS),
    retryWindowS: num(0, B.MAX_WAIT_S),
  }),
  z.strictObject({ mode: z.literal('polling'), intervalS }),
]);

/** Any preset field may be overridden; nested objects are replaced whole. */
const channelOverrides = z
  .strictObject({
    rateLimits: list(rateLimitSpec).optional(),
    latency: latencySpec.optional(),
    applyDelay: latencySpec.optional(),
    updateSemantics: z.enum(['absolute', 'delta', 'compare-and-set']).optional(),
    maxItemsPerRequest: int(1, B.MAX_ITEMS_PER_REQUEST).optional(),
    orderNotification: orderNotification.optional(),
    errorRate5xx: prob.optional(),
    maxConcurrency: int(1, B.MAX_CONCURRENCY).optional(),
  })
  .optional();

export const channelSchema = z.strictObject({
  id: ident,
  preset: z.enum(PRESET_IDS as unknown as [string, ...string[]]),
  /** Relative share of demand arriving on this channel. */
  demandWeight: above(0, B.MAX_DEMAND_WEIGHT).default(1),
  overrides: channelOverrides,
});

const catalog = z.strictObject({
  skus: int(1, B.MAX_SKUS),
  skuPrefix: z.string().min(1).max(B.MAX_SKU_PREFIX_CHARS).default('SKU-'),
  initialStockMin: units,
  initialStockMax: units,
  /** Zipf exponent of SKU popularity (0 = uniform). */
  zipfExponent: num(0, B.MAX_ZIPF_EXPONENT).default(1),
  restock: z
    .strictObject({
      everyS: intervalS,
      /** Each SKU below this level is brought back up to it. */
      upToUnits: int(1, B.MAX_STOCK_LEVEL),
    })
    .optional(),
});

const burst = z.strictObject({
  atS,
  orders: int(1, B.MAX_BURST_ORDERS),
  /** The burst's orders fall on the most popular SKUs: this many of them. */
  hotSkus: int(1, B.MAX_SKUS),
  /** Orders arrive uniformly within this window (milliseconds: a flash sale is concurrent). */
  spreadMs: waitMs,
  /** Channels the burst arrives on (default: every channel). */
  channels: list(ident).optional(),
});

const demand = z.strictObject({
  ordersPerDay: num(0, B.MAX_RATE),
  /** 24 hourly multipliers of the mean rate (mean 1 is not required; it is normalised). */
  dailyProfile: z.array(num(0, B.MAX_PROFILE_MULTIPLIER)).length(24).optional(),
  unitsPerOrderMax: int(1, B.MAX_UNITS_PER_ORDER).default(1),
  bursts: list(burst).default([]),
  /** A sustained surge on the hot SKUs after each burst: extra orders per hour, for this long. */
  surge: z.strictObject({ hotSkus: int(1, B.MAX_SKUS), ordersPerHour: num(0, B.MAX_RATE), durationS: spanS, startS: atS }).optional(),
});

const window = z.strictObject({ startS: atS, durationS: spanS, channel: ident.optional() });
const crash = z.strictObject({ atS, downS: num(0, B.MAX_DURATION_S) });

const faults = z
  .strictObject({
    /** Extra probability a channel call fails with a 5xx. */
    serverErrorRate: prob.default(0),
    /** Extra probability a channel call answers 429 with Retry-After. */
    throttleRate: prob.default(0),
    throttleRetryAfterMs: waitMs.default(2_000),
    /** Probability a call times out; the outcome is unknown to the caller. */
    timeoutRate: prob.default(0),
    timeoutMs: above(0, B.MAX_WAIT_MS).default(10_000),
    /** Of timed-out calls, the share the channel applied anyway. */
    timeoutAppliedShare: prob.default(0.5),
    latencySpikes: list(window.extend({ multiplier: above(0, B.MAX_LATENCY_MULTIPLIER) })).default([]),
    outages: list(window.extend({ channel: ident })).default([]),
    /** Extra duplicate and reordered webhook deliveries on top of the preset's. */
    webhookDuplicateRate: prob.default(0),
    webhookReorderWindowMs: waitMs.default(0),
    processorCrashes: list(crash).default([]),
    dispatcherCrashes: list(crash).default([]),
  })
  // Absent: every key takes its own default above (prefault parses `{}`), so none is written twice.
  .prefault({});

const allocation = z.union([z.strictObject({ percent: num(0, 100) }), z.strictObject({ fixed: units })]);

/** A strategy's listing policy: the engine's `ListingPolicy` (src/engine/listing-policy.ts). */
export const listingPolicyShape = z.strictObject({
  bufferUnits: units.optional(),
  outOfStockThreshold: units.optional(),
  allocation: z.record(ident, allocation).optional(),
  maxListed: units.optional(),
});
const listingPolicy = listingPolicyShape.default({});

export const PITFALLS = [
  'no-idempotency',
  'no-locking',
  'silent-dlq-drop',
  'broadcast-before-persist',
  'overwriting-reconciliation',
  'pessimistic-locking',
  'fast-polling',
] as const;
export type Pitfall = (typeof PITFALLS)[number];

const strategyBase = {
  description: z.string().optional(),
  listingPolicy,
  /**
   * Partition each SKU's stock into per-channel pools by `listingPolicy.allocation` percent:
   * a channel sells only from its own pool and is never sent its own sales back.
   */
  partitionStock: z.boolean().default(false),
  pitfall: z.enum(PITFALLS).optional(),
};

const strategy = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('polling'), intervalS, ...strategyBase }),
  z.strictObject({ kind: z.literal('event-driven'), ...strategyBase }),
  z.strictObject({ kind: z.literal('event-batched'), windowMs: num(B.MIN_WINDOW_MS, B.MAX_WAIT_MS), ...strategyBase }),
  z.strictObject({ kind: z.literal('hybrid'), reconcileIntervalS: intervalS, ...strategyBase }),
  /**
   * A custom strategy: a TypeScript module (a path relative to the scenario file) whose default
   * export is a strategy definition (see src/sim/plugin.ts and examples/strategies/). `kind:
   * plugin` may be left out when `module` is given. The loader makes `module` absolute.
   */
  z.strictObject({
    kind: z.literal('plugin'),
    module: z.string().min(1, 'give the path of a .ts module').max(4096).regex(/\.[cm]?ts$/, 'must name a TypeScript module (.ts)'),
    options: z.record(z.string(), z.unknown()).default({}),
    ...strategyBase,
  }),
]);

/**
 * Swarm ranges: each fault family is on or off per seed (half the seeds each), and when on its
 * size is drawn up to these. The defaults cover every fault the simulator has.
 */
export const swarmBlock = z.strictObject({
  serverErrorRateMax: prob.default(0.1),
  throttleRateMax: prob.default(0.1),
  timeoutRateMax: prob.default(0.05),
  webhookDuplicateRateMax: prob.default(0.3),
  webhookReorderWindowMsMax: waitMs.default(10_000),
  latencySpikeMultiplierMax: num(1, 1000).default(20),
  outagesMax: int(0, 10).default(2),
  outageDurationSMax: above(0, B.MAX_WAIT_S).default(1800),
  processorCrashesMax: int(0, 10).default(3),
  dispatcherCrashesMax: int(0, 10).default(2),
  crashDownSMax: above(0, B.MAX_WAIT_S).default(120),
  burstsMax: int(0, 10).default(2),
  burstOrdersMax: int(1, 100_000).default(200),
  /** Fewest channels a variation keeps (of the scenario's). */
  channelsMin: int(1, B.MAX_CHANNELS).default(2),
  /** A safety buffer drawn per seed for strategies that set no listing policy (0: never). */
  bufferUnitsMax: int(0, 1000).default(3),
});
export type SwarmRanges = z.output<typeof swarmBlock>;

/** The seed article's configuration template, accepted verbatim. */
export const inventorySyncTemplate = z.looseObject({
  propagation: z
    .looseObject({
      strategy: z.enum(['event_driven', 'polling', 'batched', 'hybrid']).optional(),
      max_latency_ms: above(0, B.MAX_WAIT_MS).optional(),
      alert_threshold_ms: above(0, B.MAX_WAIT_MS).optional(),
    })
    .optional(),
  ai_freshness: z.looseObject({ max_staleness_seconds: above(0, B.MAX_STALENESS_S).optional(), min_confidence_score: prob.optional() }).optional(),
  retry_policy: z
    .looseObject({
      max_retries: int(0, B.MAX_RETRIES).optional(),
      base_delay_ms: waitMs.optional(),
      max_delay_ms: waitMs.optional(),
      backoff_multiplier: num(1, B.MAX_BACKOFF_MULTIPLIER).optional(),
    })
    .optional(),
  idempotency: z.looseObject({ ttl_seconds: above(0, B.MAX_IDEMPOTENCY_TTL_S).optional(), store_type: z.string().optional() }).optional(),
  monitoring: z
    .looseObject({
      metrics: z.array(z.string()).optional(),
      alerting: z.looseObject({ channels: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
});

const engine = z
  .strictObject({
    processorWorkers: int(1, B.MAX_PROCESSOR_WORKERS).default(1),
    storeLatencyMs: num(0, B.MAX_STORE_LATENCY_MS).default(1),
    dispatcherConcurrency: int(1, B.MAX_CONCURRENCY).default(DEFAULT_CHANNEL_CONCURRENCY),
    /** Jitter fraction of retry delays (the template has no key for it). */
    retryJitter: prob.default(DEFAULT_RETRY_POLICY.jitter),
    /** Operations redrive the dead-letter queue this often (absent: only when the run heals). */
    redriveDlqEveryS: intervalS.optional(),
  })
  // Absent: every key takes its own default above (prefault parses `{}`), so none is written twice.
  .prefault({});

const economics = z.strictObject({
  averageOrderValue: num(0, B.MAX_MONEY),
  customerLifetimeValue: num(0, B.MAX_MONEY),
  churnMultiplier: num(0, B.MAX_CHURN_MULTIPLIER),
  /**
   * How many times a year the scenario's situation happens (a flash sale 12 times, Black Friday
   * once). Day and year money figures are shown only with it, or for a scenario of whole days.
   */
  occurrencesPerYear: above(0, B.MAX_OCCURRENCES_PER_YEAR).optional(),
  /** The seed model's inputs, shown beside the measured leakage. */
  seedModel: z
    .strictObject({ dailyOrderVolume: above(0, B.MAX_RATE), syncWindowSeconds: spanS, oversellProbability: above(0, 1) })
    .optional(),
});

/** A bound on a number: `0`, `true`, or a comparison string such as "< 500" or ">= 0.9". */
const assertion = z.union([z.number(), z.boolean(), z.string().regex(/^\s*(<=|>=|<|>|==|!=)\s*-?\d+(\.\d+)?(e-?\d+)?\s*$/i, 'must be a number, true or false, or a comparison like "< 500", ">= 0.9" or "== 0"')]);

export const ASSERTABLE_METRICS = [
  'oversells',
  'lostSales',
  'integrityViolations',
  'listingLatencyMsP99',
  'latencyMsP99',
  'staleWindowMsP99',
  'meanConfidence',
  'invisibleFraction',
  'belowMinConfidenceFraction',
  'impactPerRun',
  'totalDailyImpact',
  'apiCalls',
  'apiThrottled',
  'dlqParked',
  'converged',
  'convergenceMs',
] as const;
export type AssertableMetric = (typeof ASSERTABLE_METRICS)[number];

const assertBlock = z.strictObject({
  /** Strategies the block applies to (default: every strategy that is not a pitfall). */
  strategies: list(ident).optional(),
  ...Object.fromEntries(ASSERTABLE_METRICS.map((m) => [m, assertion.optional()])),
});

/** A record of at most `max` entries. */
const recordOf = <T extends z.ZodType>(value: T, max: number, noun: string) =>
  z.record(ident, value).refine((r) => Object.keys(r).length <= max, { message: `must have at most ${max} ${noun}`, params: { code: 'too_big' } });

/** A scenario's fields, each within its bounds; file-schema.ts adds the run budget of the whole. */
export const scenarioShape = z.strictObject({
  description: z.string().optional(),
  durationS: num(B.MIN_DURATION_S, B.MAX_DURATION_S),
  /** Upper bound for the heal phase in which channels must converge. */
  healBoundS: above(0, B.MAX_HEAL_BOUND_S).default(6 * 3600),
  catalog,
  channels: z.array(channelSchema).min(1).max(B.MAX_CHANNELS),
  demand,
  faults,
  engine,
  inventory_sync: inventorySyncTemplate.optional(),
  economics,
  strategies: recordOf(strategy, B.MAX_STRATEGIES, 'strategies'),
  /** The strategy the scenario's question is about: summaries compare every other one against it. */
  reference: ident.optional(),
  assert: z.union([assertBlock, list(assertBlock)]).optional(),
  /** The ranges `invsim swarm` draws each seed's variation from (src/analysis/swarm-variation.ts). */
  swarm: swarmBlock.optional(),
});

export type ScenarioInput = z.input<typeof scenarioShape>;
export type ScenarioSpec = z.output<typeof scenarioShape>;
export type StrategySpec = ScenarioSpec['strategies'][string];
export type ChannelSpec = ScenarioSpec['channels'][number];
export type FaultsSpec = ScenarioSpec['faults'];
export type AssertBlock = z.output<typeof assertBlock>;
export type LatencySpecInput = z.output<typeof latencySpec>;

/** A loaded scenario: its name plus the parsed spec. */
export interface Scenario extends ScenarioSpec {
  readonly name: string;
}
