// Proves that the channel models behave as documented: rate limiters admit and refuse at the exact virtual times their specs imply (with an exact Retry-After and no consumption on refusal), latency sampling matches its closed-form quantiles, every preset is valid, fully sourced and in sync with docs/channel-presets.md, and a SimChannel answers alike through its continuations and its promise methods (same answers at the same times, same listings, same random draws).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import type { ChannelResult, ChannelUpdate } from '../../src/engine/ports.js';
import { SimChannel, type ChannelFaults, type ChannelHost } from '../../src/model/channel.js';
import { Rng } from '../../src/model/random.js';
import { Kernel } from '../../src/sim/kernel.js';
import { NO_FAULTS } from '../helpers/no-faults.js';
import {
  Z_99,
  inverseNormalCdf,
  latencyQuantileMs,
  sampleLatencyMs,
  validateLatencySpec,
} from '../../src/model/latency.js';
import type { LatencySpec } from '../../src/model/latency.js';
import {
  CHANNEL_PRESETS,
  PRESET_IDS,
  numericParameterPaths,
  presetParameters,
  renderPresetTable,
  validatePreset,
} from '../../src/model/presets.js';
import type { ChannelPreset, PresetId } from '../../src/model/presets.js';
import {
  createRateLimiter,
  createRateLimiters,
  validateRateLimitSpec,
} from '../../src/model/ratelimit.js';
import type { Admission, RateLimiter, RateLimitSpec } from '../../src/model/ratelimit.js';

