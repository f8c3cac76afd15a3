// Proves the restocks' window is bounded by the restocks still in play: over a run of many
// restock rounds whose restocks are answered, the window holds only those answered since the
// release bound (not every one issued), numbers keep counting across releases, what a held
// restock says is intact after its neighbours are dropped, and reading a dropped one throws.
import { describe, expect, it } from 'vitest';
import { KeySpace } from '../../src/sim/keys.js';
import { Restocks } from '../../src/sim/stock.js';

describe('Restocks window', () => {
  it('holds the restocks answered since the bound, over 100 rounds of 200 SKUs', () => {
    const keys = new KeySpace({ skuPrefix: 'SKU-', skus: 200, channelIds: ['a', 'b'], partition: false });
    let nowMs = 0;
    const due: { atMs: number; fn: () => void }[] = [];
    const queued: number[] = [];
    const restocks = new Restocks({ everyS: 60, upToUnits: 10 }, keys, {
      schedule: (delayMs, fn) => void due.push({ atMs: nowMs + delayMs, fn }),
      // Every SKU is short by its index mod 7 (0: nothing to restock).
      available: (i) => 10 - (i % 7),
      shares: (units) => [units, units],
      demandOn: () => true,
      enqueue: (message) => void queued.push(message),
    });
    restocks.start();
    for (let round = 1; round <= 100; round++) {
      const tick = due.shift()!;
      nowMs = tick.atMs;
      tick.fn();
      // The engine answers every queued restock a second later.
      for (const message of queued.splice(0)) restocks.answered(-message - 1, nowMs + 1_000);
      restocks.release(nowMs - 10 * 60_000);
    }
    const perRound = Array.from({ length: 200 }, (_, i) => i % 7).filter((short) => short > 0).length;
    expect(restocks.issued).toBe(100 * perRound);
    // The 10-minute bound holds about 11 rounds; the front is compacted once it is at least half
    // the window, so at most about twice that is held, not the 100 rounds issued.
    expect(restocks.held).toBeGreaterThanOrEqual(10 * perRound);
    expect(restocks.held).toBeLessThanOrEqual(3 * 11 * perRound);
    const last = restocks.issued - 1;
    expect(restocks.deltaOf(last)).toBe(keys.keySku[restocks.keyOf(last)]! % 7);
    expect(restocks.applied(last)).toBe(1);
    expect(() => restocks.deltaOf(0)).toThrow(/restock r0 is not in the window/);
  });

  it('keeps an unanswered restock, and everything after it, however old', () => {
    const keys = new KeySpace({ skuPrefix: 'SKU-', skus: 3000, channelIds: ['a'], partition: false });
    // Restocks are issued only by the schedule: drive one round by hand through start's tick.
    let tick: (() => void) | undefined;
    const driven = new Restocks({ everyS: 60, upToUnits: 10 }, keys, {
      schedule: (_delayMs, fn) => void (tick = fn),
      available: () => 0,
      shares: (units) => [units],
      demandOn: () => true,
      enqueue: () => undefined,
    });
    driven.start();
    tick!();
    expect(driven.issued).toBe(3000);
    for (let m = 1; m < 3000; m++) driven.answered(m, 0);
    driven.release(1e12);
    expect(driven.held).toBe(3000);
    driven.answered(0, 0);
    driven.release(1e12);
    expect(driven.held).toBe(0);
    expect(driven.issued).toBe(3000);
  });
});
