// Proves the dispatcher honours Retry-After in both places it applies, in virtual time: a lane
// answered with a Retry-After waits at least that long before its retry even when its own
// backoff is shorter (a 503 with Retry-After: 20 s after a 1 s backoff), and a 429 pauses the
// whole channel, so another SKU's update committed during the pause is not sent before it ends.
// Both cases run on both port paths (test/helpers/port-paths.ts).
import { describe, expect, it } from 'vitest';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { InventoryMutationProcessor, PropagationDispatcher, type ChannelResult, type ChannelUpdate } from '../../src/engine/index.js';
import { Kernel } from '../../src/sim/kernel.js';
import { ScriptedChannel } from '../helpers/fake-channel.js';
import { PORT_PATHS, storeOn, timersOn, type PortPath } from '../helpers/port-paths.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

const LATENCY_MS = 100;

function world(path: PortPath, script: (call: number, update: ChannelUpdate) => ChannelResult) {
  const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
  const timers = timersOn(path, kernel);
  const ports = { clock: kernel.clock, timers, random: seededRandom(9), alerts: new RecordingAlerts() };
  const store = storeOn(path, kernel);
  store.seed('A', 10);
  store.seed('B', 10);
  const channel = new ScriptedChannel('ch0', kernel.clock, timers, script, LATENCY_MS);
  channel.maxConcurrency = 8;
  const dispatcher = new PropagationDispatcher({ ...ports, store, channels: [channel] });
  const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump() });
  const order = (id: string, sku: string) => processor.handle({ mutationId: id, sku, quantityDelta: -1, sourceChannel: 'shop', orderId: id });
  return { kernel, channel, dispatcher, order };
}

describe.each(PORT_PATHS)('Retry-After (%s)', (path) => {
  it('a 503 with Retry-After: the retry waits the Retry-After, not the shorter backoff', async () => {
    const retryAfterMs = 20_000;
    const w = world(path, (call) => (call === 0 ? { ok: false, error: 'server_error', retryAfterMs, message: 'HTTP 503' } : { ok: true }));
    await w.order('o1', 'A');
    await w.kernel.run();
    const calls = w.channel.calls;
    expect(calls).toHaveLength(2);
    expect(calls[1]!.atMs - calls[0]!.atMs - LATENCY_MS).toBeGreaterThanOrEqual(retryAfterMs);
    expect(w.channel.listings.get('A')).toEqual({ quantity: 9, version: 2 });
    expect(w.dispatcher.stats).toMatchObject({ failed: 1, retries: 1, delivered: 1 });
  });

  it('a 429 pauses the whole channel: another SKU committed during the pause waits for its end', async () => {
    const retryAfterMs = 7_000;
    const w = world(path, (call, update) => (call === 0 && update.sku === 'A' ? { ok: false, error: 'throttled', retryAfterMs } : { ok: true }));
    await w.order('a1', 'A');
    w.kernel.scheduleAt(1_000, () => void w.order('b1', 'B'));
    await w.kernel.run();
    const pauseEndsMs = LATENCY_MS + retryAfterMs;
    const calls = w.channel.calls.map((c) => ({ sku: c.update.sku, atMs: c.atMs }));
    expect(calls.map((c) => c.sku).sort()).toEqual(['A', 'A', 'B']);
    for (const call of calls.slice(1)) expect(call.atMs, `${call.sku} sent during the pause`).toBeGreaterThanOrEqual(pauseEndsMs);
    expect(w.channel.listings.get('A')).toEqual({ quantity: 9, version: 2 });
    expect(w.channel.listings.get('B')).toEqual({ quantity: 9, version: 2 });
    expect(w.dispatcher.stats.throttled).toBe(1);
  });
});
