/**
 * The JSON Schemas of the HTTP contract: fastify validates every request with them (ajv,
 * `allErrors`, no coercion, no silent removal of unknown fields) and serializes responses with
 * them. loadtest/contract.openapi.yaml carries the same schemas under `components.schemas`;
 * test/serve/contract.test.ts fails when the two drift apart.
 *
 * Only keywords that mean the same in JSON Schema draft-07 (ajv's default) and 2020-12
 * (OpenAPI 3.1) are used.
 */

import { MAX_STOCK_LEVEL } from '../engine/limits.js';

/** SKUs travel in URL paths: no slash, no space, at most 128 characters. */
export const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$';
export const CHANNEL_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_UNITS_PER_ORDER = 1_000_000;
/** An adjustment moves a level by at most the largest level there is (MAX_STOCK_LEVEL, 2³¹ − 1). */
export const MAX_ADJUSTMENT = MAX_STOCK_LEVEL;

/**
 * Ids (mutationId, orderId) are printable text: 1 to 128 characters, none of them a control
 * character (U+0000–U+001F, U+007F–U+009F), a lone surrogate (JSON's "\ud800", which no store
 * can hold as text: it would become U+FFFD and merge distinct ids), or a line or paragraph
 * separator. What passes is stored byte for byte (UTF-8) on every store. (ajv matches patterns
 * with the `u` flag: `\p{…}` are Unicode classes and a surrogate pair is one character.)
 */
export const ID_PATTERN = '^[^\\p{Cc}\\p{Cs}\\p{Zl}\\p{Zp}]*$';
const id = { type: 'string', minLength: 1, maxLength: 128, pattern: ID_PATTERN } as const;
const sku = { type: 'string', pattern: SKU_PATTERN } as const;
const nonNegInt = { type: 'integer', minimum: 0 } as const;
const nonNeg = { type: 'number', minimum: 0 } as const;

export const OrderWebhook = {
  type: 'object',
  description: 'An order a channel took, as its webhook delivers it.',
  additionalProperties: false,
  required: ['mutationId', 'orderId', 'sku', 'quantity'],
  properties: {
    mutationId: { ...id, description: 'Idempotency key: a redelivery carries the same one.' },
    orderId: id,
    sku,
    quantity: { type: 'integer', minimum: 1, maximum: MAX_UNITS_PER_ORDER, description: 'Units ordered.' },
  },
} as const;

export const MutationResult = {
  type: 'object',
  description: 'What happened to a mutation. A webhook is acknowledged with 200 whatever the outcome.',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['applied', 'duplicate', 'rejected'] },
    reason: {
      type: 'string',
      enum: ['insufficient_stock', 'above_max_level', 'conflict_retries_exhausted', 'not_listed'],
      description: "`above_max_level`: the level would pass 2 147 483 647 units (2³¹ − 1), the most any store and channel holds. `not_listed`: the service runs with --storefront and the channel's listing showed fewer units than ordered, so the order was not taken (it never reached the engine).",
    },
    quantity: { ...nonNegInt, description: 'The level after the mutation (applied) or the level that refused it (rejected).' },
    version: { ...nonNegInt, description: 'The level version after an applied mutation.' },
  },
} as const;

export const Adjustment = {
  type: 'object',
  description: 'A restock (positive) or shrinkage (negative) at the source of truth.',
  additionalProperties: false,
  required: ['mutationId', 'quantityDelta'],
  properties: {
    mutationId: id,
    quantityDelta: { type: 'integer', minimum: -MAX_ADJUSTMENT, maximum: MAX_ADJUSTMENT, not: { const: 0 } },
  },
} as const;

export const ChannelListingView = {
  type: 'object',
  additionalProperties: false,
  required: ['channel', 'quantity', 'version', 'updatedAt', 'stale'],
  properties: {
    channel: { type: 'string' },
    quantity: { type: 'integer', description: "The channel's own view: what it lists now." },
    version: { ...nonNegInt, description: 'The source-of-truth version the listing reflects (0: never set).' },
    updatedAt: { type: ['string', 'null'], description: 'When the listing last took one of our updates (ISO 8601), null if never.' },
    stale: { type: 'boolean', description: 'Whether the listing differs from the source of truth.' },
  },
} as const;

export const InventoryView = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'quantity', 'version', 'channels'],
  properties: {
    sku: { type: 'string' },
    quantity: { ...nonNegInt, description: 'Units at the source of truth.' },
    version: { ...nonNegInt, description: 'Grows by one on every applied mutation.' },
    channels: { type: 'array', items: ChannelListingView },
  },
} as const;

