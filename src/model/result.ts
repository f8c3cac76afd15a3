/** The result of one simulated run: the JSON document `invsim run --json` prints. */
import type { Violation } from './ledger.js';
import type { RunMoney } from './money.js';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentiles of a measure that may have no sample at all: then every one is null, never 0 ("no propagation"). */
export type MaybePercentiles = { [K in keyof Percentiles]: number | null };

/** A latency snapshot's percentiles to the microsecond, or all null when it has no sample. */
export function percentilesOrNull(snap: Percentiles & { readonly count: number }): MaybePercentiles {
  const r = (x: number): number | null => (snap.count === 0 ? null : Math.round(x * 1000) / 1000);
  return { p50: r(snap.p50), p95: r(snap.p95), p99: r(snap.p99), max: r(snap.max) };
}

export type { InvariantName, Violation } from './ledger.js';

/**
 * A compact propagation-latency distribution: `ms[i]` is the nearest-rank latency at quantile
 * `q[i]` (the CDF's points, for reports). Both are empty for a channel with no samples.
 */
export interface LatencyCdf {
  q: number[];
  ms: number[];
}

/** The quantiles every channel's `latencyCdf` is read at: dense in the tail, where p99 lives. */
export const LATENCY_CDF_QUANTILES: readonly number[] = [
  0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 1,
];

export interface ChannelResult {
  id: string;
  preset: string;
  /** Commit to this channel's acknowledgement of the version (or a newer one). */
  latencyMs: MaybePercentiles & { count: number };
  /** Commit to this channel's listing actually showing the version (or a newer one): minutes later for a feed. */
  listingLatencyMs: MaybePercentiles & { count: number };
  latencyCdf: LatencyCdf;
  api: { calls: number; throttled: number; failed: number; reads: number; itemsSent: number };
  orders: { placed: number; lostSales: number };
  quota: { limitPerDay: number | null; usedPerDay: number };
}

export interface OversellExplanation {
  orderId: string;
  channel: string;
  sku: string;
  placedAtMs: number;
  listedQuantity: number;
  sourceQuantityAtPlacement: number;
  /**
   * When the source of truth last changed before the order, and when the channel's listing was
   * last set by us after that change (null: the change had not reached the channel yet).
   */
  sourceChangedAtMs: number | null;
  channelUpdatedAtMs: number | null;
}

export interface SimulationResult {
  scenario: string;
  strategy: string;
  seed: number;
  traceHash: string;
  simulatedSeconds: number;
  orders: { arrivals: number; placed: number; fulfilled: number; oversold: number; lostSales: number; duplicatesIgnored: number; conflictRejected: number };
  oversells: number;
  lostSales: number;
  integrityViolations: number;
  violations: Violation[];
  /** Commit to acknowledgement, over every channel; null when nothing was propagated. */
  latencyMs: MaybePercentiles;
  /** Commit to the listing actually changing, over every channel (the headline measure); null when nothing was. */
  listingLatencyMs: MaybePercentiles;
  /** Null when no listing was ever stale. */
  staleWindowMs: { p50: number | null; p99: number | null };
  freshness: { meanConfidence: number; invisibleFraction: number; belowMinConfidenceFraction: number };
  /** Money per run first; day and year figures only with the scenario's frequency (src/scenarios/economics.ts). */
  leakage: RunMoney & {
    /** The seed article's closed-form model: a daily figure by definition (its input is orders per day). */
    seedModel: {
      syncWindowsPerDay: number;
      estimatedOversellsPerDay: number;
      directRevenueLoss: number;
      ltvErosion: number;
      totalDailyImpact: number;
    };
  };
  api: { calls: number; throttled: number; failed: number };
  dlq: { maxDepth: number; parked: number };
  converged: boolean;
  convergenceMs: number | null;
  engine: {
    versionConflicts: number;
    processorRestarts: number;
    dispatcherRestarts: number;
    alerts: number;
    /** From an order's first delivery to the engine's final answer (its queue and store operations); null when none was answered. */
    orderProcessingMs: MaybePercentiles;
  };
  channels: ChannelResult[];
  oversellExamples: OversellExplanation[];
  series: {
    /** Sample times (ms) for the series below, one per bucket. */
    bucketMs: number;
    freshness: number[];
    dlqDepth: number[];
  };
  kernel: { events: number };
}

/** Maximum violations kept in detail (all are counted). */
export const MAX_VIOLATIONS_LISTED = 50;
