// Proves the dispatcher's delivery guarantees in virtual time (the simulator's kernel drives
// the real dispatcher): retry delays follow the seed's policy, Retry-After is honoured, newer
// versions supersede older ones, the last failure parks the update and alerts, and parked
// entries can be redriven. Nothing is dropped: the outbox cursor moves only when every channel
// has each event, a newer version, or a DLQ entry.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  InMemoryInventoryStore,
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
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

const OK: ChannelResult = { ok: true };
const FAIL: ChannelResult = { ok: false, error: 'server_error', message: 'HTTP 503' };

function world(script: (call: number) => ChannelResult, channelCount = 1) {
  const kernel = new Kernel({ maxEvents: 1_000_000, host: nodeKernelHost({ countForeignTicks: true }) });
  const ports = { clock: kernel.clock, timers: kernel.timers, random: seededRandom(3), alerts: new RecordingAlerts() };
  const store = new InMemoryInventoryStore();
  store.seed('A', 10);
  const channels = Array.from({ length: channelCount }, (_, i) => new ScriptedChannel(`ch${i}`, kernel.clock, kernel.timers, script));
  const observer = new LatencyObserver({ alertThresholdMs: 5_000 });
  const dispatcher = new PropagationDispatcher({ ...ports, store, channels, observer });
  const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump() });
  const order = (id: string, delta = -1) => processor.handle({ mutationId: id, sku: 'A', quantityDelta: delta, sourceChannel: 'shop', orderId: id });
  return { kernel, ports, store, channels, dispatcher, processor, observer, order };
}

describe('PropagationDispatcher', () => {
  it('delivers after three failures, with delays that follow the policy and no DLQ entry', async () => {
    const w = world((call) => (call < 3 ? FAIL : OK));
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
    const w = world(() => (healthy ? OK : FAIL));
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
    const w = world((call) => (call === 0 ? { ok: false, error: 'throttled', retryAfterMs: 7_000 } : OK));
    await w.order('o1');
    await w.kernel.run();
    const calls = w.channels[0]!.calls;
    expect(calls).toHaveLength(2);
    expect(calls[1]!.atMs - calls[0]!.atMs).toBeGreaterThanOrEqual(7_100);
    expect(w.dispatcher.stats.throttled).toBe(1);
  });

  it('lets a newer version supersede a pending older one and never sends a version backwards', async () => {
    const w = world(() => OK);
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
    const w = world(() => OK);
    await w.order('o1');
    await w.kernel.run({ untilMs: 50 }); // the request is still in flight
    w.dispatcher.stop();
    await w.kernel.run();
    expect(await w.store.outboxCursor()).toBe(0);
    const fresh = new PropagationDispatcher({ ...w.ports, store: w.store, channels: w.channels });
    await fresh.pump();
    await w.kernel.run();
    expect(await w.store.outboxCursor()).toBe(1);
    expect(w.channels[0]!.listings.get('A')).toEqual({ quantity: 9, version: 2 });
  });
});

describe('Reconciler', () => {
  it('corrects a drifted channel and never overwrites a channel holding a newer version', async () => {
    const w = world(() => OK, 2);
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