export const LatencySnapshot = {
  type: 'object',
  additionalProperties: false,
  required: ['count', 'p50', 'p95', 'p99', 'max'],
  properties: { count: nonNegInt, p50: nonNeg, p95: nonNeg, p99: nonNeg, max: nonNeg },
} as const;

const counts = { type: 'object', additionalProperties: nonNegInt } as const;

export const Audit = {
  type: 'object',
  description: 'Counts since the service started or was last reset, and the integrity checks.',
  additionalProperties: false,
  required: [
    'scenario',
    'store',
    'startedAt',
    'uptimeS',
    'speedup',
    'scenarioTimeS',
    'storefront',
    'settled',
    'orders',
    'adjustments',
    'outcomesLearned',
    'commits',
    'instance',
    'oversells',
    'oversellsByChannel',
    'lostSalesByChannel',
    'integrityViolations',
    'violations',
    'dlq',
    'latencyMs',
    'latencyMsByChannel',
    'orderProcessingMs',
    'freshness',
    'channels',
    'alerts',
  ],
  properties: {
    scenario: { type: 'string' },
    store: { type: 'string' },
    startedAt: { type: 'string' },
    uptimeS: { ...nonNeg, description: 'Real seconds since the start or the last reset.' },
    speedup: { type: 'number', exclusiveMinimum: 0, description: 'Scenario seconds per real second (`invsim serve --speedup`): every time in this audit is scenario time.' },
    scenarioTimeS: { ...nonNeg, description: 'Scenario seconds since the start or the last reset (uptimeS × speedup).' },
    storefront: { type: 'boolean', description: "The channel models act as storefronts (`--storefront`): an order its channel's listing could not show is not taken." },
    settled: { type: 'boolean', description: 'No mutation in flight and no propagation pending when the audit ran its end-to-end checks.' },
    orders: {
      type: 'object',
      additionalProperties: false,
      required: ['received', 'distinct', 'applied', 'duplicates', 'rejected', 'rejectedByReason', 'notListed', 'lostSales', 'lostSalesWhileOrdersWaited', 'decidedElsewhere', 'keyReused', 'pending'],
      properties: {
        received: { ...nonNegInt, description: 'Webhook deliveries, redeliveries included.' },
        distinct: { ...nonNegInt, description: 'Distinct mutationIds.' },
        applied: nonNegInt,
        duplicates: { ...nonNegInt, description: 'Deliveries answered `duplicate`.' },
        rejected: nonNegInt,
        rejectedByReason: counts,
        notListed: {
          ...nonNegInt,
          description: "Orders that arrived while the channel's own listing showed fewer units (a real channel would not have taken them). With --storefront they are answered `rejected` (`not_listed`) and not counted in `rejected`.",
        },
        lostSales: { ...nonNegInt, description: '--storefront: orders not taken although the source of truth had the units (a customer turned away by a stale listing).' },
        lostSalesWhileOrdersWaited: {
          ...nonNegInt,
          description:
            "--storefront: those of `lostSales` where the source had the units only because orders of the SKU the channels had taken were still waiting for the engine's commit (an effect of the service's own processing time, not of the listings' staleness).",
        },
        decidedElsewhere: {
          ...nonNegInt,
          description: 'Distinct orders first seen here and answered `duplicate`: another instance on the shared store (or this one before a restart) decided them.',
        },
        keyReused: { ...nonNegInt, description: 'Deliveries refused (409) because their idempotency key was recorded for a different SKU or quantity.' },
        pending: { ...nonNegInt, description: 'Distinct orders without an outcome yet.' },
      },
    },
    adjustments: {
      type: 'object',
      additionalProperties: false,
      required: ['received', 'applied', 'duplicates', 'rejected', 'keyReused'],
      properties: { received: nonNegInt, applied: nonNegInt, duplicates: nonNegInt, rejected: nonNegInt, keyReused: nonNegInt },
    },
    outcomesLearned: {
      ...nonNegInt,
      description: "Mutations whose commit answer was lost to a store failure (answered 503) and whose outcome was then read from the store's idempotency record.",
    },
    commits: {
      type: 'object',
      description:
        'Applied commits this instance made (orders and adjustments) and the sum of their deltas. On a shared store, summed over every instance since the reset, they equal the sum of the store\'s versions and of its quantities.',
      additionalProperties: false,
      required: ['applied', 'unitsDelta'],
      properties: { applied: nonNegInt, unitsDelta: { type: 'integer' } },
    },
    instance: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'sharedStore', 'reconciliation'],
      properties: {
        id: { type: 'string', description: 'This instance among those sharing the store (its outbox consumer name).' },
        sharedStore: { type: 'boolean', description: 'Other instances may share the store (Redis, PostgreSQL): the level check is then the sum of their audits.' },
        reconciliation: {
          type: 'object',
          description: "Shared store: passes comparing this instance's channel models with the store, and the listings corrected.",
          additionalProperties: false,
          required: ['passes', 'corrections'],
          properties: { passes: nonNegInt, corrections: nonNegInt },
        },
      },
    },
    oversells: { ...nonNegInt, description: 'Orders a channel took while its listing showed the units, that the source of truth could not fulfil.' },
    oversellsByChannel: counts,
    lostSalesByChannel: { ...counts, description: "--storefront: `orders.lostSales` by the channel whose listing turned the customer away." },
    integrityViolations: nonNegInt,
    violations: {
      type: 'array',
      description: 'The first violations (at most 50).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['invariant', 'atMs', 'detail'],
        properties: { invariant: { type: 'string' }, atMs: nonNeg, detail: { type: 'string' } },
      },
    },
    dlq: {
      type: 'object',
      additionalProperties: false,
      required: ['depth', 'parked', 'redriven'],
      properties: { depth: nonNegInt, parked: nonNegInt, redriven: nonNegInt },
    },
    latencyMs: LatencySnapshot,
    latencyMsByChannel: { type: 'object', additionalProperties: LatencySnapshot },
    orderProcessingMs: {
      ...LatencySnapshot,
      description:
        "Scenario ms from an order's first delivery to the engine's answer (applied or rejected), over the measured window. The simulator's engine spends only its store latency and queueing on an order; more here is the service's own work at this speedup.",
    },
    freshness: {
      type: 'object',
      additionalProperties: false,
      required: ['listings', 'staleListings', 'meanConfidence', 'integrated'],
      properties: {
        listings: nonNegInt,
        staleListings: { ...nonNegInt, description: 'Listings that differ from the source of truth now.' },
        meanConfidence: { type: 'number', minimum: 0, maximum: 1, description: 'Mean confidence of the listings now (a snapshot).' },
        integrated: {
          type: 'object',
          description:
            "The simulator's freshness measures, integrated exactly over the measured window: from the first order for the scenario's duration (scenario time), up to now. Null before the first order.",
          additionalProperties: false,
          required: ['fromS', 'toS', 'windowS', 'meanConfidence', 'invisibleFraction', 'belowMinConfidenceFraction'],
          properties: {
            fromS: { type: ['number', 'null'] },
            toS: { type: ['number', 'null'] },
            windowS: nonNeg,
            meanConfidence: { type: ['number', 'null'], minimum: 0, maximum: 1 },
            invisibleFraction: { type: ['number', 'null'], minimum: 0, maximum: 1 },
            belowMinConfidenceFraction: { type: ['number', 'null'], minimum: 0, maximum: 1 },
          },
        },
      },
    },
    channels: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['calls', 'throttled', 'failed', 'itemsSent'],
        properties: { calls: nonNegInt, throttled: nonNegInt, failed: nonNegInt, itemsSent: nonNegInt },
      },
    },
    alerts: counts,
    channelMode: {
      type: 'string',
      enum: ['external'],
      description: 'Present with `invsim serve --channels`: the channels are external (reached through connectors), not the in-process channel models.',
    },
    notMeasured: {
      type: 'object',
      additionalProperties: false,
      required: ['measures', 'reason'],
      description: 'External-channel mode: the measures above that come from the channel models and so do not describe the channels, and why.',
      properties: { measures: { type: 'array', items: { type: 'string' } }, reason: { type: 'string' } },
    },
  },
} as const;

