// Proves the processor's guarantees against the in-memory store: the documented example,
// no oversell under 1 000 concurrent orders, atomic commits under injected store failures,
// each through both drivers (`handle` on promises, `handleThen` on the store's continuations),
// which must also give equal outcomes, stats, alerts, levels, outbox and kernel events on a
// mixed workload with conflicts; and, with fast-check's scheduler, the safety properties over arbitrary interleavings (which
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
import { forwardStore } from '../../src/engine/forward-store.js';
import { MAX_STOCK_LEVEL } from '../../src/engine/limits.js';
import type { InventoryStoreContinuations } from '../../src/engine/ports.js';
import type { Kernel } from '../../src/sim/kernel.js';
import { NaiveProcessor, NaiveStore } from '../helpers/naive-processor.js';
import { PROCESSOR_DRIVERS, processorBench } from '../helpers/processor-drivers.js';
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

});

// Every case below runs on both drivers (test/helpers/processor-drivers.ts): the service's
// `handle` and the simulator's `handleThen` must keep the same guarantees.
describe.each(PROCESSOR_DRIVERS)('InventoryMutationProcessor through %s', (driver) => {
  it('rejects a mutation that would take stock below zero, and keeps rejecting its redelivery', async () => {
    const b = processorBench(driver);
    b.store.seed('A', 1);
    expect(await b.handle(order('o1', 'A', -2))).toEqual({ status: 'rejected', reason: 'insufficient_stock', quantity: 1 });
    expect(await b.handle({ mutationId: 'r1', sku: 'A', quantityDelta: 10, sourceChannel: 'warehouse', orderId: 'r1' })).toEqual({ status: 'applied', quantity: 11, version: 2, attempts: 1 });
    expect(await b.handle(order('o1', 'A', -2))).toEqual({ status: 'duplicate' });
    expect(b.store.peek('A')).toEqual({ quantity: 11, version: 2 });
    expect(b.processor.stats).toEqual({ applied: 1, duplicates: 1, rejectedInsufficientStock: 1, rejectedAboveMaxLevel: 0, rejectedConflicts: 0, versionConflicts: 0 });
  });

  it('rejects malformed mutations with a TypeError naming the field, and touches nothing', async () => {
    const b = processorBench(driver);
    await expect(b.handle({ ...order('x'), quantityDelta: 1.5 })).rejects.toThrow(TypeError);
    await expect(b.handle({ ...order('x'), quantityDelta: 1.5 })).rejects.toThrow(/quantityDelta/);
    await expect(b.handle({ ...order('x'), mutationId: '' })).rejects.toThrow(/mutationId/);
    expect(b.store.idempotencyRecords).toBe(0);
    expect(b.store.outboxLength).toBe(0);
  });

  it.each([0, 3])('1 000 concurrent orders on 100 units (store latency %i ms): exactly 100 applied, 900 rejected, never below zero', async (latencyMs) => {
    let minSeen = Infinity;
    const b = processorBench(driver, { store: { operationLatencyMs: latencyMs, onCommitted: (_, level) => (minSeen = Math.min(minSeen, level.quantity)) } });
    b.store.seed('A', 100);
    const outcomes = await b.handleAll(Array.from({ length: 1000 }, (_, i) => order(`o${i}`)));
    expect(outcomes.filter((o) => o.status === 'applied')).toHaveLength(100);
    expect(outcomes.filter((o) => o.status === 'rejected' && o.reason === 'insufficient_stock')).toHaveLength(900);
    expect(b.store.peek('A')).toEqual({ quantity: 0, version: 101 });
    expect(minSeen).toBe(0);
    expect(b.store.outboxLength).toBe(100);
    // The locking is real: concurrent calls did lose races and retry.
    expect(b.processor.stats.versionConflicts).toBeGreaterThan(0);
    expect(b.processor.stats).toMatchObject({ applied: 100, rejectedInsufficientStock: 900, duplicates: 0 });
  });

  it.each<CommitStep>(['check', 'level', 'idempotency', 'outbox', 'apply'])(
    'a store failing at commit step %s leaves nothing behind; the retry applies exactly once',
    async (failingStep) => {
      let armed = true;
      const faultHook = (step: CommitStep): void => {
        if (armed && step === failingStep) {
          armed = false;
          throw new Error(`injected failure at ${step}`);
        }
      };
      const b = processorBench(driver, { store: { operationLatencyMs: 2, faultHook } });
      b.store.seed('A', 10);
      await expect(b.handle(order('o1'))).rejects.toThrow(/injected/);
      expect(armed).toBe(false);
      expect(b.store.peek('A')).toEqual({ quantity: 10, version: 1 });
      expect(b.store.outboxLength).toBe(0);
      expect(b.store.idempotencyRecords).toBe(0);
      expect(await b.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 9 });
      expect(await b.handle(order('o1'))).toEqual({ status: 'duplicate' });
      expect(b.store.peek('A')).toEqual({ quantity: 9, version: 2 });
      expect(b.store.outboxLength).toBe(1);
    },
  );

  it.each(['read', 'commit'] as const)('a store failing on %s applies nothing; the retry applies once', async (method) => {
    let failures = 0;
    const b = processorBench(driver, { wrap: (store, kernel) => failingOnce(store, kernel, method, () => failures++) });
    b.store.seed('A', 10);
    await expect(b.handle(order('o1'))).rejects.toThrow(/injected/);
    expect(failures).toBe(1);
    expect(b.store.peek('A')).toEqual({ quantity: 10, version: 1 });
    expect(b.store.idempotencyRecords).toBe(0);
    expect(await b.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 9 });
    expect(b.store.outboxLength).toBe(1);
    expect(b.processor.stats.applied).toBe(1);
  });

  it('idempotency records expire after their TTL', async () => {
    const b = processorBench(driver, { idempotencyTtlMs: 1_000 });
    b.store.seed('A', 10);
    await b.handle(order('o1'));
    await b.advanceTo(999);
    expect(await b.handle(order('o1'))).toEqual({ status: 'duplicate' });
    await b.advanceTo(1_000);
    expect(await b.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 8 });
    expect(await b.handle(order('o2'))).toMatchObject({ status: 'applied', quantity: 7 });
    expect(b.store.idempotencyRecords).toBe(2);
  });

  it('defaults the idempotency TTL to 86 400 s', async () => {
    const b = processorBench(driver);
    b.store.seed('A', 10);
    await b.handle(order('o1'));
    await b.advanceTo(86_400_000 - 1);
    expect((await b.handle(order('o1'))).status).toBe('duplicate');
    await b.advanceTo(86_400_000);
    expect((await b.handle(order('o1'))).status).toBe('applied');
  });
});

