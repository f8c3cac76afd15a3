// Proves computeRevenueLeakage reproduces the seed's baseline exactly (39 000 a day), rejects each bad
// parameter by name, and that both models obey their algebra (total = direct + ltv, linear in the
// oversell rate, and the seed's oversells independent of the sync window) under fast-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeRevenueLeakage, measuredLeakage } from '../../src/engine/leakage.js';
import type { RevenueLeakageParams } from '../../src/engine/leakage.js';

const BASELINE: RevenueLeakageParams = {
  dailyOrderVolume: 500,
  syncWindowSeconds: 900,
  averageOrderValue: 1500,
  oversellProbability: 0.02,
  customerLifetimeValue: 8000,
  churnMultiplier: 0.3,
};

describe('computeRevenueLeakage (the seed model)', () => {
  it('gives the seed baseline exactly', () => {
    expect(computeRevenueLeakage(BASELINE)).toEqual({
      syncWindowsPerDay: 96,
      estimatedOversellsPerDay: 10,
      directRevenueLoss: 15_000,
      ltvErosion: 24_000,
      totalDailyImpact: 39_000,
    });
  });

  it('rounds like the seed: windows to an integer, oversells to 0.1, money to cents', () => {
    const result = computeRevenueLeakage({ ...BASELINE, dailyOrderVolume: 333, syncWindowSeconds: 7 });
    expect(result.syncWindowsPerDay).toBe(12_343); // 86 400 / 7 = 12 342.86
    expect(result.estimatedOversellsPerDay).toBe(6.7); // 333 × 0.02 = 6.66
    expect(result.directRevenueLoss).toBe(9_990); // 6.66 × 1500, from the unrounded count
    expect(result.ltvErosion).toBe(15_984);
    expect(result.totalDailyImpact).toBe(25_974);
  });

  const names = Object.keys(BASELINE) as (keyof RevenueLeakageParams)[];
  for (const name of names) {
    it(`rejects a zero, negative or non-finite ${name}, naming it`, () => {
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const call = (): unknown => computeRevenueLeakage({ ...BASELINE, [name]: bad });
        expect(call).toThrow(RangeError);
        expect(call).toThrow(new RegExp(`\\b${name}\\b`));
      }
    });
  }

  it('rejects an oversellProbability above 1 and reports every bad parameter at once', () => {
    expect(() => computeRevenueLeakage({ ...BASELINE, oversellProbability: 1.01 })).toThrow(/oversellProbability/);
    expect(computeRevenueLeakage({ ...BASELINE, oversellProbability: 1 }).estimatedOversellsPerDay).toBe(500);
    let message = '';
    try {
      computeRevenueLeakage({ ...BASELINE, averageOrderValue: -1, churnMultiplier: Number.NaN });
    } catch (error) {
      message = error instanceof RangeError ? error.message : '';
    }
    expect(message).toMatch(/averageOrderValue/);
    expect(message).toMatch(/churnMultiplier/);
    expect(message).not.toMatch(/dailyOrderVolume/);
  });

  const params = fc.record({
    dailyOrderVolume: fc.integer({ min: 1, max: 1_000_000 }),
    syncWindowSeconds: fc.integer({ min: 1, max: 86_400 }),
    averageOrderValue: fc.integer({ min: 1, max: 100_000 }),
    oversellProbability: fc.double({ min: 1e-6, max: 1, noNaN: true }),
    customerLifetimeValue: fc.integer({ min: 1, max: 1_000_000 }),
    churnMultiplier: fc.double({ min: 1e-3, max: 5, noNaN: true }),
  });

  it('property: total = direct + ltv (to the cent) and the oversell count ignores the sync window', () => {
    fc.assert(
      fc.property(params, fc.integer({ min: 1, max: 86_400 }), (p, otherWindowSeconds) => {
        const result = computeRevenueLeakage(p);
        const relative = 1e-9 * Math.max(1, result.totalDailyImpact);
        expect(Math.abs(result.totalDailyImpact - (result.directRevenueLoss + result.ltvErosion))).toBeLessThanOrEqual(0.01 + relative);
        // The seed's flaw, pinned: (volume / windows) · p · windows = volume · p.
        const other = computeRevenueLeakage({ ...p, syncWindowSeconds: otherWindowSeconds });
        expect(Math.abs(other.estimatedOversellsPerDay - result.estimatedOversellsPerDay)).toBeLessThanOrEqual(0.1 + relative);
        expect(Math.abs(result.estimatedOversellsPerDay - p.dailyOrderVolume * p.oversellProbability)).toBeLessThanOrEqual(0.05 + relative);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('property: linear in daily order volume (up to the seed rounding)', () => {
    fc.assert(
      fc.property(params, fc.integer({ min: 2, max: 10 }), (p, factor) => {
        const once = computeRevenueLeakage(p);
        const scaled = computeRevenueLeakage({ ...p, dailyOrderVolume: p.dailyOrderVolume * factor });
        const tolerance = 0.01 * factor + 1e-9 * scaled.totalDailyImpact;
        expect(Math.abs(scaled.directRevenueLoss - factor * once.directRevenueLoss)).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(scaled.ltvErosion - factor * once.ltvErosion)).toBeLessThanOrEqual(tolerance);
      }),
      { numRuns: 300, seed: 43 },
    );
  });
});

describe('measuredLeakage', () => {
  it('prices measured oversells and lost sales', () => {
    expect(
      measuredLeakage({ oversellsPerDay: 4, averageOrderValue: 1500, customerLifetimeValue: 8000, churnMultiplier: 0.3, lostSalesPerDay: 2 }),
    ).toEqual({ oversellsPerDay: 4, directRevenueLoss: 6000, ltvErosion: 9600, totalDailyImpact: 15_600, lostSalesRevenue: 3000 });
  });

  it('allows zeros and defaults lostSalesPerDay to 0', () => {
    expect(measuredLeakage({ oversellsPerDay: 0, averageOrderValue: 0, customerLifetimeValue: 0, churnMultiplier: 0 })).toEqual({
      oversellsPerDay: 0,
      directRevenueLoss: 0,
      ltvErosion: 0,
      totalDailyImpact: 0,
      lostSalesRevenue: 0,
    });
    expect(measuredLeakage({ oversellsPerDay: 1, averageOrderValue: 10, customerLifetimeValue: 100, churnMultiplier: 0.5 }).lostSalesRevenue).toBe(0);
  });

  const good = { oversellsPerDay: 1, averageOrderValue: 10, customerLifetimeValue: 100, churnMultiplier: 0.5, lostSalesPerDay: 1 };
  for (const name of Object.keys(good) as (keyof typeof good)[]) {
    it(`rejects a negative or non-finite ${name}, naming it`, () => {
      for (const bad of [-1, Number.NaN, Number.NEGATIVE_INFINITY]) {
        const call = (): unknown => measuredLeakage({ ...good, [name]: bad });
        expect(call).toThrow(RangeError);
        expect(call).toThrow(new RegExp(`\\b${name}\\b`));
      }
    });
  }

  it('property: total = direct + ltv exactly, and doubling oversells doubles every loss exactly', () => {
    // Thousandths keep every product far from the subnormal range, where doubling is not exact.
    const money = fc.integer({ min: 0, max: 10_000_000_000 }).map((milli) => milli / 1000);
    const multiplier = fc.integer({ min: 0, max: 10_000 }).map((milli) => milli / 1000);
    fc.assert(
      fc.property(money, money, money, multiplier, money, (oversells, aov, clv, churn, lost) => {
        const input = { oversellsPerDay: oversells, averageOrderValue: aov, customerLifetimeValue: clv, churnMultiplier: churn, lostSalesPerDay: lost };
        const once = measuredLeakage(input);
        expect(once.totalDailyImpact).toBe(once.directRevenueLoss + once.ltvErosion);
        const doubled = measuredLeakage({ ...input, oversellsPerDay: 2 * oversells });
        // Scaling by 2 is exact in binary floating point.
        expect(doubled.directRevenueLoss).toBe(2 * once.directRevenueLoss);
        expect(doubled.ltvErosion).toBe(2 * once.ltvErosion);
        expect(doubled.totalDailyImpact).toBe(2 * once.totalDailyImpact);
        expect(doubled.lostSalesRevenue).toBe(once.lostSalesRevenue);
      }),
      { numRuns: 300, seed: 44 },
    );
  });
});
