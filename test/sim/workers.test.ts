// Proves the processor workers keep the broker's guarantees on both of their paths: the real
// processors in continuation form (no promise method of the store is called) and a pitfall's
// promise loop (here a `processorStore` that only forwards). One SKU, a store that takes 10 ms
// per call, crashes placed inside a read and inside a commit, a crash while workers wait, and a
// failing commit: each case must give the same answers at the same virtual times on both paths,
// lose no message, and let nothing throw into the kernel.
import { describe, expect, it } from 'vitest';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { forwardStore } from '../../src/engine/forward-store.js';
import { InMemoryInventoryStore, type CommitStep } from '../../src/engine/memory-store.js';
import type { InventoryStore } from '../../src/engine/ports.js';
import { Rng } from '../../src/model/random.js';
import { Kernel } from '../../src/sim/kernel.js';
import type { PitfallBehaviour } from '../../src/sim/pitfalls.js';
import { TraceRecorder } from '../../src/sim/trace.js';
import { Workers } from '../../src/sim/workers.js';
import { RecordingAlerts } from '../helpers/ports.js';

const STORE_LATENCY_MS = 10;

const PATHS: readonly { readonly name: string; readonly pitfall: PitfallBehaviour; readonly promises: boolean }[] = [
  { name: 'continuations', pitfall: {}, promises: false },
  { name: 'promises (a forwarding processorStore)', pitfall: { processorStore: (store) => forwardStore(store) }, promises: true },
];

/** Workers on a fresh kernel over one SKU with `stock` units; every answer is recorded with its time. */
function harness(pitfall: PitfallBehaviour, options: { count: number; stock: number; failAt?: CommitStep }) {
  const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
  let armed = options.failAt !== undefined;
  const inner = new InMemoryInventoryStore({
    operationLatencyMs: STORE_LATENCY_MS,
    timers: kernel.timers,
    faultHook: (step) => {
      if (armed && step === options.failAt) {
        armed = false;
        throw new Error(`injected failure at ${step}`);
      }
    },
  });
  inner.seed('A', options.stock);
  let promiseCalls = 0;
  const counted = <T>(work: () => Promise<T>): Promise<T> => {
    promiseCalls++;
    return work();
  };
  // The store the workers get: counts calls of the promise methods, forwards the continuations.
  const store: InventoryStore = forwardStore(inner, {
    read: (sku) => counted(() => inner.read(sku)),
    commit: (request, nowMs) => counted(() => inner.commit(request, nowMs)),
    continuations: inner.continuations!,
  });
  const answers: [message: number, status: string, atMs: number][] = [];
  const failures: unknown[] = [];
  const workers = new Workers(store, { count: options.count, idempotencyTtlMs: 86_400_000 }, pitfall, {
    clock: kernel.clock,
    timers: kernel.timers,
    schedule: (delayMs, fn) => void kernel.schedule(delayMs, fn),
    trace: new TraceRecorder(),
    alerts: new RecordingAlerts(),
    jitter: (generation) => new Rng(`workers-test/${generation}`),
    mutationOf: (n) => ({ mutationId: `o${n}`, sku: 'A', quantityDelta: -1, sourceChannel: 'shop', orderId: `o${n}` }),
    onCommitted: () => undefined,
    onOutcome: (message, outcome) => answers.push([message, outcome.status, kernel.nowMs()]),
    background: (work) => void work.catch((error: unknown) => failures.push(error)),
  });
  return { kernel, inner, workers, answers, failures, promiseCalls: () => promiseCalls, failArmed: () => armed };
}

