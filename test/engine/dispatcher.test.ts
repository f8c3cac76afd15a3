// Proves the dispatcher's delivery guarantees in virtual time (the simulator's kernel drives
// the real dispatcher): retry delays follow the seed's policy, Retry-After is honoured, newer
// versions supersede older ones, the last failure parks the update and alerts, and parked
// entries can be redriven. Nothing is dropped: the outbox cursor moves only when every channel
// has each event, a newer version, or a DLQ entry. Every case runs on both port paths (the
// simulator's continuations and the service's promises, test/helpers/port-paths.ts) with the same
// expectations, and one case requires the two paths to produce the same call log, stats and state.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  InventoryMutationProcessor,
  LatencyObserver,
  nominalRetryDelayMs,
  PropagationDispatcher,
  Reconciler,
  type ChannelResult,
} from '../../src/engine/index.js';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { Kernel } from '../../src/sim/kernel.js';
import { ScriptedChannel } from '../helpers/fake-channel.js';
import { PORT_PATHS, storeOn, timersOn, type PortPath } from '../helpers/port-paths.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

const OK: ChannelResult = { ok: true };
const FAIL: ChannelResult = { ok: false, error: 'server_error', message: 'HTTP 503' };

function world(path: PortPath, script: (call: number) => ChannelResult, channelCount = 1) {
  const kernel = new Kernel({ maxEvents: 1_000_000, host: nodeKernelHost({ countForeignTicks: true }) });
  const timers = timersOn(path, kernel);
  const ports = { clock: kernel.clock, timers, random: seededRandom(3), alerts: new RecordingAlerts() };
  const store = storeOn(path, kernel);
  store.seed('A', 10);
  const channels = Array.from({ length: channelCount }, (_, i) => new ScriptedChannel(`ch${i}`, kernel.clock, timers, script));
  if (channels.some((c) => (c.continuations !== undefined) !== (path === 'continuations'))) throw new Error(`channels on the ${path} path`);
  const observer = new LatencyObserver({ alertThresholdMs: 5_000 });
  const dispatcher = new PropagationDispatcher({ ...ports, store, channels, observer });
  const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump() });
  const order = (id: string, delta = -1) => processor.handle({ mutationId: id, sku: 'A', quantityDelta: delta, sourceChannel: 'shop', orderId: id });
  return { kernel, ports, store, channels, dispatcher, processor, observer, order };
}

describe.each(PORT_PATHS)('PropagationDispatcher (%s)', (path) => {
  it('delivers after three failures, with delays that follow the policy and no DLQ entry', async () => {
    const w = world(path, (call) => (call < 3 ? FAIL : OK));
    const done = w.order('o1');
    await w.kernel.run();
    await done;
    const calls = w.channels[0]!.calls;
    expect(calls).toHaveLength(4);
    for (let retry = 1; retry <= 3; retry++) {
      const gap = calls[retry]!.atMs - calls[retry - 1]!.atMs - 100; // minus the request's own latency
      const nominal = nominalRetryDelayMs(DEFAULT_RETRY_POLICY, retry);
      expect(nominal).toBe(1000 * 2 ** (retry - 1));
      expect(gap).toBeLessThanOrEqual(nominal);
      expect(gap).toBeGreaterThanOrEqual(nominal * (1 - DEFAULT_RETRY_POLICY.jitter));
    }
    expect(w.channels[0]!.listings.get('A')).toEqual({ quantity: 9, version: 2 });
    expect(await w.store.listDeadLetters()).toHaveLength(0);
    expect(w.ports.alerts.alerts).toHaveLength(0);
    expect(await w.store.outboxCursor()).toBe(1);
    expect(w.observer.snapshot('ch0').count).toBe(1);
  });

  it('parks the latest version and alerts when a channel always fails; redrive delivers it later', async () => {
    let healthy = false;
    const w = world(path, () => (healthy ? OK : FAIL));
    const orders = Promise.all([w.order('o1'), w.order('o2'), w.order('o3')]);
    await w.kernel.run();
    await orders;
    const parked = await w.store.listDeadLetters();
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ sku: 'A', channel: 'ch0', version: 4, quantity: 7, attempts: DEFAULT_RETRY_POLICY.maxRetries + 1 });
    expect(w.ports.alerts.alerts.map((a) => a.kind)).toEqual(['dlq_parked']);
    // Every outbox event is accounted for: delivered, superseded or parked.
    expect(await w.store.outboxCursor()).toBe(3);
    expect(w.dispatcher.stats.parked).toBe(1);
    // Total attempts for the parked lane: first try plus maxRetries.
    expect(w.channels[0]!.calls.length).toBe(DEFAULT_RETRY_POLICY.maxRetries + 1);

    healthy = true;
    expect(await w.dispatcher.redrive()).toBe(1);
    await w.kernel.run();
    expect(await w.store.listDeadLetters()).toHaveLength(0);
    expect(w.channels[0]!.listings.get('A')).toEqual({ quantity: 7, version: 4 });
  });

  it('honours Retry-After on 429 by pausing the channel at least that long', async () => {
    const w = world(path, (call) => (call === 0 ? { ok: false, error: 'throttled', retryAfterMs: 7_000 } : OK));
    await w.order('o1');
    await w.kernel.run();
    const calls = w.channels[0]!.calls;
    expect(calls).toHaveLength(2);
    expect(calls[1]!.atMs - calls[0]!.atMs).toBeGreaterThanOrEqual(7_100);
    expect(w.dispatcher.stats.throttled).toBe(1);
  });

  it('lets a newer version supersede a pending older one and never sends a version backwards', async () => {
    const w = world(path, () => OK);
    // Nine orders commit while the first request is in flight.
    await w.order('o0');
    for (let i = 1; i <= 9; i++) await w.order(`o${i}`);
    await w.kernel.run();
    const versions = w.channels[0]!.calls.map((c) => c.update.version);
    expect(versions.length).toBeLessThan(10);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(versions.at(-1)).toBe(11);
    expect(w.dispatcher.stats.superseded).toBeGreaterThan(0);
    expect(w.channels[0]!.listings.get('A')).toEqual({ quantity: 0, version: 11 });
    // Latency is recorded per committed version, superseded ones included.
    expect(w.observer.snapshot('ch0').count).toBe(10);
    expect(await w.store.outboxCursor()).toBe(10);
  });

  it('a restarted dispatcher redelivers what the crashed one had not finished', async () => {
    const w = world(path, () => OK);
    await w.order('o1');
    await w.kernel.run({ untilMs: 50 }); // the request is still in flight
    w.dispatcher.stop();
    await w.kernel.run();
    expect(await w.store.outboxCursor()).toBe(0);
    const fresh = new PropagationDispatcher({ ...w.ports, store: w.store, channels: w.channels });
    // The pump's store calls answer as kernel events on the continuation path: run the kernel to settle it.
    const pumped = fresh.pump();
    await w.kernel.run();
    expect(await pumped).toBe(1);
    expect(await w.store.outboxCursor()).toBe(1);
    expect(w.channels[0]!.listings.get('A')).toEqual({ quantity: 9, version: 2 });
  });
});

