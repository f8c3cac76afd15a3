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
 * Two draws of a live run are its own, and the prediction holds them fixed (`liveConditioning`):
 * the catalogue, which the script loads from its `--seed`'s draw while each simulated seed would
 * draw its own; and the restocks. The simulator commits a restock at its moment, before anything
 * else happening then; the k6 script reads every SKU's level and adjusts those below the target,
 * 50 requests at a time, which takes real milliseconds, i.e. `speedup` times as many scenario
 * milliseconds: a burst at a restock's moment meets the stock before it, and a restock during an
 * outage waits it out for less. The prediction runs each restock as that job (RestockJob), over
 * the mean length the summary reports.
 */
import type { OrderNotification } from '../model/presets.js';
import type { RestockJob } from '../model/restock-job.js';
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

/**
 * Requests of one http.batch in the script's restock (loadtest/lib/options.ts BATCH_IN_FLIGHT; a
 * test holds the two equal): the SKUs one of its read or write batches covers.
 */
export const LIVE_RESTOCK_BATCH = 50;

/** What a live run's files tell of it that the prediction holds fixed instead of drawing per seed. */
export interface LiveConditioning {
  /** The load's seed: the live catalogue (every SKU's initial stock) is its draw. Null: unknown. */
  readonly catalogSeed: number | null;
  /** The live restocks as the job they were (scenario ms). Null: instant, or how long they took is unknown. */
  readonly restockJob: RestockJob | null;
}

/** What a k6 summary says of the load's seed and its restocks (real ms; null where it does not say). */
export interface LiveLoadFacts {
  readonly loadSeed: number | null;
  readonly restockDurationMsMean: number | null;
  readonly restockReadMsMean: number | null;
}

/**
 * The conditions of a live run the prediction should share: its catalogue, and its restocks as a
 * job of its mean measured length (reads, then writes), compressed by `speedup` into scenario time.
 * A summary that gives the restock's length but not its reads' is read as half reads, half writes.
 */
export function liveConditioning(facts: LiveLoadFacts, speedup: number | null): LiveConditioning {
  const total = facts.restockDurationMsMean;
  let restockJob: RestockJob | null = null;
  if (total !== null && total > 0 && speedup !== null && speedup > 0) {
    const read = Math.min(total, facts.restockReadMsMean ?? total / 2);
    restockJob = { readSpanMs: round9(read * speedup), writeSpanMs: round9((total - read) * speedup), batch: LIVE_RESTOCK_BATCH };
  }
  return { catalogSeed: facts.loadSeed, restockJob };
}

function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
