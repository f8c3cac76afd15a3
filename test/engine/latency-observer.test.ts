// Proves LatencyObserver's percentiles match exact nearest rank (sorted index ceil(n*q)-1) within
// 0.1% across distributions and a fast-check property, that 10 M samples do not grow memory, and
// that alerts fire for exactly the samples above the threshold, by comparing against a sorted copy.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { LatencyObserver } from '../../src/engine/latency-observer.js';
import type { Alert } from '../../src/engine/ports.js';

/** The seed's definition, with the rank computed exactly (n*p is an integer, so ceil is exact). */
function exactNearestRank(sorted: Float64Array, percent: number): number {
  const rank = Math.max(1, Math.ceil((sorted.length * percent) / 100));
  const value = sorted[rank - 1];
  if (value === undefined) throw new Error(`rank ${rank} out of range for n=${sorted.length}`);
  return value;
}

/** 0.1% relative, or 0.5 ns absolute for sub-microsecond values (the recording resolution). */
function expectClose(actual: number, expected: number, label: string): void {
  const tolerance = Math.max(1e-3 * Math.abs(expected), 5e-7);
  expect(Math.abs(actual - expected), `${label}: got ${actual}, want ${expected}`).toBeLessThanOrEqual(tolerance);
}

function expectMatchesNearestRank(observer: LatencyObserver, channelId: string, samples: readonly number[]): void {
  const sorted = Float64Array.from(samples).sort();
  const snapshot = observer.snapshot(channelId);
  expect(snapshot.count).toBe(samples.length);
  expectClose(snapshot.p50, exactNearestRank(sorted, 50), 'p50');
  expectClose(snapshot.p95, exactNearestRank(sorted, 95), 'p95');
  expectClose(snapshot.p99, exactNearestRank(sorted, 99), 'p99');
  expect(snapshot.max).toBe(sorted[sorted.length - 1]);
}

function recordAll(samples: readonly number[], channelId = 'shopify'): LatencyObserver {
  const observer = new LatencyObserver({ alertThresholdMs: 1e9 });
  for (const sample of samples) observer.recordPropagation(channelId, sample);
  return observer;
}

function draw(n: number, seed: string, sample: (next: () => number) => number): number[] {
  const rng = seedrandom(seed);
  return Array.from({ length: n }, () => sample(() => rng()));
}

function lognormal(next: () => number, mu: number, sigma: number): number {
  const u1 = 1 - next(); // (0, 1]: log is finite
  const u2 = next();
  return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
}

describe('LatencyObserver percentiles (nearest rank within 0.1%)', () => {
  const distributions: Record<string, number[]> = {
    'uniform 0..1000 ms': draw(10_000, 'uniform', (next) => next() * 1000),
    'lognormal (mu 3, sigma 1.2)': draw(50_000, 'lognormal', (next) => lognormal(next, 3, 1.2)),
    'sub-millisecond 0.001..0.01 ms': draw(5_000, 'micro', (next) => 0.001 + next() * 0.009),
    'heavy ties': draw(10_001, 'ties', (next) => {
      const u = next();
      if (u < 0.6) return 0;
      if (u < 0.9) return 2.5;
      if (u < 0.97) return 7;
      return 1000;
    }),
    'wide range 0.01 ms .. 1 h': draw(20_000, 'wide', (next) => 0.01 * Math.pow(3.6e8, next())),
  };

  for (const [name, samples] of Object.entries(distributions)) {
    it(name, () => {
      expectMatchesNearestRank(recordAll(samples), 'shopify', samples);
    });
  }

  it('tiny n = 1, 2, 3 give exact order statistics', () => {
    const one = recordAll([42.5]);
    expect(one.snapshot('shopify')).toEqual({ count: 1, p50: 42.5, p95: 42.5, p99: 42.5, max: 42.5 });

    // n=2: p50 is rank 1 (the smaller), p95 and p99 rank 2.
    const two = recordAll([900, 3.25]);
    expect(two.snapshot('shopify')).toEqual({ count: 2, p50: 3.25, p95: 900, p99: 900, max: 900 });

    // n=3: p50 is rank 2 (the middle one, within a bucket), p95 and p99 rank 3.
    const three = recordAll([10, 30, 20]);
    const snapshot = three.snapshot('shopify');
    expectClose(snapshot.p50, 20, 'p50');
    expect(snapshot.p95).toBe(30);
    expect(snapshot.p99).toBe(30);
  });

  it('n = 100 takes p99 at index 98 (rank 99), not the maximum', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1).reverse();
    const observer = recordAll(values);
    expectClose(observer.getP99Latency('shopify'), 99, 'p99');
    expect(Math.abs(observer.getP99Latency('shopify') - 100)).toBeGreaterThan(0.5);
    expectClose(observer.snapshot('shopify').p95, 95, 'p95');
    expectClose(observer.snapshot('shopify').p50, 50, 'p50');
  });

  it('property: any sample set matches nearest rank within tolerance', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e7, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 300 }),
        (samples) => {
          expectMatchesNearestRank(recordAll(samples), 'shopify', samples);
        },
      ),
      { numRuns: 200, seed: 20240601 },
    );
  });

  it('getP99Latency equals snapshot().p99, and an unknown channel reads as zeros', () => {
    const observer = recordAll(draw(1000, 'p99', (next) => next() * 50));
    expect(observer.getP99Latency('shopify')).toBe(observer.snapshot('shopify').p99);
    expect(observer.getP99Latency('ebay')).toBe(0);
    expect(observer.snapshot('ebay')).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    expect(new LatencyObserver({ alertThresholdMs: 1 }).merged()).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });
});

