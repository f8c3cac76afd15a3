// Proves the embedded store's continuation forms keep the port's promise: on the kernel, each
// answers after the operation latency as a kernel event of its own, never during the call, with
// what the promise method of the same name gives, exactly once; a fault hook's throw goes to
// `fail` (and only there) with nothing written; and a store on timers without `after`, or
// behind a wrapper that does not supply them, offers none.
import { describe, expect, it } from 'vitest';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { forwardStore } from '../../src/engine/forward-store.js';
import { InMemoryInventoryStore, type CommitStep } from '../../src/engine/memory-store.js';
import type { CommitRequest, DeadLetter, Fail } from '../../src/engine/ports.js';
import { Kernel } from '../../src/sim/kernel.js';

const kernelOf = (): Kernel => new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });

const request = (mutationId: string, expectedVersion: number, quantity: number): CommitRequest => ({
  effect: 'apply',
  sku: 'A',
  expectedVersion,
  quantity,
  mutationId,
  idempotencyTtlMs: 60_000,
  outbox: { sourceChannel: 'shop', committedAtMs: 0 },
});

/** Records every call of a done/fail pair with the virtual time and event count it came at. */
function recorder(kernel: Kernel) {
  const calls: { kind: 'done' | 'fail'; value: unknown; atMs: number; event: number }[] = [];
  const at = (kind: 'done' | 'fail') => (value?: unknown) => calls.push({ kind, value, atMs: kernel.nowMs(), event: kernel.eventsProcessed });
  return { calls, done: at('done'), fail: at('fail') as Fail };
}

describe('InMemoryInventoryStore continuations', () => {
  it('answer every operation after its latency, as kernel events, once each, as the promise methods would', async () => {
    const kernel = kernelOf();
    const store = new InMemoryInventoryStore({ operationLatencyMs: 7, timers: kernel.timers });
    store.seed('A', 5);
    const c = store.continuations!;
    const r = recorder(kernel);
    c.read('A', r.done, r.fail);
    c.commit(request('o1', 1, 4), 0, r.done, r.fail);
    c.readOutbox(0, 10, r.done, r.fail);
    c.outboxCursor(r.done, r.fail);
    // Nothing answers during the call: the latency passes first.
    expect(r.calls).toEqual([]);
    expect(kernel.pending).toBe(4);
    await kernel.run();
    expect(r.calls.map((x) => [x.kind, x.atMs, x.event])).toEqual([
      ['done', 7, 1],
      ['done', 7, 2],
      ['done', 7, 3],
      ['done', 7, 4],
    ]);
    expect(r.calls[0]!.value).toEqual({ quantity: 5, version: 1 });
    expect(r.calls[1]!.value).toEqual({ ok: true, level: { quantity: 4, version: 2 }, outboxSeq: 1 });
    const outbox = r.calls[2]!.value as readonly { seq: number; quantity: number }[];
    expect(outbox.map((e) => [e.seq, e.quantity])).toEqual([[1, 4]]);
    expect(r.calls[3]!.value).toBe(0);

    const letter: DeadLetter = { id: 'd1', sku: 'A', channel: 'shop', quantity: 4, version: 2, committedAtMs: 0, attempts: 3, lastError: 'test', parkedAtMs: 7 };
    const later = recorder(kernel);
    c.ackOutbox(1, later.done, later.fail);
    c.parkDeadLetter(letter, later.done, later.fail);
    c.commit(request('o1', 2, 3), 7, later.done, later.fail);
    expect(later.calls).toEqual([]);
    await kernel.run();
    expect(later.calls.map((x) => [x.kind, x.atMs])).toEqual([
      ['done', 14],
      ['done', 14],
      ['done', 14],
    ]);
    expect(later.calls[2]!.value).toEqual({ ok: false, reason: 'duplicate' });
    expect(store.outboxLength).toBe(0);
    expect(store.hasDeadLetter('d1')).toBe(true);
    // The promise methods see what the continuations wrote.
    const cursor = store.outboxCursor();
    await kernel.run();
    expect(await cursor).toBe(1);
  });

  it.each<CommitStep>(['check', 'level', 'idempotency', 'outbox', 'apply'])('a fault hook throwing at %s reaches fail once, done never, and writes nothing', async (failing) => {
    const kernel = kernelOf();
    const injected = new Error(`injected at ${failing}`);
    const store = new InMemoryInventoryStore({
      operationLatencyMs: 3,
      timers: kernel.timers,
      faultHook: (step) => {
        if (step === failing) throw injected;
      },
    });
    store.seed('A', 5);
    const r = recorder(kernel);
    store.continuations!.commit(request('o1', 1, 4), 0, r.done, r.fail);
    expect(r.calls).toEqual([]);
    await kernel.run();
    expect(r.calls).toEqual([{ kind: 'fail', value: injected, atMs: 3, event: 1 }]);
    expect(store.peek('A')).toEqual({ quantity: 5, version: 1 });
    expect(store.outboxLength).toBe(0);
    expect(store.idempotencyRecords).toBe(0);
  });

  it('with latency 0 still answers as a later event, not during the call', async () => {
    const kernel = kernelOf();
    const store = new InMemoryInventoryStore({ timers: kernel.timers });
    const r = recorder(kernel);
    store.continuations!.read('B', r.done, r.fail);
    expect(r.calls).toEqual([]);
    await kernel.run();
    expect(r.calls).toEqual([{ kind: 'done', value: { quantity: 0, version: 0 }, atMs: 0, event: 1 }]);
  });

  it('are absent on timers without after, and behind a wrapper unless it supplies them', () => {
    const kernel = kernelOf();
    expect(new InMemoryInventoryStore().continuations).toBeUndefined();
    expect(new InMemoryInventoryStore({ operationLatencyMs: 1, timers: { sleep: (ms) => kernel.sleep(ms) } }).continuations).toBeUndefined();
    const store = new InMemoryInventoryStore({ timers: kernel.timers });
    expect(store.continuations).toBeDefined();
    expect(forwardStore(store).continuations).toBeUndefined();
    expect(forwardStore(store, { continuations: store.continuations! }).continuations).toBe(store.continuations);
  });
});
