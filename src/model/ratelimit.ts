/**
 * Rate-limit models for simulated channels: a spec (plain data, from a preset or a scenario)
 * plus a state object driven by virtual time. Nothing here reads a clock; every call gets
 * `nowMs`, and the state only changes when a request is admitted.
 *
 * Semantics
 * - Bucket models (leaky, token, cost) refill continuously and linearly with virtual time.
 *   `leaky-bucket` starts empty (Shopify REST: 40 requests may go at once), `token-bucket`
 *   and `cost-bucket` start full. A request takes 1 unit from a leaky or token bucket and
 *   `costPerRequest + costPerItem * items` points from a cost bucket.
 * - Quotas use **fixed windows aligned to multiples of `periodS` from virtual time 0**:
 *   window k covers [k * periodS, (k + 1) * periodS) seconds. Every request counts 1
 *   whatever its item count. Real marketplaces differ in detail (eBay resets at midnight
 *   Pacific time, Etsy uses a sliding 24 h window); a fixed window aligned to the
 *   simulation's start is the deterministic, scenario-independent choice, and its worst
 *   case (2 * limit requests around a boundary) is documented rather than hidden.
 * - A `scope: 'listing'` quota counts per key (a SKU or listing id, given as `opts.key` or,
 *   for a bulk call touching several listings, `opts.keys`). Its memory holds only the keys
 *   used in the current window and is cleared when a request arrives in a later window.
 * - `retryAfterMs` is the exact wait, at the simulator's 1 ms resolution: the smallest
 *   whole number of milliseconds r >= 1 such that the same request at `nowMs + r` is
 *   admitted if nothing else consumed capacity in between (and at `nowMs + r - 1` it is
 *   not). A client honouring it succeeds on its next try.
 * - A request that could never be admitted (a cost above the bucket's capacity, one
 *   listing key repeated more often than the quota allows) is a configuration error and
 *   throws a RangeError instead of returning an infinite Retry-After. Virtual time going
 *   backwards also throws.
 */

export type RateLimitSpec =
  /** Shopify REST style: the bucket holds `capacity` requests and drains `leakPerS` per second; a request adds 1. */
  | { kind: 'leaky-bucket'; capacity: number; leakPerS: number }
  /** Amazon SP-API usage plans: `burst` tokens, refilled at `ratePerS`; a request takes 1. */
  | { kind: 'token-bucket'; ratePerS: number; burst: number }
  /** Shopify GraphQL calculated query cost: a request takes `costPerRequest + costPerItem * items` points. */
  | { kind: 'cost-bucket'; capacityPoints: number; restorePerS: number; costPerRequest: number; costPerItem?: number }
  /** At most `limit` requests per fixed window of `periodS` seconds, per channel or per listing key. */
  | { kind: 'quota'; limit: number; periodS: number; scope?: 'channel' | 'listing' };

export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

export interface AcquireOptions {
  /** Number of items (SKUs) in the request; only cost buckets with `costPerItem` charge for it. */
  readonly items: number;
  /** The listing (SKU) a single-listing request touches; needed by `scope: 'listing'` quotas. */
  readonly key?: string;
  /** Every listing a bulk request touches (e.g. eBay bulkUpdatePriceQuantity); takes precedence over `key`. */
  readonly keys?: readonly string[];
}

export interface RateLimiter {
  /** Admits and consumes capacity, or refuses (consuming nothing) with the exact wait. */
  tryAcquire(nowMs: number, opts: AcquireOptions): Admission;
}

/** What the factories return: a limiter that can also be queried without consuming. */
export interface InspectableRateLimiter extends RateLimiter {
  /** What `tryAcquire` would answer at `nowMs`, without consuming anything. */
  peek(nowMs: number, opts: AcquireOptions): Admission;
  /** Listing keys currently held by per-listing quotas (0 for other models). */
  trackedKeys(): number;
}

/** One model's state. `waitMs` is 0 when admitted now, else the exact whole-ms wait. */
interface Gate {
  waitMs(nowMs: number, opts: AcquireOptions): number;
  commit(nowMs: number, opts: AcquireOptions): void;
  trackedKeys(): number;
}

const MAX_CORRECTION_STEPS = 64;

/**
 * The smallest whole r >= 1 with `admitAt(nowMs + r)`, starting from an analytic estimate
 * (in ms, possibly fractional). `admitAt` must be monotone in time. The correction absorbs
 * floating-point rounding so that the answer agrees with the predicate actually used by
 * `tryAcquire`; its loops are bounded and fail loudly.
 */