describe('LatencyObserver channels and merging', () => {
  it('keeps channels apart, lists them sorted, and merges all samples', () => {
    const observer = new LatencyObserver({ alertThresholdMs: 1e9 });
    const amazon = draw(3000, 'amazon', (next) => 200 + next() * 5000);
    const shopify = draw(7000, 'shopify', (next) => lognormal(next, 2, 0.5));
    amazon.forEach((sample) => observer.recordPropagation('amazon', sample));
    shopify.forEach((sample) => observer.recordPropagation('shopify', sample));

    expect(observer.channels()).toEqual(['amazon', 'shopify']);
    expectMatchesNearestRank(observer, 'amazon', amazon);
    expectMatchesNearestRank(observer, 'shopify', shopify);

    const all = Float64Array.from([...amazon, ...shopify]).sort();
    const merged = observer.merged();
    expect(merged.count).toBe(10_000);
    expectClose(merged.p50, exactNearestRank(all, 50), 'merged p50');
    expectClose(merged.p95, exactNearestRank(all, 95), 'merged p95');
    expectClose(merged.p99, exactNearestRank(all, 99), 'merged p99');
    expect(merged.max).toBe(all[all.length - 1]);
  });

  it('clamps samples above highestTrackableMs, counts them, and keeps max exact', () => {
    const observer = new LatencyObserver({ alertThresholdMs: 1e9, highestTrackableMs: 1000 });
    for (let i = 1; i <= 98; i += 1) observer.recordPropagation('walmart', i);
    observer.recordPropagation('walmart', 5000);
    observer.recordPropagation('walmart', 7000);
    const snapshot = observer.snapshot('walmart');
    expect(observer.clampedCount('walmart')).toBe(2);
    expect(observer.clampedCount()).toBe(2);
    expect(observer.clampedCount('etsy')).toBe(0);
    expect(snapshot.max).toBe(7000);
    // Rank 99 of 100 is the clamped 5000: reported as the range's top, a lower bound.
    expectClose(snapshot.p99, 1000, 'clamped p99');
    expectClose(snapshot.p50, 50, 'p50');
  });
});

describe('LatencyObserver alerts and argument checks', () => {
  it('calls onAlert for exactly the samples strictly above the threshold', () => {
    const alerts: Alert[] = [];
    let nowMs = 1_000;
    const observer = new LatencyObserver({
      alertThresholdMs: 100,
      onAlert: (alert) => alerts.push(alert),
      clock: { nowMs: () => nowMs },
    });
    const samples = [50, 100, 100.0001, 150, 0, 99.999, 1000];
    for (const sample of samples) {
      nowMs += 10;
      observer.recordPropagation('ebay', sample);
    }
    expect(alerts.map((alert) => alert.detail['durationMs'])).toEqual([100.0001, 150, 1000]);
    expect(alerts.map((alert) => alert.atMs)).toEqual([1030, 1040, 1070]);
    for (const alert of alerts) {
      expect(alert.kind).toBe('latency_threshold');
      expect(alert.detail['channelId']).toBe('ebay');
      expect(alert.detail['thresholdMs']).toBe(100);
    }
    // Samples that alert are still recorded.
    expect(observer.snapshot('ebay').count).toBe(samples.length);
    expect(observer.snapshot('ebay').max).toBe(1000);
  });

  it('stamps alerts with atMs 0 when no clock is injected', () => {
    const alerts: Alert[] = [];
    const observer = new LatencyObserver({ alertThresholdMs: 5, onAlert: (alert) => alerts.push(alert) });
    observer.recordPropagation('etsy', 6);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.atMs).toBe(0);
  });

  it('rejects negative and non-finite durations with a RangeError naming durationMs', () => {
    const observer = new LatencyObserver({ alertThresholdMs: 1 });
    for (const bad of [-1, -0.001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => observer.recordPropagation('shopify', bad)).toThrow(RangeError);
      expect(() => observer.recordPropagation('shopify', bad)).toThrow(/durationMs/);
    }
    expect(observer.snapshot('shopify').count).toBe(0);
  });

  it('rejects bad constructor options, naming them', () => {
    expect(() => new LatencyObserver({ alertThresholdMs: -1 })).toThrow(/alertThresholdMs/);
    expect(() => new LatencyObserver({ alertThresholdMs: Number.NaN })).toThrow(RangeError);
    expect(() => new LatencyObserver({ alertThresholdMs: 1, highestTrackableMs: 0 })).toThrow(/highestTrackableMs/);
    expect(() => new LatencyObserver({ alertThresholdMs: 1, highestTrackableMs: 1e12 })).toThrow(/highestTrackableMs/);
  });
});

