// Proves the freshness model's values (1 at zero staleness, 0.5 at 15 s, 0 at and beyond 30 s),
// that integrateFreshness's closed form agrees with a fine midpoint Riemann sum of
// evaluateListingFreshness (example intervals and a fast-check property), and that bad inputs
// throw RangeErrors naming the argument. FreshnessSums adds many intervals up exactly as summing
// integrateFreshness's results would, bit for bit, and refuses what it refuses.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRESHNESS, evaluateListingFreshness, FreshnessSums, integrateFreshness } from '../../src/engine/freshness.js';
import type { FreshnessIntegralParams } from '../../src/engine/freshness.js';

describe('evaluateListingFreshness', () => {
  it('decays linearly from 1 to 0 over the default 30 s', () => {
    expect(evaluateListingFreshness(1_000, 1_000)).toBe(1);
    expect(evaluateListingFreshness(0, 15_000)).toBe(0.5);
    expect(evaluateListingFreshness(0, 7_500)).toBe(0.75);
    expect(evaluateListingFreshness(0, 29_999)).toBeCloseTo(1 / 30_000, 12);
    expect(evaluateListingFreshness(0, 30_000)).toBe(0);
    expect(evaluateListingFreshness(0, 30_001)).toBe(0);
    expect(evaluateListingFreshness(0, 1e12)).toBe(0);
  });

  it('uses the given maxStalenessMs', () => {
    expect(evaluateListingFreshness(100, 600, { maxStalenessMs: 1_000 })).toBe(0.5);
    expect(evaluateListingFreshness(100, 1_100, { maxStalenessMs: 1_000 })).toBe(0);
    expect(evaluateListingFreshness(0, 10_000, DEFAULT_FRESHNESS)).toBeCloseTo(2 / 3, 12);
  });

  it('exports the seed configuration defaults', () => {
    expect(DEFAULT_FRESHNESS).toEqual({ maxStalenessMs: 30_000, minConfidenceScore: 0.8 });
  });

  it('rejects non-finite inputs, naming the argument', () => {
    expect(() => evaluateListingFreshness(Number.NaN, 0)).toThrow(/lastUpdateMs/);
    expect(() => evaluateListingFreshness(0, Number.POSITIVE_INFINITY)).toThrow(/nowMs/);
    expect(() => evaluateListingFreshness(0, 1, { maxStalenessMs: Number.NaN })).toThrow(/maxStalenessMs/);
    expect(() => evaluateListingFreshness(0, Number.NaN)).toThrow(RangeError);
  });

  it('rejects maxStalenessMs <= 0 and an update in the future', () => {
    expect(() => evaluateListingFreshness(0, 1, { maxStalenessMs: 0 })).toThrow(/maxStalenessMs/);
    expect(() => evaluateListingFreshness(0, 1, { maxStalenessMs: -5 })).toThrow(RangeError);
    expect(() => evaluateListingFreshness(2_000, 1_000)).toThrow(RangeError);
    expect(() => evaluateListingFreshness(2_000, 1_000)).toThrow(/lastUpdateMs/);
  });
});

/** Midpoint Riemann sums of the pointwise model, to check the closed form independently. */
function riemann(params: FreshnessIntegralParams, steps: number): { integral: number; invisible: number; belowMin: number } {
  const { fromMs, toMs, lastUpdateMs, maxStalenessMs, minConfidence } = params;
  const dt = (toMs - fromMs) / steps;
  let integral = 0;
  let invisible = 0;
  let belowMin = 0;
  for (let i = 0; i < steps; i += 1) {
    const confidence = evaluateListingFreshness(lastUpdateMs, fromMs + (i + 0.5) * dt, { maxStalenessMs });
    integral += confidence * dt;
    if (confidence === 0) invisible += dt;
    if (confidence < minConfidence) belowMin += dt;
  }
  return { integral, invisible, belowMin };
}

