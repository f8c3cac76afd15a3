// Proves the processor's guarantees against the in-memory store: the documented example,
// no oversell under 1 000 concurrent orders, atomic commits under injected store failures,
// and, with fast-check's scheduler, the safety properties over arbitrary interleavings (which
// a naive read-modify-write processor kept in the tests is shown to break).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InMemoryInventoryStore,
  InventoryMutationProcessor,
  type CommitStep,
  type InventoryMutation,
  type InventoryStore,
  type MutationOutcome,
} from '../../src/index.js';
import { InventoryMutationProcessor as CoreProcessor } from '../../src/engine/index.js';
import { NaiveProcessor, NaiveStore } from '../helpers/naive-processor.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

const order = (id: string, sku = 'A', delta = -1): InventoryMutation => ({
  mutationId: id,
  sku,
  quantityDelta: delta,
  sourceChannel: 'shopify',
  orderId: id,
});

describe('InventoryMutationProcessor', () => {
  it('works exactly as the README shows, with system defaults', async () => {
    const store = new InMemoryInventoryStore();
    const processor = new InventoryMutationProcessor({ store });
    const restock = await processor.handle({ mutationId: 'r1', sku: 'A', quantityDelta: 100, sourceChannel: 'warehouse', orderId: 'restock-1' });
    expect(restock).toMatchObject({ status: 'applied', quantity: 100 });
    expect(restock.status === 'applied' && typeof restock.version).toBe('number');
    const o1 = await processor.handle(order('o1'));
    expect(o1).toMatchObject({ status: 'applied', quantity: 99 });
    expect(await processor.handle(order('o1'))).toEqual({ status: 'duplicate' });
    const level = await store.read('A');
    expect(level.quantity).toBe(99);
    expect(typeof level.version).toBe('number');
  });

  it('rejects a mutation that would take stock below zero, and keeps rejecting its redelivery', async () => {
    const store = new InMemoryInventoryStore();
    store.seed('A', 1);
    const processor = new InventoryMutationProcessor({ store });
    expect(await processor.handle(order('o1', 'A', -2))).toMatchObject({ status: 'rejected', reason: 'insufficient_stock' });
    await processor.handle({ mutationId: 'r1', sku: 'A', quantityDelta: 10, sourceChannel: 'warehouse', orderId: 'r1' });
    expect(await processor.handle(order('o1', 'A', -2))).toEqual({ status: 'duplicate' });
    expect((await store.read('A')).quantity).toBe(11);
  });

  it('rejects malformed mutations with a TypeError naming the field', async () => {
    const processor = new InventoryMutationProcessor({ store: new InMemoryInventoryStore() });
    await expect(processor.handle({ ...order('x'), quantityDelta: 1.5 })).rejects.toThrow(/quantityDelta/);
    await expect(processor.handle({ ...order('x'), mutationId: '' })).rejects.toThrow(/mutationId/);
  });

  it('1 000 concurrent orders on 100 units: exactly 100 applied, 900 rejected, never below zero', async () => {
    const store = new InMemoryInventoryStore();
    store.seed('A', 100);
    let minSeen = Infinity;
    const watched: InventoryStore = new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'commit' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<InventoryStore['commit']>) => {
          const result = await store.commit(...args);
          minSeen = Math.min(minSeen, store.peek('A').quantity);
          return result;
        };
      },
    });
    const processor = new InventoryMutationProcessor({ store: watched });
    const outcomes = await Promise.all(Array.from({ length: 1000 }, (_, i) => processor.handle(order(`o${i}`))));
    const applied = outcomes.filter((o) => o.status === 'applied');
    const rejected = outcomes.filter((o) => o.status === 'rejected' && o.reason === 'insufficient_stock');
    expect(applied).toHaveLength(100);
    expect(rejected).toHaveLength(900);
    expect((await store.read('A')).quantity).toBe(0);
    expect(minSeen).toBe(0);
    // The locking is real: concurrent calls did lose races and retry.
    expect(processor.stats.versionConflicts).toBeGreaterThan(0);
  });

  it.each<CommitStep>(['check', 'level', 'idempotency', 'outbox', 'apply'])(
    'a store failing at commit step %s leaves nothing behind; the retry applies exactly once',
    async (failingStep) => {
      let armed = true;
      const store = new InMemoryInventoryStore({
        faultHook: (step) => {
          if (armed && step === failingStep) {
            armed = false;
            throw new Error(`injected failure at ${step}`);
          }
        },
      });
      store.seed('A', 10);
      const processor = new InventoryMutationProcessor({ store });
      await expect(processor.handle(order('o1'))).rejects.toThrow(/injected/);
      expect(store.peek('A')).toEqual({ quantity: 10, version: 1 });
      expect(store.outboxLength).toBe(0);
      expect(store.idempotencyRecords).toBe(0);
      expect(await processor.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 9 });
      expect(await processor.handle(order('o1'))).toEqual({ status: 'duplicate' });
      expect(store.peek('A')).toEqual({ quantity: 9, version: 2 });
      expect(store.outboxLength).toBe(1);
    },
  );

  it.each(['read', 'commit'] as const)('a store failing on %s applies nothing; the retry applies once', async (method) => {
    const store = new InMemoryInventoryStore();
    store.seed('A', 10);
    let armed = true;
    const flaky: InventoryStore = new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === method && armed) {
          armed = false;
          return () => Promise.reject(new Error('injected'));
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const processor = new InventoryMutationProcessor({ store: flaky });
    await expect(processor.handle(order('o1'))).rejects.toThrow(/injected/);
    expect(store.peek('A').quantity).toBe(10);
    expect(await processor.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 9 });
    expect(store.outboxLength).toBe(1);
  });

  it('idempotency records expire after their TTL', async () => {
    let now = 0;
    const clock = { nowMs: () => now };
    const store = new InMemoryInventoryStore();
    store.seed('A', 10);
    const processor = new CoreProcessor({ store, clock, timers: { sleep: () => Promise.resolve() }, random: seededRandom(1), alerts: new RecordingAlerts(), idempotencyTtlMs: 1_000 });
    await processor.handle(order('o1'));
    now = 999;
    expect(await processor.handle(order('o1'))).toEqual({ status: 'duplicate' });
    now = 1_000;
    expect(await processor.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 8 });
    expect(await processor.handle(order('o2'))).toMatchObject({ status: 'applied', quantity: 7 });
    expect(store.idempotencyRecords).toBe(2);
  });

  it('defaults the idempotency TTL to 86 400 s', async () => {
    let now = 0;
    const store = new InMemoryInventoryStore();
    store.seed('A', 10);
    const processor = new InventoryMutationProcessor({ store, clock: { nowMs: () => now } });
    await processor.handle(order('o1'));
    now = 86_400_000 - 1;
    expect((await processor.handle(order('o1'))).status).toBe('duplicate');
    now = 86_400_000;
    expect((await processor.handle(order('o1'))).status).toBe('applied');
  });
});