/**
 * A seeded mixed workload on three SKUs, all at once: orders, restocks, redeliveries, orders
 * that find no stock, a restock above the ceiling; run with a retry bound low enough to exhaust.
 */
function mixedWorkload(seed: number): InventoryMutation[] {
  const random = seededRandom(seed);
  const pick = (n: number): number => Math.floor(random.next() * n);
  const mutations: InventoryMutation[] = [];
  for (let i = 0; i < 300; i++) {
    const sku = ['A', 'B', 'C'][pick(3)]!;
    if (i > 10 && pick(8) === 0) mutations.push(mutations[pick(mutations.length)]!);
    else if (pick(6) === 0) mutations.push({ mutationId: `r${i}`, sku, quantityDelta: 1 + pick(5), sourceChannel: 'warehouse', orderId: `r${i}` });
    else mutations.push(order(`o${i}`, sku, -(1 + pick(3))));
  }
  mutations.push({ mutationId: 'huge', sku: 'C', quantityDelta: MAX_STOCK_LEVEL, sourceChannel: 'warehouse', orderId: 'huge' });
  return mutations;
}

describe('the two drivers decide alike', () => {
  it.each([
    { latencyMs: 1, seed: 1 },
    { latencyMs: 5, seed: 2 },
    { latencyMs: 5, seed: 3 },
  ])('store latency $latencyMs ms, workload $seed: same outcomes, stats, alerts, levels, outbox, events and end time', async ({ latencyMs, seed }) => {
    // One driver after the other: two kernels at once would each see the other's ticks as foreign.
    const runs = [];
    for (const driver of PROCESSOR_DRIVERS) {
      runs.push(
        await (async () => {
        const b = processorBench(driver, { store: { operationLatencyMs: latencyMs }, random: seededRandom(seed), conflictRetry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 8 } });
        for (const sku of ['A', 'B', 'C']) b.store.seed(sku, 12);
        // One mutation a millisecond: several in flight on a SKU at once, so some lose races.
        const outcomes = await b.handleAll(mixedWorkload(seed), 1);
        const events = b.kernel.eventsProcessed;
        const endMs = b.kernel.nowMs();
        const reading = b.store.readOutbox(0, 10_000);
        await b.kernel.run();
        const outbox = await reading;
        return {
          outcomes,
          stats: { ...b.processor.stats },
          alerts: b.alerts.alerts,
          levels: ['A', 'B', 'C'].map((sku) => b.store.peek(sku)),
          outbox,
          events,
          endMs,
        };
        })(),
      );
    }
    const [promised, continued] = runs as [(typeof runs)[number], (typeof runs)[number]];
    // The workload reaches every kind of answer, or the comparison would prove little.
    expect(promised.stats.applied).toBeGreaterThan(0);
    expect(promised.stats.duplicates).toBeGreaterThan(0);
    expect(promised.stats.rejectedInsufficientStock).toBeGreaterThan(0);
    expect(promised.stats.rejectedAboveMaxLevel).toBe(1);
    expect(promised.stats.rejectedConflicts).toBeGreaterThan(0);
    expect(promised.alerts.length).toBe(promised.stats.rejectedConflicts);
    expect(continued).toEqual(promised);
  });

  it('handleThen answers only after the store has, never during the call', async () => {
    const b = processorBench('handleThen', { store: { operationLatencyMs: 4 } });
    b.store.seed('A', 3);
    const answers: { outcome: MutationOutcome; atMs: number }[] = [];
    b.processor.handleThen(order('o1'), (outcome) => answers.push({ outcome, atMs: b.kernel.nowMs() }), (error) => {
      throw error;
    });
    expect(answers).toEqual([]);
    await b.kernel.run();
    // A read and a commit, 4 ms each, as two kernel events.
    expect(answers).toEqual([{ outcome: { status: 'applied', quantity: 2, version: 2, attempts: 1 }, atMs: 8 }]);
    expect(b.kernel.eventsProcessed).toBe(2);
  });

  it('handleThen falls back to handle on a store without continuations', async () => {
    const b = processorBench('handleThen', { store: { operationLatencyMs: 4 }, wrap: (store) => forwardStore(store) });
    b.store.seed('A', 3);
    expect(await b.handle(order('o1'))).toEqual({ status: 'applied', quantity: 2, version: 2, attempts: 1 });
    expect(b.kernel.eventsProcessed).toBe(2);
  });
});

/** `store`, failing the first call of `method` (promise or continuation form) with an "injected" error. */
function failingOnce(store: InMemoryInventoryStore, kernel: Kernel, method: 'read' | 'commit', onFail: () => void): InventoryStore {
  let armed = true;
  const trip = (): boolean => {
    if (!armed) return false;
    armed = false;
    onFail();
    return true;
  };
  const injected = (): Error => new Error(`injected ${method} failure`);
  const inner = store.continuations!;
  const continuations: InventoryStoreContinuations = {
    ...inner,
    read: (sku, done, fail) => (method === 'read' && trip() ? kernel.after(0, () => fail(injected())) : inner.read(sku, done, fail)),
    commit: (request, nowMs, done, fail) => (method === 'commit' && trip() ? kernel.after(0, () => fail(injected())) : inner.commit(request, nowMs, done, fail)),
  };
  return forwardStore(store, {
    read: (sku) => (method === 'read' && trip() ? Promise.reject(injected()) : store.read(sku)),
    commit: (request, nowMs) => (method === 'commit' && trip() ? Promise.reject(injected()) : store.commit(request, nowMs)),
    continuations,
  });
}

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
