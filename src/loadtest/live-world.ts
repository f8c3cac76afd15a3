/**
 * The world a live run creates, as a scenario the simulator can run: what `invsim k6` sends and
 * `invsim serve --storefront` does with it, so that the live report compares like with like.
 *
 * A live run differs from the scenario in one place only: how orders reach the engine. In the
 * simulator a channel takes the order, then notifies the engine later (a webhook after its
 * delivery delay and within its reordering window, or the next poll of the Orders API). In a live
 * run the k6 script is the channel's notification: the service's channel model takes the order
 * and the engine hears of it in the same request. Everything else (demand, catalog, the
 * channels' latencies, rate limits, update semantics, faults, the engine) is the scenario's, and
 * time is compressed uniformly by the speedup on both sides (realtime.ts), so the prediction is
 * in scenario time, as the service's audit is.
 *
 * So the live world gives every channel webhook notification with no delay and no reordering,
 * the duplicate rate the script redelivers at (the channel's webhook rate plus the scenario's
 * `faults.webhookDuplicateRate`; none for channels that notify by polling: a poll is not
 * redelivered), and the simulator's redelivery delay: at least a second, spread over 1% of the
 * channel's retry window.
 *
 * And the service does not crash its own processor or dispatcher on a schedule (a live crash test
 * kills the process instead, see test/serve-stores/crash.test.ts), so the live world has none of
 * the scenario's `processorCrashes` and `dispatcherCrashes`.
 *
 * One thing the live world cannot be given: a restock at once. The simulator commits a restock at
 * its moment, before anything else happening then; the k6 script reads every SKU's level and
 * adjusts those below the target, 50 requests at a time, which takes real milliseconds, i.e.
 * `speedup` times as many scenario milliseconds. Where a burst's orders fall in that span, they
 * meet the stock before the restock live and after it in the simulator (`restockBurstOverlaps`).
 */
import type { OrderNotification } from '../model/presets.js';
import type { Scenario } from '../scenarios/schema.js';
import { effectivePreset } from '../scenarios/compile.js';

/** How the script redelivers one channel's orders (scenario milliseconds). */
export interface LiveRedelivery {
  readonly channel: string;
  /** Probability an order is delivered once more with the same mutationId. */
  readonly duplicateRate: number;
  /** The redelivery follows after max(minMs, u · spreadMs), u uniform in [0, 1). */
  readonly minMs: number;
  readonly spreadMs: number;
}

/** The simulator's redelivery: at least 1 s after the first delivery, spread over 1% of the retry window. */
const REDELIVERY_MIN_MS = 1_000;
const REDELIVERY_SHARE_OF_RETRY_WINDOW = 0.01;

export function liveRedeliveries(scenario: Scenario): LiveRedelivery[] {
  return scenario.channels.map((c) => {
    const note = effectivePreset(c.preset, c.overrides as Record<string, unknown> | undefined).orderNotification;
    if (note.mode !== 'webhook') return { channel: c.id, duplicateRate: 0, minMs: REDELIVERY_MIN_MS, spreadMs: 0 };
    return {
      channel: c.id,
      // A duplicate is a redelivery: a channel that does not redeliver sends none.
      duplicateRate: note.maxDeliveryAttempts > 1 ? round9(Math.min(1, note.duplicateRate + scenario.faults.webhookDuplicateRate)) : 0,
      minMs: REDELIVERY_MIN_MS,
      spreadMs: note.retryWindowS * 1000 * REDELIVERY_SHARE_OF_RETRY_WINDOW,
    };
  });
}