describe('the two port paths', () => {
  /**
   * Failures, a 429 and superseded versions on three channels; what the run leaves behind. The
   * orders are 650 ms apart, so none lands at the very moment a retry wait ends: at such a tie the
   * continuation store's answer is an event of its own, after the wait's, and the promise store's
   * a microtask of the order's event, before it, so the paths may then coalesce differently (both
   * correctly).
   */
  async function mixedRun(path: PortPath) {
    const script = (call: number): ChannelResult => (call % 5 === 1 ? FAIL : call % 7 === 3 ? { ok: false, error: 'throttled', retryAfterMs: 2_000 } : OK);
    const w = world(path, script, 3);
    for (let i = 0; i < 12; i++) w.kernel.scheduleAt(i * 650, () => void w.order(`o${i}`, i % 4 === 0 ? 2 : -1));
    await w.kernel.run();
    return {
      calls: w.channels.map((c) => c.calls),
      listings: w.channels.map((c) => c.listings.get('A')),
      stats: w.dispatcher.stats,
      alerts: w.ports.alerts.alerts.map((a) => [a.kind, a.atMs]),
      deadLetters: await w.store.listDeadLetters(),
      cursor: await w.store.outboxCursor(),
      latency: w.channels.map((c) => w.observer.snapshot(c.id)),
      endMs: w.kernel.nowMs(),
    };
  }

  it('make the same requests at the same times and leave the same state', async () => {
    const viaContinuations = await mixedRun('continuations');
    const viaPromises = await mixedRun('promises');
    // Not a vacuous comparison: the run retried, was throttled and superseded versions.
    expect(viaContinuations.stats).toMatchObject({ failed: expect.any(Number), throttled: expect.any(Number) });
    expect(viaContinuations.stats.failed).toBeGreaterThan(0);
    expect(viaContinuations.stats.throttled).toBeGreaterThan(0);
    expect(viaContinuations.cursor).toBe(12);
    expect(viaContinuations).toEqual(viaPromises);
  });
});

describe.each(PORT_PATHS)('Reconciler (%s)', (path) => {
  it('corrects a drifted channel and never overwrites a channel holding a newer version', async () => {
    const w = world(path, () => OK, 2);
    await w.order('o1');
    await w.kernel.run();
    const [stale, ahead] = w.channels as [ScriptedChannel, ScriptedChannel];
    stale.listings.set('A', { quantity: 10, version: 1 }); // drifted back
    ahead.listings.set('A', { quantity: 3, version: 99 }); // newer than the store's version 2
    const reconciler = new Reconciler({ ...w.ports, store: w.store, channels: w.channels, dispatcher: w.dispatcher });
    const reportPromise = reconciler.reconcile();
    await w.kernel.run();
    const report = await reportPromise;
    await w.kernel.run();
    expect(report).toMatchObject({ checked: 2, drifted: 1, newerOnChannel: 1 });
    expect(stale.listings.get('A')).toEqual({ quantity: 9, version: 2 });
    expect(ahead.listings.get('A')).toEqual({ quantity: 3, version: 99 });
  });
});
