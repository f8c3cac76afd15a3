/**
 * The twins' customers: the load a generated k6 script would send for the scenario
 * (src/loadtest/plan.ts, the same compressed plan), placed in process at the twins'
 * storefronts in real time instead of as webhooks to a service.
 *
 * - Steady demand: Poisson arrivals whose rate follows the plan's steps (one per scenario hour,
 *   the daily profile), channels by `channelCdf`, SKUs by Zipf (`skuCdf`), 1..unitsPerOrderMax units.
 * - Bursts: `orders` single-unit orders at times uniform within the burst's spread (the
 *   scenario's definition), on its hot SKUs (uniformly), channels by the burst's `channelCdf`.
 * - Surge: Poisson at the surge's rate on the hot SKUs, one unit each.
 * - Restocks every `restock.everyMs`: every SKU whose truth is below `upToUnits` is brought up to
 *   it. The audit's truth rises at once, and `onRestock` tells the system under test through its
 *   own API (a black box learns of a restock only that way).
 *
 * Every draw comes from `RandomStreams(seed).stream('twins.demand')`, taken in the (time,
 * sequence) order of the merged sources, so a seed gives the same orders, in the same order, on
 * every run; only their real-time placement jitters with the event loop (a late order is placed
 * at once, and the worst lateness is reported as `maxLagMs`).
 */
import { afterRealMs } from '../adapters/realtime.js';
import { planScript, type K6ScriptConfig } from '../loadtest/plan.js';
import { RandomStreams, type Rng } from '../model/random.js';
import type { Scenario } from '../scenarios/schema.js';
import type { AdjustmentBody } from '../serve/schemas.js';
import type { BuyResult } from './world.js';

/** What the customers need of the world (TwinWorld has it). */
export interface DriveTarget {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly speedup: number;
  readonly catalog: readonly { readonly sku: string }[];
  readonly twins: readonly { readonly id: string }[];
  readonly audit: { truthOf(sku: string): number | undefined };
  /**
   * Opens the measured window (TwinWorld.beginWindow): called as the customers start, so the
   * audit and the scenario's fault windows count from the load's time 0, as a simulated run's do.
   */
  beginWindow?(): unknown;
  buy(channel: string, sku: string, units: number): BuyResult;
  restock(sku: string, units: number): number;
}

export interface DriveProgress {
  /** Real ms since the customers started, and the plan's length. */
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly orders: number;
  readonly taken: number;
  readonly turnedAway: number;
  readonly restocks: number;
}

export interface DriveSummary extends DriveProgress {
  readonly restockedUnits: number;
  /** Calls of onRestock that threw or rejected. */
  readonly restockHookFailures: number;
  /** Real ms the latest order or restock was placed after its planned time. */
  readonly maxLagMs: number;
  readonly speedup: number;
  readonly seed: number;
}

export interface DriveOptions {
  readonly target: DriveTarget;
  /** The load plan (default: planScript of the target's scenario at its speedup and seed). */
  readonly plan?: K6ScriptConfig;
  /** Orders per real second the system under test sustains (planScript's speedup bound). */
  readonly targetCapacityPerS?: number;
  /** Tells the system under test of a restock (e.g. invsim serve's adjustment endpoint). */
  readonly onRestock?: (sku: string, units: number) => Promise<void> | void;
  /** Told of each failed onRestock (counted in restockHookFailures either way). */
  readonly onRestockError?: (sku: string, error: unknown) => void;
  readonly onProgress?: (progress: DriveProgress) => void;
  /** Real ms between progress calls (default 1 000). */
  readonly progressEveryMs?: number;
  /** Orders placed at most; more is a loud error (default 10 000 000). */
  readonly maxOrders?: number;
  /** Restock notifications in flight at most; beyond it the customers wait (default 256). */
  readonly maxRestocksInFlight?: number;
  readonly signal?: AbortSignal;
}

export class DriveLimitError extends Error {
  override readonly name = 'DriveLimitError';
}

/** The plan the customers follow; an unsupported speedup is planScript's InputError, passed on. */
export function twinLoadPlan(scenario: Scenario, options: { speedup: number; seed: number; targetCapacityPerS?: number }): K6ScriptConfig {
  return planScript(scenario, {
    speedup: options.speedup,
    seed: options.seed,
    // The thresholds are k6's; the twins judge through their audit, so this bound is unused.
    httpP99Ms: 1_000,
    generatedBy: 'invsim twins --drive',
    ...(options.targetCapacityPerS === undefined ? {} : { targetCapacityPerS: options.targetCapacityPerS }),
  });
}

const DEFAULT_MAX_ORDERS = 10_000_000;
/** Longest single wait (real ms), so an abort is noticed soon even between sparse orders. */
const MAX_WAIT_MS = 250;
/** Events placed between yields to the event loop, so the twins' servers answer during a burst. */
const EVENTS_PER_YIELD = 64;

type Action = { kind: 'order'; channel: number; sku: number; units: number } | { kind: 'restock' };