/** The scenario as the live path runs it (see the file comment). */
export function liveWorldScenario(scenario: Scenario): Scenario {
  const redeliveries = liveRedeliveries(scenario);
  const channels = scenario.channels.map((c, i) => {
    const preset = effectivePreset(c.preset, c.overrides as Record<string, unknown> | undefined);
    const r = redeliveries[i]!;
    const retryWindowS = preset.orderNotification.mode === 'webhook' ? preset.orderNotification.retryWindowS : 0;
    const orderNotification: OrderNotification = {
      mode: 'webhook',
      delay: { kind: 'fixed', ms: 0 },
      // The scenario-wide duplicate rate is folded in here; the faults' share is zeroed below.
      duplicateRate: r.duplicateRate,
      reorderWindowMs: 0,
      maxDeliveryAttempts: r.duplicateRate > 0 ? 2 : 1,
      retryWindowS,
    };
    return { ...c, overrides: { ...(c.overrides ?? {}), orderNotification } };
  });
  return {
    ...scenario,
    channels: channels as Scenario['channels'],
    faults: { ...scenario.faults, webhookDuplicateRate: 0, webhookReorderWindowMs: 0, processorCrashes: [], dispatcherCrashes: [] },
  };
}

/** A burst some of whose orders fall between a restock's moment and the moment the live restock may have landed. */
export interface RestockBurstOverlap {
  /** The burst's k6 scenario name (`burst_<n>`, its index among the scenario's bursts). */
  readonly burst: string;
  readonly burstAtS: number;
  readonly burstSpreadMs: number;
  readonly orders: number;
  /** The restock's moment (scenario seconds). */
  readonly restockAtS: number;
  /** The share of the burst's orders (spread uniformly) that arrive within the restock's span. */
  readonly share: number;
}

/**
 * The bursts whose orders arrive, in part or in whole, within `restockSpanMs` (scenario ms) after
 * a restock's moment: the simulator commits the restock before those orders, a live restock that
 * took that long after them. Restocks come every `everyS` from `everyS` on, while the load runs
 * (the simulator's restock job and the script's `restock` scenario alike). A burst at a restock's
 * very moment with no spread meets the stock before the restock's commit on both sides.
 */
export function restockBurstOverlaps(scenario: Scenario, restockSpanMs: number): RestockBurstOverlap[] {
  const restock = scenario.catalog.restock;
  if (restock === undefined || !(restockSpanMs > 0)) return [];
  const everyMs = restock.everyS * 1000;
  const durationMs = scenario.durationS * 1000;
  const found: RestockBurstOverlap[] = [];
  scenario.demand.bursts.forEach((b, n) => {
    const fromMs = b.atS * 1000;
    const toMs = fromMs + b.spreadMs;
    // The restocks at `at` whose span (at, at + span) holds some of [from, to], or `from` itself.
    const first = Math.max(1, Math.floor((fromMs - restockSpanMs) / everyMs));
    for (let k = first; k * everyMs <= toMs && k * everyMs < durationMs; k++) {
      const atMs = k * everyMs;
      const untilMs = atMs + restockSpanMs;
      const share = b.spreadMs > 0 ? Math.max(0, Math.min(toMs, untilMs) - Math.max(fromMs, atMs)) / b.spreadMs : fromMs > atMs && fromMs < untilMs ? 1 : 0;
      if (share > 0) found.push({ burst: `burst_${n}`, burstAtS: b.atS, burstSpreadMs: b.spreadMs, orders: b.orders, restockAtS: atMs / 1000, share: round9(share) });
    }
  });
  return found;
}

/** A restock whose moment falls in a channel's outage. */
export interface RestockInOutage {
  readonly channel: string;
  readonly restockAtS: number;
  readonly outageFromS: number;
  readonly outageToS: number;
}

/**
 * The restocks that come while a channel is down: their updates to it wait out the rest of the
 * outage, the longest propagation latencies of the run. A live restock commits them later than its
 * moment (by up to its span), so they wait that much less.
 */
export function restocksInOutages(scenario: Scenario): RestockInOutage[] {
  const restock = scenario.catalog.restock;
  if (restock === undefined) return [];
  const found: RestockInOutage[] = [];
  for (const o of scenario.faults.outages) {
    if (o.channel === undefined) continue;
    const toS = o.startS + o.durationS;
    for (let k = Math.max(1, Math.ceil(o.startS / restock.everyS)); k * restock.everyS < Math.min(toS, scenario.durationS); k++) {
      found.push({ channel: o.channel, restockAtS: k * restock.everyS, outageFromS: o.startS, outageToS: toS });
    }
  }
  return found;
}

function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
