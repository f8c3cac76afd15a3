// Proves that the channel models' clock in the service (src/serve/ordered-time.ts) runs timers
// in (time, sequence) order like the simulator's kernel: a FIFO feed queue whose updates fall
// due at the same moment, or a fraction of a millisecond apart, applies them in the order they
// were queued even though they were set at different moments (which plain Node timers do not
// guarantee); and dispose cancels everything.
import { afterEach, describe, expect, it } from 'vitest';
import { RealTimeSource } from '../../src/adapters/realtime.js';
import { OrderedTimeSource } from '../../src/serve/ordered-time.js';

const sources: RealTimeSource[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.dispose();
});

function clock(): { real: RealTimeSource; ordered: OrderedTimeSource } {
  const real = new RealTimeSource();
  sources.push(real);
  return { real, ordered: new OrderedTimeSource(real) };
}

describe('OrderedTimeSource', () => {
  it('runs a FIFO queue of near-simultaneous deadlines, set at different moments, in queue order', async () => {
    const { real, ordered } = clock();
    const ran: number[] = [];
    // Like a feed channel's queue: each update due at max(now + delay, tail), the tail creeping up
    // by fractions of a millisecond, the deadlines set over ~10 ms of real time.
    let tailMs = real.nowMs() + 25;
    for (let k = 0; k < 40; k++) {
      tailMs = Math.max(real.nowMs() + (k % 3) * 0.3, tailMs + (k % 2) * 0.25);
      ordered.scheduleAt(tailMs, () => ran.push(k));
      if (k % 4 === 0) await real.sleep(1);
    }
    await real.sleep(60);
    expect(ran).toEqual(Array.from({ length: 40 }, (_, k) => k));
    expect(ordered.pending).toBe(0);
  });

  it('orders by time first, then by when it was scheduled; a callback may schedule for now', async () => {
    const { real, ordered } = clock();
    const ran: string[] = [];
    const t = real.nowMs() + 15;
    ordered.scheduleAt(t + 20, () => ran.push('later'));
    ordered.scheduleAt(t, () => {
      ran.push('first');
      ordered.schedule(0, () => ran.push('scheduled by first'));
    });
    ordered.scheduleAt(t, () => ran.push('second'));
    ordered.schedule(0, () => ran.push('now'));
    await real.sleep(80);
    expect(ran).toEqual(['now', 'first', 'second', 'scheduled by first', 'later']);
  });

  it('dispose cancels what is pending and ignores what comes after', async () => {
    const { real, ordered } = clock();
    const ran: number[] = [];
    ordered.schedule(5, () => ran.push(1));
    ordered.dispose();
    ordered.schedule(1, () => ran.push(2));
    await real.sleep(20);
    expect(ran).toEqual([]);
    expect(() => ordered.scheduleAt(Number.NaN, () => undefined)).toThrow(RangeError);
  });
});

describe('OrderedTimeSource on a compressed clock', () => {
  it('never runs a callback before its time, even under a speedup where a real millisecond is 60 scenario ms', async () => {
    const real = new RealTimeSource({ speedup: 60 });
    const time = new OrderedTimeSource(real);
    const early: number[] = [];
    await new Promise<void>((resolve) => {
      let left = 100;
      for (let i = 0; i < 100; i++) {
        const atMs = real.nowMs() + 30 + i * 7.3;
        time.scheduleAt(atMs, () => {
          const now = time.nowMs();
          if (now < atMs) early.push(atMs - now);
          if (--left === 0) resolve();
        });
      }
    });
    expect(early).toEqual([]);
    time.dispose();
    real.dispose();
  });
});
