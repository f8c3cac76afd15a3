/**
 * Seeded randomness with named sub-streams (common random numbers).
 *
 * One root seed; each component draws from `streams.stream(name)`, a generator seeded with
 * `${rootSeed}\u0000${name}`. A stream's sequence depends only on the root seed and its own name,
 * so adding a channel or switching strategy never perturbs the order stream. The generator is
 * seedrandom's Alea (53-bit state, ~2^116 period, passes BigCrush, and the fastest of
 * seedrandom's generators); each draw is a multiple of 2^-32 in [0, 1).
 *
 * The samplers are the textbook ones, written here because seedrandom supplies only uniforms:
 * inverse transform (exponential), Box-Muller with the spare cached (normal), Knuth's product
 * method below a mean of 10 and Hörmann's PTRS above it (Poisson, as numpy does), Fisher-Yates,
 * and an inverse-CDF table with binary search (Zipf). Every sampler consumes a fixed, documented
 * number of uniforms or a number that depends only on the uniforms drawn, so sequences replay
 * exactly.
 */
import seedrandom from 'seedrandom';
import type { Random } from '../engine/ports.js';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_MINUS_53 = 1.1102230246251565e-16;
const POISSON_PTRS_MIN_MEAN = 10;
const LOG_SQRT_TWO_PI_TIMES_TWO = 1.8378770664093453; // ln(2π)

function requireFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
}

/** A seeded generator with the samplers the simulator needs. */
export class Rng implements Random {
  readonly seed: string;
  private readonly prng: () => number;
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(seed: string) {
    this.seed = seed;
    this.prng = seedrandom.alea(seed);
  }

  /** Uniform in [0, 1), 32 bits. */
  next(): number {
    return this.prng();
  }

  /** Uniform in [min, max); `min` when they are equal. */
  uniform(min: number, max: number): number {
    requireFinite('min', min);
    requireFinite('max', max);
    if (max < min) throw new RangeError(`max must be >= min, got min=${min} max=${max}`);
    return min + (max - min) * this.prng();
  }

  /** Uniform integer in [minInclusive, maxExclusive). Spans above 2^32 use 53-bit draws. */
  int(minInclusive: number, maxExclusive: number): number {
    if (!Number.isSafeInteger(minInclusive)) throw new RangeError(`minInclusive must be a safe integer, got ${minInclusive}`);
    if (!Number.isSafeInteger(maxExclusive)) throw new RangeError(`maxExclusive must be a safe integer, got ${maxExclusive}`);
    const span = maxExclusive - minInclusive;
    if (!(span > 0)) throw new RangeError(`maxExclusive must be > minInclusive, got [${minInclusive}, ${maxExclusive})`);
    const u = span <= TWO_POW_32 ? this.prng() : this.prng() + ((this.prng() * 0x200000) | 0) * TWO_POW_MINUS_53;
    return minInclusive + Math.floor(u * span);
  }

  /** True with probability `p`. Always draws one uniform, even for p = 0 or 1. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
    return this.prng() < p;
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(ratePerUnit: number): number {
    if (!(ratePerUnit > 0) || ratePerUnit === Infinity) {
      throw new RangeError(`ratePerUnit must be finite and > 0, got ${ratePerUnit}`);
    }
    return -Math.log(1 - this.prng()) / ratePerUnit;
  }

  /** Standard normal. Box-Muller: two uniforms give two normals; the second is kept for the next call. */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.prng()));
    const angle = 2 * Math.PI * this.prng();
    this.spareNormal = radius * Math.sin(angle);
    this.hasSpareNormal = true;
    return radius * Math.cos(angle);
  }

  /** exp(mu + sigma·Z): the median is exp(mu). */
  lognormal(mu: number, sigma: number): number {
    requireFinite('mu', mu);
    if (!(sigma >= 0) || sigma === Infinity) throw new RangeError(`sigma must be finite and >= 0, got ${sigma}`);
    return Math.exp(mu + sigma * this.normal());
  }

  /** Poisson with the given mean: Knuth below 10, PTRS (Hörmann 1993) from 10 up. */
  poisson(mean: number): number {
    if (!(mean >= 0) || mean === Infinity) throw new RangeError(`mean must be finite and >= 0, got ${mean}`);
    if (mean === 0) return 0;
    return mean < POISSON_PTRS_MIN_MEAN ? this.poissonKnuth(mean) : this.poissonPtrs(mean);
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('items must not be empty');
    return items[Math.floor(this.prng() * items.length)] as T;
  }

  /** Shuffles in place (Fisher-Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  private poissonKnuth(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let product = this.prng();
    while (product > limit) {
      k++;
      product *= this.prng();
    }
    return k;
  }

  /** Transformed rejection with squeeze; the constants are Hörmann's, as in numpy's legacy sampler. */
  private poissonPtrs(mean: number): number {
    const sqrtMean = Math.sqrt(mean);
    const logMean = Math.log(mean);
    const b = 0.931 + 2.53 * sqrtMean;
    const a = -0.059 + 0.02483 * b;
    const logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.prng() - 0.5;
      const v = this.prng();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      // v = 0 gives log(v) = -Infinity and accepts k, as numpy does (probability 2^-32).
      if (Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b) <= -mean + k * logMean - logGamma(k + 1)) return k;
    }
  }
}