function expectAgreesWithRiemann(params: FreshnessIntegralParams, steps = 200_000): void {
  const exact = integrateFreshness(params);
  const numeric = riemann(params, steps);
  const length = params.toMs - params.fromMs;
  // The integrand is piecewise linear with one kink; the midpoint rule errs only in the kink's
  // cell and each indicator only in the boundary cell: a few steps' width at most.
  const tolerance = (2 * length) / steps + 1e-9;
  expect(Math.abs(exact.confidenceIntegralMs - numeric.integral)).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(exact.invisibleMs - numeric.invisible)).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(exact.belowMinMs - numeric.belowMin)).toBeLessThanOrEqual(tolerance);
}

describe('integrateFreshness', () => {
  const base = { lastUpdateMs: 0, maxStalenessMs: 30_000, minConfidence: 0.8 };

  it('gives the triangle areas exactly', () => {
    // From the update to full staleness: area 30 000 / 2; below 0.8 after 6 s; never invisible.
    expect(integrateFreshness({ ...base, fromMs: 0, toMs: 30_000 })).toEqual({
      confidenceIntegralMs: 15_000,
      invisibleMs: 0,
      belowMinMs: 24_000,
    });
    // A minute: the second half is invisible and adds nothing.
    expect(integrateFreshness({ ...base, fromMs: 0, toMs: 60_000 })).toEqual({
      confidenceIntegralMs: 15_000,
      invisibleMs: 30_000,
      belowMinMs: 54_000,
    });
    // 0..15 s: mean confidence 0.75.
    expect(integrateFreshness({ ...base, fromMs: 0, toMs: 15_000 }).confidenceIntegralMs).toBe(11_250);
    // Entirely inside the invisible region.
    expect(integrateFreshness({ ...base, fromMs: 40_000, toMs: 50_000 })).toEqual({
      confidenceIntegralMs: 0,
      invisibleMs: 10_000,
      belowMinMs: 10_000,
    });
  });

  it('handles empty intervals and the minConfidence extremes', () => {
    expect(integrateFreshness({ ...base, fromMs: 5_000, toMs: 5_000 })).toEqual({
      confidenceIntegralMs: 0,
      invisibleMs: 0,
      belowMinMs: 0,
    });
    // Nothing is below 0; everything but the instant of the update is below 1.
    expect(integrateFreshness({ ...base, minConfidence: 0, fromMs: 0, toMs: 60_000 }).belowMinMs).toBe(0);
    expect(integrateFreshness({ ...base, minConfidence: 1, fromMs: 0, toMs: 60_000 }).belowMinMs).toBe(60_000);
  });

  it('agrees with a fine Riemann sum on intervals straddling each breakpoint', () => {
    expectAgreesWithRiemann({ ...base, fromMs: 0, toMs: 45_000 });
    expectAgreesWithRiemann({ ...base, fromMs: 3_000, toMs: 9_000 });
    expectAgreesWithRiemann({ ...base, lastUpdateMs: 1_000, fromMs: 20_000, toMs: 35_000 });
    expectAgreesWithRiemann({ lastUpdateMs: -500, fromMs: 0, toMs: 1_700, maxStalenessMs: 1_000, minConfidence: 0.3 });
  });

  it('property: closed form equals the Riemann sum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (gapMs, lengthMs, maxStalenessMs, minConfidence) => {
          expectAgreesWithRiemann(
            { lastUpdateMs: 1_000, fromMs: 1_000 + gapMs, toMs: 1_000 + gapMs + lengthMs, maxStalenessMs, minConfidence },
            20_000,
          );
        },
      ),
      { numRuns: 100, seed: 7 },
    );
  });

  it('splits additively over adjacent intervals', () => {
    const whole = integrateFreshness({ ...base, fromMs: 2_000, toMs: 50_000 });
    const left = integrateFreshness({ ...base, fromMs: 2_000, toMs: 12_345 });
    const right = integrateFreshness({ ...base, fromMs: 12_345, toMs: 50_000 });
    expect(left.confidenceIntegralMs + right.confidenceIntegralMs).toBeCloseTo(whole.confidenceIntegralMs, 6);
    expect(left.invisibleMs + right.invisibleMs).toBeCloseTo(whole.invisibleMs, 6);
    expect(left.belowMinMs + right.belowMinMs).toBeCloseTo(whole.belowMinMs, 6);
  });

  it('rejects bad parameters, naming each', () => {
    const ok = { ...base, fromMs: 0, toMs: 10 };
    expect(() => integrateFreshness({ ...ok, fromMs: Number.NaN })).toThrow(/fromMs/);
    expect(() => integrateFreshness({ ...ok, toMs: Number.POSITIVE_INFINITY })).toThrow(/toMs/);
    expect(() => integrateFreshness({ ...ok, lastUpdateMs: Number.NaN })).toThrow(/lastUpdateMs/);
    expect(() => integrateFreshness({ ...ok, maxStalenessMs: 0 })).toThrow(/maxStalenessMs/);
    expect(() => integrateFreshness({ ...ok, minConfidence: 1.5 })).toThrow(/minConfidence/);
    expect(() => integrateFreshness({ ...ok, minConfidence: -0.1 })).toThrow(/minConfidence/);
    expect(() => integrateFreshness({ ...ok, fromMs: 20, toMs: 10 })).toThrow(/toMs/);
    expect(() => integrateFreshness({ ...ok, lastUpdateMs: 5 })).toThrow(/lastUpdateMs/);
    expect(() => integrateFreshness({ ...ok, lastUpdateMs: 5 })).toThrow(RangeError);
  });
});

