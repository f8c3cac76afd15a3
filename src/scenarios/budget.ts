/**
 * The run budget: rules over a whole scenario whose fields are each within bounds (bounds.ts),
 * so that its run ends within the simulator's limits rather than hanging or failing with a
 * KernelLimitError. Each rule reports at the field that contributes most, with the arithmetic.
 *
 * - Orders: the expected orders of a run (Poisson demand, bursts, surge), and orders × channels
 *   × (1 + max_retries), the updates the dispatcher may push.
 * - Sweeps and ticks: periodic work over the run and its heal phase (full syncs and
 *   reconciliations visit every listing, restocks every SKU on every channel).
 * - Waits: no single wait may exceed one day, the kernel's margin past the end of the heal
 *   phase. A webhook's delivery (delay + reorder windows + redelivery), a latency under the
 *   worst latency spike, a feed's processing delay, each rate limit's longest Retry-After.
 *   Latencies are judged at their largest possible draw: the simulator's uniforms are
 *   multiples of 2⁻³² (src/sim/random.ts), so a lognormal's largest sample is its quantile at
 *   1 − 2⁻³².
 * - Events in flight: the kernel holds at most 10⁷ pending events.
 * - Stock: restocks bring a SKU back up to `upToUnits`, but one that is not yet applied at the
 *   next restock tick (a processor down, a long queue) is topped up again; the level they can
 *   reach must stay within MAX_STOCK_LEVEL.
 */
import { DEFAULT_RETRY_POLICY } from '../engine/retry.js';
import { latencyQuantileMs, type LatencySpec } from '../model/latency.js';
import { CHANNEL_PRESETS, type ChannelPreset, type PresetId } from '../model/presets.js';
import type { RateLimitSpec } from '../model/ratelimit.js';
import { MAX_STOCK_LEVEL, MAX_WAIT_MS, RUN_BUDGET } from './bounds.js';
import type { PathIssue, PathKey } from './issues.js';
import type { ScenarioSpec } from './schema.js';

const DAY_S = 86_400;
/** The largest uniform the simulator draws (src/sim/random.ts: multiples of 2⁻³² in [0, 1)). */
const MAX_UNIFORM = 1 - 2 ** -32;
/** The least delay of a duplicate webhook after the first delivery (src/sim/world.ts, notifyOrder). */
const REDELIVERY_MIN_MS = 1_000;
/** A duplicate comes within 1% of the preset's retry window (src/sim/world.ts, notifyOrder). */
const REDELIVERY_SHARE = 0.01;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => `${count(n)} ms`;

/** The largest value a latency spec can draw in the simulator. */
export function maxLatencyMs(spec: LatencySpec): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.maxMs;
    case 'lognormal':
      return latencyQuantileMs(spec, MAX_UNIFORM);
  }
}

/** The longest Retry-After a rate limit answers: the time to admit one full request. */
export function maxRetryAfterMs(spec: RateLimitSpec, maxItemsPerRequest: number): number {
  switch (spec.kind) {
    case 'leaky-bucket':
      return 1000 / spec.leakPerS;
    case 'token-bucket':
      return 1000 / spec.ratePerS;
    case 'cost-bucket':
      return (1000 * (spec.costPerRequest + (spec.costPerItem ?? 0) * maxItemsPerRequest)) / spec.restorePerS;
    case 'quota':
      return spec.periodS * 1000;
  }
}

interface Contribution {
  readonly path: readonly PathKey[];
  readonly value: number;
  readonly label: string;
}

const largest = (parts: readonly Contribution[]): Contribution => parts.reduce((a, b) => (b.value > a.value ? b : a));
const described = (parts: readonly Contribution[], unit = ''): string =>
  parts
    .filter((p) => p.value > 0)
    .map((p) => `${p.label} ${count(p.value)}${unit}`)
    .join(', ');

/** Where a preset field comes from: the channel's override of it, else its preset. */
function channelField(spec: ScenarioSpec['channels'][number], index: number, field: string, ...rest: PathKey[]): PathKey[] {
  const overridden = spec.overrides !== undefined && Object.hasOwn(spec.overrides, field) && (spec.overrides as Record<string, unknown>)[field] !== undefined;
  return overridden ? ['channels', index, 'overrides', field, ...rest] : ['channels', index, 'preset'];
}

