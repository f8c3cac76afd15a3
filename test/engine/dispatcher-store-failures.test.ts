// Proves the dispatcher handles its own store writes failing: a rejected parkDeadLetter or
// ackOutbox is retried with backoff through the injected timers, counted in stats, raised as an
// alert when the retries are spent, and never leaves a lane held or the dispatcher short of idle.
// A store wrapper rejects the first N calls of one operation; the kernel drives everything in
// virtual time, and "idle" is observed as a flag, so a lane stuck in flight fails the test
// instead of hanging it. A throw in background work (a bug) is latched, not swallowed. Every case
// runs on both port paths (test/helpers/port-paths.ts): the wrapper fails the store's continuation
// form on one and its promise methods on the other, with the same expectations.
import { describe, expect, it } from 'vitest';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import {
  DEFAULT_RETRY_POLICY,
  DEFAULT_STORE_RETRY_POLICY,
  InventoryMutationProcessor,
  PropagationDispatcher,
  type ChannelResult,
  type Clock,
  type DeadLetter,
  type Fail,
  type InventoryStore,
  type Timers,
} from '../../src/engine/index.js';
import { Kernel } from '../../src/sim/kernel.js';
import { forwardStore } from '../../src/engine/forward-store.js';
import { ScriptedChannel } from '../helpers/fake-channel.js';
import { PORT_PATHS, storeOn, timersOn, type PortPath } from '../helpers/port-paths.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

const OK: ChannelResult = { ok: true };
const FAIL: ChannelResult = { ok: false, error: 'server_error', message: 'HTTP 503' };
const ATTEMPTS_PER_PARK = DEFAULT_RETRY_POLICY.maxRetries + 1;
const STORE_ATTEMPTS = DEFAULT_STORE_RETRY_POLICY.maxRetries + 1;

type Flaky = 'parkDeadLetter' | 'ackOutbox';

/**
 * The embedded store, except that the first `failures` calls of `operation` fail (its promise
 * method rejects; its continuation form, when the store has one, calls `fail` on an event of its
 * own); records when each call came.
 */
function flakyStore(store: InventoryStore, operation: Flaky, failures: number, clock: Clock, timers: Timers): { store: InventoryStore; callsAtMs: number[] } {
  const callsAtMs: number[] = [];
  let left = failures;
  const failsNow = (): boolean => {
    callsAtMs.push(clock.nowMs());
    if (left <= 0) return false;
    left--;
    return true;
  };
  const error = (): Error => new Error(`${operation}: connection reset`);
  const call = (arg: number & DeadLetter): Promise<void> => {
    if (failsNow()) return Promise.reject(error());
    return operation === 'ackOutbox' ? store.ackOutbox(arg) : store.parkDeadLetter(arg);
  };
  const base = store.continuations;
  if (base === undefined) return { store: forwardStore(store, { [operation]: call }), callsAtMs };
  const after = timers.after!.bind(timers);
  const continuation = (arg: number & DeadLetter, done: () => void, fail: Fail): void => {
    if (failsNow()) after(0, () => fail(error()));
    else if (operation === 'ackOutbox') base.ackOutbox(arg, done, fail);
    else base.parkDeadLetter(arg, done, fail);
  };
  return { store: forwardStore(store, { [operation]: call, continuations: { ...base, [operation]: continuation } }), callsAtMs };
}

function world(path: PortPath, options: { operation: Flaky; failures: number; script: (call: number) => ChannelResult }) {
  const kernel = new Kernel({ maxEvents: 1_000_000, host: nodeKernelHost({ countForeignTicks: true }) });
  const alerts = new RecordingAlerts();
  const timers = timersOn(path, kernel);
  const ports = { clock: kernel.clock, timers, random: seededRandom(5), alerts };
  const base = storeOn(path, kernel);
  base.seed('A', 10);
  const flaky = flakyStore(base, options.operation, options.failures, kernel.clock, timers);
  const channel = new ScriptedChannel('ch0', kernel.clock, timers, options.script);
  const dispatcher = new PropagationDispatcher({ ...ports, store: flaky.store, channels: [channel] });
  const processor = new InventoryMutationProcessor({ ...ports, store: base, onCommitted: () => void dispatcher.pump() });
  let idle = false;
  const watchIdle = (): void => {
    idle = false;
    void dispatcher.idle().then(() => (idle = true));
  };
  const order = (id: string) => processor.handle({ mutationId: id, sku: 'A', quantityDelta: -1, sourceChannel: 'shop', orderId: id });
  return { kernel, alerts, base, flaky, channel, dispatcher, order, watchIdle, isIdle: () => idle };
}

