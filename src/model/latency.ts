/**
 * Latency distributions for simulated channels, as plain data.
 *
 * Sampling is a pure function of one uniform draw from an injected random source, so a
 * channel's latency stream is reproducible from its seed: exactly one `rng.next()` per
 * sample, whatever the distribution (common random numbers stay aligned when a scenario
 * switches a channel from `fixed` to `lognormal`). No state, no caching.
 */

export type LatencySpec =
  | { kind: 'fixed'; ms: number }
  | { kind: 'lognormal'; medianMs: number; p99Ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number };

/** A uniform source in [0, 1), e.g. the engine's `Random` port or a seeded sub-stream. */
export interface UniformSource {
  next(): number;
}

/** The standard normal 0.99 quantile, z such that Phi(z) = 0.99. */
export const Z_99 = 2.3263478740408408;

// Acklam's rational approximation of the inverse normal CDF (relative error < 1.15e-9).
const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
] as const;
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
] as const;
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
] as const;
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
const P_LOW = 0.02425;
const P_HIGH = 1 - P_LOW;

function tail(q: number): number {
  return (
    (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
    ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1)
  );
}

/**
 * The standard normal quantile function Phi^-1(p), by Acklam's algorithm (relative error
 * below 1.15e-9 over (0, 1)). `p = 0` gives -Infinity, `p = 1` gives +Infinity; a `p`
 * outside [0, 1] or NaN throws.
 */
export function inverseNormalCdf(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`inverseNormalCdf: p must be in [0, 1], got ${String(p)}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p < P_LOW) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > P_HIGH) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
    (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  );
}

/** mu and sigma of the underlying normal of a lognormal given by its median and p99. */
export function lognormalParams(spec: { medianMs: number; p99Ms: number }): { mu: number; sigma: number } {
  const mu = Math.log(spec.medianMs);
  return { mu, sigma: (Math.log(spec.p99Ms) - mu) / Z_99 };
}

/** Problems with a latency spec, as human-readable strings; empty when valid. */
export function validateLatencySpec(spec: LatencySpec): string[] {
  const problems: string[] = [];
  const finite = (name: string, v: unknown): v is number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.push(`${name} must be a finite number`);
      return false;
    }
    return true;
  };
  switch (spec.kind) {
    case 'fixed':
      if (finite('ms', spec.ms) && spec.ms < 0) problems.push('ms must be >= 0');
      break;
    case 'lognormal': {
      const okMedian = finite('medianMs', spec.medianMs);
      const okP99 = finite('p99Ms', spec.p99Ms);
      if (okMedian && spec.medianMs <= 0) problems.push('medianMs must be > 0');
      if (okMedian && okP99 && spec.p99Ms <= spec.medianMs) problems.push('p99Ms must be > medianMs');
      break;
    }
    case 'uniform': {
      const okMin = finite('minMs', spec.minMs);
      const okMax = finite('maxMs', spec.maxMs);
      if (okMin && spec.minMs < 0) problems.push('minMs must be >= 0');
      if (okMin && okMax && spec.maxMs < spec.minMs) problems.push('maxMs must be >= minMs');
      break;
    }
    default:
      problems.push(`unknown latency kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
  return problems;
}

function assertValid(spec: LatencySpec): void {
  const problems = validateLatencySpec(spec);
  if (problems.length > 0) throw new RangeError(`invalid latency spec: ${problems.join('; ')}`);
}

/**
 * The q-quantile of the distribution in closed form: fixed -> ms; uniform -> min + q(max-min);
 * lognormal -> exp(mu + sigma * Phi^-1(q)). `q` must be in [0, 1].
 */
export function latencyQuantileMs(spec: LatencySpec, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`latencyQuantileMs: q must be in [0, 1], got ${String(q)}`);
  assertValid(spec);
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.minMs + q * (spec.maxMs - spec.minMs);
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(spec);
      return Math.exp(mu + sigma * inverseNormalCdf(q));
    }
  }
}

/** The smallest positive double of the form k * 2^-53, the resolution of a uniform draw. */
const MIN_UNIFORM = 2 ** -53;

/**
 * One latency sample in ms. Draws exactly one `rng.next()` (also for `fixed`, so stream
 * positions do not depend on the distribution chosen). The lognormal sample is the
 * quantile at the drawn uniform (inverse-CDF sampling); a draw of exactly 0 is taken as
 * 2^-53 so the sample stays positive and finite. The spec is not re-validated on this hot
 * path: check it once with `validateLatencySpec` when the scenario is loaded.
 */
export function sampleLatencyMs(spec: LatencySpec, rng: UniformSource): number {
  const u = rng.next();
  if (!(u >= 0 && u < 1)) throw new RangeError(`random source returned ${String(u)}, expected a number in [0, 1)`);
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.minMs + u * (spec.maxMs - spec.minMs);
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(spec);
      return Math.exp(mu + sigma * inverseNormalCdf(u > 0 ? u : MIN_UNIFORM));
    }
    default:
      throw new RangeError(`unknown latency kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
}