/** A channel's preset with its overrides (the merge of src/sim/world.ts `effectivePreset`). */
function effectivePreset(spec: ScenarioSpec['channels'][number]): ChannelPreset {
  const { maxConcurrency: _maxConcurrency, ...overrides } = spec.overrides ?? {};
  const merged = { ...CHANNEL_PRESETS[spec.preset as PresetId] } as ChannelPreset;
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  return merged;
}

/** The orders a run is expected to place, by source. */
function expectedOrders(s: ScenarioSpec): Contribution[] {
  const profile = s.demand.dailyProfile;
  const flat = profile === undefined || profile.some((v) => v > 0) ? 1 : 0;
  const surge = s.demand.surge;
  const surgeS = surge === undefined ? 0 : Math.max(0, Math.min(surge.startS + surge.durationS, s.durationS) - surge.startS);
  return [
    { path: ['demand', 'ordersPerDay'], value: (flat * s.demand.ordersPerDay * s.durationS) / DAY_S, label: 'ordersPerDay × durationS / 86400 =' },
    { path: ['demand', 'bursts'], value: s.demand.bursts.reduce((n, b) => n + b.orders, 0), label: 'bursts' },
    { path: ['demand', 'surge', 'ordersPerHour'], value: surge === undefined ? 0 : (surge.ordersPerHour * surgeS) / 3600, label: 'surge' },
  ];
}

export function budgetIssues(s: ScenarioSpec): PathIssue[] {
  const out: PathIssue[] = [];
  const add = (path: readonly PathKey[], code: string, message: string): void => void out.push({ path, code, message });
  const channels = s.channels.length;
  const listings = s.catalog.skus * channels;

  const sources = expectedOrders(s);
  const orders = sources.reduce((n, p) => n + p.value, 0);
  if (orders > RUN_BUDGET.orders) {
    add(largest(sources).path, 'run_budget', `a run would place about ${count(orders)} orders (${described(sources)}); at most ${count(RUN_BUDGET.orders)} per run: lower the rate or shorten durationS`);
  }
  const burstOrders = sources[1]!.value;
  if (burstOrders > RUN_BUDGET.burstOrders) {
    add(['demand', 'bursts'], 'run_budget', `the bursts add up to ${count(burstOrders)} orders, scheduled at the start of the run; at most ${count(RUN_BUDGET.burstOrders)}`);
  }
  if (listings > RUN_BUDGET.listings) {
    add(['catalog', 'skus'], 'run_budget', `${count(s.catalog.skus)} SKUs × ${channels} channels = ${count(listings)} listings; at most ${count(RUN_BUDGET.listings)}`);
  }
  const maxRetries = s.inventory_sync?.retry_policy?.max_retries ?? DEFAULT_RETRY_POLICY.maxRetries;
  const attempts = orders * channels * (1 + maxRetries);
  if (orders <= RUN_BUDGET.orders && attempts > RUN_BUDGET.propagationAttempts) {
    add(
      ['channels'],
      'run_budget',
      `about ${count(orders)} orders × ${channels} channels × (1 + max_retries ${maxRetries}) = ${count(attempts)} channel updates; at most ${count(RUN_BUDGET.propagationAttempts)} per run: fewer orders, channels or retries`,
    );
  }
  periodicWork(s, listings, add);
  waits(s, add);
  if (orders <= RUN_BUDGET.orders) inFlight(s, orders, burstOrders, add);
  restockLevels(s, add);
  return out;
}

type Add = (path: readonly PathKey[], code: string, message: string) => void;