/** Seeded PRNG (mulberry32) so sample statistics are reproducible. */
function mulberry32(seed: number): { next(): number } {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

const ONE = { items: 1 } as const;

function retryAfter(a: Admission): number {
  if (a.ok) throw new Error('expected a refusal');
  return a.retryAfterMs;
}

/** Counts admissions of back-to-back calls at one instant. */
function drain(l: RateLimiter, nowMs: number, opts: { items: number; key?: string } = ONE, max = 10_000): number {
  let n = 0;
  while (l.tryAcquire(nowMs, opts).ok) {
    n += 1;
    if (n > max) throw new Error('limiter never refused');
  }
  return n;
}

/** The Retry-After contract: refused 1 ms before now + r, admitted at now + r (checked on a fresh copy each time). */
function expectExactRetry(make: () => RateLimiter, prime: (l: RateLimiter) => number, opts: { items: number; key?: string } = ONE): number {
  const a = make();
  const now = prime(a);
  const r = retryAfter(a.tryAcquire(now, opts));
  expect(Number.isInteger(r)).toBe(true);
  expect(r).toBeGreaterThanOrEqual(1);
  const before = make();
  prime(before);
  expect(before.tryAcquire(now + r - 1, opts).ok).toBe(false);
  const at = make();
  prime(at);
  expect(at.tryAcquire(now + r, opts).ok).toBe(true);
  return r;
}

describe('leaky bucket (Shopify REST: 40, leak 2/s)', () => {
  const spec: RateLimitSpec = { kind: 'leaky-bucket', capacity: 40, leakPerS: 2 };

  it('admits exactly capacity at once, then one per 1/leak seconds', () => {
    const l = createRateLimiter(spec);
    expect(drain(l, 0)).toBe(40);
    expect(retryAfter(l.tryAcquire(0, ONE))).toBe(500);
    expect(l.tryAcquire(499, ONE).ok).toBe(false);
    expect(l.tryAcquire(500, ONE).ok).toBe(true);
    expect(l.tryAcquire(500, ONE).ok).toBe(false);
    for (let k = 2; k <= 20; k++) {
      expect(l.tryAcquire(k * 500 - 1, ONE).ok).toBe(false);
      expect(l.tryAcquire(k * 500, ONE).ok).toBe(true);
    }
    // A long idle period drains the bucket completely, but never below empty.
    expect(drain(l, 1_000_000)).toBe(40);
  });

  it('returns the exact Retry-After from any fill level', () => {
    for (const idle of [0, 1, 137, 499, 501, 1234]) {
      const r = expectExactRetry(
        () => createRateLimiter(spec),
        (l) => {
          drain(l, 0);
          l.tryAcquire(idle, ONE); // may or may not be admitted
          drain(l, idle);
          return idle;
        },
      );
      expect(r).toBeLessThanOrEqual(500);
    }
  });
});

describe('token bucket (Amazon Listings: 5/s, burst 10)', () => {
  const spec: RateLimitSpec = { kind: 'token-bucket', ratePerS: 5, burst: 10 };

  it('admits the burst, then the rate', () => {
    const l = createRateLimiter(spec);
    expect(drain(l, 0)).toBe(10);
    expect(retryAfter(l.tryAcquire(0, ONE))).toBe(200);
    // Over 10 s of steady calls every 100 ms, exactly 5 per second get through.
    let admitted = 0;
    for (let t = 100; t <= 10_000; t += 100) if (l.tryAcquire(t, ONE).ok) admitted += 1;
    expect(admitted).toBe(50);
    // Idle refills to the burst, not beyond.
    expect(drain(l, 60_000)).toBe(10);
  });

  it('handles non-integer rates with an exact whole-ms Retry-After (Amazon createFeed 0.0083/s)', () => {
    const feed: RateLimitSpec = { kind: 'token-bucket', ratePerS: 0.0083, burst: 15 };
    const r = expectExactRetry(
      () => createRateLimiter(feed),
      (l) => {
        drain(l, 0);
        return 0;
      },
    );
    expect(r).toBe(Math.ceil(1000 / 0.0083));
  });
});

describe('cost bucket (Shopify GraphQL: 1000 points, 50/s)', () => {
  it('charges per request and per item', () => {
    const spec: RateLimitSpec = { kind: 'cost-bucket', capacityPoints: 1000, restorePerS: 50, costPerRequest: 10, costPerItem: 2 };
    const l = createRateLimiter(spec);
    // 10 + 2*45 = 100 points each: exactly 10 fit in a full bucket.
    const batch = { items: 45 };
    expect(drain(l, 0, batch)).toBe(10);
    // 100 points at 50/s take 2 s; a single item (12 points) only 240 ms.
    expect(retryAfter(l.tryAcquire(0, batch))).toBe(2000);
    expect(retryAfter(l.tryAcquire(0, { items: 1 }))).toBe(240);
    expect(l.tryAcquire(239, { items: 1 }).ok).toBe(false);
    expect(l.tryAcquire(240, { items: 1 }).ok).toBe(true);
    // 12 points spent at 240 ms: the big batch now needs 100 points from 0 -> 2000 ms later.
    expect(retryAfter(l.tryAcquire(240, batch))).toBe(2000);
  });

  it('has an exact Retry-After and rejects a request that can never fit', () => {
    const spec: RateLimitSpec = { kind: 'cost-bucket', capacityPoints: 1000, restorePerS: 50, costPerRequest: 10, costPerItem: 1 };
    expectExactRetry(
      () => createRateLimiter(spec),
      (l) => {
        drain(l, 0, { items: 250 });
        l.tryAcquire(3, { items: 7 });
        return 3;
      },
      { items: 250 },
    );
    expect(() => createRateLimiter(spec).tryAcquire(0, { items: 991 })).toThrow(RangeError);
    expect(createRateLimiter(spec).tryAcquire(0, { items: 990 }).ok).toBe(true);
  });
});

describe('quota', () => {
  it('counts requests in fixed windows aligned to multiples of periodS from t = 0', () => {
    const l = createRateLimiter({ kind: 'quota', limit: 10, periodS: 3600 });
    // Start mid-window: the window still ends at 3600 s, not 3600 s after the first call.
    expect(drain(l, 1_000_000, { items: 5000 })).toBe(10);
    expect(retryAfter(l.tryAcquire(1_500_000, ONE))).toBe(3_600_000 - 1_500_000);
    expect(l.tryAcquire(3_599_999, ONE).ok).toBe(false);
    expect(drain(l, 3_600_000)).toBe(10);
    expect(retryAfter(l.tryAcquire(7_199_999, ONE))).toBe(1);
    expect(l.tryAcquire(7_200_000, ONE).ok).toBe(true);
  });

  it('gives an exact Retry-After at fractional times', () => {
    expectExactRetry(
      () => createRateLimiter({ kind: 'quota', limit: 2, periodS: 1 }),
      (l) => {
        drain(l, 10.25);
        return 10.25;
      },
    );
  });

  it('per-listing quota counts per key and clears its memory at the window roll', () => {
    const l = createRateLimiter({ kind: 'quota', limit: 3, periodS: 86_400, scope: 'listing' });
    for (const sku of ['a', 'b', 'c', 'd']) expect(drain(l, 100, { items: 1, key: sku })).toBe(3);
    expect(l.trackedKeys()).toBe(4);
    expect(retryAfter(l.tryAcquire(5_000, { items: 1, key: 'a' }))).toBe(86_400_000 - 5_000);
    expect(l.tryAcquire(5_000, { items: 1, key: 'e' }).ok).toBe(true);
    expect(l.trackedKeys()).toBe(5);
    // A bulk call is refused as a whole if any listing in it is exhausted.
    expect(l.tryAcquire(6_000, { items: 2, keys: ['e', 'a'] }).ok).toBe(false);
    expect(l.tryAcquire(6_000, { items: 2, keys: ['e', 'f'] }).ok).toBe(true);
    expect(l.trackedKeys()).toBe(6);
    // Next day: only the keys used today are remembered.
    expect(l.tryAcquire(86_400_000, { items: 1, key: 'a' }).ok).toBe(true);
    expect(l.trackedKeys()).toBe(1);
    expect(drain(l, 86_400_001, { items: 1, key: 'a' })).toBe(2);
  });

  it('per-listing quota needs a key and rejects a request that names one listing too often', () => {
    const l = createRateLimiter({ kind: 'quota', limit: 2, periodS: 60, scope: 'listing' });
    expect(() => l.tryAcquire(0, { items: 1 })).toThrow(/key/);
    expect(() => l.tryAcquire(0, { items: 3, keys: ['x', 'x', 'x'] })).toThrow(RangeError);
    expect(l.tryAcquire(0, { items: 2, keys: ['x', 'x'] }).ok).toBe(true);
    expect(l.tryAcquire(0, { items: 1, key: 'x' }).ok).toBe(false);
  });
});

describe('combined limiters', () => {
  it('admit only if all admit and consume nothing on a partial refusal', () => {
    // A slow token bucket plus a tight quota: while the quota refuses, the bucket would admit.
    const l = createRateLimiters([
      { kind: 'token-bucket', ratePerS: 0.001, burst: 3 },
      { kind: 'quota', limit: 2, periodS: 10 },
    ]);
    expect(drain(l, 0)).toBe(2); // quota-bound: the bucket keeps 1 token
    expect(retryAfter(l.tryAcquire(0, ONE))).toBe(10_000);
    // Hammering the refusing quota must not take the bucket's last token.
    for (let t = 1; t < 10_000; t += 7) expect(l.tryAcquire(t, ONE).ok).toBe(false);
    // New window: the quota allows 2 again, the bucket still has its token (+0.01 refilled).
    expect(drain(l, 10_000)).toBe(1);
    // The other way round: the bucket refuses while the quota would admit.
    const l2 = createRateLimiters([
      { kind: 'token-bucket', ratePerS: 1, burst: 1 },
      { kind: 'quota', limit: 5, periodS: 10 },
    ]);
    expect(drain(l2, 0)).toBe(1);
    for (let t = 1; t < 1000; t += 10) expect(l2.tryAcquire(t, ONE).ok).toBe(false);
    expect(l2.tryAcquire(1000, ONE).ok).toBe(true);
    // The quota still has all 5 slots of its window (t = 0, t = 1000 and three more),
    // although the bucket refused about 100 calls in between.
    let admitted = 2;
    for (let t = 2000; t < 10_000; t += 1000) if (l2.tryAcquire(t, ONE).ok) admitted += 1;
    expect(admitted).toBe(5);
  });

  it('report the exact wait until every model admits (the maximum of the waits)', () => {
    const make = (): RateLimiter =>
      createRateLimiters([
        { kind: 'token-bucket', ratePerS: 0.5, burst: 1 },
        { kind: 'quota', limit: 1, periodS: 1 },
      ]);
    const r = expectExactRetry(make, (l) => {
      l.tryAcquire(0, ONE);
      return 100;
    });
    expect(r).toBe(1900); // the bucket (2 s per token) binds, not the 1 s quota window
  });

  it('peek does not consume', () => {
    const l = createRateLimiters([{ kind: 'leaky-bucket', capacity: 1, leakPerS: 1 }]);
    expect(l.peek(0, ONE).ok).toBe(true);
    expect(l.peek(0, ONE).ok).toBe(true);
    expect(l.tryAcquire(0, ONE).ok).toBe(true);
    expect(l.peek(0, ONE)).toEqual({ ok: false, retryAfterMs: 1000 });
  });

  it('refuse time travel and invalid specs', () => {
    const l = createRateLimiter({ kind: 'token-bucket', ratePerS: 1, burst: 1 });
    l.tryAcquire(1000, ONE);
    expect(() => l.tryAcquire(999, ONE)).toThrow(/backwards/);
    expect(validateRateLimitSpec({ kind: 'leaky-bucket', capacity: 40, leakPerS: 0 })).toContain('leakPerS must be > 0');
    expect(validateRateLimitSpec({ kind: 'quota', limit: 2.5, periodS: 60 })).toContain('limit must be an integer >= 1');
    expect(validateRateLimitSpec({ kind: 'token-bucket', ratePerS: 1, burst: 0.5 }).length).toBe(1);
    expect(validateRateLimitSpec({ kind: 'cost-bucket', capacityPoints: 100, restorePerS: 5, costPerRequest: 101 })).toContain(
      'costPerRequest must be <= capacityPoints',
    );
    expect(() => createRateLimiter({ kind: 'token-bucket', ratePerS: Number.NaN, burst: 1 })).toThrow(RangeError);
  });
});

describe('inverseNormalCdf', () => {
  // Reference quantiles of the standard normal (to 16 significant digits).
  const known: [number, number][] = [
    [0.5, 0],
    [0.8413447460685429, 1],
    [0.975, 1.9599639845400536],
    [0.99, Z_99],
    [0.999, 3.090232306167813],
    [0.001, -3.090232306167813],
    [0.01, -Z_99],
    [0.02425, -1.9729610513118845],
    [1e-6, -4.753424308822899],
    [1e-10, -6.361340902404056],
    [0.3, -0.5244005127080407],
  ];
  it.each(known)('Phi^-1(%s) = %s within 1.2e-9 relative', (p, z) => {
    const got = inverseNormalCdf(p);
    expect(Math.abs(got - z)).toBeLessThanOrEqual(1.2e-9 * Math.max(1, Math.abs(z)));
  });
  it('is monotone, antisymmetric and has infinite tails', () => {
    let prev = -Infinity;
    for (let p = 0.0005; p < 1; p += 0.0005) {
      const z = inverseNormalCdf(p);
      expect(z).toBeGreaterThan(prev);
      expect(Math.abs(z + inverseNormalCdf(1 - p))).toBeLessThan(1e-8);
      prev = z;
    }
    expect(inverseNormalCdf(0)).toBe(-Infinity);
    expect(inverseNormalCdf(1)).toBe(Infinity);
    expect(() => inverseNormalCdf(1.5)).toThrow(RangeError);
    expect(() => inverseNormalCdf(Number.NaN)).toThrow(RangeError);
  });
});

function empiricalQuantile(sorted: Float64Array, q: number): number {
  // Nearest rank.
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}

function samples(spec: LatencySpec, n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = sampleLatencyMs(spec, rng);
  return out.sort();
}

describe('latency', () => {
  it('lognormal: empirical median and p99 of 200 000 samples within 2% of the closed form', () => {
    for (const spec of [
      { kind: 'lognormal', medianMs: 120, p99Ms: 1200 },
      { kind: 'lognormal', medianMs: 2 * 60_000, p99Ms: 15 * 60_000 },
    ] as const) {
      const s = samples(spec, 200_000, 42);
      const median = empiricalQuantile(s, 0.5);
      const p99 = empiricalQuantile(s, 0.99);
      expect(Math.abs(median / spec.medianMs - 1)).toBeLessThan(0.02);
      expect(Math.abs(p99 / spec.p99Ms - 1)).toBeLessThan(0.02);
      expect(latencyQuantileMs(spec, 0.5)).toBeCloseTo(spec.medianMs, 6);
      expect(latencyQuantileMs(spec, 0.99) / spec.p99Ms).toBeCloseTo(1, 8);
      for (const q of [0.1, 0.9]) {
        expect(Math.abs(empiricalQuantile(s, q) / latencyQuantileMs(spec, q) - 1)).toBeLessThan(0.03);
      }
    }
  });

  it('uniform and fixed follow their closed forms; one draw per sample', () => {
    const uni: LatencySpec = { kind: 'uniform', minMs: 5 * 60_000, maxMs: 30 * 60_000 };
    const s = samples(uni, 100_000, 7);
    expect(s[0]).toBeGreaterThanOrEqual(uni.minMs);
    expect(s[s.length - 1]).toBeLessThan(uni.maxMs);
    expect(Math.abs(empiricalQuantile(s, 0.5) / latencyQuantileMs(uni, 0.5) - 1)).toBeLessThan(0.01);
    expect(latencyQuantileMs(uni, 0.2)).toBe(10 * 60_000);

    let draws = 0;
    const counting = {
      next: () => {
        draws += 1;
        return 0.25;
      },
    };
    expect(sampleLatencyMs({ kind: 'fixed', ms: 80 }, counting)).toBe(80);
    sampleLatencyMs({ kind: 'lognormal', medianMs: 100, p99Ms: 1000 }, counting);
    sampleLatencyMs(uni, counting);
    expect(draws).toBe(3);
    // Deterministic: the same draw gives the same sample; a draw of 0 stays finite and positive.
    const zero = sampleLatencyMs({ kind: 'lognormal', medianMs: 100, p99Ms: 1000 }, { next: () => 0 });
    expect(zero).toBeGreaterThan(0);
    expect(Number.isFinite(zero)).toBe(true);
    expect(sampleLatencyMs({ kind: 'lognormal', medianMs: 100, p99Ms: 1000 }, { next: () => 0.5 })).toBeCloseTo(100, 9);
  });

  it('validates specs', () => {
    expect(validateLatencySpec({ kind: 'lognormal', medianMs: 100, p99Ms: 100 })).toContain('p99Ms must be > medianMs');
    expect(validateLatencySpec({ kind: 'lognormal', medianMs: 0, p99Ms: 100 })).toContain('medianMs must be > 0');
    expect(validateLatencySpec({ kind: 'uniform', minMs: 10, maxMs: 5 })).toContain('maxMs must be >= minMs');
    expect(validateLatencySpec({ kind: 'fixed', ms: -1 })).toContain('ms must be >= 0');
    expect(validateLatencySpec({ kind: 'lognormal', medianMs: 100, p99Ms: 1000 })).toEqual([]);
    expect(() => latencyQuantileMs({ kind: 'lognormal', medianMs: 100, p99Ms: 50 }, 0.5)).toThrow(RangeError);
  });
});

describe('presets', () => {
  it('cover every preset id, and every preset validates', () => {
    expect(Object.keys(CHANNEL_PRESETS).sort()).toEqual([...PRESET_IDS].sort());
    for (const id of PRESET_IDS) {
      expect(CHANNEL_PRESETS[id].id).toBe(id);
      expect(validatePreset(CHANNEL_PRESETS[id])).toEqual([]);
      for (const spec of CHANNEL_PRESETS[id].rateLimits) createRateLimiter(spec); // constructible
    }
  });

  it('have a non-empty source for every numeric field set, and no stale source', () => {
    for (const id of PRESET_IDS) {
      const p = CHANNEL_PRESETS[id];
      const numeric = numericParameterPaths(p);
      // Independent enumeration of the numeric leaves, to guard the walker itself.
      const leaves: string[] = [];
      const visit = (v: unknown, path: string): void => {
        if (typeof v === 'number') leaves.push(path);
        else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}[${i}]`));
        else if (typeof v === 'object' && v !== null) {
          for (const [k, x] of Object.entries(v)) if (k !== 'sources') visit(x, path === '' ? k : `${path}.${k}`);
        }
      };
      visit(p, '');
      expect(numeric.sort()).toEqual(leaves.sort());
      expect(numeric.length).toBeGreaterThanOrEqual(6);
      for (const path of numeric) {
        const source = p.sources[path];
        expect(source, `${id}: ${path}`).toBeTypeOf('string');
        expect(source?.trim().length ?? 0, `${id}: ${path}`).toBeGreaterThan(10);
      }
      for (const key of Object.keys(p.sources)) {
        expect(presetParameters(p).map((x) => x.path), `${id}: stale source ${key}`).toContain(key);
      }
    }
  });

  it('validatePreset catches a missing source, a stale source and a batch that can never fit', () => {
    const base = structuredClone(CHANNEL_PRESETS['shopify-graphql']) as ChannelPreset;
    const { ['latency.p99Ms']: _dropped, ...rest } = base.sources;
    expect(validatePreset({ ...base, sources: rest })).toContain('sources: no source for latency.p99Ms');
    expect(validatePreset({ ...base, sources: { ...base.sources, 'applyDelay.maxMs': 'x' } })).toContain(
      'sources: applyDelay.maxMs is not a parameter of this preset',
    );
    const tooBig = validatePreset({
      ...base,
      rateLimits: [{ kind: 'cost-bucket', capacityPoints: 1000, restorePerS: 50, costPerRequest: 10, costPerItem: 4 }],
      sources: { ...base.sources, 'rateLimits[0].costPerItem': 'test' },
    });
    expect(tooBig.some((m) => m.includes('full batch of 250 items costs 1010 points'))).toBe(true);
    expect(validatePreset({ ...base, errorRate5xx: 1.5 })).toContain('errorRate5xx: must be in [0, 1)');
    const webhook = base.orderNotification;
    if (webhook.mode !== 'webhook') throw new Error('shopify-graphql should notify by webhook');
    expect(validatePreset({ ...base, orderNotification: { ...webhook, retryWindowS: 0 } })).toContain(
      'orderNotification.retryWindowS: must be > 0 when maxDeliveryAttempts > 1',
    );
  });

  it('encode the documented key numbers', () => {
    const p = CHANNEL_PRESETS;
    expect(p['shopify-rest'].rateLimits).toEqual([{ kind: 'leaky-bucket', capacity: 40, leakPerS: 2 }]);
    expect(p['shopify-graphql'].updateSemantics).toBe('compare-and-set');
    expect(p['shopify-graphql'].orderNotification).toMatchObject({ mode: 'webhook', maxDeliveryAttempts: 9, retryWindowS: 4 * 3600 });
    expect(p['amazon-listings'].rateLimits).toEqual([{ kind: 'token-bucket', ratePerS: 5, burst: 10 }]);
    expect(p['amazon-listings'].applyDelay).toBeDefined();
    expect(p['amazon-feed'].maxItemsPerRequest).toBe(25_000);
    expect(p['amazon-feed'].rateLimits).toContainEqual({ kind: 'quota', limit: 5, periodS: 300 });
    expect(p['ebay'].maxItemsPerRequest).toBe(25);
    expect(p['ebay'].rateLimits).toContainEqual({ kind: 'quota', limit: 250, periodS: 86_400, scope: 'listing' });
    expect(p['walmart'].rateLimits).toEqual([{ kind: 'quota', limit: 10, periodS: 3600 }]);
    expect(p['etsy'].rateLimits).toContainEqual({ kind: 'quota', limit: 10_000, periodS: 86_400 });
    expect(p['woocommerce'].maxItemsPerRequest).toBe(100);
    expect(p['woocommerce'].orderNotification).toMatchObject({ mode: 'webhook', maxDeliveryAttempts: 1 });
  });

  it('amazon-feed limits combine: 5 feeds at once, then one per ~120 s', () => {
    const l = createRateLimiters(CHANNEL_PRESETS['amazon-feed'].rateLimits);
    expect(drain(l, 0)).toBe(5);
    let admitted = 0;
    for (let t = 1000; t <= 3_600_000; t += 1000) if (l.tryAcquire(t, ONE).ok) admitted += 1;
    // Bucket: 10 tokens left + 0.0083/s * 3600 s ~ 29.9 more; the quota (5 per 300 s = 60/h) does not bind.
    expect(admitted).toBe(10 + Math.floor(0.0083 * 3600));
  });

  it('are frozen, so a simulation cannot mutate shared defaults', () => {
    expect(Object.isFrozen(CHANNEL_PRESETS['ebay'].rateLimits[1])).toBe(true);
    expect(() => {
      (CHANNEL_PRESETS['ebay'] as { maxItemsPerRequest: number }).maxItemsPerRequest = 1;
    }).toThrow(TypeError);
  });

  it('match the table in docs/channel-presets.md', () => {
    const doc = readFileSync(new URL('../../docs/channel-presets.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderPresetTable());
    for (const id of PRESET_IDS) expect(doc).toContain(`| ${id} |`);
  });
});

describe.each(['shopify-graphql', 'shopify-rest', 'amazon-feed', 'ebay'] as const satisfies readonly PresetId[])('SimChannel (%s): continuations and promise methods', (presetId) => {
  /** 80 requests and reads a second apart through one form, under every fault, a latency spike and an outage; what they leave. */
  async function run(form: 'continuations' | 'promises') {
    const kernel = new Kernel({ maxEvents: 1_000_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const applied: string[] = [];
    const host: ChannelHost = {
      skuIndexOf: (key) => Number(key.slice(1)),
      onApplied: (_channel, i, _key, update, previousVersion) => applied.push(`${kernel.nowMs()} s${i} v${update.version} q${update.quantity} (was v${previousVersion})`),
    };
    const faults: ChannelFaults = {
      active: () => true,
      serverErrorRate: 0.1,
      throttleRate: 0.1,
      throttleRetryAfterMs: 1_000,
      timeoutRate: 0.1,
      timeoutMs: 5_000,
      timeoutAppliedShare: 0.5,
      latencyMultiplier: (nowMs) => (nowMs >= 20_000 && nowMs < 30_000 ? 30 : 1),
      inOutage: (nowMs) => nowMs >= 50_000 && nowMs < 60_000,
    };
    const rng = new Rng(`forms:${presetId}`);
    const channel = new SimChannel(kernel, rng, host, faults, { id: 'ch', index: 0, preset: CHANNEL_PRESETS[presetId], skus: 4, maxConcurrency: 4 });
    for (let i = 0; i < 4; i++) channel.seedListing(i, 10, 0);
    const answers: string[] = [];
    const note = (k: number, answer: unknown): void => void answers.push(`${k} @${kernel.nowMs()} ${JSON.stringify(answer)}`);
    for (let k = 0; k < 80; k++) {
      kernel.scheduleAt(k * 1_000, () => {
        const sku = `s${k % 4}`;
        if (k % 5 === 4) {
          const failed = (error: unknown): void => note(k, { read: 'failed', message: (error as Error).message });
          if (form === 'continuations') channel.continuations.readListing(sku, (listing) => note(k, listing), failed);
          else channel.readListing(sku).then((listing) => note(k, listing), failed);
          return;
        }
        const update: ChannelUpdate = { sku, quantity: 10 - (k % 7), version: k + 1, ...(k % 3 === 0 ? { compareQuantity: channel.quantity[k % 4]! - (k % 2) } : {}) };
        const answered = (result: ChannelResult): void => note(k, result);
        if (form === 'continuations') channel.continuations.push([update], answered);
        else void (channel.batch !== undefined ? channel.batch.push([update]) : channel.pushListing(update)).then(answered);
      });
    }
    await kernel.run();
    return { answers, applied, stats: { ...channel.stats }, quantity: [...channel.quantity], version: [...channel.version], nextDraw: rng.next(), endMs: kernel.nowMs() };
  }

  it('give the same answers at the same times, apply the same updates and draw the same numbers', async () => {
    const viaContinuations = await run('continuations');
    const viaPromises = await run('promises');
    // Not vacuous: every kind of answer happened (a read failed in the outage, a request was throttled, failed, timed out, went through).
    const kinds = new Set(viaContinuations.answers.map((a) => /"error":"(\w+)"|"ok":(true)|"read":"(failed)"|"quantity"/.exec(a)?.slice(1).find((x) => x !== undefined) ?? 'listing'));
    for (const kind of ['true', 'throttled', 'server_error', 'timeout', 'unavailable', 'failed', 'listing']) expect(kinds, [...kinds].join(', ')).toContain(kind);
    expect(viaContinuations.answers).toHaveLength(80);
    expect(viaContinuations.applied.length).toBeGreaterThan(0);
    expect(viaContinuations).toEqual(viaPromises);
  });
});

describe('a feed channel (updates apply minutes after they are accepted)', () => {
  it('keeps one pending event for any number of requests in processing, and applies them in order, each at its time', async () => {
    const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const applied: { atMs: number; version: number }[] = [];
    const host: ChannelHost = { skuIndexOf: (key) => Number(key.slice(1)), onApplied: (_c, _i, _key, update) => applied.push({ atMs: kernel.nowMs(), version: update.version }) };
    const preset = { ...CHANNEL_PRESETS['amazon-listings'], errorRate5xx: 0 };
    const channel = new SimChannel(kernel, new Rng('feed-fifo'), host, NO_FAULTS, { id: 'feed', index: 0, preset, skus: 10, maxConcurrency: 10 });
    // Requests are answered after their own latencies: they enter processing in the order answered.
    const accepted: number[] = [];
    for (let k = 0; k < 10; k++) channel.continuations.push([{ sku: `s${k}`, quantity: k, version: k + 1 }], (r) => void (r.ok && accepted.push(k + 1)));
    // Run until every request is answered (accepted) and none has applied yet.
    await kernel.run({ untilMs: 5_000 });
    expect(accepted).toHaveLength(10);
    expect(accepted).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // not vacuous: answered out of order
    expect(applied).toHaveLength(0);
    expect(kernel.pending).toBe(1);
    await kernel.run();
    expect(applied.map((a) => a.version)).toEqual(accepted);
    for (let k = 1; k < applied.length; k++) expect(applied[k]!.atMs).toBeGreaterThanOrEqual(applied[k - 1]!.atMs);
    expect(applied[0]!.atMs).toBeGreaterThan(5_000);
    expect([...channel.version]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
