/**
 * Swarm testing: each seed draws a variation of a scenario, its whole fault configuration
 * included, from the seed alone (TigerBeetle's VOPR draws its configuration the same way). Each
 * fault family is on in about half the seeds and off in the rest, so a defect that only one
 * combination exposes is met, and when on its size is drawn within the scenario's `swarm:`
 * ranges (defaults: src/scenarios/schema.ts, `swarmBlock`). The catalogue, demand, economics
 * and strategies are the scenario's; channels may be a subset, the faults are the draw's.
 *
 * The draws come from the `swarm.variation` stream of the seed, a stream no run draws from, so
 * the run's own draws (demand, channels, jitter) are those of a plain run of the same seed.
 */
import { RandomStreams, type Rng } from '../model/random.js';
import { swarmBlock, type Scenario, type StrategySpec, type SwarmRanges } from '../scenarios/schema.js';

/** A scenario as `invsim swarm` varied it for one seed, and what it changed, one line each. */
export interface Variation {
  readonly scenario: Scenario;
  readonly changes: readonly string[];
}

export function drawVariation(base: Scenario, seed: number): Variation {
  const ranges: SwarmRanges = base.swarm ?? swarmBlock.parse({});
  const rng = new RandomStreams(seed).stream('swarm.variation');
  const changes: string[] = [];
  const durationS = base.durationS;
  const on = (): boolean => rng.next() < 0.5;
  const rate = (max: number): number => round(rng.next() * max, 4);
  const within = (min: number, max: number): number => round(min + rng.next() * Math.max(0, max - min), 1);

  const channels = pickChannels(base, ranges.channelsMin, rng);
  if (channels.length < base.channels.length) changes.push(`channels: ${channels.map((c) => c.id).join(', ')} (of ${base.channels.map((c) => c.id).join(', ')})`);
  const ids = channels.map((c) => c.id);

  const f = { ...base.faults };
  f.serverErrorRate = on() ? rate(ranges.serverErrorRateMax) : 0;
  f.throttleRate = on() ? rate(ranges.throttleRateMax) : 0;
  f.timeoutRate = on() ? rate(ranges.timeoutRateMax) : 0;
  f.timeoutAppliedShare = round(rng.next(), 3);
  f.webhookDuplicateRate = on() ? rate(ranges.webhookDuplicateRateMax) : 0;
  f.webhookReorderWindowMs = on() ? Math.round(rng.next() * ranges.webhookReorderWindowMsMax) : 0;
  const count = (max: number): number => (on() && max > 0 ? rng.int(1, max + 1) : 0);
  f.latencySpikes = Array.from({ length: ranges.latencySpikeMultiplierMax > 1 ? count(1) : 0 }, () => {
    const startS = within(0, durationS * 0.9);
    return { startS, durationS: within(1, Math.min(durationS - startS, 3600)), multiplier: within(1, ranges.latencySpikeMultiplierMax) };
  });
  f.outages = Array.from({ length: count(ranges.outagesMax) }, () => {
    const startS = within(0, durationS * 0.9);
    return { channel: ids[rng.int(0, ids.length)]!, startS, durationS: within(1, Math.min(durationS - startS, ranges.outageDurationSMax)) };
  });
  const crashes = (max: number): { atS: number; downS: number }[] =>
    Array.from({ length: count(max) }, () => ({ atS: within(0, durationS * 0.95), downS: within(0.1, ranges.crashDownSMax) })).sort((a, b) => a.atS - b.atS);
  f.processorCrashes = crashes(ranges.processorCrashesMax);
  f.dispatcherCrashes = crashes(ranges.dispatcherCrashesMax);
  for (const [key, value] of Object.entries(f)) {
    const was = (base.faults as Record<string, unknown>)[key];
    if (JSON.stringify(value) !== JSON.stringify(was)) changes.push(`faults.${key}: ${JSON.stringify(value)}`);
  }

  const extraBursts = Array.from({ length: count(ranges.burstsMax) }, () => ({
    atS: within(0, durationS * 0.9),
    orders: rng.int(1, ranges.burstOrdersMax + 1),
    hotSkus: rng.int(1, Math.min(5, base.catalog.skus) + 1),
    spreadMs: Math.round(rng.next() * 5_000),
  }));
  const keptBursts = base.demand.bursts.flatMap((b) => {
    if (b.channels === undefined) return [b];
    const left = b.channels.filter((id) => ids.includes(id));
    return left.length === 0 ? [] : [{ ...b, channels: left }];
  });
  if (extraBursts.length > 0) changes.push(`demand.bursts: + ${JSON.stringify(extraBursts)}`);

  const buffer = ranges.bufferUnitsMax > 0 && on() ? rng.int(1, ranges.bufferUnitsMax + 1) : 0;
  const strategies = Object.fromEntries(Object.entries(base.strategies).map(([name, s]) => [name, withChannels(s, ids, buffer)]));
  if (buffer > 0) changes.push(`strategies.*.listingPolicy.bufferUnits: ${buffer} (where a strategy sets no listing policy)`);

  const scenario: Scenario = {
    ...base,
    channels,
    faults: f,
    demand: { ...base.demand, bursts: [...keptBursts, ...extraBursts] },
    strategies,
  };
  return { scenario, changes };
}

/**
 * All channels in half the seeds; else a random subset of at least `min` (in their order). A
 * scenario whose strategies partition stock keeps them all: its pools are the allocation's.
 */
function pickChannels(base: Scenario, min: number, rng: Rng): Scenario['channels'] {
  const all = base.channels;
  const subset = rng.next() >= 0.5;
  if (all.length <= min || !subset || Object.values(base.strategies).some((s) => s.partitionStock)) return all;
  const keep = rng.int(min, all.length + 1);
  const order = all.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chosen = new Set(order.slice(0, keep));
  return all.filter((_, i) => chosen.has(i));
}

/** A strategy with allocations to dropped channels removed, and the drawn buffer where it sets none. */
function withChannels(s: StrategySpec, ids: readonly string[], buffer: number): StrategySpec {
  const lp = { ...s.listingPolicy };
  if (lp.allocation !== undefined) lp.allocation = Object.fromEntries(Object.entries(lp.allocation).filter(([id]) => ids.includes(id)));
  const setsNone = Object.values(s.listingPolicy).every((v) => v === undefined);
  if (setsNone && buffer > 0 && !s.partitionStock) lp.bufferUnits = buffer;
  return { ...s, listingPolicy: lp };
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
