// Proves the dispatcher drives a compare-and-set channel (Shopify's `compareQuantity`) as a real
// connector must. The channel sells a unit itself; before its order reaches the source of truth,
// another channel's sale makes the dispatcher set a new level. The channel refuses the set (it no
// longer shows what was set last), the dispatcher re-reads it and sets the source's level less
// the sale the source has not seen, so the listing never shows a unit that is gone. On an
// absolute channel the same sequence leaves a phantom unit listed until the order arrives. Both
// cases run on both port paths (test/helpers/port-paths.ts): the store front's set and re-read in
// continuation form, or as promises.
import { describe, expect, it } from 'vitest';
import { InventoryMutationProcessor, PropagationDispatcher } from '../../src/engine/index.js';
import type { ChannelClient, ChannelClientContinuations, ChannelListing, ChannelResult, ChannelUpdate, DeadLetter, Timers } from '../../src/engine/ports.js';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { Kernel } from '../../src/sim/kernel.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';
import { PORT_PATHS, storeOn, timersOn, type PortPath } from '../helpers/port-paths.js';

/** A channel that sells on its own and, with compareAndSet, refuses a set whose compareQuantity moved. */
class StoreFront implements ChannelClient {
  readonly maxConcurrency = 1;
  readonly listings = new Map<string, ChannelListing>();
  readonly refusals: ChannelUpdate[] = [];
  reads = 0;
  /** While set, every push fails (HTTP 503). */
  down = false;
  /** The next push is refused as a conflict, whatever the channel's semantics. */
  refuseNext = false;
  readonly continuations?: ChannelClientContinuations;
  constructor(
    readonly id: string,
    readonly compareAndSet: boolean,
    private readonly timers: Timers,
  ) {
    const after = timers.after?.bind(timers);
    if (after !== undefined) {
      this.continuations = {
        push: (updates, done) => after(50, () => done(this.set(updates[0]!))),
        readListing: (sku, done) => {
          this.reads++;
          after(20, () => done(this.listings.get(sku)));
        },
      };
    }
  }
  sell(sku: string, units: number): void {
    const l = this.listings.get(sku)!;
    this.listings.set(sku, { quantity: l.quantity - units, version: l.version });
  }
  async pushListing(update: ChannelUpdate): Promise<ChannelResult> {
    await this.timers.sleep(50);
    return this.set(update);
  }
  private set(update: ChannelUpdate): ChannelResult {
    if (this.down) return { ok: false, error: 'server_error', message: 'HTTP 503' };
    if (this.refuseNext) {
      this.refuseNext = false;
      return { ok: false, error: 'conflict', message: 'refused' };
    }
    const current = this.listings.get(update.sku);
    if (this.compareAndSet && update.compareQuantity !== undefined && current?.quantity !== update.compareQuantity) {
      this.refusals.push(update);
      return { ok: false, error: 'conflict', message: 'compareQuantity no longer matches' };
    }
    this.listings.set(update.sku, { quantity: update.quantity, version: update.version });
    return { ok: true };
  }
  async readListing(sku: string): Promise<ChannelListing | undefined> {
    this.reads++;
    await this.timers.sleep(20);
    return this.listings.get(sku);
  }
}

async function scenario(path: PortPath, compareAndSet: boolean) {
  const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
  const timers = timersOn(path, kernel);
  const ports = { clock: kernel.clock, timers, random: seededRandom(1), alerts: new RecordingAlerts() };
  const store = storeOn(path, kernel);
  store.seed('A', 10);
  const shop = new StoreFront('shop', compareAndSet, timers);
  const woo = new StoreFront('woo', false, timers);
  for (const ch of [shop, woo]) ch.listings.set('A', { quantity: 10, version: 1 });
  const dispatcher = new PropagationDispatcher({ ...ports, store, channels: [shop, woo] });
  const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump() });
  const order = (id: string, channel: StoreFront) => processor.handle({ mutationId: id, sku: 'A', quantityDelta: -1, sourceChannel: channel.id, orderId: id });
  const listed: number[] = [];
  // t=1 s: woo sells (level 9, set on shop: what the dispatcher last set is now known).
  kernel.scheduleAt(1_000, () => {
    woo.sell('A', 1);
    void order('w1', woo);
  });
  // t=2 s: shop sells; its order reaches the source only at t=10 s.
  kernel.scheduleAt(2_000, () => shop.sell('A', 1));
  kernel.scheduleAt(10_000, () => void order('s1', shop));
  // t=3 s: woo sells again: the source says 8, but shop has sold one the source has not seen.
  kernel.scheduleAt(3_000, () => {
    woo.sell('A', 1);
    void order('w2', woo);
  });
  kernel.scheduleAt(5_000, () => listed.push(shop.listings.get('A')!.quantity));
  kernel.scheduleAt(20_000, () => listed.push(shop.listings.get('A')!.quantity));
  await kernel.run();
  return { listed, shop, level: store.peek('A'), stats: dispatcher.stats };
}

