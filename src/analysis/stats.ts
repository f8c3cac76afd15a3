/**
 * Means and 95% confidence intervals (Student t) over seeds, and rounding that keeps the JSON
 * byte-stable. simple-statistics gives the mean and the sample standard deviation; it has no
 * inverse t distribution, so the two-sided 97.5% quantile comes from a table (df 1..30, values
 * from scipy.stats.t.ppf(0.975, df) to 6 decimals) and, above 30 degrees of freedom, from the
 * Cornish-Fisher expansion around the normal quantile (error below 3e-8 for df > 30).
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';

export interface Estimate {
  readonly mean: number;
  readonly ci95: readonly [number, number];
  /** Present only when some seeds had no value (null): how many did, and so what the estimate is over. */
  readonly seedsWithData?: number;
}

const T975: readonly number[] = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369,
  2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529,
  2.051831, 2.048407, 2.04523, 2.042272,
];

/** The normal 97.5% quantile (simple-statistics' probit is only accurate to about 3 decimals). */
const Z975 = 1.959963984540054;

/** The 97.5% quantile of Student's t with `df` degrees of freedom. */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be an integer >= 1, got ${df}`);
  const tabled = T975[df - 1];
  if (tabled !== undefined) return tabled;
  const z = Z975;
  const v = df;
  return (
    z +
    (z ** 3 + z) / (4 * v) +
    (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2) +
    (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3) +
    (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / (92160 * v ** 4)
  );
}

/** Decimal places kept in reported statistics: enough for fractions, counts and milliseconds alike. */
export const REPORT_DECIMALS = 6;

/** Rounds to REPORT_DECIMALS places; never returns -0 (so JSON is the same whatever the sign of zero). */
export function roundStat(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`cannot report a non-finite statistic (${x})`);
  const r = Number(x.toFixed(REPORT_DECIMALS));
  return r === 0 ? 0 : r;
}

/** Mean and 95% Student-t confidence interval of a sample of at least two values, rounded. */
export function estimate(values: readonly number[]): Estimate {
  if (values.length < 2) throw new RangeError(`a confidence interval needs at least 2 values, got ${values.length}`);
  const sample = [...values];
  const m = mean(sample);
  const halfWidth = (tQuantile975(sample.length - 1) * sampleStandardDeviation(sample)) / Math.sqrt(sample.length);
  return { mean: roundStat(m), ci95: [roundStat(m - halfWidth), roundStat(m + halfWidth)] };
}

/** Per-pair differences `a[i] - b[i]` (common random numbers: a and b ran on the same seeds), estimated. */
export function pairedDifference(a: readonly number[], b: readonly number[]): Estimate {
  if (a.length !== b.length) throw new RangeError(`paired samples differ in length (${a.length} vs ${b.length})`);
  return estimate(a.map((x, i) => x - b[i]!));
}

/**
 * The estimate over the values that exist (null: the seed had no data, such as the latency of a
 * strategy that propagated nothing). Null when fewer than two exist: no number stands for no data.
 */
export function estimateOrNull(values: readonly (number | null)[]): Estimate | null {
  const present = values.filter((v): v is number => v !== null);
  if (present.length < 2) return null;
  const e = estimate(present);
  return present.length === values.length ? e : { ...e, seedsWithData: present.length };
}

/** The paired difference over the seeds where both sides have a value; null when fewer than two do. */
export function pairedDifferenceOrNull(a: readonly (number | null)[], b: readonly (number | null)[]): Estimate | null {
  if (a.length !== b.length) throw new RangeError(`paired samples differ in length (${a.length} vs ${b.length})`);
  return estimateOrNull(a.map((x, i) => (x === null || b[i] === null ? null : x - b[i]!)));
}
