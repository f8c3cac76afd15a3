/**
 * Scenario → plain configurations: the one place that turns a validated scenario into what the
 * engine, the channel models and the fault injectors take. The simulator, the service, the
 * load-test generator and the reports all compile through here, so a default or a unit
 * conversion lives once.
 */
import { DEFAULT_IDEMPOTENCY_TTL_MS, DEFAULT_LATENCY_ALERT_THRESHOLD_MS } from '../engine/defaults.js';
import { DEFAULT_FRESHNESS } from '../engine/freshness.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../engine/retry.js';
import type { ChannelFaults } from '../model/channel.js';
import { CHANNEL_PRESETS, type ChannelPreset, type PresetId } from '../model/presets.js';
import type { FaultsSpec, Scenario } from './schema.js';

/** Merges a preset with a scenario's overrides. */
export function effectivePreset(presetId: string, overrides: Record<string, unknown> | undefined): ChannelPreset {
  const base = CHANNEL_PRESETS[presetId as PresetId];
  if (base === undefined) throw new RangeError(`unknown channel preset ${presetId}`);
  const merged = structuredClone(base) as ChannelPreset & { maxConcurrency?: number };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = structuredClone(value);
  }
  return merged;
}

/** The engine configuration a scenario implies, the seed's template included. */
export function engineConfig(scenario: Scenario): {
  retryPolicy: RetryPolicy;
  idempotencyTtlMs: number;
  alertThresholdMs: number;
  maxStalenessMs: number;
  minConfidence: number;
} {
  const t = scenario.inventory_sync;
  const r = t?.retry_policy;
  return {
    retryPolicy: {
      maxRetries: r?.max_retries ?? DEFAULT_RETRY_POLICY.maxRetries,
      baseDelayMs: r?.base_delay_ms ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      maxDelayMs: r?.max_delay_ms ?? DEFAULT_RETRY_POLICY.maxDelayMs,
      backoffMultiplier: r?.backoff_multiplier ?? DEFAULT_RETRY_POLICY.backoffMultiplier,
      jitter: scenario.engine.retryJitter,
    },
    idempotencyTtlMs: secondsToMs(t?.idempotency?.ttl_seconds, DEFAULT_IDEMPOTENCY_TTL_MS),
    alertThresholdMs: t?.propagation?.alert_threshold_ms ?? DEFAULT_LATENCY_ALERT_THRESHOLD_MS,
    maxStalenessMs: secondsToMs(t?.ai_freshness?.max_staleness_seconds, DEFAULT_FRESHNESS.maxStalenessMs),
    minConfidence: t?.ai_freshness?.min_confidence_score ?? DEFAULT_FRESHNESS.minConfidenceScore,
  };
}

/** A template value in seconds, in ms; the engine's default (in ms) when the template leaves it out. */
function secondsToMs(seconds: number | undefined, defaultMs: number): number {
  return seconds === undefined ? defaultMs : seconds * 1000;
}

/**
 * The faults a scenario puts on one channel: its rates, and its latency spikes and outages as
 * windows in scenario time. `originMs` is the channel clock's reading at scenario time 0: the
 * simulator's is 0; the service's is the moment its first order arrived (the live load's start),
 * and NaN before it, when no window is open yet.
 */
export function scenarioChannelFaults(f: FaultsSpec, channelId: string, active: () => boolean, originMs: () => number = () => 0): ChannelFaults {
  const outages = f.outages.filter((o) => o.channel === channelId).map((o) => [o.startS * 1000, (o.startS + o.durationS) * 1000] as const);
  const spikes = f.latencySpikes
    .filter((sp) => sp.channel === undefined || sp.channel === channelId)
    .map((sp) => [sp.startS * 1000, (sp.startS + sp.durationS) * 1000, sp.multiplier] as const);
  return {
    active,
    serverErrorRate: f.serverErrorRate,
    throttleRate: f.throttleRate,
    throttleRetryAfterMs: f.throttleRetryAfterMs,
    timeoutRate: f.timeoutRate,
    timeoutMs: f.timeoutMs,
    timeoutAppliedShare: f.timeoutAppliedShare,
    latencyMultiplier: (now) => {
      if (!active()) return 1;
      const t = now - originMs();
      let m = 1;
      for (const [from, to, mult] of spikes) if (t >= from && t < to) m *= mult;
      return m;
    },
    inOutage: (now) => {
      const t = now - originMs();
      return outages.some(([from, to]) => t >= from && t < to);
    },
  };
}
