/**
 * Per-channel propagation latency in bounded memory.
 *
 * The seed kept every sample in an array and sorted it on every read: memory grows without
 * bound and a read costs O(n log n). Here each channel owns one fixed-size HdrHistogram
 * (hdr-histogram-js, 64-bit buckets). It records into the library's WebAssembly histogram,
 * compiled synchronously on first use (initWebAssemblySync), so everything stays synchronous:
 * a sample costs about 22 ns there against 110 ns in its JavaScript twin, and a simulation
 * records about ten per order. The two share one bucket layout and give the same percentiles
 * (the nearest-rank tests below hold for this one); the bucket arithmetic for a value
 * (`medianEquivalentValue`) comes from an empty JavaScript histogram of the same layout.
 * WebAssembly memory is not collected: `dispose()` (and `reset()`) free it, and a series of an
 * observer dropped without either is freed when the observer is collected.
 *
 * Units and resolution. Durations arrive in (possibly fractional) milliseconds. HdrHistogram
 * records non-negative integers, so each duration is recorded as `round(durationMs * 1e6)`
 * integer **nanoseconds**. With 3 significant digits the histogram's equivalence buckets are at
 * most 1/1024 of their lower bound wide, and we report the bucket's *median* (half-width error
 * ≤ 1/2048 ≈ 0.049%), so a reported percentile is within 0.1% of the exact nearest-rank sample
 * for every duration ≥ 0.0005 ms, and within 0.5 ns absolute below that.
 *
 * Nearest rank. The seed's definition is the sample at sorted index `ceil(n*q) - 1`, i.e. rank
 * `k = ceil(n*q)` (at least 1). We compute `k` in integer arithmetic (the quantiles are
 * fractions `num/den`), so it is exact by construction rather than by how `n * 0.99` happens
 * to round (it agrees with the seed's float formula wherever we checked, n < 3e7). Then we ask
 * the histogram for the percentile
 * `100 * (k - 0.5) / n`: HdrHistogram's `getValueAtPercentile` itself uses the nearest-rank
 * count `ceil(p/100 * n)`, and aiming at the middle of rank k's interval makes that count
 * exactly k whatever the floating-point error. It returns the *highest* value equivalent to
 * the k-th sample's bucket (error up to 1/1024); we take the bucket's median instead and clamp
 * to the exact [min, max] seen, so rank 1 and rank n are exact.
 *
 * Bounded range. The histogram does not auto-resize: its range is fixed at construction
 * (`highestTrackableMs`, default 24 h; about 300 KB per channel). A larger duration is recorded
 * as `highestTrackableMs` and counted in `clampedCount`; `max` stays exact (tracked beside the
 * histogram), but a percentile whose rank falls among clamped samples reads as (about)
 * `highestTrackableMs`, a lower bound.
 */
import { build, initWebAssemblySync, JsHistogram, type Histogram } from 'hdr-histogram-js';
import type { Alert, Clock } from './ports.js';

export interface LatencyObserverOptions {
  /** A sample strictly above this raises a `latency_threshold` alert. */
  readonly alertThresholdMs: number;
  readonly onAlert?: (alert: Alert) => void;
  /** Stamps alerts (`atMs`). Without a clock, alerts carry `atMs: 0`. */
  readonly clock?: Clock;
  /** Upper end of the histogram's range; larger samples are clamped and counted. Default 24 h. */
  readonly highestTrackableMs?: number;
}

