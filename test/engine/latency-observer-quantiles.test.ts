// Proves LatencyObserver.quantiles (the points of a channel's latency CDF in reports) agrees with
// snapshot() at p50/p95/p99, reads exact minimum and maximum at 0 and 1, is non-decreasing in q,
// stays within 0.1% of the exact nearest-rank sample, and rejects quantiles outside 0..1.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { LatencyObserver } from '../../src/engine/latency-observer.js';

describe('LatencyObserver.quantiles', () => {
  const rng = seedrandom('quantiles');
  const samples = Array.from({ length: 5000 }, () => Math.exp(rng() * 10) * 0.7);
  const observer = new LatencyObserver({ alertThresholdMs: 1e9 });
  for (const s of samples) observer.recordPropagation('shopify', s);
  const sorted = [...samples].sort((a, b) => a - b);
  const qs = [0, 0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
  const values = observer.quantiles('shopify', qs);

  it('matches snapshot() where both are defined, and the exact extremes at 0 and 1', () => {
    const snap = observer.snapshot('shopify');
    expect(values[qs.indexOf(0.5)]).toBe(snap.p50);
    expect(values[qs.indexOf(0.95)]).toBe(snap.p95);
    expect(values[qs.indexOf(0.99)]).toBe(snap.p99);
    expect(values[0]).toBe(sorted[0]);
    expect(values[qs.length - 1]).toBe(snap.max);
  });

  it('is within 0.1% of the exact nearest-rank sample and never decreases', () => {
    qs.forEach((q, i) => {
      const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
      expect(Math.abs(values[i]! - exact)).toBeLessThanOrEqual(1e-3 * exact);
      if (i > 0) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
    });
  });

  it('reads 0 for a channel without samples, and refuses quantiles outside 0..1', () => {
    expect(observer.quantiles('ebay', [0, 0.5, 1])).toEqual([0, 0, 0]);
    expect(() => observer.quantiles('shopify', [1.5])).toThrow(RangeError);
    expect(() => observer.quantiles('shopify', [Number.NaN])).toThrow(RangeError);
  });
});