/** A collector if one can be had: --expose-gc, or the V8 flag set at run time. */
function obtainGc(): (() => void) | undefined {
  const exposed: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

function memoryInUse(gc: (() => void) | undefined): number {
  gc?.();
  const usage = process.memoryUsage();
  // Typed arrays live outside the JS heap: count them too, so storing samples there would show.
  return usage.heapUsed + usage.arrayBuffers;
}

describe('LatencyObserver memory', () => {
  it('records 10 000 000 samples without growing memory', () => {
    const gc = obtainGc();
    // Storing the samples (as the seed did) costs >= 80 MB for 10 M doubles, far above either bound.
    const boundBytes = gc === undefined ? 20 * 1024 * 1024 : 4 * 1024 * 1024;
    const observer = new LatencyObserver({ alertThresholdMs: 1e9 });
    observer.recordPropagation('amazon', 0); // allocate the channel's histogram before measuring
    const before = memoryInUse(gc);

    // 7919 is coprime with 100 000, so the sequence visits each of 0.0 .. 9999.9 ms exactly 100 times.
    const n = 10_000_000;
    for (let i = 1; i < n; i += 1) observer.recordPropagation('amazon', ((i * 7919) % 100_000) / 10);

    const after = memoryInUse(gc);
    expect(after - before).toBeLessThan(boundBytes);
    const snapshot = observer.snapshot('amazon');
    expect(snapshot.count).toBe(n);
    // Nearest rank over 100 copies of each value: rank k is value floor((k - 1) / 100) / 10.
    expectClose(snapshot.p50, 4999.9, 'p50');
    expectClose(snapshot.p99, 9899.9, 'p99');
    expect(snapshot.max).toBe(9999.9);
  });
});

describe('LatencyObserver.reset', () => {
  it('forgets every sample, so a new measurement period starts empty', () => {
    const observer = new LatencyObserver({ alertThresholdMs: 1_000 });
    observer.recordPropagation('a', 5_000);
    observer.recordPropagation('b', 10);
    observer.reset();
    expect(observer.channels()).toEqual([]);
    expect(observer.merged().count).toBe(0);
    observer.recordPropagation('a', 20);
    expect(observer.snapshot('a')).toMatchObject({ count: 1, max: 20 });
  });
});

describe('LatencyObserver.dispose', () => {
  it('frees the histograms: a thousand observers of five channels, each disposed, leave memory flat', () => {
    // Each series is about 300 KB of WebAssembly memory, which no collector frees: without
    // dispose this loop would hold 1 000 x 5 x 300 KB, about 1.5 GB.
    const run = (): void => {
      const observer = new LatencyObserver({ alertThresholdMs: 1e9 });
      for (const channel of ['a', 'b', 'c', 'd', 'e']) observer.recordPropagation(channel, 12.5);
      expect(observer.merged().count).toBe(5);
      observer.dispose();
    };
    run(); // the WebAssembly module and its first pages
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 1_000; i++) run();
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('leaves an empty observer that records again', () => {
    const observer = new LatencyObserver({ alertThresholdMs: 1e9 });
    observer.recordPropagation('a', 7);
    observer.dispose();
    expect(observer.snapshot('a').count).toBe(0);
    observer.recordPropagation('a', 9);
    expect(observer.snapshot('a')).toMatchObject({ count: 1, max: 9, p50: 9 });
    observer.dispose();
  });
});
