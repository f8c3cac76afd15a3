// Proves a dispatcher lane never lets an older version overtake a newer one, over arbitrary
// interleavings: fast-check's scheduler decides when each submit lands, when each channel answer,
// listing read and retry wait resolves, and which requests fail. Two properties: updates of one
// SKU submitted in any order (the path of reconciliation and redrive, which hand the lane versions
// read a moment ago) reach the channel in strictly increasing versions and leave it at the newest;
// and orders committed through the real processor, drained from the outbox, raced by
// reconciliation passes, leave the channel at the store's level, never going back on the way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InMemoryInventoryStore,
  InventoryMutationProcessor,
  PropagationDispatcher,
  Reconciler,
  type ChannelClient,
  type ChannelListing,
  type ChannelResult,
  type ChannelUpdate,
  type InventoryStore,
  type RetryPolicy,
} from '../../src/engine/index.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

/** Enough retries that the scripted failures (at most six) never park an update. */
const RETRY: RetryPolicy = { maxRetries: 20, baseDelayMs: 1, maxDelayMs: 1, backoffMultiplier: 1, jitter: 0 };

/** A channel whose every answer and read waits for the scheduler; call k fails when `failures[k]`. */
class GatedChannel implements ChannelClient {
  readonly id = 'ch';
  readonly maxConcurrency = 4;
  readonly accepted: ChannelUpdate[] = [];
  readonly listings = new Map<string, ChannelListing>();
  private calls = 0;
  constructor(
    private readonly s: fc.Scheduler,
    private readonly failures: readonly boolean[],
  ) {}
  async pushListing(update: ChannelUpdate): Promise<ChannelResult> {
    const fails = this.failures[this.calls++] === true;
    await this.s.schedule(Promise.resolve(), `answer ${update.sku} v${update.version}${fails ? ' (503)' : ''}`);
    if (fails) return { ok: false, error: 'server_error', message: 'HTTP 503' };
    this.accepted.push(update);
    this.listings.set(update.sku, { quantity: update.quantity, version: update.version });
    return { ok: true };
  }
  async readListing(sku: string): Promise<ChannelListing | undefined> {
    await this.s.schedule(Promise.resolve(), `read listing ${sku}`);
    return this.listings.get(sku);
  }
}

function dispatcherFor(s: fc.Scheduler, store: InventoryStore, channel: GatedChannel): PropagationDispatcher {
  return new PropagationDispatcher({
    clock: { nowMs: () => 0 },
    timers: { sleep: () => s.schedule(Promise.resolve(), 'retry wait') },
    random: seededRandom(1),
    alerts: new RecordingAlerts(),
    store,
    channels: [channel],
    retryPolicy: RETRY,
  });
}

const versions = (updates: readonly ChannelUpdate[]): number[] => updates.map((u) => u.version);
const failuresArb = fc.array(fc.boolean(), { maxLength: 6 });

describe('dispatcher lanes over arbitrary interleavings (fc.scheduler)', () => {
  it('updates submitted in any order reach the channel in increasing versions and leave it at the newest', async () => {
    const quantityOf = (version: number): number => 100 - version;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 12 }), failuresArb, async (s, submitted, failures) => {
        const channel = new GatedChannel(s, failures);
        const dispatcher = dispatcherFor(s, new InMemoryInventoryStore(), channel);
        const submits = submitted.map((version) =>
          s.schedule(Promise.resolve(version), `submit v${version}`).then((v) => void dispatcher.submit('ch', { sku: 'A', quantity: quantityOf(v), version: v }, 0)),
        );
        await s.waitFor(Promise.all(submits));
        await s.waitFor(dispatcher.idle());
        const sent = versions(channel.accepted);
        for (let i = 1; i < sent.length; i++) expect(sent[i]!, `v${sent[i]} accepted after v${sent[i - 1]}`).toBeGreaterThan(sent[i - 1]!);
        const newest = Math.max(...submitted);
        expect(channel.listings.get('A')).toEqual({ quantity: quantityOf(newest), version: newest });
        expect(dispatcher.ackedVersion('ch', 'A')).toBe(newest);
      }),
      { numRuns: 300, seed: 1313 },
    );
  });

  it('orders, outbox drains and reconciliation racing: the channel ends at the level and never goes back', async () => {
    const opArb = fc.constantFrom('order' as const, 'restock' as const, 'reconcile' as const);
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(opArb, { minLength: 2, maxLength: 12 }), failuresArb, async (s, ops, failures) => {
        const store = new InMemoryInventoryStore();
        store.seed('A', 20);
        const channel = new GatedChannel(s, failures);
        const dispatcher = dispatcherFor(s, store, channel);
        const alerts = new RecordingAlerts();
        const processor = new InventoryMutationProcessor({
          store,
          clock: { nowMs: () => 0 },
          timers: { sleep: () => s.schedule(Promise.resolve(), 'conflict wait') },
          random: seededRandom(2),
          alerts,
          onCommitted: () => void dispatcher.pump(),
        });
        const reconciler = new Reconciler({ store, channels: [channel], dispatcher, clock: { nowMs: () => 0 }, alerts });
        const run = ops.map((op, i) =>
          s.schedule(Promise.resolve(op), `${op} #${i}`).then(async (kind): Promise<unknown> => {
            if (kind === 'reconcile') return reconciler.reconcile(['A']);
            const delta = kind === 'order' ? -1 : 2;
            return processor.handle({ mutationId: `${kind}-${i}`, sku: 'A', quantityDelta: delta, sourceChannel: 'shop', orderId: `${kind}-${i}` });
          }),
        );
        await s.waitFor(Promise.all(run));
        await s.waitFor(dispatcher.pump());
        await s.waitFor(dispatcher.idle());
        const level = store.peek('A');
        const sent = versions(channel.accepted);
        for (let i = 1; i < sent.length; i++) expect(sent[i]!, `v${sent[i]} accepted after v${sent[i - 1]}`).toBeGreaterThanOrEqual(sent[i - 1]!);
        expect(channel.listings.get('A')).toEqual(level);
        expect(dispatcher.backlog).toBe(0);
        expect(await store.outboxCursor()).toBe(level.version - 1);
      }),
      { numRuns: 300, seed: 2727 },
    );
  });
});
