// The InventoryStore contract: one suite, run unchanged against the in-memory, Redis and
// PostgreSQL stores (memory.test.ts, redis.test.ts, postgres.test.ts). It proves the
// guarantees the engine relies on: the commit's outcomes and their precedence, atomicity
// under a failure injected at every step (nothing written), 1 000 concurrent orders on 100
// units through the real processor (exactly 100 applied, never below zero), idempotency and
// its TTL on a controllable clock, outbox order and exactly-once delivery to the real
// dispatcher (also across a dispatcher restart), and a dead-letter queue that outlives a store
// instance. `sharedOutboxContract` adds the several-dispatcher path of the network stores.
import { afterAll, describe, expect, it } from 'vitest';
import { systemTimers } from '../../src/adapters/system.js';
import {
  InventoryMutationProcessor,
  PropagationDispatcher,
  type ChannelClient,
  type ChannelListing,
  type ChannelResult,
  type ChannelUpdate,
  type CommitRequest,
  type CommitStep,
  type DeadLetter,
  type InventoryMutation,
  type OutboxEvent,
} from '../../src/engine/index.js';
import { MAX_STOCK_LEVEL } from '../../src/engine/limits.js';
import { claimingOutbox } from '../../src/stores/claiming-view.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';
import type { SharedStore, StoreHarness, StoreUnderTest } from './harness.js';

const STEPS: readonly CommitStep[] = ['check', 'level', 'idempotency', 'outbox', 'apply'];

export const T0 = 1_700_000_000_000;

/** A clock the test moves by hand (idempotency expiry is decided on it). */
export class ManualClock {
  constructor(public now = T0) {}
  nowMs = (): number => this.now;
}

export function ports(clock: ManualClock = new ManualClock()) {
  return { clock, timers: systemTimers, random: seededRandom(7), alerts: new RecordingAlerts() };
}

export function order(id: string, sku = 'A', delta = -1): InventoryMutation {
  return { mutationId: id, sku, quantityDelta: delta, sourceChannel: 'shopify', orderId: id };
}

export function request(overrides: Partial<CommitRequest> & Pick<CommitRequest, 'mutationId'>): CommitRequest {
  return {
    effect: 'apply',
    sku: 'A',
    expectedVersion: 1,
    quantity: 4,
    idempotencyTtlMs: 60_000,
    outbox: { sourceChannel: 'shopify', committedAtMs: T0 },
    ...overrides,
  };
}

/** A channel that takes every update and records it; optionally never answers (a hung request). */
export class RecordingChannel implements ChannelClient {
  readonly pushes: ChannelUpdate[] = [];
  readonly listings = new Map<string, ChannelListing>();
  hang = false;
  constructor(readonly id: string) {}
  async pushListing(update: ChannelUpdate): Promise<ChannelResult> {
    this.pushes.push(update);
    if (this.hang) return new Promise<ChannelResult>(() => undefined);
    const current = this.listings.get(update.sku);
    if (current === undefined || current.version < update.version) this.listings.set(update.sku, { quantity: update.quantity, version: update.version });
    return { ok: true };
  }
  async readListing(sku: string): Promise<ChannelListing | undefined> {
    return this.listings.get(sku);
  }
}

/** Polls `check` until it passes (the dispatcher acknowledges without waiting for the store). */
export async function eventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await systemTimers.sleep(10);
    }
  }
}

const letter = (id: string, overrides: Partial<DeadLetter> = {}): DeadLetter => ({
  id,
  sku: 'A',
  channel: 'amazon',
  quantity: 7,
  version: 3,
  committedAtMs: T0 + 0.5,
  attempts: 6,
  lastError: 'HTTP 503 "unavailable"',
  parkedAtMs: T0 + 90_000,
  ...overrides,
});

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

