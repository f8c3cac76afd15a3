/**
 * A channel's API budget per day, for the "API calls against quota" chart: its daily quota (the
 * simulation reports it as `quota.limitPerDay`) and, from its rate limiter, the most requests a
 * day the limiter admits at its sustained rate. Most marketplaces have no daily quota, only a
 * rate; without the second line those channels' bars would stand against nothing.
 */
import type { RateLimitSpec } from '../model/ratelimit.js';
import type { Scenario } from '../scenarios/schema.js';
import { effectivePreset } from '../scenarios/compile.js';

const DAY_S = 86_400;

/** Requests per day one limiter admits at its sustained rate; undefined for quotas and per-listing limits. */
export function sustainedPerDay(spec: RateLimitSpec): number | undefined {
  switch (spec.kind) {
    case 'leaky-bucket':
      return spec.leakPerS * DAY_S;
    case 'token-bucket':
      return spec.ratePerS * DAY_S;
    case 'cost-bucket':
      // A single-item request: the cheapest, so this is an upper bound on requests.
      return (spec.restorePerS / (spec.costPerRequest + (spec.costPerItem ?? 0))) * DAY_S;
    case 'quota':
      return undefined;
  }
}

/** Each channel's sustained ceiling (requests per day), null where its limiters set none. */
export function channelCeilings(scenario: Pick<Scenario, 'channels'>): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const channel of scenario.channels) {
    const preset = effectivePreset(channel.preset, channel.overrides as Record<string, unknown> | undefined);
    const rates = preset.rateLimits.map(sustainedPerDay).filter((x): x is number => x !== undefined);
    out.set(channel.id, rates.length === 0 ? null : Math.round(Math.min(...rates)));
  }
  return out;
}
