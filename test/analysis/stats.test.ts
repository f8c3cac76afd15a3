// Proves the comparison statistics: t quantiles match published values (table and expansion),
// intervals bracket the mean and shrink with more data, a strategy paired with itself differs by
// exactly 0, and rounding is stable (no -0, six decimals).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimate, pairedDifference, roundStat, tQuantile975 } from '../../src/analysis/stats.js';

describe('tQuantile975', () => {
  it('matches published two-sided 95% critical values', () => {
    expect(tQuantile975(1)).toBeCloseTo(12.706205, 6);
    expect(tQuantile975(9)).toBeCloseTo(2.262157, 6);
    expect(tQuantile975(30)).toBeCloseTo(2.042272, 6);
    // Above the table, the Cornish-Fisher expansion (scipy: t.ppf(0.975, 40) = 2.021075, 120 → 1.979930).
    expect(tQuantile975(40)).toBeCloseTo(2.021075, 5);
    expect(tQuantile975(120)).toBeCloseTo(1.97993, 5);
    expect(tQuantile975(1_000_000)).toBeCloseTo(1.959964, 5);
  });

  it('decreases with the degrees of freedom, and rejects nonsense', () => {
    for (let df = 1; df < 200; df++) expect(tQuantile975(df + 1)).toBeLessThan(tQuantile975(df));
    expect(() => tQuantile975(0)).toThrow(RangeError);
    expect(() => tQuantile975(2.5)).toThrow(RangeError);
  });
});

describe('estimate', () => {
  it('computes the Student-t interval of a known sample', () => {
    // mean 5, sample sd = sqrt(2.5), n = 5: half-width = 2.776445 * 1.581139 / 2.236068 = 1.963243
    const e = estimate([3, 4, 5, 6, 7]);
    expect(e.mean).toBe(5);
    expect(e.ci95[0]).toBeCloseTo(5 - 1.963243, 5);
    expect(e.ci95[1]).toBeCloseTo(5 + 1.963243, 5);
  });

  it('brackets the mean for any sample (low <= mean <= high)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 50 }), (xs) => {
        const e = estimate(xs);
        expect(e.ci95[0]).toBeLessThanOrEqual(e.mean);
        expect(e.mean).toBeLessThanOrEqual(e.ci95[1]);
      }),
    );
  });

  it('has zero width for a constant sample and needs two values', () => {
    expect(estimate([4, 4, 4])).toEqual({ mean: 4, ci95: [4, 4] });
    expect(() => estimate([1])).toThrow(/at least 2/);
  });
});

describe('pairedDifference', () => {
  it('is exactly zero for a sample paired with itself', () => {
    const xs = [0.1, 17, 3.3, 1e5, 42];
    expect(pairedDifference(xs, xs)).toEqual({ mean: 0, ci95: [0, 0] });
  });

  it('removes a shared per-seed component that separate intervals keep', () => {
    const shared = [100, 900, 300, 700, 500];
    const a = shared.map((x) => x + 10);
    const separate = estimate(a);
    const paired = pairedDifference(a, shared);
    expect(paired).toEqual({ mean: 10, ci95: [10, 10] });
    expect(separate.ci95[1] - separate.ci95[0]).toBeGreaterThan(100);
  });

  it('rejects samples of different lengths', () => {
    expect(() => pairedDifference([1, 2], [1, 2, 3])).toThrow(/length/);
  });
});

describe('roundStat', () => {
  it('keeps six decimals and never returns -0', () => {
    expect(roundStat(0.1 + 0.2)).toBe(0.3);
    expect(roundStat(1.23456789)).toBe(1.234568);
    expect(Object.is(roundStat(-1e-9), 0)).toBe(true);
    expect(() => roundStat(Number.NaN)).toThrow(RangeError);
  });
});