/** ln Γ(x) for x >= 1 (Stirling series with upward shift below 7), as numpy's `loggam`. */
function logGamma(x: number): number {
  if (x === 1 || x === 2) return 0;
  const shift = x < 7 ? Math.floor(7 - x) : 0;
  let x0 = x + shift;
  const x2 = 1 / (x0 * x0);
  const coefficients = [
    8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4,
    8.417508417508418e-4, -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2,
    1.796443723688307e-1, -1.3924322169059,
  ];
  let series = coefficients[9] as number;
  for (let k = 8; k >= 0; k--) series = series * x2 + (coefficients[k] as number);
  let result = series / x0 + 0.5 * LOG_SQRT_TWO_PI_TIMES_TWO + (x0 - 0.5) * Math.log(x0) - x0;
  for (let k = 0; k < shift; k++) {
    x0 -= 1;
    result -= Math.log(x0);
  }
  return result;
}

/** One root seed, one cached `Rng` per name. */
export class RandomStreams {
  readonly rootSeed: string;
  private readonly streams = new Map<string, Rng>();

  /** A number seed is used as its decimal string, so `7` and `'7'` give the same streams. */
  constructor(rootSeed: number | string) {
    if (typeof rootSeed === 'number' && !Number.isFinite(rootSeed)) {
      throw new RangeError(`rootSeed must be a finite number or a string, got ${rootSeed}`);
    }
    this.rootSeed = String(rootSeed);
  }

  /** The stream for `name`; the same instance on every call, so components share it only by name. */
  stream(name: string): Rng {
    let rng = this.streams.get(name);
    if (rng === undefined) {
      rng = new Rng(`${this.rootSeed}\u0000${name}`);
      this.streams.set(name, rng);
    }
    return rng;
  }

  /** Names handed out so far, in first-use order. */
  names(): readonly string[] {
    return [...this.streams.keys()];
  }
}

/** Zipf ranks 0..n-1 with P(rank k) ∝ 1/(k+1)^exponent; a CDF table and binary search. */
export class ZipfSampler {
  readonly n: number;
  readonly exponent: number;
  private readonly cdf: Float64Array;

  constructor(n: number, exponent: number) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
    if (!(exponent >= 0) || exponent === Infinity) throw new RangeError(`exponent must be finite and >= 0, got ${exponent}`);
    this.n = n;
    this.exponent = exponent;
    const cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, exponent);
      cdf[k] = total;
    }
    for (let k = 0; k < n; k++) cdf[k] = (cdf[k] as number) / total;
    cdf[n - 1] = 1; // guard against rounding leaving the last bucket just below 1
    this.cdf = cdf;
  }

  /** P(rank = k). */
  probability(rank: number): number {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.n) return 0;
    return (this.cdf[rank] as number) - (rank === 0 ? 0 : (this.cdf[rank - 1] as number));
  }

  /** A 0-based rank: the first k with cdf[k] > u. One uniform per sample. */
  sample(rng: Rng): number {
    const u = rng.next();
    const cdf = this.cdf;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