/** Full syncs, reconciliations and restocks visit listings; order polls and DLQ redrives tick. */
function periodicWork(s: ScenarioSpec, listings: number, add: Add): void {
  const horizonS = s.durationS + s.healBoundS;
  const restock = s.catalog.restock;
  const restockTicks = restock === undefined ? 0 : Math.floor(s.durationS / restock.everyS);
  const restockPart: Contribution = { path: ['catalog', 'restock', 'everyS'], value: restockTicks * listings, label: 'restocks' };
  const ticks: Contribution[] = [{ path: ['catalog', 'restock', 'everyS'], value: restockTicks, label: 'restock ticks' }];
  s.channels.forEach((spec, i) => {
    const note = effectivePreset(spec).orderNotification;
    if (note.mode === 'polling') ticks.push({ path: channelField(spec, i, 'orderNotification', 'intervalS'), value: Math.ceil(horizonS / note.intervalS), label: `order polls of ${spec.id}` });
  });
  const redriveS = s.engine.redriveDlqEveryS;
  if (redriveS !== undefined) ticks.push({ path: ['engine', 'redriveDlqEveryS'], value: Math.ceil(horizonS / redriveS), label: 'DLQ redrives' });
  if (restockPart.value > RUN_BUDGET.sweepVisits) {
    add(restockPart.path, 'run_budget', `${count(restockTicks)} restock ticks × ${count(listings)} listings = ${count(restockPart.value)} listing visits; at most ${count(RUN_BUDGET.sweepVisits)} per run: restock less often`);
  }
  for (const [name, strategy] of Object.entries(s.strategies)) {
    const everyS = strategy.kind === 'polling' ? strategy.intervalS : strategy.kind === 'hybrid' ? strategy.reconcileIntervalS : undefined;
    const key = strategy.kind === 'polling' ? 'intervalS' : 'reconcileIntervalS';
    const sweepTicks = everyS === undefined ? 0 : Math.ceil(horizonS / everyS);
    const sweep: Contribution = { path: ['strategies', name, key], value: sweepTicks * listings, label: strategy.kind === 'polling' ? 'full syncs' : 'reconciliations' };
    if (sweep.value > 0 && sweep.value + restockPart.value > RUN_BUDGET.sweepVisits) {
      add(
        sweep.path,
        'run_budget',
        `${count(sweepTicks)} ${sweep.label} over durationS + healBoundS × ${count(listings)} listings${restockPart.value > 0 ? ` plus ${count(restockPart.value)} by restocks` : ''} = ${count(sweep.value + restockPart.value)} listing visits; at most ${count(RUN_BUDGET.sweepVisits)} per run`,
      );
    }
    const all = [...ticks, { path: sweep.path, value: sweepTicks, label: sweep.label }];
    const total = all.reduce((n, p) => n + p.value, 0);
    if (total > RUN_BUDGET.periodicTicks) {
      add(largest(all).path, 'run_budget', `strategy ${name}: ${count(total)} periodic ticks over durationS + healBoundS (${described(all)}); at most ${count(RUN_BUDGET.periodicTicks)}`);
    }
  }
}

