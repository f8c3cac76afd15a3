/**
 * The scenario schema: the single source of truth for what a scenario may say. Every key
 * carries its unit (`intervalS`, `delayMsMax`); every number has a range. The types the
 * simulator consumes are inferred from it, so the schema and the simulator cannot drift.
 */
import { z } from 'zod';
import { PRESET_IDS } from '../sim/channels/presets.js';

const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();
const prob = z.number().finite().min(0).max(1);
const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const ident = z.string().regex(/^[a-z0-9][a-z0-9-_]*$/i, 'must be letters, digits, - or _');

const latencySpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), ms: nonNeg }),
  z.strictObject({ kind: z.literal('lognormal'), medianMs: pos, p99Ms: pos }).refine((v) => v.p99Ms > v.medianMs, {
    message: 'p99Ms must be greater than medianMs',
    path: ['p99Ms'],
  }),
  z.strictObject({ kind: z.literal('uniform'), minMs: nonNeg, maxMs: nonNeg }).refine((v) => v.maxMs >= v.minMs, {
    message: 'maxMs must be >= minMs',
    path: ['maxMs'],
  }),
]);

const rateLimitSpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('leaky-bucket'), capacity: pos, leakPerS: pos }),
  z.strictObject({ kind: z.literal('token-bucket'), ratePerS: pos, burst: pos }),
  z.strictObject({ kind: z.literal('cost-bucket'), capacityPoints: pos, restorePerS: pos, costPerRequest: nonNeg, costPerItem: nonNeg.optional() }),
  z.strictObject({ kind: z.literal('quota'), limit: posInt, periodS: pos, scope: z.enum(['channel', 'listing']).optional() }),
]);

const orderNotification = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('webhook'),
    delay: latencySpec,
    duplicateRate: prob,
    reorderWindowMs: nonNeg,
    maxDeliveryAttempts: posInt,
    retryWindowS: nonNeg,
  }),
  z.strictObject({ mode: z.literal('polling'), intervalS: pos }),
]);

/** Any preset field may be overridden; nested objects are replaced whole. */
const channelOverrides = z
  .strictObject({
    rateLimits: z.array(rateLimitSpec).optional(),
    latency: latencySpec.optional(),
    applyDelay: latencySpec.optional(),
    updateSemantics: z.enum(['absolute', 'delta', 'compare-and-set']).optional(),
    maxItemsPerRequest: posInt.optional(),
    orderNotification: orderNotification.optional(),
    errorRate5xx: prob.optional(),
    maxConcurrency: posInt.optional(),
  })
  .optional();

export const channelSchema = z.strictObject({
  id: ident,
  preset: z.enum(PRESET_IDS as unknown as [string, ...string[]]),
  /** Relative share of demand arriving on this channel. */
  demandWeight: pos.default(1),
  overrides: channelOverrides,
});

const catalog = z.strictObject({
  skus: posInt.max(1_000_000),
  skuPrefix: z.string().min(1).default('SKU-'),
  initialStockMin: nonNegInt,
  initialStockMax: nonNegInt,
  /** Zipf exponent of SKU popularity (0 = uniform). */
  zipfExponent: nonNeg.default(1),
  restock: z
    .strictObject({
      everyS: pos,
      /** Each SKU below this level is brought back up to it. */
      upToUnits: posInt,
    })
    .optional(),
});

const burst = z.strictObject({
  atS: nonNeg,
  orders: posInt.max(1_000_000),
  /** The burst's orders fall on the most popular SKUs: this many of them. */
  hotSkus: posInt,
  /** Orders arrive uniformly within this window (milliseconds: a flash sale is concurrent). */
  spreadMs: nonNeg,
  /** Channels the burst arrives on (default: every channel). */
  channels: z.array(ident).optional(),
});

const demand = z.strictObject({
  ordersPerDay: nonNeg,
  /** 24 hourly multipliers of the mean rate (mean 1 is not required; it is normalised). */
  dailyProfile: z.array(nonNeg).length(24).optional(),
  unitsPerOrderMax: posInt.default(1),
  bursts: z.array(burst).default([]),
  /** A sustained surge on the hot SKUs after each burst: extra orders per hour, for this long. */
  surge: z.strictObject({ hotSkus: posInt, ordersPerHour: nonNeg, durationS: pos, startS: nonNeg }).optional(),
});

const window = z.strictObject({ startS: nonNeg, durationS: pos, channel: ident.optional() });

const faults = z
  .strictObject({
    /** Extra probability a channel call fails with a 5xx. */
    serverErrorRate: prob.default(0),
    /** Extra probability a channel call answers 429 with Retry-After. */
    throttleRate: prob.default(0),
    throttleRetryAfterMs: nonNeg.default(2_000),
    /** Probability a call times out; the outcome is unknown to the caller. */
    timeoutRate: prob.default(0),
    timeoutMs: pos.default(10_000),
    /** Of timed-out calls, the share the channel applied anyway. */
    timeoutAppliedShare: prob.default(0.5),
    latencySpikes: z.array(window.extend({ multiplier: pos })).default([]),
    outages: z.array(window.extend({ channel: ident })).default([]),
    /** Extra duplicate and reordered webhook deliveries on top of the preset's. */
    webhookDuplicateRate: prob.default(0),
    webhookReorderWindowMs: nonNeg.default(0),
    processorCrashes: z.array(z.strictObject({ atS: nonNeg, downS: nonNeg })).default([]),
    dispatcherCrashes: z.array(z.strictObject({ atS: nonNeg, downS: nonNeg })).default([]),
  })
  .default({
    serverErrorRate: 0,
    throttleRate: 0,
    throttleRetryAfterMs: 2_000,
    timeoutRate: 0,
    timeoutMs: 10_000,
    timeoutAppliedShare: 0.5,
    latencySpikes: [],
    outages: [],
    webhookDuplicateRate: 0,
    webhookReorderWindowMs: 0,
    processorCrashes: [],
    dispatcherCrashes: [],
  });