export function inventoryStoreContract(harness: StoreHarness): void {
  describe(`InventoryStore contract: ${harness.name}`, () => {
    afterAll(() => harness.cleanup());

    describe('levels and commits', () => {
      it('a SKU never written reads {0, 0}; an empty store has no SKUs, outbox, cursor or letters', async () => {
        const { store } = await harness.create();
        expect(await store.read('nope')).toEqual({ quantity: 0, version: 0 });
        expect(await store.skus()).toEqual([]);
        expect(await store.readOutbox(0, 100)).toEqual([]);
        expect(await store.outboxCursor()).toBe(0);
        expect(await store.listDeadLetters()).toEqual([]);
        expect(await store.hasProcessed('m', T0)).toBe(false);
      });

      it('seed sets a level (version 1 by default) and writes no outbox event', async () => {
        const { store } = await harness.create();
        await store.seed('A', 5);
        await store.seed('B', 3, 7);
        expect(await store.read('A')).toEqual({ quantity: 5, version: 1 });
        expect(await store.read('B')).toEqual({ quantity: 3, version: 7 });
        expect(sorted(await store.skus())).toEqual(['A', 'B']);
        expect(await store.readOutbox(0, 100)).toEqual([]);
      });

      it('an applied commit writes the level, the idempotency record and one outbox event', async () => {
        const { store } = await harness.create();
        await store.seed('A', 5);
        const result = await store.commit(request({ mutationId: 'm1', outbox: { sourceChannel: 'ebay', committedAtMs: T0 + 1.25 } }), T0);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.level).toEqual({ quantity: 4, version: 2 });
        expect(result.outboxSeq).toBeGreaterThan(0);
        expect(await store.read('A')).toEqual({ quantity: 4, version: 2 });
        expect(await store.hasProcessed('m1', T0)).toBe(true);
        const events = await store.readOutbox(0, 100);
        expect(events).toEqual([
          { seq: result.outboxSeq, sku: 'A', quantity: 4, version: 2, mutationId: 'm1', sourceChannel: 'ebay', committedAtMs: T0 + 1.25 },
        ]);
      });

      it('a stale version is a conflict and writes nothing', async () => {
        const { store } = await harness.create();
        await store.seed('A', 5, 3);
        expect(await store.commit(request({ mutationId: 'm1', expectedVersion: 2 }), T0)).toEqual({ ok: false, reason: 'version_conflict' });
        expect(await store.read('A')).toEqual({ quantity: 5, version: 3 });
        expect(await store.hasProcessed('m1', T0)).toBe(false);
        expect(await store.readOutbox(0, 100)).toEqual([]);
      });

      it('a recorded mutation is a duplicate, and that takes precedence over a version conflict', async () => {
        const { store } = await harness.create();
        await store.seed('A', 5);
        expect((await store.commit(request({ mutationId: 'm1' }), T0)).ok).toBe(true);
        expect(await store.commit(request({ mutationId: 'm1', expectedVersion: 2, quantity: 3 }), T0)).toEqual({ ok: false, reason: 'duplicate' });
        expect(await store.commit(request({ mutationId: 'm1', expectedVersion: 1 }), T0)).toEqual({ ok: false, reason: 'duplicate' });
        expect(await store.read('A')).toEqual({ quantity: 4, version: 2 });
        expect(await store.readOutbox(0, 100)).toHaveLength(1);
      });

      it('a reject records only the idempotency key, and is version-checked', async () => {
        const { store } = await harness.create();
        await store.seed('A', 1, 4);
        const stale = await store.commit(request({ mutationId: 'r0', effect: 'reject', expectedVersion: 3, quantity: 1 }), T0);
        expect(stale).toEqual({ ok: false, reason: 'version_conflict' });
        expect(await store.hasProcessed('r0', T0)).toBe(false);
        const result = await store.commit(request({ mutationId: 'r1', effect: 'reject', expectedVersion: 4, quantity: 1 }), T0);
        expect(result).toEqual({ ok: true, level: { quantity: 1, version: 4 }, outboxSeq: 0 });
        expect(await store.hasProcessed('r1', T0)).toBe(true);
        expect(await store.read('A')).toEqual({ quantity: 1, version: 4 });
        expect(await store.readOutbox(0, 100)).toEqual([]);
      });

      it('a reject on a SKU that never existed does not create it', async () => {
        const { store } = await harness.create();
        const result = await store.commit(request({ mutationId: 'r1', sku: 'ghost', effect: 'reject', expectedVersion: 0, quantity: 0 }), T0);
        expect(result).toEqual({ ok: true, level: { quantity: 0, version: 0 }, outboxSeq: 0 });
        expect(await store.skus()).toEqual([]);
      });

      it('the first commit of a new SKU expects version 0 and creates it at version 1', async () => {
        const { store } = await harness.create();
        expect(await store.commit(request({ mutationId: 'x', sku: 'N', expectedVersion: 1, quantity: 10 }), T0)).toEqual({ ok: false, reason: 'version_conflict' });
        const result = await store.commit(request({ mutationId: 'm1', sku: 'N', expectedVersion: 0, quantity: 10 }), T0);
        expect(result.ok && result.level).toEqual({ quantity: 10, version: 1 });
        expect(await store.commit(request({ mutationId: 'm2', sku: 'N', expectedVersion: 0, quantity: 9 }), T0)).toEqual({ ok: false, reason: 'version_conflict' });
        await store.seed('Z', 2, 0);
        const atZero = await store.commit(request({ mutationId: 'm3', sku: 'Z', expectedVersion: 0, quantity: 1 }), T0);
        expect(atZero.ok && atZero.level).toEqual({ quantity: 1, version: 1 });
        expect(sorted(await store.skus())).toEqual(['N', 'Z']);
      });

      it('a commit that would set a level below zero is a programmer error (RangeError) and writes nothing', async () => {
        const { store } = await harness.create();
        await store.seed('A', 5);
        await expect(store.commit(request({ mutationId: 'm1', quantity: -1 }), T0)).rejects.toThrow(RangeError);
        await expect(store.commit(request({ mutationId: 'm2', quantity: 1.5 }), T0)).rejects.toThrow(RangeError);
        expect(await store.read('A')).toEqual({ quantity: 5, version: 1 });
        expect(await store.hasProcessed('m1', T0)).toBe(false);
        expect(await store.readOutbox(0, 100)).toEqual([]);
      });
    });

    describe('atomicity under injected failure', () => {
      it.each(STEPS)('a commit failing at step %s writes nothing; the same commit then succeeds', async (step) => {
        const fixture = await harness.create();
        const { store } = fixture;
        await store.seed('A', 5);
        await store.seed('B', 2);
        expect((await store.commit(request({ mutationId: 'before', sku: 'B', expectedVersion: 1, quantity: 1 }), T0)).ok).toBe(true);
        const [before] = await store.readOutbox(0, 10);
        const failing = await fixture.failing(step);
        await expect(failing.commit(request({ mutationId: 'm1' }), T0)).rejects.toThrow(new RegExp(`injected fault at ${step}`));
        await expect(failing.commit(request({ mutationId: 'r1', effect: 'reject', quantity: 5 }), T0)).rejects.toThrow(/injected fault/);
        expect(await store.read('A')).toEqual({ quantity: 5, version: 1 });
        expect(await store.hasProcessed('m1', T0)).toBe(false);
        expect(await store.hasProcessed('r1', T0)).toBe(false);
        expect(await store.readOutbox(0, 10)).toEqual([before]);
        const retried = await store.commit(request({ mutationId: 'm1' }), T0);
        expect(retried.ok && retried.level).toEqual({ quantity: 4, version: 2 });
        const events = await store.readOutbox(0, 10);
        expect(events.map((e) => e.mutationId)).toEqual(['before', 'm1']);
        expect(events[1]!.seq).toBeGreaterThan(events[0]!.seq);
      });
    });

    describe('concurrency through the real processor', () => {
      it('1 000 concurrent orders of -1 on 100 units: exactly 100 applied, 900 rejected, never below zero', async () => {
        const { store } = await harness.create();
        await store.seed('A', 100);
        const p = ports();
        const processor = new InventoryMutationProcessor({ ...p, store });
        const outcomes = await Promise.all(Array.from({ length: 1000 }, (_, i) => processor.handle(order(`o${i}`))));
        const applied = outcomes.filter((o) => o.status === 'applied');
        expect(applied).toHaveLength(100);
        expect(outcomes.filter((o) => o.status === 'rejected' && o.reason === 'insufficient_stock')).toHaveLength(900);
        expect(p.alerts.alerts).toEqual([]);
        expect(await store.read('A')).toEqual({ quantity: 0, version: 101 });
        // Every applied order left exactly one outbox event; versions 2..101, quantities 99..0.
        const events = await store.readOutbox(0, 10_000);
        expect(events).toHaveLength(100);
        expect(events.map((e) => e.version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
        expect(events.map((e) => e.quantity)).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
        for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
        expect(new Set(events.map((e) => e.mutationId)).size).toBe(100);
        // A full replay: every order is a duplicate, nothing moves.
        const replay = await Promise.all(Array.from({ length: 1000 }, (_, i) => processor.handle(order(`o${i}`))));
        expect(replay.every((o) => o.status === 'duplicate')).toBe(true);
        expect(await store.read('A')).toEqual({ quantity: 0, version: 101 });
        // PostgreSQL needs ~10-30 s here on a 2-core machine: every lost race costs round trips
        // through a pool that 1 000 callers queue on (Redis: ~1.5 s, memory: ~50 ms).
      }, 180_000);

      it('the same order delivered 20 times at once is applied once', async () => {
        const { store } = await harness.create();
        await store.seed('A', 10);
        const processor = new InventoryMutationProcessor({ ...ports(), store });
        const outcomes = await Promise.all(Array.from({ length: 20 }, () => processor.handle(order('dup'))));
        expect(outcomes.filter((o) => o.status === 'applied')).toHaveLength(1);
        expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(19);
        expect(await store.read('A')).toEqual({ quantity: 9, version: 2 });
        expect(await store.readOutbox(0, 100)).toHaveLength(1);
      });
    });

    describe('idempotency TTL (a short TTL on a controllable clock)', () => {
      it('a record is a duplicate until nowMs reaches its expiry, then the mutation applies again', async () => {
        const { store } = await harness.create();
        await store.seed('A', 10);
        const ttl = 2_000;
        expect((await store.commit(request({ mutationId: 'm1', quantity: 9, idempotencyTtlMs: ttl }), T0)).ok).toBe(true);
        expect(await store.hasProcessed('m1', T0 + ttl - 1)).toBe(true);
        expect(await store.hasProcessed('m1', T0 + ttl)).toBe(false);
        expect(await store.commit(request({ mutationId: 'm1', expectedVersion: 2, quantity: 8, idempotencyTtlMs: ttl }), T0 + ttl - 1)).toEqual({ ok: false, reason: 'duplicate' });
        const again = await store.commit(request({ mutationId: 'm1', expectedVersion: 2, quantity: 8, idempotencyTtlMs: ttl }), T0 + ttl);
        expect(again.ok && again.level).toEqual({ quantity: 8, version: 3 });
        expect(await store.hasProcessed('m1', T0 + ttl)).toBe(true);
      });

      it('through the processor: a redelivery inside the TTL is a duplicate, after it a new order', async () => {
        const { store } = await harness.create();
        await store.seed('A', 10);
        const clock = new ManualClock();
        const processor = new InventoryMutationProcessor({ ...ports(clock), store, idempotencyTtlMs: 1_500 });
        expect(await processor.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 9 });
        clock.now += 1_499;
        expect(await processor.handle(order('o1'))).toEqual({ status: 'duplicate' });
        clock.now += 1;
        expect(await processor.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 8 });
        expect(await store.read('A')).toEqual({ quantity: 8, version: 3 });
      });
    });

    describe('idempotency records (payload digest, recorded outcome)', () => {
      it('a record written with a digest says whether it applied, for which payload and by which delivery; one without says none of it', async () => {
        const { store } = await harness.create();
        await store.seed('A', 10);
        expect((await store.commit(request({ mutationId: 'd1', quantity: 9, payloadDigest: 'digest-1', origin: 'i1#1:7' }), T0)).ok).toBe(true);
        expect(await store.commit(request({ mutationId: 'r1', effect: 'reject', expectedVersion: 2, quantity: 9, payloadDigest: 'digest-r', origin: 'a|b' }), T0)).toMatchObject({ ok: true });
        expect((await store.commit(request({ mutationId: 'plain', expectedVersion: 2, quantity: 8 }), T0)).ok).toBe(true);
        // A redelivery, and a key reused for another payload, are both answered duplicate, with the record.
        expect(await store.commit(request({ mutationId: 'd1', expectedVersion: 3, quantity: 7, payloadDigest: 'other' }), T0)).toEqual({
          ok: false,
          reason: 'duplicate',
          recorded: { applied: true, payloadDigest: 'digest-1', origin: 'i1#1:7' },
        });
        expect(await store.commit(request({ mutationId: 'plain', expectedVersion: 3, quantity: 7 }), T0)).toEqual({ ok: false, reason: 'duplicate' });
        expect(await store.recordOf!('d1', T0)).toEqual({ applied: true, payloadDigest: 'digest-1', origin: 'i1#1:7' });
        expect(await store.recordOf!('r1', T0)).toEqual({ applied: false, payloadDigest: 'digest-r', origin: 'a|b' });
        expect(await store.recordOf!('plain', T0)).toEqual({ applied: undefined, payloadDigest: undefined, origin: undefined });
        expect(await store.recordOf!('never', T0)).toBeUndefined();
        expect(await store.recordOf!('d1', T0 + 60_000)).toBeUndefined();
        expect(await store.read('A')).toEqual({ quantity: 8, version: 3 });
      });

      it('through the processor: a key reused for another payload is a duplicate that says so, never applied', async () => {
        const { store } = await harness.create();
        await store.seed('A', 10);
        await store.seed('B', 10);
        const processor = new InventoryMutationProcessor({ ...ports(), store });
        const withDigest = (id: string, sku: string, delta: number): InventoryMutation => ({ ...order(id, sku, delta), payloadDigest: `${sku}/${delta}` });
        expect(await processor.handle(withDigest('k', 'A', -1))).toMatchObject({ status: 'applied' });
        expect(await processor.handle(withDigest('k', 'A', -1))).toEqual({ status: 'duplicate' });
        expect(await processor.handle(withDigest('k', 'B', -1))).toEqual({ status: 'duplicate', payloadDiffers: true });
        expect(await processor.handle(withDigest('k', 'A', -3))).toEqual({ status: 'duplicate', payloadDiffers: true });
        expect([await store.read('A'), await store.read('B')]).toEqual([
          { quantity: 9, version: 2 },
          { quantity: 10, version: 1 },
        ]);
      });
    });

    describe('the largest level', () => {
      it('a level reaches MAX_STOCK_LEVEL (2³¹ − 1) exactly; a mutation past it is rejected (above_max_level), recorded, and changes nothing', async () => {
        const { store } = await harness.create();
        await store.seed('BIG', MAX_STOCK_LEVEL - 5);
        const processor = new InventoryMutationProcessor({ ...ports(), store });
        expect(await processor.handle(order('up-5', 'BIG', 5))).toMatchObject({ status: 'applied', quantity: MAX_STOCK_LEVEL, version: 2 });
        expect(await processor.handle(order('up-1', 'BIG', 1))).toEqual({ status: 'rejected', reason: 'above_max_level', quantity: MAX_STOCK_LEVEL });
        expect(await processor.handle(order('up-1', 'BIG', 1))).toEqual({ status: 'duplicate' });
        expect(await store.read('BIG')).toEqual({ quantity: MAX_STOCK_LEVEL, version: 2 });
        expect(await processor.handle(order('down', 'BIG', -MAX_STOCK_LEVEL))).toMatchObject({ status: 'applied', quantity: 0 });
        expect((await store.readOutbox(0, 10)).map((e) => e.quantity)).toEqual([MAX_STOCK_LEVEL, 0]);
      });
    });

    describe('outbox', () => {
      it('seqs strictly increase across SKUs; reads page; the cursor only moves forward and drops what it passed', async () => {
        const { store } = await harness.create();
        await store.seed('A', 10);
        await store.seed('B', 10);
        const seqs: number[] = [];
        for (let i = 0; i < 5; i++) {
          const sku = i % 2 === 0 ? 'A' : 'B';
          const level = await store.read(sku);
          const result = await store.commit(request({ mutationId: `m${i}`, sku, expectedVersion: level.version, quantity: level.quantity - 1 }), T0);
          if (!result.ok) throw new Error('commit failed');
          seqs.push(result.outboxSeq);
        }
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
        expect((await store.readOutbox(0, 2)).map((e) => e.seq)).toEqual(seqs.slice(0, 2));
        expect((await store.readOutbox(seqs[1]!, 10)).map((e) => e.seq)).toEqual(seqs.slice(2));
        expect(await store.readOutbox(seqs[4]!, 10)).toEqual([]);
        await store.ackOutbox(seqs[2]!);
        expect(await store.outboxCursor()).toBe(seqs[2]);
        expect((await store.readOutbox(0, 10)).map((e) => e.seq)).toEqual(seqs.slice(3));
        await store.ackOutbox(seqs[0]!);
        expect(await store.outboxCursor()).toBe(seqs[2]);
      });

      it('the dispatcher receives every committed version exactly once, and a restarted dispatcher nothing again', async () => {
        const fixture = await harness.create();
        const { store } = fixture;
        for (const sku of ['A', 'B', 'C']) await store.seed(sku, 50);
        const p = ports();
        const channel = new RecordingChannel('shop');
        const dispatcher = new PropagationDispatcher({ ...p, store, channels: [channel] });
        const processor = new InventoryMutationProcessor({ ...p, store });
        const committed: { sku: string; version: number }[] = [];
        for (let i = 0; i < 30; i++) {
          const sku = ['A', 'B', 'C'][i % 3]!;
          const outcome = await processor.handle(order(`o${i}`, sku, i % 7 === 0 ? 5 : -2));
          if (outcome.status !== 'applied') throw new Error(`o${i}: ${outcome.status}`);
          committed.push({ sku, version: outcome.version });
          await dispatcher.pump();
          await dispatcher.idle();
        }
        expect(channel.pushes.map((u) => ({ sku: u.sku, version: u.version }))).toEqual(committed);
        for (const sku of ['A', 'B', 'C']) {
          const level = await store.read(sku);
          expect(channel.listings.get(sku)).toEqual(level);
        }
        const all = committed.length;
        await eventually(async () => expect(await store.readOutbox(await store.outboxCursor(), 100)).toEqual([]));
        expect(await store.outboxCursor()).toBeGreaterThan(0);
        expect(dispatcher.stats.delivered).toBe(all);

        // A second dispatcher (a restart, on a new store instance) finds nothing to send.
        const reopened = await fixture.reopen();
        const restarted = new PropagationDispatcher({ ...p, store: reopened, channels: [channel] });
        expect(await restarted.pump()).toBe(0);
        await restarted.idle();
        expect(channel.pushes).toHaveLength(all);
      });

      it('a burst drained at once: the channel ends at the level, no version twice, everything acknowledged', async () => {
        const { store } = await harness.create();
        await store.seed('A', 40);
        const p = ports();
        const channel = new RecordingChannel('shop');
        const dispatcher = new PropagationDispatcher({ ...p, store, channels: [channel] });
        const processor = new InventoryMutationProcessor({ ...p, store });
        await Promise.all(Array.from({ length: 25 }, (_, i) => processor.handle(order(`o${i}`))));
        await dispatcher.pump();
        await dispatcher.idle();
        const level = await store.read('A');
        expect(level).toEqual({ quantity: 15, version: 26 });
        expect(channel.listings.get('A')).toEqual(level);
        const versions = channel.pushes.map((u) => u.version);
        expect(new Set(versions).size).toBe(versions.length);
        await eventually(async () => expect(await store.readOutbox(0, 100)).toEqual([]));
      });
    });

    describe('dead-letter queue', () => {
      it('parks, lists in parking order, replaces a re-parked id in place, removes', async () => {
        const { store } = await harness.create();
        await store.parkDeadLetter(letter('amazon:A:3'));
        await store.parkDeadLetter(letter('ebay:B:2', { channel: 'ebay', sku: 'B', version: 2, committedAtMs: Number.NaN }));
        await store.parkDeadLetter(letter('amazon:A:3', { attempts: 9 }));
        const listed = await store.listDeadLetters();
        expect(listed.map((l) => l.id)).toEqual(['amazon:A:3', 'ebay:B:2']);
        expect(listed[0]).toEqual(letter('amazon:A:3', { attempts: 9 }));
        expect(listed[1]).toEqual(letter('ebay:B:2', { channel: 'ebay', sku: 'B', version: 2, committedAtMs: Number.NaN }));
        expect(await store.removeDeadLetter('amazon:A:3')).toBe(true);
        expect(await store.removeDeadLetter('amazon:A:3')).toBe(false);
        expect((await store.listDeadLetters()).map((l) => l.id)).toEqual(['ebay:B:2']);
      });

      it.runIf(harness.durable)('a parked letter survives its store instance: a new instance lists it', async () => {
        const fixture = await harness.create();
        await fixture.store.parkDeadLetter(letter('shopify:A:9', { channel: 'shopify', version: 9 }));
        await fixture.store.close?.();
        const reopened = await fixture.reopen();
        expect(await reopened.listDeadLetters()).toEqual([letter('shopify:A:9', { channel: 'shopify', version: 9 })]);
        expect(await reopened.removeDeadLetter('shopify:A:9')).toBe(true);
      });
    });
  });
}