// ---- Property tests over interleavings --------------------------------------------------

type Op = { kind: 'order'; id: number; qty: number } | { kind: 'restock'; id: number; qty: number };

const opsArb = fc.record({
  initial: fc.integer({ min: 0, max: 5 }),
  ops: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('order' as const), id: fc.integer({ min: 0, max: 7 }), qty: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('restock' as const), id: fc.integer({ min: 100, max: 103 }), qty: fc.integer({ min: 1, max: 3 }) }),
    ),
    { minLength: 2, maxLength: 14 },
  ),
});

interface Harness {
  handle(m: InventoryMutation): Promise<MutationOutcome>;
  level(): number;
  appliedIds: string[];
  minSeen: () => number;
}

/** The same mutationId always carries the same delta: a duplicate is a redelivery. */
function mutationOf(op: Op): InventoryMutation {
  const id = `${op.kind}-${op.id}`;
  const delta = op.kind === 'order' ? -((op.id % 3) + 1) : (op.id % 3) + 1;
  return { mutationId: id, sku: 'A', quantityDelta: delta, sourceChannel: 'test', orderId: id };
}

async function checkInterleaving(
  s: fc.Scheduler,
  initial: number,
  ops: Op[],
  make: (tick: () => Promise<void>, initial: number) => Harness,
): Promise<void> {
  const h = make(() => s.schedule(Promise.resolve()), initial);
  const mutations = ops.map(mutationOf);
  // waitFor keeps releasing scheduled steps until every handler has finished.
  const outcomes = await s.waitFor(Promise.all(mutations.map((m) => h.handle(m))));
  expect(h.minSeen()).toBeGreaterThanOrEqual(0);
  expect(new Set(h.appliedIds).size).toBe(h.appliedIds.length);
  const deltaOf = new Map(mutations.map((m) => [m.mutationId, m.quantityDelta]));
  const appliedSum = h.appliedIds.reduce((sum, id) => sum + deltaOf.get(id)!, 0);
  expect(h.level()).toBe(initial + appliedSum);
  for (const o of outcomes) expect(['applied', 'duplicate', 'rejected']).toContain(o.status);
}