export const Health = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'scenario', 'uptimeS'],
  properties: {
    status: { type: 'string', enum: ['ok', 'draining'] },
    scenario: { type: 'string' },
    uptimeS: nonNeg,
  },
} as const;

export const Readiness = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'store'],
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    store: { type: 'string', description: 'The store (without credentials).' },
    reason: { type: 'string', description: 'Why the service is not ready (unavailable only).' },
  },
} as const;

export const StartResult = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'windowFromS', 'alreadyOpen'],
  properties: {
    status: { type: 'string', enum: ['started'] },
    windowFromS: { ...nonNeg, description: "Where the measured window opened, in scenario seconds since the start or the last reset: the simulator's time 0." },
    alreadyOpen: { type: 'boolean', description: 'The window was already open (an earlier POST /start, or an order before it): nothing changed.' },
  },
} as const;

export const ResetResult = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { type: 'string', enum: ['reset'] } },
} as const;

export const Problem = {
  type: 'object',
  description: 'Every error answer. `issues` names each bad field of a 400.',
  additionalProperties: false,
  required: ['error', 'message'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

export const SkuParams = {
  type: 'object',
  additionalProperties: false,
  required: ['sku'],
  properties: { sku },
} as const;

export const ChannelParams = {
  type: 'object',
  additionalProperties: false,
  required: ['channel'],
  properties: { channel: { type: 'string', pattern: CHANNEL_PATTERN } },
} as const;

/** The schemas the contract names under `components.schemas`. */
export const CONTRACT_SCHEMAS = {
  OrderWebhook,
  MutationResult,
  Adjustment,
  ChannelListingView,
  InventoryView,
  LatencySnapshot,
  Audit,
  Health,
  Readiness,
  StartResult,
  ResetResult,
  Problem,
} as const;

// TypeScript views of the bodies, kept beside their schemas.
export interface OrderWebhookBody {
  readonly mutationId: string;
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
}

export interface AdjustmentBody {
  readonly mutationId: string;
  readonly quantityDelta: number;
}

export interface MutationResultBody {
  readonly status: 'applied' | 'duplicate' | 'rejected';
  readonly reason?: 'insufficient_stock' | 'above_max_level' | 'conflict_retries_exhausted' | 'not_listed';
  readonly quantity?: number;
  readonly version?: number;
}

export interface ChannelListingBody {
  readonly channel: string;
  readonly quantity: number;
  readonly version: number;
  readonly updatedAt: string | null;
  readonly stale: boolean;
}

export interface InventoryViewBody {
  readonly sku: string;
  readonly quantity: number;
  readonly version: number;
  readonly channels: readonly ChannelListingBody[];
}

export interface LatencySnapshotBody {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface ViolationBody {
  readonly invariant: string;
  readonly atMs: number;
  readonly detail: string;
}

export interface AuditBody {
  readonly scenario: string;
  readonly store: string;
  readonly startedAt: string;
  readonly uptimeS: number;
  readonly speedup: number;
  readonly scenarioTimeS: number;
  readonly storefront: boolean;
  readonly settled: boolean;
  readonly orders: {
    readonly received: number;
    readonly distinct: number;
    readonly applied: number;
    readonly duplicates: number;
    readonly rejected: number;
    readonly rejectedByReason: Readonly<Record<string, number>>;
    readonly notListed: number;
    readonly lostSales: number;
    readonly lostSalesWhileOrdersWaited: number;
    readonly decidedElsewhere: number;
    readonly keyReused: number;
    readonly pending: number;
  };
  readonly adjustments: { readonly received: number; readonly applied: number; readonly duplicates: number; readonly rejected: number; readonly keyReused: number };
  readonly outcomesLearned: number;
  readonly commits: { readonly applied: number; readonly unitsDelta: number };
  readonly instance: {
    readonly id: string;
    readonly sharedStore: boolean;
    readonly reconciliation: { readonly passes: number; readonly corrections: number };
  };
  readonly oversells: number;
  readonly oversellsByChannel: Readonly<Record<string, number>>;
  readonly lostSalesByChannel: Readonly<Record<string, number>>;
  readonly integrityViolations: number;
  readonly violations: readonly ViolationBody[];
  readonly dlq: { readonly depth: number; readonly parked: number; readonly redriven: number };
  readonly latencyMs: LatencySnapshotBody;
  readonly latencyMsByChannel: Readonly<Record<string, LatencySnapshotBody>>;
  readonly orderProcessingMs: LatencySnapshotBody;
  readonly freshness: {
    readonly listings: number;
    readonly staleListings: number;
    readonly meanConfidence: number;
    readonly integrated: {
      readonly fromS: number | null;
      readonly toS: number | null;
      readonly windowS: number;
      readonly meanConfidence: number | null;
      readonly invisibleFraction: number | null;
      readonly belowMinConfidenceFraction: number | null;
    };
  };
  readonly channels: Readonly<Record<string, { readonly calls: number; readonly throttled: number; readonly failed: number; readonly itemsSent: number }>>;
  readonly alerts: Readonly<Record<string, number>>;
  /** Present in external-channel mode (`--channels`) only. */
  readonly channelMode?: 'external';
  readonly notMeasured?: { readonly measures: readonly string[]; readonly reason: string };
}

export interface ProblemBody {
  readonly error: string;
  readonly message: string;
  readonly issues?: readonly { readonly field: string; readonly message: string }[];
}