/** The longest single wait of each kind, against the kernel's one-day margin. */
function waits(s: ScenarioSpec, add: Add): void {
  const f = s.faults;
  const tooLong = (what: string, waitMs: number): string =>
    `${what} = ${ms(waitMs)}, more than one day (${ms(MAX_WAIT_MS)}), the longest wait a run allows past its heal phase`;
  s.channels.forEach((spec, i) => {
    const p = effectivePreset(spec);
    const note = p.orderNotification;
    if (note.mode === 'webhook') {
      const retries = redeliveries(note, f.webhookDuplicateRate);
      const parts: Contribution[] = [
        { path: channelField(spec, i, 'orderNotification', 'delay'), value: maxLatencyMs(note.delay), label: 'largest delay' },
        { path: channelField(spec, i, 'orderNotification', 'reorderWindowMs'), value: note.reorderWindowMs, label: 'reorderWindowMs' },
        { path: ['faults', 'webhookReorderWindowMs'], value: f.webhookReorderWindowMs, label: 'faults.webhookReorderWindowMs' },
        { path: channelField(spec, i, 'orderNotification', 'retryWindowS'), value: retries * Math.max(REDELIVERY_MIN_MS, note.retryWindowS * 1000 * REDELIVERY_SHARE), label: 'redelivery' },
      ];
      const total = parts.reduce((n, x) => n + x.value, 0);
      if (total > MAX_WAIT_MS) add(largest(parts).path, 'wait_too_long', tooLong(`a webhook of ${spec.id} can arrive after ${described(parts, ' ms')}`, total));
    }
    const latency = maxLatencyMs(p.latency);
    const spikes = f.latencySpikes.filter((w) => w.channel === undefined || w.channel === spec.id);
    const spike = spikes.reduce<{ multiplier: number; index: number }>((a, w) => (w.multiplier > a.multiplier ? { multiplier: w.multiplier, index: f.latencySpikes.indexOf(w) } : a), { multiplier: 1, index: -1 });
    if (latency * spike.multiplier > MAX_WAIT_MS) {
      const path = spike.index >= 0 && latency <= MAX_WAIT_MS ? ['faults', 'latencySpikes', spike.index, 'multiplier'] : channelField(spec, i, 'latency');
      add(path, 'wait_too_long', tooLong(`a call to ${spec.id} can take its largest latency ${ms(latency)}${spike.index >= 0 ? ` × the spike's multiplier ${spike.multiplier}` : ''}`, latency * spike.multiplier));
    }
    if (p.applyDelay !== undefined && maxLatencyMs(p.applyDelay) > MAX_WAIT_MS) {
      add(channelField(spec, i, 'applyDelay'), 'wait_too_long', tooLong(`${spec.id} can apply an accepted update after its largest applyDelay`, maxLatencyMs(p.applyDelay)));
    }
    p.rateLimits.forEach((limit, k) => {
      const wait = maxRetryAfterMs(limit, p.maxItemsPerRequest);
      if (wait <= MAX_WAIT_MS) return;
      const field = { 'leaky-bucket': 'leakPerS', 'token-bucket': 'ratePerS', 'cost-bucket': 'restorePerS', quota: 'periodS' }[limit.kind];
      add(channelField(spec, i, 'rateLimits', k, field), 'wait_too_long', tooLong(`${spec.id}'s ${limit.kind} can ask a full request to wait (Retry-After)`, wait));
    });
  });
}

/**
 * Redeliveries of one webhook at most: a duplicate is a redelivery, so none without duplicates
 * or on a channel that does not redeliver, else up to `maxDeliveryAttempts - 1`.
 */
function redeliveries(note: { duplicateRate: number; maxDeliveryAttempts: number }, faultRate: number): number {
  return note.duplicateRate + faultRate > 0 ? note.maxDeliveryAttempts - 1 : 0;
}

/** Orders whose webhook is on its way: each is a pending kernel event (more, with redeliveries). */
function inFlight(s: ScenarioSpec, orders: number, burstOrders: number, add: Add): void {
  const webhooks = s.channels.map((spec) => ({ spec, p: effectivePreset(spec) })).filter(({ p }) => p.orderNotification.mode === 'webhook');
  if (webhooks.length === 0) return;
  let waitMs = 0;
  let dupRate = 0;
  for (const { p } of webhooks) {
    const note = p.orderNotification;
    if (note.mode !== 'webhook') continue;
    const retries = redeliveries(note, s.faults.webhookDuplicateRate);
    waitMs = Math.max(waitMs, maxLatencyMs(note.delay) + note.reorderWindowMs + s.faults.webhookReorderWindowMs + retries * Math.max(REDELIVERY_MIN_MS, note.retryWindowS * 1000 * REDELIVERY_SHARE));
    dupRate = Math.max(dupRate, retries * Math.min(1, note.duplicateRate + s.faults.webhookDuplicateRate));
  }
  const profile = s.demand.dailyProfile;
  const mean = profile === undefined ? 1 : profile.reduce((a, b) => a + b, 0) / 24;
  const peak = profile === undefined ? 1 : mean > 0 ? Math.max(...profile) / mean : 0;
  const ratePerS = (s.demand.ordersPerDay / DAY_S) * peak + (s.demand.surge?.ordersPerHour ?? 0) / 3600;
  const atOnce = Math.min(orders, ratePerS * (waitMs / 1000) + burstOrders) * (1 + dupRate);
  if (atOnce > RUN_BUDGET.ordersInFlight) {
    add(
      ['demand', 'ordersPerDay'],
      'run_budget',
      `about ${count(atOnce)} order notifications could be on their way at once (peak ${count(ratePerS)} orders/s × the longest webhook wait ${ms(waitMs)}, bursts ${count(burstOrders)}, duplicates ${dupRate}); at most ${count(RUN_BUDGET.ordersInFlight)}`,
    );
  }
}

/** The highest level restocks can bring a SKU to (see the module comment). */
function restockLevels(s: ScenarioSpec, add: Add): void {
  const restock = s.catalog.restock;
  if (restock === undefined) return;
  const ticks = Math.floor(s.durationS / restock.everyS);
  if (ticks === 0) return;
  // Without idempotency, a restock in flight when a processor crashes is applied again.
  const replays = Object.values(s.strategies).some((st) => st.pitfall === 'no-idempotency') ? s.faults.processorCrashes.length : 0;
  const level = (ticks + 1) * restock.upToUnits * (1 + replays);
  if (level <= MAX_STOCK_LEVEL) return;
  add(
    ['catalog', 'restock', 'upToUnits'],
    'stock_bound',
    `restocks could raise a level to ${count(level)} units, above the maximum stock level ${count(MAX_STOCK_LEVEL)}: up to ${ticks + 1} restocks of upToUnits ${count(restock.upToUnits)} can be pending at once (${ticks} ticks of everyS ${restock.everyS} in durationS ${s.durationS}${replays > 0 ? `, each replayed by up to ${replays} processor crashes without idempotency` : ''})`,
  );
}