describe.each(PORT_PATHS)('a compare-and-set channel (%s)', (path) => {
  it('refuses a set over its own unseen sale; the dispatcher re-reads and lists the level less that sale', async () => {
    const cas = await scenario(path, true);
    expect(cas.level.quantity).toBe(7);
    // Between the refusal and the shop's order reaching the source: 8 at the source, 1 sold on
    // shop that it has not seen: shop lists 7, the units that are really left.
    expect(cas.listed).toEqual([7, 7]);
    expect(cas.shop.refusals).toHaveLength(1);
    expect(cas.shop.refusals[0]).toMatchObject({ quantity: 8, compareQuantity: 9 });
    expect(cas.shop.reads).toBe(1);
    expect(cas.stats.conflicts).toBe(1);
    expect(cas.stats.parked).toBe(0);
  });

  it('an absolute channel, the same sequence: a phantom unit listed until the order arrives', async () => {
    const absolute = await scenario(path, false);
    expect(absolute.level.quantity).toBe(7);
    expect(absolute.listed).toEqual([8, 7]);
    expect(absolute.shop.refusals).toHaveLength(0);
  });
});

describe('a compare-and-set resend that cannot be delivered', () => {
  // A shop sale that never reaches the source leaves the set short of the level; after the settle
  // time the dispatcher sends the level again (a resend: it owes no outbox event and has no commit
  // time). The shop goes down, and a newer order's level waits behind the resend: when it is
  // parked, its dead letter is dated by that order's commit, not by the resend's missing time.
  it('parks the newer update dated by its own commit', async () => {
    const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const timers = kernel.timers;
    const ports = { clock: kernel.clock, timers, random: seededRandom(1), alerts: new RecordingAlerts() };
    const store = storeOn('continuations', kernel);
    store.seed('A', 10);
    const shop = new StoreFront('shop', true, timers);
    const woo = new StoreFront('woo', false, timers);
    for (const ch of [shop, woo]) ch.listings.set('A', { quantity: 10, version: 1 });
    const parked: DeadLetter[] = [];
    const retryPolicy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 100, backoffMultiplier: 1, jitter: 0 };
    const dispatcher = new PropagationDispatcher({ ...ports, store, channels: [shop, woo], retryPolicy, compareAndSetSettleMs: 1_000, onParked: (l) => void parked.push(l) });
    const committedAtMs: number[] = [];
    const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void (committedAtMs.push(kernel.nowMs()), dispatcher.pump()) });
    const wooOrder = (id: string): void => {
      woo.sell('A', 1);
      void processor.handle({ mutationId: id, sku: 'A', quantityDelta: -1, sourceChannel: 'woo', orderId: id });
    };
    kernel.scheduleAt(1_000, () => wooOrder('w1'));
    kernel.scheduleAt(2_000, () => shop.sell('A', 1)); // never reaches the source
    kernel.scheduleAt(3_000, () => wooOrder('w2'));
    kernel.scheduleAt(4_000, () => void (shop.down = true));
    kernel.scheduleAt(4_300, () => wooOrder('w3'));
    await kernel.run();
    // Not vacuous: the refusal, the resend and the newer level all happened.
    expect(dispatcher.stats.conflicts).toBe(1);
    expect(committedAtMs).toHaveLength(3);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ channel: 'shop', sku: 'A', version: 4, quantity: 7 });
    expect(parked[0]!.committedAtMs).toBe(committedAtMs[2]);
  });
});

describe('a conflict from a channel that does not compare and set', () => {
  it('is re-read and sent again, without stopping the dispatcher', async () => {
    const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const ports = { clock: kernel.clock, timers: kernel.timers, random: seededRandom(1), alerts: new RecordingAlerts() };
    const store = storeOn('continuations', kernel);
    store.seed('A', 10);
    const woo = new StoreFront('woo', false, kernel.timers);
    woo.listings.set('A', { quantity: 10, version: 1 });
    woo.refuseNext = true;
    const faults: unknown[] = [];
    const dispatcher = new PropagationDispatcher({ ...ports, store, channels: [woo], onFault: (e) => void faults.push(e) });
    const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump() });
    kernel.scheduleAt(1_000, () => void processor.handle({ mutationId: 'o1', sku: 'A', quantityDelta: -1, sourceChannel: 'shop', orderId: 'o1' }));
    await kernel.run();
    expect(faults).toEqual([]);
    expect(dispatcher.stats.conflicts).toBe(1);
    expect(woo.reads).toBe(1);
    expect(woo.listings.get('A')).toEqual({ quantity: 9, version: 2 });
  });
});
