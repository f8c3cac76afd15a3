// Proves that numbering SKUs for the dispatcher (`skuIndex`, as the simulator does) changes where
// lanes are kept and nothing else: the same orders on four SKUs, over two channels that fail
// some calls, give the same calls at the same times, the same listings, stats and outbox cursor
// with no index, with an index for some SKUs (the rest numbered through the map) and with one for
// all. A number outside the index's range is a bug the dispatcher refuses loudly.
import { describe, expect, it } from 'vitest';
import { InMemoryInventoryStore, InventoryMutationProcessor, InvariantError, PropagationDispatcher, type ChannelResult } from '../../src/engine/index.js';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { Kernel } from '../../src/sim/kernel.js';
import { ScriptedChannel } from '../helpers/fake-channel.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

const SKUS = ['A', 'B', 'C', 'D'];
type SkuIndex = { count: number; indexOf: (sku: string) => number | undefined };

async function runWith(skuIndex: SkuIndex | undefined) {
  const kernel = new Kernel({ maxEvents: 1_000_000, host: nodeKernelHost({ countForeignTicks: true }) });
  const ports = { clock: kernel.clock, timers: kernel.timers, random: seededRandom(3), alerts: new RecordingAlerts() };
  const store = new InMemoryInventoryStore({ timers: kernel.timers, operationLatencyMs: 2 });
  for (const sku of SKUS) store.seed(sku, 50);
  const script = (call: number): ChannelResult => (call % 4 === 3 ? { ok: false, error: 'server_error', message: 'HTTP 503' } : { ok: true });
  const channels = ['ch0', 'ch1'].map((id) => new ScriptedChannel(id, kernel.clock, kernel.timers, script));
  const dispatcher = new PropagationDispatcher({ ...ports, store, channels, ...(skuIndex === undefined ? {} : { skuIndex }) });
  const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump() });
  const orders: Promise<unknown>[] = [];
  for (let n = 0; n < 40; n++) {
    const sku = SKUS[(n * 7) % SKUS.length]!;
    kernel.scheduleAt(n * 30, () => void orders.push(processor.handle({ mutationId: `o${n}`, sku, quantityDelta: -1, sourceChannel: 'shop', orderId: `o${n}` })));
  }
  await kernel.run();
  await Promise.all(orders);
  // The store answers in virtual time: the kernel runs its read of the cursor.
  const cursor = store.outboxCursor();
  await kernel.run();
  return {
    calls: channels.map((c) => c.calls),
    listings: channels.map((c) => SKUS.map((sku) => c.listings.get(sku))),
    acked: channels.map((c) => SKUS.map((sku) => dispatcher.ackedVersion(c.id, sku))),
    stats: { ...dispatcher.stats },
    cursor: await cursor,
    levels: SKUS.map((sku) => store.peek(sku)),
  };
}

describe('PropagationDispatcher with numbered SKUs (skuIndex)', () => {
  it('sends exactly what it sends without numbers, whether all, some or no SKUs are numbered', async () => {
    const plain = await runWith(undefined);
    // Not vacuous: every SKU was sold and delivered, and some calls failed and were retried.
    expect(plain.stats.failed).toBeGreaterThan(0);
    for (let c = 0; c < 2; c++) expect(plain.listings[c]).toEqual(plain.levels);
    const some = await runWith({ count: 2, indexOf: (sku) => ({ C: 0, A: 1 })[sku] });
    const all = await runWith({ count: 4, indexOf: (sku) => 3 - SKUS.indexOf(sku) });
    expect(some).toEqual(plain);
    expect(all).toEqual(plain);
  });

  it('refuses a number outside the index', () => {
    const kernel = new Kernel({ maxEvents: 1_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const channels = [new ScriptedChannel('ch0', kernel.clock, kernel.timers, () => ({ ok: true }))];
    const ports = { clock: kernel.clock, timers: kernel.timers, random: seededRandom(3), alerts: new RecordingAlerts() };
    const dispatcher = new PropagationDispatcher({ ...ports, store: new InMemoryInventoryStore(), channels, skuIndex: { count: 2, indexOf: () => 2 } });
    expect(() => dispatcher.submit('ch0', { sku: 'A', quantity: 1, version: 2 }, 0)).toThrow(InvariantError);
    expect(() => dispatcher.submit('ch0', { sku: 'A', quantity: 1, version: 2 }, 0)).toThrow(/numbered A 2, outside 0..1/);
  });
});