export interface LatencySnapshot {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export const DEFAULT_HIGHEST_TRACKABLE_MS = 86_400_000;

/** Nanoseconds per millisecond: the recording scale. */
const NS_PER_MS = 1_000_000;
/** The largest range whose nanosecond values stay exact integers in a double (~104 days). */
const MAX_HIGHEST_TRACKABLE_MS = Math.floor(Number.MAX_SAFE_INTEGER / NS_PER_MS);

/** A quantile as an exact fraction, so the nearest rank is computed without rounding error. */
interface Quantile {
  readonly num: number;
  readonly den: number;
}
const P50: Quantile = { num: 50, den: 100 };
const P95: Quantile = { num: 95, den: 100 };
const P99: Quantile = { num: 99, den: 100 };
/** Resolution of `quantiles()`: 6 decimals keep `count * num` exact below 9e9 samples. */
const QUANTILE_DEN = 1_000_000;

const EMPTY_SNAPSHOT: LatencySnapshot = Object.freeze({ count: 0, p50: 0, p95: 0, p99: 0, max: 0 });

/** One channel's (or the merged) state: the histogram plus the exact extremes. */
interface Series {
  readonly histogram: Histogram;
  minMs: number;
  maxMs: number;
  clamped: number;
}

/** Nearest rank `ceil(n * num / den)`, at least 1, in exact integer arithmetic. */
function nearestRank(count: number, q: Quantile): number {
  return Math.max(1, Math.floor((count * q.num + q.den - 1) / q.den));
}

/** Compiled once per thread, on the first series. */
let webAssemblyCompiled = false;
function ensureWebAssembly(): void {
  if (webAssemblyCompiled) return;
  initWebAssemblySync();
  webAssemblyCompiled = true;
}

/** Frees a series whose observer was dropped without `dispose`. */
const abandoned = new FinalizationRegistry<Histogram>((histogram) => histogram.destroy());

function freeSeries(series: Series): void {
  abandoned.unregister(series);
  series.histogram.destroy();
}

let layout: JsHistogram | undefined;
/**
 * The bucket layout every series shares: it depends on the lowest discernible value and the
 * significant digits, not on the range, so an empty JavaScript histogram answers for all.
 */
function bucketLayout(): JsHistogram {
  if (layout !== undefined) return layout;
  const histogram = build({ bitBucketSize: 64, autoResize: false, lowestDiscernibleValue: 1, highestTrackableValue: 2, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  // build() returns the JsHistogram subclass when WebAssembly is off; the check makes the
  // bucket-level methods (medianEquivalentValue) available to the type checker.
  if (!(histogram instanceof JsHistogram)) throw new Error('hdr-histogram-js returned a non-JS histogram with useWebAssembly: false');
  layout = histogram;
  return histogram;
}

function valueAtQuantileMs(series: Series, q: Quantile): number {
  const count = series.histogram.totalCount;
  const rank = nearestRank(count, q);
  if (rank >= count) return series.maxMs;
  if (rank === 1) return series.minMs;
  const highestEquivalentNs = series.histogram.getValueAtPercentile((100 * (rank - 0.5)) / count);
  const medianNs = bucketLayout().medianEquivalentValue(highestEquivalentNs);
  return Math.min(series.maxMs, Math.max(series.minMs, medianNs / NS_PER_MS));
}

function snapshotOf(series: Series): LatencySnapshot {
  if (series.histogram.totalCount === 0) return EMPTY_SNAPSHOT;
  return {
    count: series.histogram.totalCount,
    p50: valueAtQuantileMs(series, P50),
    p95: valueAtQuantileMs(series, P95),
    p99: valueAtQuantileMs(series, P99),
    max: series.maxMs,
  };
}

function requireFiniteNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
}

export class LatencyObserver {
  readonly alertThresholdMs: number;
  readonly highestTrackableMs: number;
  readonly #onAlert: ((alert: Alert) => void) | undefined;
  readonly #clock: Clock | undefined;
  readonly #highestTrackableNs: number;
  readonly #series = new Map<string, Series>();

  constructor(options: LatencyObserverOptions) {
    requireFiniteNonNegative('alertThresholdMs', options.alertThresholdMs);
    const highestTrackableMs = options.highestTrackableMs ?? DEFAULT_HIGHEST_TRACKABLE_MS;
    if (!Number.isFinite(highestTrackableMs) || highestTrackableMs < 0.001 || highestTrackableMs > MAX_HIGHEST_TRACKABLE_MS) {
      throw new RangeError(
        `highestTrackableMs must be within 0.001..${MAX_HIGHEST_TRACKABLE_MS}, got ${String(highestTrackableMs)}`,
      );
    }
    this.alertThresholdMs = options.alertThresholdMs;
    this.highestTrackableMs = highestTrackableMs;
    this.#highestTrackableNs = Math.ceil(highestTrackableMs * NS_PER_MS);
    this.#onAlert = options.onAlert;
    this.#clock = options.clock;
  }

  recordPropagation(channelId: string, durationMs: number): void {
    requireFiniteNonNegative('durationMs', durationMs);
    const series = this.#seriesFor(channelId);
    const ns = Math.round(durationMs * NS_PER_MS);
    if (ns > this.#highestTrackableNs) {
      series.clamped += 1;
      series.histogram.recordValue(this.#highestTrackableNs);
    } else {
      series.histogram.recordValue(ns);
    }
    if (durationMs < series.minMs) series.minMs = durationMs;
    if (durationMs > series.maxMs) series.maxMs = durationMs;
    if (durationMs > this.alertThresholdMs) this.#raise(channelId, durationMs);
  }

  /** Forgets every sample: a new measurement period starts (the service's measured window). */
  reset(): void {
    for (const series of this.#series.values()) freeSeries(series);
    this.#series.clear();
  }

  /** Frees the histograms' memory (as `reset`): for the owner of a run that is over. */
  dispose(): void {
    this.reset();
  }

  /** The seed's p99 (nearest rank); 0 for a channel with no samples. */
  getP99Latency(channelId: string): number {
    return this.snapshot(channelId).p99;
  }

  snapshot(channelId: string): LatencySnapshot {
    const series = this.#series.get(channelId);
    return series === undefined ? EMPTY_SNAPSHOT : snapshotOf(series);
  }

  /**
   * Nearest-rank values (ms) at each quantile `q` in [0, 1] (0 reads as the minimum, 1 as the
   * maximum), in the order given: the points of the channel's latency distribution (CDF) for
   * reports. Each `q` is taken to 6 decimals, so the rank is exact integer arithmetic as in
   * `snapshot`; a channel with no samples reads 0 everywhere, as `snapshot` does.
   */
  quantiles(channelId: string, qs: readonly number[]): number[] {
    const fractions = qs.map((q) => {
      if (!Number.isFinite(q) || q < 0 || q > 1) throw new RangeError(`a quantile must be within 0..1, got ${String(q)}`);
      return { num: Math.round(q * QUANTILE_DEN), den: QUANTILE_DEN };
    });
    const series = this.#series.get(channelId);
    if (series === undefined || series.histogram.totalCount === 0) return fractions.map(() => 0);
    return fractions.map((q) => valueAtQuantileMs(series, q));
  }

  /** Channels with at least one sample, sorted (a deterministic order for reports). */
  channels(): string[] {
    return [...this.#series.keys()].sort();
  }

  /** How many of the channel's samples (of all channels', without an argument) were clamped. */
  clampedCount(channelId?: string): number {
    if (channelId !== undefined) return this.#series.get(channelId)?.clamped ?? 0;
    let total = 0;
    for (const series of this.#series.values()) total += series.clamped;
    return total;
  }

  /** Percentiles over every channel's samples together (histograms added bucket by bucket). */
  merged(): LatencySnapshot {
    if (this.#series.size === 0) return EMPTY_SNAPSHOT;
    const merged = this.#newSeries();
    try {
      for (const series of this.#series.values()) {
        merged.histogram.add(series.histogram);
        merged.minMs = Math.min(merged.minMs, series.minMs);
        merged.maxMs = Math.max(merged.maxMs, series.maxMs);
        merged.clamped += series.clamped;
      }
      return snapshotOf(merged);
    } finally {
      freeSeries(merged);
    }
  }

  #seriesFor(channelId: string): Series {
    let series = this.#series.get(channelId);
    if (series === undefined) {
      series = this.#newSeries();
      this.#series.set(channelId, series);
    }
    return series;
  }

  #newSeries(): Series {
    ensureWebAssembly();
    const histogram = build({
      bitBucketSize: 64,
      autoResize: false,
      lowestDiscernibleValue: 1,
      highestTrackableValue: Math.max(2, this.#highestTrackableNs),
      numberOfSignificantValueDigits: 3,
      useWebAssembly: true,
    });
    const series: Series = { histogram, minMs: Number.POSITIVE_INFINITY, maxMs: 0, clamped: 0 };
    abandoned.register(series, histogram, series);
    return series;
  }

  #raise(channelId: string, durationMs: number): void {
    if (this.#onAlert === undefined) return;
    this.#onAlert({
      kind: 'latency_threshold',
      severity: 'critical',
      message: `propagation latency ${durationMs} ms on ${channelId} exceeds ${this.alertThresholdMs} ms`,
      atMs: this.#clock?.nowMs() ?? 0,
      detail: { channelId, durationMs, thresholdMs: this.alertThresholdMs },
    });
  }
}
