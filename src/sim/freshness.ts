/**
 * Listing freshness over the measured period: for every listing (channel × SKU) whether it shows
 * what it should, since when it has not, and the integrals the result reports (confidence lost,
 * time invisible to AI shopping agents, time below the minimum confidence), plus the stale
 * windows' distribution and the sampled series for the report's chart.
 */
import { evaluateListingFreshness, FreshnessSums } from '../engine/freshness.js';
import { LatencyObserver } from '../engine/latency-observer.js';

export interface FreshnessPorts {
  readonly nowMs: () => number;
  /** What channel c shows for SKU i now. */
  readonly shown: (c: number, i: number) => number;
  /** What channel c should show for SKU i given the source of truth now. */
  readonly target: (c: number, i: number) => number;
}

export interface FreshnessIntegrals {
  readonly loss: number;
  readonly invisible: number;
  readonly belowMin: number;
}

export class ListingFreshness {
  /**
   * Per listing, flattened i * nChannels + c (a SKU's listings side by side: a commit re-evaluates
   * all of them at once): when it turned stale, NaN while fresh. Walks over every listing go
   * channel by channel (`forEachStale`), so sums add up in the same order whatever the layout.
   */
  private readonly staleSince: Float64Array;
  private stale = 0;
  private readonly sums: FreshnessSums;
  private readonly staleObserver: LatencyObserver;
  readonly series: number[] = [];

  constructor(
    private readonly options: { readonly nChannels: number; readonly nSku: number; readonly durationMs: number; readonly horizonMs: number; readonly maxStalenessMs: number; readonly minConfidence: number },
    private readonly ports: FreshnessPorts,
  ) {
    this.staleSince = new Float64Array(options.nChannels * options.nSku).fill(Number.NaN);
    this.sums = new FreshnessSums(options);
    this.staleObserver = new LatencyObserver({ alertThresholdMs: Number.MAX_SAFE_INTEGER, highestTrackableMs: options.horizonMs });
  }

  /** Frees the stale-window histogram's memory (the run is over and its result built). */
  dispose(): void {
    this.staleObserver.dispose();
  }

  /** Listings that differ from what they should show now. */
  get staleCount(): number {
    return this.stale;
  }

  /** Re-evaluates whether listing (c, i) differs from what it should show; integrates freshness. */
  restale(c: number, i: number): void {
    const slot = i * this.options.nChannels + c;
    const fresh = this.ports.shown(c, i) === this.ports.target(c, i);
    const since = this.staleSince[slot]!;
    const now = this.ports.nowMs();
    if (fresh && !Number.isNaN(since)) {
      this.staleObserver.recordPropagation('stale', now - since);
      this.integrate(since, since, Math.min(now, this.options.durationMs));
      this.staleSince[slot] = Number.NaN;
      this.stale--;
    } else if (!fresh && Number.isNaN(since)) {
      this.staleSince[slot] = now;
      this.stale++;
    }
  }

  /** Samples the mean confidence over every listing now (the series' next point). */
  sample(): void {
    const now = this.ports.nowMs();
    let loss = 0;
    const model = { maxStalenessMs: this.options.maxStalenessMs };
    this.forEachStale((since) => {
      loss += 1 - evaluateListingFreshness(since, now, model);
      return true;
    });
    this.series.push(round6(1 - loss / this.staleSince.length));
  }

  /** Closes the measured period: listings still stale are integrated up to its end. */
  closeMeasuredPeriod(): FreshnessIntegrals {
    this.forEachStale((since) => {
      this.integrate(since, since, this.options.durationMs);
      return true;
    });
    return { loss: this.sums.confidenceLossMs, invisible: this.sums.invisibleMs, belowMin: this.sums.belowMinMs };
  }

  /** The stale windows closed so far. */
  staleWindows(): ReturnType<LatencyObserver['snapshot']> {
    return this.staleObserver.snapshot('stale');
  }

  /** Up to `limit` stale listings as (c, i), for a heal-phase diagnosis. */
  staleListings(limit: number): [number, number][] {
    const out: [number, number][] = [];
    if (limit > 0) this.forEachStale((_since, c, i) => out.push([c, i]) < limit);
    return out;
  }

  /** Calls `visit` for every stale listing, channel by channel, SKUs in order, while it returns true. */
  private forEachStale(visit: (since: number, c: number, i: number) => boolean): void {
    const { nChannels, nSku } = this.options;
    for (let c = 0; c < nChannels; c++) {
      for (let i = 0; i < nSku; i++) {
        const since = this.staleSince[i * nChannels + c]!;
        if (!Number.isNaN(since) && !visit(since, c, i)) return;
      }
    }
  }

  private integrate(staleSinceMs: number, fromMs: number, toMs: number): void {
    if (toMs > fromMs) this.sums.add(fromMs, toMs, staleSinceMs);
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