/** The several-dispatcher outbox (Redis consumer group, PostgreSQL SKIP LOCKED), same contract for both. */
export function sharedOutboxContract(harness: StoreHarness<StoreUnderTest & SharedStore>): void {
  describe(`shared outbox contract: ${harness.name}`, () => {
    afterAll(() => harness.cleanup());

    async function withEvents(count: number, skus = ['A']) {
      const fixture = await harness.create();
      for (const sku of skus) await fixture.store.seed(sku, 1_000);
      const processor = new InventoryMutationProcessor({ ...ports(), store: fixture.store });
      for (let i = 0; i < count; i++) await processor.handle(order(`o${i}`, skus[i % skus.length]!));
      const events = await fixture.store.readOutbox(0, 1_000);
      expect(events).toHaveLength(count);
      return { ...fixture, events, processor };
    }

    const seqsOf = (events: readonly OutboxEvent[]): number[] => events.map((e) => e.seq);

    it('claims hand each entry to one consumer, oldest first; acknowledged entries are gone', async () => {
      const { store, events } = await withEvents(10);
      const a = await store.claimOutbox('a', 4, 60_000);
      const b = await store.claimOutbox('b', 100, 60_000);
      expect(seqsOf(a)).toEqual(seqsOf(events.slice(0, 4)));
      expect(seqsOf(b)).toEqual(seqsOf(events.slice(4)));
      expect(a[0]).toEqual(events[0]);
      expect(await store.claimOutbox('a', 100, 60_000)).toEqual([]);
      expect(await store.ackOutboxEntries(seqsOf(a))).toBe(4);
      expect(await store.ackOutboxEntries(seqsOf(b))).toBe(6);
      expect(await store.claimOutbox('c', 100, 0)).toEqual([]);
    });

    it("a dead consumer's entries are claimed by another once idle for minIdleMs, not before", async () => {
      const { store, events } = await withEvents(5);
      const dead = await store.claimOutbox('dead', 3, 60_000);
      expect(dead).toHaveLength(3);
      expect(await store.claimOutbox('live', 10, 300)).toEqual(events.slice(3));
      expect(await store.claimOutbox('live', 10, 300)).toEqual([]);
      expect(await store.ackOutboxEntries(seqsOf(events.slice(3)))).toBe(2);
      await systemTimers.sleep(400);
      const taken = await store.claimOutbox('live', 10, 300);
      expect(seqsOf(taken)).toEqual(seqsOf(dead));
      expect(await store.ackOutboxEntries(seqsOf(taken))).toBe(3);
      expect(await store.claimOutbox('any', 10, 0)).toEqual([]);
    });

    it('renewing a claim (a heartbeat) keeps it from being taken over', async () => {
      const { store } = await withEvents(2);
      const held = await store.claimOutbox('slow', 10, 60_000);
      await systemTimers.sleep(250);
      expect(await store.renewOutboxClaims('slow', seqsOf(held))).toBe(2);
      expect(await store.renewOutboxClaims('other', seqsOf(held))).toBe(0);
      await systemTimers.sleep(150);
      expect(await store.claimOutbox('thief', 10, 300)).toEqual([]);
      await systemTimers.sleep(250);
      expect(seqsOf(await store.claimOutbox('thief', 10, 300))).toEqual(seqsOf(held));
    });

    it('two dispatchers on two store instances share the outbox: every version delivered exactly once', async () => {
      const fixture = await harness.create();
      const skus = ['A', 'B', 'C', 'D'];
      for (const sku of skus) await fixture.store.seed(sku, 100);
      const second = await fixture.reopen();
      const p = ports();
      const channels = [new RecordingChannel('shop'), new RecordingChannel('shop')];
      const dispatchers = [fixture.store, second].map(
        (store, i) => new PropagationDispatcher({ ...p, store: claimingOutbox(store, { consumer: `d${i}`, minIdleMs: 60_000 }), channels: [channels[i]!] }),
      );
      const processor = new InventoryMutationProcessor({ ...p, store: fixture.store });
      const committed: string[] = [];
      for (let i = 0; i < 40; i++) {
        const outcome = await processor.handle(order(`o${i}`, skus[i % skus.length]!));
        if (outcome.status !== 'applied') throw new Error(outcome.status);
        committed.push(`${skus[i % skus.length]}@${outcome.version}`);
        // Alternate who looks first, so both take work; then both pump at once (racing claims).
        await dispatchers[i % 2]!.pump();
        await Promise.all(dispatchers.map((d) => d.pump()));
        await Promise.all(dispatchers.map((d) => d.idle()));
      }
      const delivered = channels.flatMap((c) => c.pushes.map((u) => `${u.sku}@${u.version}`));
      expect(delivered.sort()).toEqual([...committed].sort());
      expect(channels.every((c) => c.pushes.length > 0)).toBe(true);
      await eventually(async () => expect(await fixture.store.claimOutbox('audit', 100, 0)).toEqual([]));
    });

    it("a dispatcher that dies holding an entry: another takes it over after minIdleMs and delivers it", async () => {
      const fixture = await harness.create();
      await fixture.store.seed('A', 10);
      const p = ports();
      const hung = new RecordingChannel('shop');
      hung.hang = true;
      const healthy = new RecordingChannel('shop');
      const processor = new InventoryMutationProcessor({ ...p, store: fixture.store });
      const dying = new PropagationDispatcher({ ...p, store: claimingOutbox(fixture.store, { consumer: 'dying', minIdleMs: 200 }), channels: [hung] });
      await processor.handle(order('o1'));
      await dying.pump();
      expect(hung.pushes).toHaveLength(1);
      dying.stop();
      const survivor = new PropagationDispatcher({ ...p, store: claimingOutbox(await fixture.reopen(), { consumer: 'survivor', minIdleMs: 200 }), channels: [healthy] });
      expect(await survivor.pump()).toBe(0);
      await systemTimers.sleep(300);
      expect(await survivor.pump()).toBe(1);
      await survivor.idle();
      expect(healthy.listings.get('A')).toEqual({ quantity: 9, version: 2 });
      await eventually(async () => expect(await fixture.store.claimOutbox('audit', 100, 0)).toEqual([]));
    });
  });
}
