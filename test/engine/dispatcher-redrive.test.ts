// Proves a redrive sends the SKU's level as it is now, never the payload the letter was parked
// with: a channel down long enough to park two versions of a SKU comes back, the older letter
// alone is redriven, and the channel is brought to the current level (a newer version than the
// letter's), in one request. Sending the parked payload would list stock that is gone. On both
// port paths (test/helpers/port-paths.ts).
import { describe, expect, it } from 'vitest';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { DEFAULT_RETRY_POLICY, InventoryMutationProcessor, PropagationDispatcher } from '../../src/engine/index.js';
import { Kernel } from '../../src/sim/kernel.js';
import { ScriptedChannel } from '../helpers/fake-channel.js';
import { PORT_PATHS, storeOn, timersOn } from '../helpers/port-paths.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

describe.each(PORT_PATHS)('redrive (%s)', (path) => {
  it('sends the current level, not the parked payload', async () => {
    const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const timers = timersOn(path, kernel);
    const ports = { clock: kernel.clock, timers, random: seededRandom(4), alerts: new RecordingAlerts() };
    const store = storeOn(path, kernel);
    store.seed('A', 10);
    let healthy = false;
    const channel = new ScriptedChannel('ch0', kernel.clock, timers, () => (healthy ? { ok: true } : { ok: false, error: 'unavailable', message: 'down' }));
    const dispatcher = new PropagationDispatcher({ ...ports, store, channels: [channel] });
    const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump() });

    // An order parks v2 (9 units); then a sale on another channel parks v3 (8 units).
    await processor.handle({ mutationId: 'o1', sku: 'A', quantityDelta: -1, sourceChannel: 'shop', orderId: 'o1' });
    await kernel.run();
    await processor.handle({ mutationId: 'o2', sku: 'A', quantityDelta: -1, sourceChannel: 'ebay', orderId: 'o2' });
    await kernel.run();
    const parked = await store.listDeadLetters();
    expect(parked.map((l) => ({ version: l.version, quantity: l.quantity }))).toEqual([
      { version: 2, quantity: 9 },
      { version: 3, quantity: 8 },
    ]);
    expect(channel.calls).toHaveLength(2 * (DEFAULT_RETRY_POLICY.maxRetries + 1));

    healthy = true;
    const before = channel.calls.length;
    expect(await dispatcher.redrive((letter) => letter.version === 2)).toBe(1);
    await kernel.run();
    const sent = channel.calls.slice(before).map((c) => c.update);
    expect(sent).toEqual([{ sku: 'A', quantity: 8, version: 3 }]);
    expect(channel.listings.get('A')).toEqual(store.peek('A'));
    // The filter held: the other letter is still parked.
    expect((await store.listDeadLetters()).map((l) => l.version)).toEqual([3]);
  });
});