describe.each(PATHS)('processor workers on $name', ({ pitfall, promises }) => {
  it('take, handle, answer and take the next, one read and one commit per message', async () => {
    const h = harness(pitfall, { count: 1, stock: 5 });
    h.workers.start();
    for (const m of [0, 1, 2]) h.workers.enqueue(m);
    await h.kernel.run();
    expect(h.answers).toEqual([
      [0, 'applied', 20],
      [1, 'applied', 40],
      [2, 'applied', 60],
    ]);
    expect(h.inner.peek('A')).toEqual({ quantity: 2, version: 4 });
    expect(h.workers.inflight).toBe(0);
    expect(h.workers.queueLength).toBe(0);
    expect(h.failures).toEqual([]);
    // The real path uses the continuations only; the pitfall's awaits the promise methods.
    expect(h.promiseCalls()).toBe(promises ? 6 : 0);
  });

  it('a crash during a commit in flight: the commit lands, the answer is lost, the redelivery is a duplicate', async () => {
    const h = harness(pitfall, { count: 1, stock: 5 });
    h.workers.start();
    h.workers.enqueue(0);
    // Read 0-10 ms, commit 10-20 ms: the process dies at 15 ms, for one second.
    h.kernel.schedule(15, () => h.workers.crash(1_000));
    const seen: number[] = [];
    h.kernel.schedule(500, () => seen.push(h.inner.peek('A').quantity, h.workers.inflight, h.workers.down ? 1 : 0));
    await h.kernel.run();
    // Applied, still held by the dead process (never acknowledged), workers down.
    expect(seen).toEqual([4, 1, 1]);
    expect(h.answers).toEqual([[0, 'duplicate', 1_035]]);
    expect(h.inner.peek('A')).toEqual({ quantity: 4, version: 2 });
    expect(h.workers.restarts).toBe(1);
    expect(h.workers.inflight).toBe(0);
    expect(h.failures).toEqual([]);
  });

  it('a crash during a read in flight: the dead worker commits nothing, the redelivery applies once', async () => {
    const h = harness(pitfall, { count: 1, stock: 5 });
    h.workers.start();
    h.workers.enqueue(0);
    // The read issued at 0 answers at 10 ms; the commit it leads to finds the process dead.
    h.kernel.schedule(5, () => h.workers.crash(1_000));
    const seen: number[] = [];
    h.kernel.schedule(500, () => seen.push(h.inner.peek('A').version, h.inner.idempotencyRecords));
    await h.kernel.run();
    expect(seen).toEqual([1, 0]);
    expect(h.answers).toEqual([[0, 'applied', 1_025]]);
    expect(h.inner.peek('A')).toEqual({ quantity: 4, version: 2 });
    expect(h.failures).toEqual([]);
  });

  it('workers waiting when their process dies take nothing; the restarted ones take every message', async () => {
    const h = harness(pitfall, { count: 3, stock: 5 });
    h.workers.start();
    h.kernel.schedule(1, () => h.workers.crash(1_000));
    h.kernel.schedule(5, () => [0, 1].forEach((m) => h.workers.enqueue(m)));
    const queued: number[] = [];
    h.kernel.schedule(500, () => queued.push(h.workers.queueLength, h.workers.inflight));
    await h.kernel.run();
    expect(queued).toEqual([2, 0]);
    // Both taken at the restart (1 001 ms) by two of the three new workers: one read each, then
    // one commit wins and the other loses the race, backs off and retries.
    expect(h.answers.map(([m, status]) => [m, status]).sort()).toEqual([
      [0, 'applied'],
      [1, 'applied'],
    ]);
    expect(h.answers[0]![2]).toBe(1_021);
    expect(h.inner.peek('A')).toEqual({ quantity: 3, version: 3 });
    expect(h.workers.versionConflicts).toBeGreaterThan(0);
    expect(h.failures).toEqual([]);
  });

  it('a commit the store fails ends the handler, and the broker redelivers it a second later', async () => {
    const h = harness(pitfall, { count: 1, stock: 5, failAt: 'apply' });
    h.workers.start();
    h.workers.enqueue(0);
    h.workers.enqueue(1);
    await h.kernel.run();
    expect(h.failArmed()).toBe(false);
    // Message 0's commit fails at 20 ms; message 1 goes on; 0 comes back at 1 020 ms.
    expect(h.answers).toEqual([
      [1, 'applied', 40],
      [0, 'applied', 1_040],
    ]);
    expect(h.inner.peek('A')).toEqual({ quantity: 3, version: 3 });
    expect(h.workers.conflictRejected).toBe(0);
    expect(h.failures).toEqual([]);
  });
});
