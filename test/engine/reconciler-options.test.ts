// Proves the options of the engine's Reconciler that the service's shared-store reconciliation
// uses (generation.ts, channelReconciler), on an in-memory store, listings held in a map and a
// dispatcher that records what it is handed: a quantity checked at equal versions only where
// asked, corrections without a commit time of their own, and levels read several at a time with
// the same report as one by one. Without the options the Reconciler behaves as the simulator's
// hybrid strategy relies on.
import { describe, expect, it } from 'vitest';
import type { PropagationDispatcher } from '../../src/engine/dispatcher.js';
import { InMemoryInventoryStore } from '../../src/engine/memory-store.js';
import type { ChannelListing, ChannelUpdate, InventoryStore } from '../../src/engine/ports.js';
import { Reconciler, type ListingSource, type ReconcilerOptions } from '../../src/engine/reconciler.js';

const NOW_MS = 5_000;

interface Submitted {
  readonly channel: string;
  readonly update: ChannelUpdate;
  readonly committedAtMs: number;
}

/** A store holding `levels` (quantity at version 1 each). */
async function storeWith(levels: Record<string, number>): Promise<InMemoryInventoryStore> {
  const store = new InMemoryInventoryStore();
  for (const [sku, quantity] of Object.entries(levels)) {
    const result = await store.commit({ effect: 'apply', sku, expectedVersion: 0, quantity, mutationId: `seed:${sku}`, idempotencyTtlMs: 1_000, outbox: { sourceChannel: 'admin', committedAtMs: 0 } }, 0);
    expect(result.ok).toBe(true);
  }
  return store;
}

function listings(id: string, held: Record<string, ChannelListing>): ListingSource {
  return { id, readListing: (sku) => Promise.resolve(held[sku]) };
}

function reconcilerFor(store: InventoryStore, channels: readonly ListingSource[], options: Partial<ReconcilerOptions> = {}): { reconciler: Reconciler; submitted: Submitted[] } {
  const submitted: Submitted[] = [];
  const dispatcher = {
    submit: (channel: string, update: ChannelUpdate, committedAtMs: number) => {
      submitted.push({ channel, update, committedAtMs });
      return true;
    },
  } as unknown as PropagationDispatcher;
  const reconciler = new Reconciler({ store, channels, dispatcher, clock: { nowMs: () => NOW_MS }, alerts: { raise: () => undefined }, ...options });
  return { reconciler, submitted };
}

describe('Reconciler options for the service', () => {
  it('checks the quantity of a listing at the source version only where checkQuantity says so', async () => {
    const store = await storeWith({ A: 5 });
    // Both channels list version 1 but show 4 (a local sale the store never saw).
    const channels = [listings('sets', { A: { quantity: 4, version: 1 } }), listings('delta', { A: { quantity: 4, version: 1 } })];

    const plain = reconcilerFor(store, channels);
    expect(await plain.reconciler.reconcile()).toEqual({ checked: 2, drifted: 0, corrected: 0, newerOnChannel: 0 });

    const checking = reconcilerFor(store, channels, { checkQuantity: (channel) => channel === 'sets' });
    expect(await checking.reconciler.reconcile()).toEqual({ checked: 2, drifted: 1, corrected: 1, newerOnChannel: 0 });
    expect(checking.submitted.map((s) => ({ channel: s.channel, update: s.update }))).toEqual([{ channel: 'sets', update: { sku: 'A', quantity: 5, version: 1 } }]);
  });

  it('leaves newer listings alone and corrects older ones, with or without a commit time', async () => {
    const store = await storeWith({ A: 5, B: 2 });
    const channels = [listings('c', { A: { quantity: 9, version: 7 } })]; // B never listed
    const timed = reconcilerFor(store, channels);
    expect(await timed.reconciler.reconcile()).toEqual({ checked: 2, drifted: 1, corrected: 1, newerOnChannel: 1 });
    expect(timed.submitted).toEqual([{ channel: 'c', update: { sku: 'B', quantity: 2, version: 1 }, committedAtMs: NOW_MS }]);

    const untimed = reconcilerFor(store, channels, { timeCorrections: false });
    await untimed.reconciler.reconcile();
    expect(untimed.submitted.map((s) => s.committedAtMs)).toEqual([Number.NaN]);
  });

  it('reads up to readsInFlight levels at once, with the report of one read at a time', async () => {
    const levels = Object.fromEntries(Array.from({ length: 10 }, (_, n) => [`S${n}`, n]));
    const inner = await storeWith(levels);
    let reading = 0;
    let mostAtOnce = 0;
    const counting: InventoryStore = Object.assign(Object.create(inner) as InventoryStore, {
      read: async (sku: string) => {
        mostAtOnce = Math.max(mostAtOnce, ++reading);
        try {
          return await inner.read(sku);
        } finally {
          reading--;
        }
      },
    });
    const channels = [listings('c', { S0: { quantity: 0, version: 1 }, S3: { quantity: 3, version: 1 } })];
    const skus = Object.keys(levels);

    const oneByOne = reconcilerFor(counting, channels);
    const expected = await oneByOne.reconciler.reconcile(skus);
    expect(mostAtOnce).toBe(1);

    mostAtOnce = 0;
    const batched = reconcilerFor(counting, channels, { readsInFlight: 4 });
    expect(await batched.reconciler.reconcile(skus)).toEqual(expected);
    expect(mostAtOnce).toBe(4);
    expect(batched.submitted).toEqual(oneByOne.submitted);
    expect(expected).toEqual({ checked: 10, drifted: 8, corrected: 8, newerOnChannel: 0 });

    expect(() => reconcilerFor(counting, channels, { readsInFlight: 0 })).toThrow(RangeError);
  });
});