/** One source of arrivals: the time of its next event (real ms from the start), or null when done. */
interface Source {
  nextMs: number | null;
  /** Draws what happens at `nextMs`, then moves `nextMs` on. */
  take(): Action;
}

export async function driveCustomers(options: DriveOptions): Promise<DriveSummary> {
  const { target } = options;
  const plan = options.plan ?? twinLoadPlan(target.scenario, { speedup: target.speedup, seed: target.seed, ...(options.targetCapacityPerS === undefined ? {} : { targetCapacityPerS: options.targetCapacityPerS }) });
  const rng = new RandomStreams(target.seed).stream('twins.demand');
  const sources = buildSources(plan, rng);
  const maxOrders = options.maxOrders ?? DEFAULT_MAX_ORDERS;
  const maxInFlight = options.maxRestocksInFlight ?? 256;
  const everyMs = options.progressEveryMs ?? 1_000;
  const channels = target.twins.map((t) => t.id);
  const skus = plan.skus;
  // The measured window is the load's, as a simulated run's is: not the service's start-up.
  target.beginWindow?.();
  const startMs = performance.now();
  const elapsed = (): number => performance.now() - startMs;
  const counts = { orders: 0, taken: 0, turnedAway: 0, restocks: 0, restockedUnits: 0, restockHookFailures: 0, maxLagMs: 0 };
  const inFlight = new Set<Promise<void>>();
  let nextProgressMs = everyMs;
  const progress = (): DriveProgress => ({ elapsedMs: Math.round(elapsed()), durationMs: plan.durationMs, orders: counts.orders, taken: counts.taken, turnedAway: counts.turnedAway, restocks: counts.restocks });

  const restockAll = async (): Promise<void> => {
    const upTo = plan.restock?.upToUnits ?? 0;
    for (const sku of skus) {
      const truth = target.audit.truthOf(sku) ?? 0;
      if (truth >= upTo) continue;
      const units = upTo - truth;
      target.restock(sku, units);
      counts.restocks++;
      counts.restockedUnits += units;
      if (options.onRestock === undefined) continue;
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      const p = (async () => options.onRestock!(sku, units))()
        .catch((error: unknown) => {
          counts.restockHookFailures++;
          options.onRestockError?.(sku, error);
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  };

  let sinceYield = 0;
  for (;;) {
    if (options.signal?.aborted === true) break;
    const source = earliest(sources);
    if (source === undefined || source.nextMs! >= plan.durationMs) break;
    const dueMs = source.nextMs!;
    const waitMs = dueMs - elapsed();
    if (waitMs > 0) {
      await sleepRealMs(Math.min(waitMs, MAX_WAIT_MS, Math.max(1, nextProgressMs - elapsed())));
      sinceYield = 0;
    } else if (++sinceYield >= EVENTS_PER_YIELD) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sinceYield = 0;
    }
    if (options.onProgress !== undefined && elapsed() >= nextProgressMs) {
      options.onProgress(progress());
      nextProgressMs = elapsed() + everyMs;
    }
    if (elapsed() < dueMs) continue;
    counts.maxLagMs = Math.max(counts.maxLagMs, elapsed() - dueMs);
    const action = source.take();
    if (action.kind === 'restock') {
      await restockAll();
      continue;
    }
    if (counts.orders >= maxOrders) throw new DriveLimitError(`more than ${maxOrders} orders planned (maxOrders); reproduce with invsim twins … --seed ${target.seed} --speedup ${target.speedup} --drive`);
    counts.orders++;
    const result = target.buy(channels[action.channel]!, skus[action.sku]!, action.units);
    if (result.taken) counts.taken++;
    else counts.turnedAway++;
  }
  await Promise.allSettled(inFlight);
  const done = progress();
  options.onProgress?.(done);
  return { ...done, restockedUnits: counts.restockedUnits, restockHookFailures: counts.restockHookFailures, maxLagMs: Math.round(counts.maxLagMs * 1000) / 1000, speedup: target.speedup, seed: target.seed };
}

/** The source due first; ties go to the one listed first (a total order: demand, bursts, surge, restocks). */
function earliest(sources: readonly Source[]): Source | undefined {
  let best: Source | undefined;
  for (const s of sources) if (s.nextMs !== null && (best === undefined || s.nextMs < best.nextMs!)) best = s;
  return best;
}

function sleepRealMs(ms: number): Promise<void> {
  return new Promise((resolve) => void afterRealMs(ms, resolve));
}

function pickIndex(cdf: readonly number[], u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function pickUniform(n: number, u: number): number {
  return Math.min(n - 1, Math.floor(u * n));
}

const UNIT_MS: Readonly<Record<string, number>> = { '1s': 1_000, '1m': 60_000, '1h': 3_600_000 };

function perMs(rate: number, timeUnit: string): number {
  const unit = UNIT_MS[timeUnit];
  if (unit === undefined) throw new RangeError(`unknown time unit ${timeUnit} in the load plan`);
  return rate / unit;
}

export function buildSources(plan: K6ScriptConfig, rng: Rng): Source[] {
  const sources: Source[] = [];
  const order = (channelCdf: readonly number[], skuOf: () => number, units: () => number): Action => ({ kind: 'order', channel: pickIndex(channelCdf, rng.next()), sku: skuOf(), units: units() });
  const units = (): number => 1 + pickUniform(plan.unitsPerOrderMax, rng.next());
  const one = (): number => 1;
  if (plan.demand !== null) {
    const steps = plan.demand.steps.map((s) => ({ durationMs: s.durationMs, perMs: perMs(s.target, plan.demand!.timeUnit) }));
    sources.push(poisson(rng, steps, 0, () => order(plan.channelCdf, () => pickIndex(plan.skuCdf, rng.next()), units)));
  }
  for (const b of plan.bursts) {
    const channelCdf = b.channelCdf;
    const channelsOfBurst = b.channels;
    sources.push(
      uniformWithin(rng, b.startTimeMs, b.spreadMs, b.orders, () => {
        const a = order(channelCdf, () => pickUniform(b.hotSkus, rng.next()), one) as Extract<Action, { kind: 'order' }>;
        return { ...a, channel: channelsOfBurst[a.channel]! };
      }),
    );
  }
  const s = plan.surge;
  if (s !== null) sources.push(poisson(rng, [{ durationMs: s.durationMs, perMs: perMs(s.rate, s.timeUnit) }], s.startTimeMs, () => order(plan.channelCdf, () => pickUniform(s.hotSkus, rng.next()), one)));
  const r = plan.restock;
  if (r !== null && r.everyMs > 0) {
    let k = 1;
    const src: Source = {
      nextMs: r.everyMs,
      take: () => {
        k++;
        src.nextMs = k * r.everyMs;
        return { kind: 'restock' };
      },
    };
    sources.push(src);
  }
  return sources;
}

/** Poisson arrivals with a piecewise-constant rate (per real ms) from `fromMs`: inversion of the integrated rate. */
function poisson(rng: Rng, steps: readonly { durationMs: number; perMs: number }[], fromMs: number, draw: () => Action): Source {
  let step = 0;
  let stepStartMs = fromMs;
  let t = fromMs;
  const advance = (): number | null => {
    let need = rng.exponential(1);
    while (step < steps.length) {
      const { durationMs, perMs: rate } = steps[step]!;
      const endMs = stepStartMs + durationMs;
      const capacity = rate * (endMs - t);
      if (rate > 0 && need <= capacity) {
        t += need / rate;
        return t;
      }
      need -= Math.max(0, capacity);
      step++;
      stepStartMs = endMs;
      t = endMs;
    }
    return null;
  };
  return sourceOf(advance, draw);
}

/** A source whose next time comes from `advance` (null: exhausted) and whose actions from `draw`. */
function sourceOf(advance: () => number | null, draw: () => Action): Source {
  const src: Source = {
    nextMs: advance(),
    take: () => {
      const action = draw();
      src.nextMs = advance();
      return action;
    },
  };
  return src;
}

/** `n` times uniform in [startMs, startMs + spreadMs), drawn in increasing order (sequential order statistics). */
function uniformWithin(rng: Rng, startMs: number, spreadMs: number, n: number, draw: () => Action): Source {
  let left = n;
  let t = startMs;
  const endMs = startMs + spreadMs;
  const advance = (): number | null => {
    if (left === 0) return null;
    // The minimum of `left` uniforms on [t, end): end - (end - t) * U^(1/left).
    t = endMs - (endMs - t) * Math.pow(1 - rng.next(), 1 / left);
    left--;
    return t;
  };
  return sourceOf(advance, draw);
}

/**
 * A restock hook that tells an invsim-contract service (`invsim serve`) through its adjustment
 * endpoint: `POST {url}/inventory/{sku}/adjustments` with the AdjustmentBody of
 * src/serve/schemas.ts, `{mutationId, quantityDelta}` (the SKU is in the path; the schema
 * refuses other keys). A `url` holding `{sku}` is used as it is, the SKU put in its place. The
 * mutation ids are unique per run (`runId`) and restock, so a retried delivery is a duplicate.
 */
export function adjustmentPoster(url: string, options: { readonly runId: string; readonly adminToken?: string; readonly timeoutMs?: number }): (sku: string, units: number) => Promise<void> {
  const base = url.replace(/\/+$/, '');
  let n = 0;
  return async (sku, units) => {
    n++;
    const target = base.includes('{sku}') ? base.replaceAll('{sku}', encodeURIComponent(sku)) : `${base}/inventory/${encodeURIComponent(sku)}/adjustments`;
    const body: AdjustmentBody = { mutationId: `${options.runId}-restock-${n}-${sku}`, quantityDelta: units };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.adminToken !== undefined) headers['authorization'] = `Bearer ${options.adminToken}`;
    const res = await fetch(target, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`POST ${target} answered ${res.status}`);
  };
}
