/**
 * What `invsim k6` writes into a generated script: the scenario's demand, catalog, channels and
 * thresholds, already time-compressed by `--speedup` (every duration here is in real seconds or
 * milliseconds of the k6 run). Plain data: the runtime (runtime.ts) reads nothing else.
 */

export interface ChannelConfig {
  readonly id: string;
  /** Probability an order is delivered once more with the same mutationId (the scenario's rate). */
  readonly duplicateRate: number;
  /** A redelivery follows its original after max(redeliveryMinMs, u · redeliverySpreadMs), u uniform in [0, 1). */
  readonly redeliveryMinMs: number;
  readonly redeliverySpreadMs: number;
}

/** A piecewise-constant arrival rate: `target` iterations per `timeUnit`, held for `durationMs`. */
export interface RateStep {
  readonly durationMs: number;
  readonly target: number;
}

export interface DemandConfig {
  readonly timeUnit: string;
  readonly steps: readonly RateStep[];
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
}

export interface BurstConfig {
  /** k6 scenario name, `burst_<n>`. */
  readonly name: string;
  readonly startTimeMs: number;
  readonly orders: number;
  /** Orders fall uniformly on the first `hotSkus` SKUs (the most popular). */
  readonly hotSkus: number;
  /** Orders arrive uniformly over this window (compressed like everything else). */
  readonly spreadMs: number;
  /** Indices into `channels`. */
  readonly channels: readonly number[];
  /** Cumulative demand weights of `channels` (normalised): a burst's orders follow them, as all demand does. */
  readonly channelCdf: readonly number[];
}

export interface SurgeConfig {
  readonly startTimeMs: number;
  readonly durationMs: number;
  readonly timeUnit: string;
  readonly rate: number;
  readonly hotSkus: number;
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
}

export interface RestockConfig {
  readonly everyMs: number;
  readonly upToUnits: number;
}

export interface ScriptConfig {
  readonly scenario: string;
  /** The strategy whose assert blocks the thresholds mirror. */
  readonly strategy: string;
  /** The command that generated the script. */
  readonly generatedBy: string;
  readonly speedup: number;
  /** Root seed of the load: iteration n of a stream draws from randomSeed(iterationSeed(seed, stream, n)). */
  readonly seed: number;
  readonly durationMs: number;
  readonly channels: readonly ChannelConfig[];
  /** Cumulative demand weights of `channels` (last entry 1). */
  readonly channelCdf: readonly number[];
  readonly skus: readonly string[];
  /** Cumulative Zipf popularity of `skus` (last entry 1). */
  readonly skuCdf: readonly number[];
  /** The simulator's initial stock for each SKU (same seed, same draws). */
  readonly initialStock: readonly number[];
  readonly unitsPerOrderMax: number;
  readonly demand: DemandConfig | null;
  readonly bursts: readonly BurstConfig[];
  readonly surge: SurgeConfig | null;
  readonly restock: RestockConfig | null;
  /** Real ms setup waits for the stock to reach the channels, and teardown for the service to settle (SETTLE_TIMEOUT_S overrides). */
  readonly settleTimeoutMs: number;
  /** Real ms an iteration may still run after its scenario ends (a redelivery's wait). */
  readonly gracefulStopMs: number;
  /** k6 thresholds, metric name → expressions. */
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
  /** Assert-block metrics a live run cannot measure, with why. */
  readonly notMirrored: readonly string[];
}