describe('FreshnessSums', () => {
  const interval = fc
    .record({ since: fc.integer({ min: 0, max: 100_000 }), gap: fc.integer({ min: 0, max: 100_000 }), length: fc.double({ min: 0, max: 100_000, noNaN: true }) })
    .map(({ since, gap, length }) => ({ lastUpdateMs: since, fromMs: since + gap, toMs: since + gap + length }));

  it('sums intervals exactly as adding up integrateFreshness would (property)', () => {
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 40 }), fc.integer({ min: 1, max: 60_000 }), fc.constantFrom(0, 0.5, 0.8, 1), (intervals, maxStalenessMs, minConfidence) => {
        const sums = new FreshnessSums({ maxStalenessMs, minConfidence });
        let loss = 0;
        let invisible = 0;
        let belowMin = 0;
        for (const i of intervals) {
          sums.add(i.fromMs, i.toMs, i.lastUpdateMs);
          const r = integrateFreshness({ ...i, maxStalenessMs, minConfidence });
          loss += i.toMs - i.fromMs - r.confidenceIntegralMs;
          invisible += r.invisibleMs;
          belowMin += r.belowMinMs;
        }
        expect([sums.confidenceLossMs, sums.invisibleMs, sums.belowMinMs]).toEqual([loss, invisible, belowMin]);
      }),
    );
  });

  it('refuses a bad model at construction and a bad interval when added', () => {
    expect(() => new FreshnessSums({ maxStalenessMs: 0, minConfidence: 0.8 })).toThrow(/maxStalenessMs/);
    expect(() => new FreshnessSums({ maxStalenessMs: 30_000, minConfidence: 1.5 })).toThrow(/minConfidence/);
    const sums = new FreshnessSums({ maxStalenessMs: 30_000, minConfidence: 0.8 });
    expect(() => sums.add(10, 5, 0)).toThrow(/toMs/);
    expect(() => sums.add(10, 20, 15)).toThrow(/lastUpdateMs/);
    expect(() => sums.add(Number.NaN, 20, 0)).toThrow(RangeError);
    expect(() => sums.add(0, Number.POSITIVE_INFINITY, 0)).toThrow(/toMs must be a finite number/);
  });
});