function exactWait(nowMs: number, estimateMs: number, admitAt: (t: number) => boolean): number {
  let r = Math.max(1, Math.ceil(estimateMs - 1e-6));
  let steps = 0;
  while (!admitAt(nowMs + r)) {
    r += 1;
    if (++steps > MAX_CORRECTION_STEPS) throw new Error(`rate limiter: retry-after did not converge (estimate ${estimateMs} ms)`);
  }
  while (r > 1 && admitAt(nowMs + r - 1)) {
    r -= 1;
    if (++steps > 2 * MAX_CORRECTION_STEPS) throw new Error(`rate limiter: retry-after did not converge (estimate ${estimateMs} ms)`);
  }
  return r;
}

/**
 * A linearly refilling bucket of `capacity` units, refilled at `ratePerS`; the leaky, token
 * and cost buckets are all this model (a leaky bucket's free room is a token bucket).
 */
function refillingBucket(capacity: number, ratePerS: number, cost: (opts: AcquireOptions) => number, what: string): Gate {
  let availAtT0 = capacity;
  let t0 = 0;
  let started = false;
  // Multiply before dividing so that integer rates and times refill exactly (2/s * 500 ms = 1).
  const avail = (t: number): number => (started ? Math.min(capacity, availAtT0 + ((t - t0) * ratePerS) / 1000) : capacity);
  const costOf = (opts: AcquireOptions): number => {
    const c = cost(opts);
    if (c > capacity) {
      throw new RangeError(`${what}: a request costing ${c} can never fit a bucket of ${capacity}; split the batch`);
    }
    return c;
  };
  return {
    waitMs(nowMs, opts) {
      const c = costOf(opts);
      const a = avail(nowMs);
      if (a >= c) return 0;
      return exactWait(nowMs, ((c - a) * 1000) / ratePerS, (t) => avail(t) >= c);
    },
    commit(nowMs, opts) {
      const a = avail(nowMs);
      availAtT0 = a - costOf(opts);
      t0 = nowMs;
      started = true;
    },
    trackedKeys: () => 0,
  };
}

function quotaGate(limit: number, periodS: number, scope: 'channel' | 'listing'): Gate {
  const windowMs = periodS * 1000;
  const windowOf = (t: number): number => Math.floor(t / windowMs);
  let window = Number.NEGATIVE_INFINITY;
  let channelCount = 0;
  const perKey = new Map<string, number>();

  const roll = (nowMs: number): void => {
    const w = windowOf(nowMs);
    if (w !== window) {
      window = w;
      channelCount = 0;
      perKey.clear();
    }
  };
  /** Occurrences of each key in the request (a bulk call may name a listing twice). */
  const keyCounts = (opts: AcquireOptions): Map<string, number> => {
    const keys = opts.keys ?? (opts.key === undefined ? undefined : [opts.key]);
    if (keys === undefined || keys.length === 0) {
      throw new RangeError("quota with scope 'listing' needs opts.key or opts.keys (the listings the request touches)");
    }
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const [k, n] of counts) {
      if (n > limit) throw new RangeError(`quota: listing ${JSON.stringify(k)} appears ${n} times in one request, above the limit of ${limit}`);
    }
    return counts;
  };
  /** Whether the request fits the window containing `t`, given the current state. */
  const fitsAt = (t: number, counts: Map<string, number> | undefined): boolean => {
    if (windowOf(t) !== window) return true; // a later window starts empty
    if (counts === undefined) return channelCount + 1 <= limit;
    for (const [k, n] of counts) if ((perKey.get(k) ?? 0) + n > limit) return false;
    return true;
  };

  return {
    waitMs(nowMs, opts) {
      roll(nowMs); // time never goes backwards here (the limiter checks), so forget a finished window now
      const counts = scope === 'listing' ? keyCounts(opts) : undefined;
      if (fitsAt(nowMs, counts)) return 0;
      const nextWindowStartMs = (windowOf(nowMs) + 1) * windowMs;
      return exactWait(nowMs, nextWindowStartMs - nowMs, (t) => fitsAt(t, counts));
    },
    commit(nowMs, opts) {
      roll(nowMs);
      if (scope === 'listing') {
        for (const [k, n] of keyCounts(opts)) perKey.set(k, (perKey.get(k) ?? 0) + n);
      } else {
        channelCount += 1;
      }
    },
    trackedKeys: () => perKey.size,
  };
}

function finiteNumber(problems: string[], name: string, v: unknown): v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    problems.push(`${name} must be a finite number`);
    return false;
  }
  return true;
}

