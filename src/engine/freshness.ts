/**
 * The seed's listing-freshness model: an agent's confidence in a listing decays linearly from 1
 * at the moment of an update to 0 at `maxStalenessMs`, and stays 0 after ("invisible").
 *
 * Unlike the seed, the current time is a parameter (the engine never reads a clock itself), and
 * bad inputs are rejected with a RangeError that names the argument. A `lastUpdateMs` later than
 * `nowMs` is a caller bug (a listing cannot be updated in the future), so it throws rather than
 * being clamped to 1.
 */

export interface FreshnessConfig {
  readonly maxStalenessMs: number;
}

/** The seed's configuration template: `max_staleness_seconds: 30`, `min_confidence_score: 0.8`. */
export const DEFAULT_FRESHNESS = Object.freeze({ maxStalenessMs: 30_000, minConfidenceScore: 0.8 });

function requireFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${String(value)}`);
}

function requirePositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${String(value)}`);
  }
}

/**
 * Confidence in [0, 1]: `1 - staleness / maxStalenessMs`, and 0 once staleness reaches
 * `maxStalenessMs` (at exactly the maximum the linear formula already gives 0).
 */
export function evaluateListingFreshness(
  lastUpdateMs: number,
  nowMs: number,
  { maxStalenessMs }: FreshnessConfig = { maxStalenessMs: DEFAULT_FRESHNESS.maxStalenessMs },
): number {
  requireFinite('lastUpdateMs', lastUpdateMs);
  requireFinite('nowMs', nowMs);
  requirePositive('maxStalenessMs', maxStalenessMs);
  const stalenessMs = nowMs - lastUpdateMs;
  if (stalenessMs < 0) {
    throw new RangeError(`lastUpdateMs (${lastUpdateMs}) must not be later than nowMs (${nowMs})`);
  }
  if (stalenessMs >= maxStalenessMs) return 0;
  return 1 - stalenessMs / maxStalenessMs;
}

export interface FreshnessIntegralParams {
  readonly fromMs: number;
  readonly toMs: number;
  /** The listing's last update; must not be later than `fromMs` (no update inside the interval). */
  readonly lastUpdateMs: number;
  readonly maxStalenessMs: number;
  /** Confidence strictly below this counts towards `belowMinMs`; within 0..1. */
  readonly minConfidence: number;
}

export interface FreshnessIntegral {
  /** ∫ confidence dt over [fromMs, toMs], in confidence·ms; divide by the length for the mean. */
  readonly confidenceIntegralMs: number;
  /** Time in [fromMs, toMs] at confidence 0 (staleness ≥ maxStalenessMs). */
  readonly invisibleMs: number;
  /** Time in [fromMs, toMs] with confidence < minConfidence. */
  readonly belowMinMs: number;
}

/** Length of [lo, hi] ∩ [threshold, ∞). */
function lengthAtOrAbove(lo: number, hi: number, threshold: number): number {
  return Math.max(0, hi - Math.max(lo, threshold));
}

/**
 * The exact integral of the confidence of one listing between two of its updates. The
 * simulator calls it for each interval in which a listing's `lastUpdateMs` is constant, so
 * freshness metrics are exact rather than sampled.
 *
 * In staleness coordinates s = t - lastUpdateMs, confidence is c(s) = 1 - s/M on [0, M) and 0
 * after. With a = min(s0, M), b = min(s1, M): ∫ c = (b - a) · (1 - (a + b) / 2M). Confidence is
 * below m exactly when s > M(1 - m) (for m > 0; with m = 0 nothing is below it).
 */
export function integrateFreshness(params: FreshnessIntegralParams): FreshnessIntegral {
  const { fromMs, toMs, lastUpdateMs, maxStalenessMs, minConfidence } = params;
  requireFinite('fromMs', fromMs);
  requireFinite('toMs', toMs);
  requireFinite('lastUpdateMs', lastUpdateMs);
  requireModel(maxStalenessMs, minConfidence);
  requireInterval(fromMs, toMs, lastUpdateMs);
  const out = new Float64Array(3);
  integralsInto(out, fromMs - lastUpdateMs, toMs - lastUpdateMs, maxStalenessMs, minConfidence);
  return { confidenceIntegralMs: out[INTEGRAL]!, invisibleMs: out[INVISIBLE]!, belowMinMs: out[BELOW_MIN]! };
}

/**
 * Sums of `integrateFreshness` over many intervals, of many listings, with no object per
 * interval: the simulator closes several stale windows per order. The model's parameters are
 * checked once, at construction; each interval is checked as `integrateFreshness` checks it.
 */
export class FreshnessSums {
  /** Σ (length - ∫ confidence): confidence·ms lost. */
  confidenceLossMs = 0;
  invisibleMs = 0;
  belowMinMs = 0;
  private readonly out = new Float64Array(3);

  constructor(private readonly model: { readonly maxStalenessMs: number; readonly minConfidence: number }) {
    requireModel(model.maxStalenessMs, model.minConfidence);
  }

  /** Adds [fromMs, toMs] of a listing last updated at `lastUpdateMs`. */
  add(fromMs: number, toMs: number, lastUpdateMs: number): void {
    requireFinite('fromMs', fromMs);
    requireFinite('toMs', toMs);
    requireFinite('lastUpdateMs', lastUpdateMs);
    requireInterval(fromMs, toMs, lastUpdateMs);
    const out = this.out;
    integralsInto(out, fromMs - lastUpdateMs, toMs - lastUpdateMs, this.model.maxStalenessMs, this.model.minConfidence);
    this.confidenceLossMs += toMs - fromMs - out[INTEGRAL]!;
    this.invisibleMs += out[INVISIBLE]!;
    this.belowMinMs += out[BELOW_MIN]!;
  }
}

function requireModel(maxStalenessMs: number, minConfidence: number): void {
  requirePositive('maxStalenessMs', maxStalenessMs);
  if (!Number.isFinite(minConfidence) || minConfidence < 0 || minConfidence > 1) {
    throw new RangeError(`minConfidence must be within 0..1, got ${String(minConfidence)}`);
  }
}

function requireInterval(fromMs: number, toMs: number, lastUpdateMs: number): void {
  if (!(toMs >= fromMs)) throw new RangeError(`toMs (${toMs}) must not be earlier than fromMs (${fromMs})`);
  if (!(lastUpdateMs <= fromMs)) {
    throw new RangeError(`lastUpdateMs (${lastUpdateMs}) must not be later than fromMs (${fromMs})`);
  }
}

const INTEGRAL = 0;
const INVISIBLE = 1;
const BELOW_MIN = 2;

/** The three integrals over staleness [s0, s1], written into `out` (one formula for both callers). */
function integralsInto(out: Float64Array, s0: number, s1: number, maxStalenessMs: number, minConfidence: number): void {
  const a = Math.min(s0, maxStalenessMs);
  const b = Math.min(s1, maxStalenessMs);
  out[INTEGRAL] = (b - a) * (1 - (a + b) / (2 * maxStalenessMs));
  out[INVISIBLE] = lengthAtOrAbove(s0, s1, maxStalenessMs);
  out[BELOW_MIN] = minConfidence === 0 ? 0 : lengthAtOrAbove(s0, s1, maxStalenessMs * (1 - minConfidence));
}