describe.each(PORT_PATHS)('a failing parkDeadLetter (%s)', (path) => {
  it('is retried with backoff and then parks; the lane is released and the outbox acknowledged', async () => {
    const w = world(path, { operation: 'parkDeadLetter', failures: 2, script: () => FAIL });
    await w.order('o1');
    await w.kernel.run();
    w.watchIdle();
    await w.kernel.run();
    expect(w.isIdle()).toBe(true);
    expect(await w.base.listDeadLetters()).toHaveLength(1);
    expect(w.dispatcher.stats).toMatchObject({ parked: 1, parkFailures: 2, parksAbandoned: 0 });
    expect(w.alerts.alerts.map((a) => a.kind)).toEqual(['dlq_parked']);
    expect(await w.base.outboxCursor()).toBe(1);
    // Three attempts, the retries after the store policy's delays (jittered down by at most 20%).
    const [first, second, third] = w.flaky.callsAtMs as [number, number, number];
    expect(w.flaky.callsAtMs).toHaveLength(3);
    expect(second - first).toBeGreaterThanOrEqual(DEFAULT_STORE_RETRY_POLICY.baseDelayMs * 0.8);
    expect(second - first).toBeLessThanOrEqual(DEFAULT_STORE_RETRY_POLICY.baseDelayMs);
    expect(third - second).toBeGreaterThanOrEqual(DEFAULT_STORE_RETRY_POLICY.baseDelayMs * 2 * 0.8);
    expect(w.channel.calls).toHaveLength(ATTEMPTS_PER_PARK);
  });

  it('given up after its retries, raises an alert and puts the update back into delivery, owed', async () => {
    // The first park gives up; the update is sent again with a fresh budget and parks next time.
    const w = world(path, { operation: 'parkDeadLetter', failures: STORE_ATTEMPTS, script: () => FAIL });
    await w.order('o1');
    w.watchIdle();
    await w.kernel.run();
    expect(w.isIdle()).toBe(true);
    expect(w.dispatcher.stats).toMatchObject({ parked: 1, parkFailures: STORE_ATTEMPTS, parksAbandoned: 1 });
    const failed = w.alerts.alerts.filter((a) => a.kind === 'store_write_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ severity: 'critical', detail: { operation: 'parkDeadLetter', sku: 'A', version: 2, attempts: STORE_ATTEMPTS } });
    expect(w.alerts.alerts.map((a) => a.kind)).toEqual(['store_write_failed', 'dlq_parked']);
    expect(w.channel.calls).toHaveLength(2 * ATTEMPTS_PER_PARK);
    expect(await w.base.listDeadLetters()).toHaveLength(1);
    expect(await w.base.outboxCursor()).toBe(1);
  });

  it('never settles an outbox event it could not park, and lets a healthy channel take the update', async () => {
    let healthy = false;
    const w = world(path, { operation: 'parkDeadLetter', failures: Number.POSITIVE_INFINITY, script: () => (healthy ? OK : FAIL) });
    await w.order('o1');
    await w.kernel.run({ untilMs: 200_000 });
    // Parks keep failing: nothing is parked, nothing acknowledged, and the lane keeps delivering.
    expect(await w.base.listDeadLetters()).toHaveLength(0);
    expect(await w.base.outboxCursor()).toBe(0);
    expect(w.dispatcher.stats.parksAbandoned).toBeGreaterThanOrEqual(2);
    expect(w.dispatcher.stats.parked).toBe(0);
    healthy = true;
    w.watchIdle();
    await w.kernel.run();
    expect(w.isIdle()).toBe(true);
    expect(w.channel.listings.get('A')).toEqual({ quantity: 9, version: 2 });
    expect(await w.base.outboxCursor()).toBe(1);
  });
});

describe.each(PORT_PATHS)('a failing ackOutbox (%s)', (path) => {
  it('is retried until the store takes it, without an alert', async () => {
    const w = world(path, { operation: 'ackOutbox', failures: 3, script: () => OK });
    await w.order('o1');
    w.watchIdle();
    await w.kernel.run();
    expect(w.isIdle()).toBe(true);
    expect(await w.base.outboxCursor()).toBe(1);
    expect(w.dispatcher.stats).toMatchObject({ delivered: 1, ackFailures: 3, acksAbandoned: 0 });
    expect(w.alerts.alerts).toEqual([]);
    expect(w.flaky.callsAtMs).toHaveLength(4);
  });

  it('given up after its retries, raises an alert and leaves the dispatcher idle; the next one covers it', async () => {
    const w = world(path, { operation: 'ackOutbox', failures: STORE_ATTEMPTS, script: () => OK });
    await w.order('o1');
    w.watchIdle();
    await w.kernel.run();
    expect(w.isIdle()).toBe(true);
    expect(await w.base.outboxCursor()).toBe(0);
    expect(w.dispatcher.stats).toMatchObject({ ackFailures: STORE_ATTEMPTS, acksAbandoned: 1 });
    expect(w.alerts.alerts).toHaveLength(1);
    expect(w.alerts.alerts[0]).toMatchObject({ kind: 'store_write_failed', severity: 'warning', detail: { operation: 'ackOutbox', seq: 1 } });
    await w.order('o2');
    await w.kernel.run();
    expect(await w.base.outboxCursor()).toBe(2);
  });
});

describe.each(PORT_PATHS)('background work (%s)', (path) => {
  it('latches a throw (a bug) as the dispatcher fault: idle, pump and submit report it, onFault hears it once', async () => {
    const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const timers = timersOn(path, kernel);
    const ports = { clock: kernel.clock, timers, random: seededRandom(1), alerts: new RecordingAlerts() };
    const store = storeOn(path, kernel);
    store.seed('A', 10);
    const channel = new ScriptedChannel('ch0', kernel.clock, timers, () => OK);
    const bug = new TypeError('onDelivered blew up');
    const faults: unknown[] = [];
    const dispatcher = new PropagationDispatcher({
      ...ports,
      store,
      channels: [channel],
      onDelivered: () => {
        throw bug;
      },
      onFault: (error) => faults.push(error),
    });
    const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump().catch(() => undefined) });
    const idle = dispatcher.idle();
    await processor.handle({ mutationId: 'o1', sku: 'A', quantityDelta: -1, sourceChannel: 'shop', orderId: 'o1' });
    const waiting = dispatcher.idle().catch((error: unknown) => error);
    await kernel.run();
    await expect(idle).resolves.toBeUndefined(); // it was idle before the order
    expect(await waiting).toBe(bug);
    await expect(dispatcher.pump()).rejects.toBe(bug);
    expect(() => dispatcher.submit('ch0', { sku: 'A', quantity: 1, version: 9 }, 0)).toThrow(bug);
    expect(faults).toEqual([bug]);
  });

  it('pumpSoon: a store failure nobody awaits latches; pump: the caller hears it and the dispatcher carries on', async () => {
    const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const timers = timersOn(path, kernel);
    const ports = { clock: kernel.clock, timers, random: seededRandom(1), alerts: new RecordingAlerts() };
    const base = storeOn(path, kernel);
    base.seed('A', 10);
    const outage = new Error('readOutbox: connection reset');
    let reads = 0;
    const failing = (): boolean => ++reads === 1;
    const store = forwardStore(base, {
      readOutbox: (afterSeq, limit) => (failing() ? Promise.reject(outage) : base.readOutbox(afterSeq, limit)),
      ...(base.continuations === undefined
        ? {}
        : { continuations: { ...base.continuations, readOutbox: (afterSeq, limit, done, fail) => (failing() ? timers.after!(0, () => fail(outage)) : base.continuations!.readOutbox(afterSeq, limit, done, fail)) } }),
    });
    const make = (faults: unknown[]) => new PropagationDispatcher({ ...ports, store, channels: [new ScriptedChannel('ch0', kernel.clock, timers, () => OK)], onFault: (error) => faults.push(error) });
    // Awaited: the pump rejects, nothing latches, and the next pump reads the outbox.
    const awaitedFaults: unknown[] = [];
    const awaited = make(awaitedFaults);
    const first = awaited.pump().catch((error: unknown) => error);
    await kernel.run();
    expect(await first).toBe(outage);
    expect(awaited.pumpInProgress).toBe(false);
    const second = awaited.pump();
    await kernel.run();
    expect(await second).toBe(0);
    expect(awaitedFaults).toEqual([]);
    // Not awaited: the same failure stops the dispatcher and is reported once.
    reads = 0;
    const unawaitedFaults: unknown[] = [];
    const unawaited = make(unawaitedFaults);
    unawaited.pumpSoon();
    unawaited.pumpSoon(); // coalesces into the same run
    await kernel.run();
    expect(reads).toBe(1);
    expect(unawaitedFaults).toEqual([outage]);
    await expect(unawaited.pump()).rejects.toBe(outage);
    await expect(unawaited.idle()).rejects.toBe(outage);
  });
});
