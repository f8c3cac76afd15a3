/**
 * Shrinking a failing simulation: the smallest scenario that still fails the same way, so the
 * person reading it has dozens of orders to follow instead of thousands. Like fast-check's
 * shrinker, it tries simpler candidates in a fixed order and keeps the first that still fails,
 * then starts again from the smaller scenario; unlike a property's input, a candidate is a whole
 * scenario: a shorter period, fewer orders, fewer SKUs and channels, fewer faults, less stock.
 *
 * "The same way" means sharing one of the original failure's kinds (an invariant's name, not
 * converging, a crash): a candidate that fails only differently is a different bug and is not
 * taken. The seed stays the same throughout. Everything is deterministic and bounded:
 * `maxAttempts` candidate runs at most, and every candidate is a valid scenario (it goes through
 * the scenario loader, as the YAML the shrinker writes will).
 */
import type { Scenario } from '../scenarios/schema.js';
import { scenarioPrefix, withoutKey } from '../scenarios/prefix.js';

/** What a failing run failed with: each kind (`invariant:lost-update`, `not-converged`, `crash`). */
export interface RunFailure {
  readonly kinds: readonly string[];
  /** One line per problem, for people. */
  readonly details: readonly string[];
}

export interface ShrinkOptions {
  /** Candidate runs at most (each is a full simulation of a smaller scenario). */
  readonly maxAttempts: number;
  /** Runs a candidate: its failure, or null when it passes. */
  readonly run: (scenario: Scenario) => Promise<RunFailure | null>;
  /** The candidate as the loader would read it back, or undefined if it is not a valid scenario. */
  readonly validate: (scenario: Scenario) => Scenario | undefined;
}

export interface Shrunk {
  readonly scenario: Scenario;
  readonly failure: RunFailure;
  /** Candidates taken (each made the scenario smaller and still failed). */
  readonly steps: number;
  /** Candidates run. */
  readonly attempts: number;
  /** The step names taken, in order. */
  readonly path: readonly string[];
}

type Candidate = readonly [name: string, scenario: Scenario];

export async function shrinkScenario(failing: Scenario, failure: RunFailure, options: ShrinkOptions): Promise<Shrunk> {
  let current = failing;
  let currentFailure = failure;
  let attempts = 0;
  const path: string[] = [];
  const tried = new Set<string>();
  let progressed = true;
  while (progressed && attempts < options.maxAttempts) {
    progressed = false;
    for (const [name, raw] of candidates(current)) {
      if (attempts >= options.maxAttempts) break;
      const candidate = options.validate(raw);
      if (candidate === undefined) continue;
      const key = JSON.stringify(candidate);
      if (tried.has(key)) continue;
      tried.add(key);
      attempts++;
      const got = await options.run(candidate);
      const wanted = primaryKinds(currentFailure.kinds);
      if (got === null || !got.kinds.some((k) => wanted.includes(k))) continue;
      current = candidate;
      currentFailure = { kinds: got.kinds.filter((k) => currentFailure.kinds.includes(k)), details: got.details };
      path.push(name);
      progressed = true;
      break;
    }
  }
  return { scenario: current, failure: currentFailure, steps: path.length, attempts, path };
}

/**
 * The kinds a candidate must keep one of: a broken invariant is the most specific (not
 * converging or missing an assert often follows from it, and a shrink that kept only those
 * would have lost the bug), then a crash, then whatever there is.
 */
function primaryKinds(kinds: readonly string[]): readonly string[] {
  const invariants = kinds.filter((k) => k.startsWith('invariant:'));
  if (invariants.length > 0) return invariants;
  return kinds.includes('crash') ? ['crash'] : kinds;
}