/** Problems with a rate-limit spec, as human-readable strings; empty when valid. */
export function validateRateLimitSpec(spec: RateLimitSpec): string[] {
  const problems: string[] = [];
  const positive = (name: string, v: unknown): void => {
    if (finiteNumber(problems, name, v) && v <= 0) problems.push(`${name} must be > 0`);
  };
  switch (spec.kind) {
    case 'leaky-bucket':
      if (finiteNumber(problems, 'capacity', spec.capacity) && spec.capacity < 1) problems.push('capacity must be >= 1 (a request adds 1)');
      positive('leakPerS', spec.leakPerS);
      break;
    case 'token-bucket':
      positive('ratePerS', spec.ratePerS);
      if (finiteNumber(problems, 'burst', spec.burst) && spec.burst < 1) problems.push('burst must be >= 1 (a request takes 1 token)');
      break;
    case 'cost-bucket': {
      const okCap = finiteNumber(problems, 'capacityPoints', spec.capacityPoints);
      if (okCap && spec.capacityPoints <= 0) problems.push('capacityPoints must be > 0');
      positive('restorePerS', spec.restorePerS);
      const okCost = finiteNumber(problems, 'costPerRequest', spec.costPerRequest);
      if (okCost && spec.costPerRequest < 0) problems.push('costPerRequest must be >= 0');
      if (okCap && okCost && spec.costPerRequest > spec.capacityPoints) problems.push('costPerRequest must be <= capacityPoints');
      if (spec.costPerItem !== undefined && finiteNumber(problems, 'costPerItem', spec.costPerItem) && spec.costPerItem < 0) {
        problems.push('costPerItem must be >= 0');
      }
      break;
    }
    case 'quota':
      if (finiteNumber(problems, 'limit', spec.limit) && (!Number.isInteger(spec.limit) || spec.limit < 1)) {
        problems.push('limit must be an integer >= 1');
      }
      positive('periodS', spec.periodS);
      if (spec.scope !== undefined && spec.scope !== 'channel' && spec.scope !== 'listing') {
        problems.push(`scope must be 'channel' or 'listing'`);
      }
      break;
    default:
      problems.push(`unknown rate-limit kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
  return problems;
}

function gateFor(spec: RateLimitSpec): Gate {
  const problems = validateRateLimitSpec(spec);
  if (problems.length > 0) throw new RangeError(`invalid ${spec.kind} rate limit: ${problems.join('; ')}`);
  switch (spec.kind) {
    case 'leaky-bucket':
      return refillingBucket(spec.capacity, spec.leakPerS, () => 1, 'leaky-bucket');
    case 'token-bucket':
      return refillingBucket(spec.burst, spec.ratePerS, () => 1, 'token-bucket');
    case 'cost-bucket': {
      const perItem = spec.costPerItem ?? 0;
      return refillingBucket(spec.capacityPoints, spec.restorePerS, (o) => spec.costPerRequest + perItem * o.items, 'cost-bucket');
    }
    case 'quota':
      return quotaGate(spec.limit, spec.periodS, spec.scope ?? 'channel');
  }
}

function limiterOver(gates: readonly Gate[]): InspectableRateLimiter {
  let lastMs = Number.NEGATIVE_INFINITY;
  const decide = (nowMs: number, opts: AcquireOptions): number => {
    if (!Number.isFinite(nowMs)) throw new RangeError(`rate limiter: nowMs must be finite, got ${String(nowMs)}`);
    if (nowMs < lastMs) throw new RangeError(`rate limiter: virtual time went backwards (${nowMs} < ${lastMs})`);
    if (!(typeof opts.items === 'number' && Number.isFinite(opts.items) && opts.items >= 0)) {
      throw new RangeError(`rate limiter: items must be a finite number >= 0, got ${String(opts.items)}`);
    }
    lastMs = nowMs;
    // Every model is monotone (capacity only returns with time), so the earliest time all
    // admit is the latest of their individual earliest times.
    let wait = 0;
    for (const g of gates) wait = Math.max(wait, g.waitMs(nowMs, opts));
    return wait;
  };
  return {
    tryAcquire(nowMs, opts) {
      const wait = decide(nowMs, opts);
      if (wait > 0) return { ok: false, retryAfterMs: wait };
      for (const g of gates) g.commit(nowMs, opts);
      return { ok: true };
    },
    peek(nowMs, opts) {
      const wait = decide(nowMs, opts);
      return wait > 0 ? { ok: false, retryAfterMs: wait } : { ok: true };
    },
    trackedKeys: () => gates.reduce((n, g) => n + g.trackedKeys(), 0),
  };
}

/** A limiter for one model. Throws a RangeError on an invalid spec. */
export function createRateLimiter(spec: RateLimitSpec): InspectableRateLimiter {
  return limiterOver([gateFor(spec)]);
}

/**
 * A limiter that admits only when every model admits, and then consumes from all of them;
 * a refusal by any model consumes nothing anywhere. Its `retryAfterMs` is the exact wait
 * until all admit. An empty list admits everything.
 */
export function createRateLimiters(specs: readonly RateLimitSpec[]): InspectableRateLimiter {
  return limiterOver(specs.map(gateFor));
}
