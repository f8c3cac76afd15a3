/**
 * Engine defaults that more than the engine needs: the scenario schema and compiler (a scenario
 * that leaves a key out), the simulator's pitfall variants and the service all take them from
 * here, so each value is written once. Defaults with a shape of their own live beside their type
 * (DEFAULT_RETRY_POLICY in retry.ts, DEFAULT_FRESHNESS in freshness.ts); defaults only one module
 * reads stay in that module.
 */

/** How long an idempotency record is kept: the seed template's `idempotency.ttl_seconds: 86400`. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 86_400_000;

/** Propagation latency above which the LatencyObserver alerts (`propagation.alert_threshold_ms`). */
export const DEFAULT_LATENCY_ALERT_THRESHOLD_MS = 2_000;

/** Requests the dispatcher keeps in flight to one channel (`ChannelClient.maxConcurrency`, `engine.dispatcherConcurrency`). */
export const DEFAULT_CHANNEL_CONCURRENCY = 8;