/** Simpler scenarios than `s`, biggest cuts first. */
function* candidates(s: Scenario): Generator<Candidate> {
  if (s.durationS > 60) yield ['halve the period', scenarioPrefix(s, Math.max(60, Math.floor(s.durationS / 2)))];
  const d = s.demand;
  if (d.ordersPerDay > 0) yield ['no background orders', { ...s, demand: { ...d, ordersPerDay: 0 } }];
  if (d.ordersPerDay > 1) yield ['halve the order rate', { ...s, demand: { ...d, ordersPerDay: Math.floor(d.ordersPerDay / 2) } }];
  if (s.durationS > 80) yield ['cut the period by a quarter', scenarioPrefix(s, Math.floor((s.durationS * 3) / 4))];
  if (d.ordersPerDay > 4) yield ['cut the order rate by a quarter', { ...s, demand: { ...d, ordersPerDay: Math.floor((d.ordersPerDay * 3) / 4) } }];
  if (d.surge !== undefined) yield ['no surge', { ...s, demand: withoutKey(d, 'surge') }];
  for (let b = 0; b < d.bursts.length; b++) yield [`drop burst ${b}`, { ...s, demand: { ...d, bursts: d.bursts.filter((_, j) => j !== b) } }];
  for (let b = 0; b < d.bursts.length; b++) {
    const burst = d.bursts[b]!;
    if (burst.orders > 1) yield [`halve burst ${b}`, { ...s, demand: { ...d, bursts: d.bursts.map((x, j) => (j === b ? { ...x, orders: Math.floor(x.orders / 2) } : x)) } }];
  }
  for (const c of s.channels) if (s.channels.length > 1) yield [`drop channel ${c.id}`, withoutChannel(s, c.id)];
  if (s.catalog.skus > 1) yield ['halve the SKUs', fewerSkus(s, Math.ceil(s.catalog.skus / 2))];
  if (s.catalog.skus > 1) yield ['one SKU fewer', fewerSkus(s, s.catalog.skus - 1)];
  const f = s.faults;
  for (const key of ['outages', 'latencySpikes', 'processorCrashes', 'dispatcherCrashes'] as const) {
    for (let k = 0; k < f[key].length; k++) yield [`drop ${key}[${k}]`, { ...s, faults: { ...f, [key]: f[key].filter((_, j) => j !== k) } }];
  }
  for (const key of ['serverErrorRate', 'throttleRate', 'timeoutRate', 'webhookDuplicateRate', 'webhookReorderWindowMs'] as const) {
    if (f[key] > 0) yield [`no ${key}`, { ...s, faults: { ...f, [key]: 0 } }];
  }
  if (s.catalog.restock !== undefined) yield ['no restocks', { ...s, catalog: withoutKey(s.catalog, 'restock') }];
  const cat = s.catalog;
  if (cat.initialStockMax > 1) {
    const max = Math.ceil(cat.initialStockMax / 2);
    yield ['halve the stock', { ...s, catalog: { ...cat, initialStockMax: max, initialStockMin: Math.min(cat.initialStockMin, max) } }];
  }
  if (s.engine.processorWorkers > 1) yield ['one processor worker', { ...s, engine: { ...s.engine, processorWorkers: 1 } }];
}

/** `s` with its first `skus` SKUs: bursts and surges on hot SKUs keep at most that many. */
function fewerSkus(s: Scenario, skus: number): Scenario {
  const d = s.demand;
  return {
    ...s,
    catalog: { ...s.catalog, skus },
    demand: { ...d, bursts: d.bursts.map((b) => ({ ...b, hotSkus: Math.min(b.hotSkus, skus) })), ...(d.surge === undefined ? {} : { surge: { ...d.surge, hotSkus: Math.min(d.surge.hotSkus, skus) } }) },
  };
}

/** `s` without channel `id`, and without everything that names it. */
function withoutChannel(s: Scenario, id: string): Scenario {
  const bursts = s.demand.bursts.flatMap((b) => {
    if (b.channels === undefined) return [b];
    const left = b.channels.filter((c) => c !== id);
    return left.length === 0 ? [] : [{ ...b, channels: left }];
  });
  const strategies = Object.fromEntries(
    Object.entries(s.strategies).map(([name, st]) => {
      const allocation = st.listingPolicy.allocation;
      if (allocation === undefined || !(id in allocation)) return [name, st];
      return [name, { ...st, listingPolicy: { ...st.listingPolicy, allocation: withoutKey(allocation, id) } }];
    }),
  );
  return {
    ...s,
    channels: s.channels.filter((c) => c.id !== id),
    demand: { ...s.demand, bursts },
    faults: { ...s.faults, outages: s.faults.outages.filter((o) => o.channel !== id), latencySpikes: s.faults.latencySpikes.filter((w) => w.channel !== id) },
    strategies,
  };
}