function realHarness(tick: () => Promise<void>, initial: number): Harness {
  const store = new InMemoryInventoryStore();
  store.seed('A', initial);
  const appliedIds: string[] = [];
  let minSeen = initial;
  const ticking: InventoryStore = {
    read: async (sku) => (await tick(), store.read(sku)),
    hasProcessed: async (id, now) => (await tick(), store.hasProcessed(id, now)),
    commit: async (req, now) => {
      await tick();
      const r = await store.commit(req, now);
      if (r.ok && req.effect === 'apply') appliedIds.push(req.mutationId);
      minSeen = Math.min(minSeen, store.peek('A').quantity);
      return r;
    },
    readOutbox: (a, l) => store.readOutbox(a, l),
    ackOutbox: (s) => store.ackOutbox(s),
    outboxCursor: () => store.outboxCursor(),
    parkDeadLetter: (l) => store.parkDeadLetter(l),
    listDeadLetters: () => store.listDeadLetters(),
    removeDeadLetter: (id) => store.removeDeadLetter(id),
    skus: () => store.skus(),
  };
  const processor = new CoreProcessor({
    store: ticking,
    clock: { nowMs: () => 0 },
    timers: { sleep: () => tick() },
    random: seededRandom(7),
    alerts: new RecordingAlerts(),
    conflictRetry: { maxAttempts: 1_000, baseDelayMs: 0, maxDelayMs: 0 },
  });
  return { handle: (m) => processor.handle(m), level: () => store.peek('A').quantity, appliedIds, minSeen: () => minSeen };
}

function naiveHarness(tick: () => Promise<void>, initial: number): Harness {
  const store = new NaiveStore(tick);
  store.levels.set('A', { quantity: initial, version: 1 });
  const appliedIds: string[] = [];
  let minSeen = initial;
  const processor = new NaiveProcessor(store, (m) => {
    appliedIds.push(m.mutationId);
    minSeen = Math.min(minSeen, store.levels.get('A')!.quantity);
  });
  return { handle: (m) => processor.handle(m), level: () => store.levels.get('A')!.quantity, appliedIds, minSeen: () => minSeen };
}

describe('safety properties over arbitrary interleavings (fc.scheduler)', () => {
  it('hold for the real processor', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), opsArb, async (s, { initial, ops }) => checkInterleaving(s, initial, ops, realHarness)),
      { numRuns: 300, seed: 42 },
    );
  });

  it('fail for a naive read-modify-write processor (the tests have teeth)', async () => {
    const result = await fc.check(
      fc.asyncProperty(fc.scheduler(), opsArb, async (s, { initial, ops }) => checkInterleaving(s, initial, ops, naiveHarness)),
      { numRuns: 300, seed: 42 },
    );
    expect(result.failed).toBe(true);
    expect(result.counterexample).not.toBeNull();
  });
});
