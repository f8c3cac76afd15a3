// Proves the real-time pieces the service runs on: the RealTimeSource (monotone clock from 0,
// timers that fire, a loud limit, dispose cancelling everything), the intake (bounded queue, N
// workers, redelivery of conflict-exhausted mutations, close failing what is unanswered) and the
// alert throttle.
import { describe, expect, it } from 'vitest';
import { RealTimeSource, TimerLimitError } from '../../src/adapters/realtime.js';
import type { Alert } from '../../src/engine/ports.js';
import type { InventoryMutation, MutationOutcome } from '../../src/engine/mutation.js';
import { Intake, IntakeClosedError, IntakeFullError } from '../../src/serve/intake.js';
import { throttledAlerts } from '../../src/serve/service.js';

const m = (id: string): InventoryMutation => ({ mutationId: id, sku: 'S', quantityDelta: -1, sourceChannel: 'c', orderId: id });

describe('RealTimeSource', () => {
  it('starts near 0, waits for real, fires scheduled work, and maps readings to wall time', async () => {
    const time = new RealTimeSource();
    expect(time.nowMs()).toBeGreaterThanOrEqual(0);
    expect(time.nowMs()).toBeLessThan(50);
    const t0 = time.nowMs();
    await time.sleep(15);
    expect(time.nowMs() - t0).toBeGreaterThanOrEqual(14);
    const fired: string[] = [];
    time.schedule(5, () => fired.push('schedule'));
    time.scheduleAt(time.nowMs() - 100, () => fired.push('past'));
    await time.sleep(20);
    expect(fired.sort()).toEqual(['past', 'schedule']);
    expect(Math.abs(time.wallClockMs(time.nowMs()) - Date.now())).toBeLessThan(50);
    expect(time.pendingTimers).toBe(0);
    await expect(time.sleep(-1)).rejects.toThrow(RangeError);
  });

  it('cancels every pending timer on dispose and refuses more than its limit', async () => {
    const time = new RealTimeSource({ maxPendingTimers: 3 });
    let fired = 0;
    for (let i = 0; i < 3; i++) time.schedule(10, () => fired++);
    expect(() => time.schedule(10, () => fired++)).toThrow(TimerLimitError);
    time.dispose();
    expect(time.pendingTimers).toBe(0);
    time.schedule(1, () => fired++);
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toBe(0);
  });
});

describe('Intake', () => {
  it('runs at most `workers` mutations at once and answers each with its outcome', async () => {
    let running = 0;
    let peak = 0;
    const time = new RealTimeSource();
    const intake = new Intake({
      workers: 3,
      maxQueueLength: 100,
      time,
      redeliveryDelayMs: 1,
      maxRedeliveries: 0,
      handle: async (mutation) => {
        running++;
        peak = Math.max(peak, running);
        await time.sleep(2);
        running--;
        return { status: 'applied', quantity: Number(mutation.mutationId), version: 1, attempts: 1 };
      },
    });
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => intake.submit(m(String(i)))));
    expect(outcomes.map((o) => (o.status === 'applied' ? o.quantity : -1))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(intake.inFlight).toBe(0);
    intake.close();
    time.dispose();
  });

  it('redelivers a mutation that exhausted its conflict retries, a bounded number of times', async () => {
    const time = new RealTimeSource();
    const calls = new Map<string, number>();
    const exhausted: MutationOutcome = { status: 'rejected', reason: 'conflict_retries_exhausted' };
    const intake = new Intake({
      workers: 1,
      maxQueueLength: 10,
      time,
      redeliveryDelayMs: 1,
      maxRedeliveries: 2,
      handle: async (mutation) => {
        const n = (calls.get(mutation.mutationId) ?? 0) + 1;
        calls.set(mutation.mutationId, n);
        return mutation.mutationId === 'lucky' && n === 2 ? { status: 'applied', quantity: 0, version: 2, attempts: 1 } : exhausted;
      },
    });
    expect(await intake.submit(m('lucky'))).toMatchObject({ status: 'applied' });
    expect(await intake.submit(m('unlucky'))).toEqual(exhausted);
    expect(calls.get('lucky')).toBe(2);
    expect(calls.get('unlucky')).toBe(3);
    expect(intake.redelivered).toBe(3);
    intake.close();
    time.dispose();
  });

  it('refuses beyond its queue bound and fails what is unanswered when closed', async () => {
    const time = new RealTimeSource();
    const intake = new Intake({ workers: 1, maxQueueLength: 2, time, redeliveryDelayMs: 1, maxRedeliveries: 0, handle: () => new Promise<MutationOutcome>(() => undefined) });
    const first = intake.submit(m('a')); // taken by the worker, never answers
    await Promise.resolve();
    const queued = [intake.submit(m('b')), intake.submit(m('c'))];
    await expect(intake.submit(m('d'))).rejects.toBeInstanceOf(IntakeFullError);
    intake.close();
    await expect(first).rejects.toBeInstanceOf(IntakeClosedError);
    for (const q of queued) await expect(q).rejects.toBeInstanceOf(IntakeClosedError);
    await expect(intake.submit(m('e'))).rejects.toBeInstanceOf(IntakeClosedError);
    time.dispose();
  });
});

describe('throttledAlerts', () => {
  it('passes one alert per kind per interval and says how many it held back', () => {
    const seen: Alert[] = [];
    let now = 0;
    const sink = throttledAlerts({ raise: (a) => void seen.push(a) }, 1_000, () => now);
    const alert = (kind: Alert['kind']): Alert => ({ kind, severity: 'warning', message: kind, atMs: now, detail: {} });
    sink.raise(alert('dlq_parked'));
    sink.raise(alert('dlq_parked'));
    sink.raise(alert('latency_threshold'));
    now = 999;
    sink.raise(alert('dlq_parked'));
    now = 1_000;
    sink.raise(alert('dlq_parked'));
    expect(seen.map((a) => a.message)).toEqual(['dlq_parked', 'latency_threshold', 'dlq_parked (+2 similar alerts held back)']);
  });
});