const allocation = z.union([z.strictObject({ percent: z.number().min(0).max(100) }), z.strictObject({ fixed: nonNegInt })]);

const listingPolicy = z
  .strictObject({
    bufferUnits: nonNegInt.optional(),
    outOfStockThreshold: nonNegInt.optional(),
    allocation: z.record(ident, allocation).optional(),
    maxListed: nonNegInt.optional(),
  })
  .default({});

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
  z.strictObject({ kind: z.literal('polling'), intervalS: pos, ...strategyBase }),
  z.strictObject({ kind: z.literal('event-driven'), ...strategyBase }),
  z.strictObject({ kind: z.literal('event-batched'), windowMs: pos, ...strategyBase }),
  z.strictObject({ kind: z.literal('hybrid'), reconcileIntervalS: pos, ...strategyBase }),
]);

/** The seed article's configuration template, accepted verbatim. */
export const inventorySyncTemplate = z.looseObject({
  propagation: z
    .looseObject({
      strategy: z.enum(['event_driven', 'polling', 'batched', 'hybrid']).optional(),
      max_latency_ms: pos.optional(),
      alert_threshold_ms: pos.optional(),
    })
    .optional(),
  ai_freshness: z.looseObject({ max_staleness_seconds: pos.optional(), min_confidence_score: prob.optional() }).optional(),
  retry_policy: z
    .looseObject({
      max_retries: nonNegInt.optional(),
      base_delay_ms: nonNeg.optional(),
      max_delay_ms: nonNeg.optional(),
      backoff_multiplier: z.number().min(1).optional(),
    })
    .optional(),
  idempotency: z.looseObject({ ttl_seconds: pos.optional(), store_type: z.string().optional() }).optional(),
  monitoring: z
    .looseObject({
      metrics: z.array(z.string()).optional(),
      alerting: z.looseObject({ channels: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
});

const engine = z
  .strictObject({
    processorWorkers: posInt.max(256).default(1),
    storeLatencyMs: nonNeg.default(1),
    dispatcherConcurrency: posInt.default(8),
    /** Jitter fraction of retry delays (the template has no key for it). */
    retryJitter: prob.default(0.2),
    /** Operations redrive the dead-letter queue this often (absent: only when the run heals). */
    redriveDlqEveryS: pos.optional(),
  })
  .default({ processorWorkers: 1, storeLatencyMs: 1, dispatcherConcurrency: 8, retryJitter: 0.2 });

const economics = z.strictObject({
  averageOrderValue: nonNeg,
  customerLifetimeValue: nonNeg,
  churnMultiplier: nonNeg,
  /** The seed model's inputs, shown beside the measured leakage. */
  seedModel: z
    .strictObject({ dailyOrderVolume: pos, syncWindowSeconds: pos, oversellProbability: z.number().positive().max(1) })
    .optional(),
});

/** A bound on a number: `0`, `true`, or a comparison string such as "< 500" or ">= 0.9". */
const assertion = z.union([z.number(), z.boolean(), z.string().regex(/^\s*(<=|>=|<|>|==|!=)\s*-?\d+(\.\d+)?(e-?\d+)?\s*$/i, 'must be a number, true or false, or a comparison like "< 500", ">= 0.9" or "== 0"')]);

export const ASSERTABLE_METRICS = [
  'oversells',
  'lostSales',
  'integrityViolations',
  'latencyMsP99',
  'staleWindowMsP99',
  'meanConfidence',
  'invisibleFraction',
  'belowMinConfidenceFraction',
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
  strategies: z.array(ident).optional(),
  ...Object.fromEntries(ASSERTABLE_METRICS.map((m) => [m, assertion.optional()])),
});

export const scenarioSchema = z.strictObject({
  description: z.string().optional(),
  durationS: pos,
  /** Upper bound for the heal phase in which channels must converge. */
  healBoundS: pos.default(6 * 3600),
  catalog,
  channels: z.array(channelSchema).min(1),
  demand,
  faults,
  engine,
  inventory_sync: inventorySyncTemplate.optional(),
  economics,
  strategies: z.record(ident, strategy),
  assert: z.union([assertBlock, z.array(assertBlock)]).optional(),
});

export const scenarioFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  scenarios: z.record(ident, scenarioSchema),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioSpec = z.output<typeof scenarioSchema>;
export type StrategySpec = ScenarioSpec['strategies'][string];
export type ChannelSpec = ScenarioSpec['channels'][number];
export type FaultsSpec = ScenarioSpec['faults'];
export type AssertBlock = z.output<typeof assertBlock>;
export type LatencySpecInput = z.output<typeof latencySpec>;

/** A loaded scenario: its name plus the parsed spec. */
export interface Scenario extends ScenarioSpec {
  readonly name: string;
}
