/**
 * The black-box audit of the channel twins: what an observer standing at the marketplaces can
 * tell about a sync service it cannot see into. It hears only what the twins see (their
 * customers' purchases, every listing change, every API call answered) and the restocks the
 * harness itself made, and from those keeps its own source of truth per SKU:
 *
 *   truth = initial stock + restocks reported − units taken by the twins' customers.
 *
 * An order a twin took beyond that truth (an **oversell**) cannot be fulfilled: it is cancelled
 * whole, so it takes nothing from the truth (as the engine rejects it, insufficient_stock).
 *
 * Definitions (DESIGN.md, "Definitions of the numbers", read from outside):
 * - oversell: an order a twin took (its listing showed the units) while truth < units.
 * - lost sale: a customer turned away (listing < units) while truth ≥ units.
 * - propagation latency: from a sale on channel A (truth after it = v) to the first moment each
 *   other channel B lists ≤ v. B already at ≤ v at the sale has nothing to propagate. B's own
 *   customers lower B's listing without the service, so a later sale of u units on B lowers the
 *   target to v − u; a restock of the SKU changes the truth the sale was measured against, so the
 *   sales still pending on it end there as `superseded` (no black-box end to measure). An
 *   oversold order on B still lowers B's listing (the twin took it), and may end B's pending
 *   sales there: B's listing did come down to the truth.
 * - freshness: a listing is stale while it differs from the truth. A black box knows no listing
 *   policy (a safety buffer lists below the truth on purpose), so "differs" is strict here, and
 *   `divergentListings` splits the difference into over (listing > truth: oversell exposure) and
 *   under (listing < truth: held back or lost) so a policy's holding back can be told apart.
 *   Confidence is the seed's 1 − staleness/maxStaleness, integrated exactly between changes
 *   (src/engine/freshness.ts).
 *
 * Times are the twins' clock (scenario ms); events must come in time order (an earlier time
 * after a later one is a bug in the caller and throws). Every queue is bounded.
 */
import { integrateFreshness } from '../engine/freshness.js';
import { LatencyObserver, type LatencySnapshot } from '../engine/latency-observer.js';
import type { CallRefusal, TwinObserver } from './channel.js';

export type ApiOutcome = 'ok' | CallRefusal['kind'];
export const API_OUTCOMES: readonly ApiOutcome[] = Object.freeze(['ok', 'throttled', 'listing_quota', 'server_error', 'unavailable', 'timeout']);

/** What the audit concluded about one event, for live counters (Prometheus). */
export interface AuditListener {
  purchase?(channel: string, taken: boolean): void;
  oversell?(channel: string, units: number): void;
  lostSale?(channel: string, units: number): void;
  apiCall?(channel: string, outcome: ApiOutcome): void;
  /** A sale reached `channel` this many scenario ms after it happened elsewhere. */
  propagated?(channel: string, latencyMs: number): void;
}

export interface BlackBoxAuditOptions {
  readonly channels: readonly string[];
  /** Every SKU with its initial stock; every listing starts showing it. */
  readonly catalog: readonly { readonly sku: string; readonly quantity: number }[];
  /** The scenario's ai_freshness (engineConfig in src/scenarios/compile.ts). */
  readonly maxStalenessMs: number;
  readonly minConfidence: number;
  /** When the audit starts observing (default 0). */
  readonly startMs?: number;
  /** Sales pending per (channel, SKU) at most; the oldest is dropped (and counted) beyond it. Default 256. */
  readonly maxPendingPerListing?: number;
  /** Divergent listings named in a report at most (default 20). */
  readonly maxExamples?: number;
  readonly listener?: AuditListener;
}

interface PendingSale {
  readonly atMs: number;
  /** The listing B must reach (≤) to have reflected the sale. */
  target: number;
}

interface ChannelCounts {
  attempts: number;
  taken: number;
  unitsTaken: number;
  turnedAway: number;
  oversells: number;
  oversoldUnits: number;
  lostSales: number;
  lostSaleUnits: number;
  superseded: number;
  dropped: number;
  api: Record<ApiOutcome, number>;
  apiItems: number;
  confidenceMs: number;
  invisibleMs: number;
  belowMinMs: number;
}

const DEFAULT_MAX_PENDING = 256;
const DEFAULT_MAX_EXAMPLES = 20;

export interface LatencyReport {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export interface FreshnessReport {
  /** Time-weighted mean confidence over every listing; 1 when nothing was observed yet. */
  readonly meanConfidence: number;
  /** Share of listing-time at confidence 0. */
  readonly invisibleFraction: number;
  readonly belowMinConfidenceFraction: number;
  /** Listing-time (summed over listings) below min_confidence_score, in scenario ms. */
  readonly belowMinConfidenceListingMs: number;
  /** Listings that differ from the truth now. */
  readonly staleListings: number;
}

export interface DivergenceReport {
  readonly total: number;
  /** Listing above the truth: a customer can buy what does not exist. */
  readonly over: number;
  /** Listing below the truth: stock held back (a policy) or lost. */
  readonly under: number;
}

export interface OrdersReport {
  readonly attempts: number;
  readonly taken: number;
  readonly unitsTaken: number;
  readonly turnedAway: number;
  readonly oversells: number;
  readonly oversoldUnits: number;
  readonly lostSales: number;
  readonly lostSaleUnits: number;
}

export interface ApiReport {
  readonly calls: number;
  readonly ok: number;
  readonly throttled: number;
  /** Server errors, outages, timeouts, per-listing quota refusals. */
  readonly failed: number;
  readonly items: number;
  readonly byOutcome: Readonly<Record<ApiOutcome, number>>;
}

export interface PropagationReport {
  readonly latencyMs: LatencyReport;
  /** Sales not yet reflected now. */
  readonly pending: number;
  /** Age of the oldest pending sale, scenario ms (null: none pending). */
  readonly oldestPendingAgeMs: number | null;
  /** Sales overtaken by a restock before they reached the channel. */
  readonly superseded: number;
  /** Sales dropped from a full pending queue (maxPendingPerListing). */
  readonly dropped: number;
}

export interface ChannelAuditReport {
  readonly id: string;
  readonly orders: OrdersReport;
  readonly propagation: PropagationReport;
  readonly freshness: FreshnessReport;
  readonly divergentListings: DivergenceReport;
  readonly api: ApiReport;
}

export interface AuditReport {
  readonly atMs: number;
  readonly observedMs: number;
  readonly skus: number;
  readonly oversells: number;
  readonly lostSales: number;
  readonly orders: OrdersReport;
  readonly truth: { readonly units: number; readonly restocks: number; readonly restockedUnits: number };
  readonly propagation: PropagationReport;
  readonly freshness: FreshnessReport & { readonly maxStalenessMs: number; readonly minConfidence: number };
  /** Every listing equals the truth. */
  readonly settled: boolean;
  /** Every listing at or below the truth (what a listing policy that holds stock back settles to). */
  readonly settledAtOrBelowTruth: boolean;
  readonly divergentListings: DivergenceReport & {
    readonly examples: readonly { readonly channel: string; readonly sku: string; readonly listed: number; readonly truth: number }[];
  };
  readonly api: ApiReport;
  readonly channels: readonly ChannelAuditReport[];
}

function zeroCounts(): ChannelCounts {
  return {
    attempts: 0,
    taken: 0,
    unitsTaken: 0,
    turnedAway: 0,
    oversells: 0,
    oversoldUnits: 0,
    lostSales: 0,
    lostSaleUnits: 0,
    superseded: 0,
    dropped: 0,
    api: { ok: 0, throttled: 0, listing_quota: 0, server_error: 0, unavailable: 0, timeout: 0 },
    apiItems: 0,
    confidenceMs: 0,
    invisibleMs: 0,
    belowMinMs: 0,
  };
}

export class BlackBoxAudit implements TwinObserver {
  readonly channels: readonly string[];
  readonly skus: readonly string[];
  readonly maxStalenessMs: number;
  readonly minConfidence: number;
  /** Start of the measured window (scenario ms): construction, or the last beginWindow. */
  startMs: number;
  private readonly channelIndex = new Map<string, number>();
  private readonly skuIndex = new Map<string, number>();
  private readonly truth: Float64Array;
  /** Per listing (c * nSku + i): quantity, when it went stale (NaN: fresh), accounted up to. */
  private readonly listed: Float64Array;
  private readonly staleSinceMs: Float64Array;
  private readonly accountedMs: Float64Array;
  private readonly pending: (PendingSale[] | undefined)[];
  private counts: ChannelCounts[];
  private latency: LatencyObserver;
  private readonly maxPending: number;
  private readonly maxExamples: number;
  private readonly listener: AuditListener;
  private lastMs: number;
  private restocks = 0;
  private restockedUnits = 0;

  constructor(options: BlackBoxAuditOptions) {
    if (options.channels.length === 0) throw new RangeError('the audit needs at least one channel');
    if (!(options.maxStalenessMs > 0) || !Number.isFinite(options.maxStalenessMs)) throw new RangeError(`maxStalenessMs must be a finite number > 0, got ${options.maxStalenessMs}`);
    if (!(options.minConfidence >= 0 && options.minConfidence <= 1)) throw new RangeError(`minConfidence must be within 0..1, got ${options.minConfidence}`);
    this.channels = [...options.channels];
    this.skus = options.catalog.map((c) => c.sku);
    this.maxStalenessMs = options.maxStalenessMs;
    this.minConfidence = options.minConfidence;
    this.startMs = options.startMs ?? 0;
    this.lastMs = this.startMs;
    this.maxPending = options.maxPendingPerListing ?? DEFAULT_MAX_PENDING;
    if (!Number.isSafeInteger(this.maxPending) || this.maxPending < 1) throw new RangeError(`maxPendingPerListing must be an integer >= 1, got ${this.maxPending}`);
    this.maxExamples = options.maxExamples ?? DEFAULT_MAX_EXAMPLES;
    this.listener = options.listener ?? {};
    this.channels.forEach((id, c) => {
      if (this.channelIndex.has(id)) throw new RangeError(`channel ${id} appears twice`);
      this.channelIndex.set(id, c);
    });
    const n = this.skus.length;
    this.truth = new Float64Array(n);
    options.catalog.forEach((entry, i) => {
      if (this.skuIndex.has(entry.sku)) throw new RangeError(`SKU ${entry.sku} appears twice in the catalogue`);
      if (!Number.isSafeInteger(entry.quantity) || entry.quantity < 0) throw new RangeError(`SKU ${entry.sku}: initial stock must be an integer >= 0, got ${entry.quantity}`);
      this.skuIndex.set(entry.sku, i);
      this.truth[i] = entry.quantity;
    });
    const listings = this.channels.length * n;
    this.listed = new Float64Array(listings);
    for (let c = 0; c < this.channels.length; c++) this.listed.set(this.truth, c * n);
    this.staleSinceMs = new Float64Array(listings).fill(Number.NaN);
    this.accountedMs = new Float64Array(listings).fill(this.startMs);
    this.pending = new Array<PendingSale[] | undefined>(listings);
    this.counts = this.channels.map(() => zeroCounts());
    this.latency = new LatencyObserver({ alertThresholdMs: Number.MAX_SAFE_INTEGER / 1e9 });
  }

  /** The audit's truth for a SKU (undefined for one it does not know). */
  truthOf(sku: string): number | undefined {
    const i = this.skuIndex.get(sku);
    return i === undefined ? undefined : this.truth[i]!;
  }

  /** What the audit last saw a channel list for a SKU. */
  listingOf(channel: string, sku: string): number | undefined {
    const c = this.channelIndex.get(channel);
    const i = this.skuIndex.get(sku);
    return c === undefined || i === undefined ? undefined : this.listed[c * this.skus.length + i]!;
  }

  // ---- TwinObserver ---------------------------------------------------------------------

  purchase(channel: string, sku: string, units: number, taken: boolean, atMs: number): void {
    const c = this.channelOf(channel);
    const i = this.skuOf(sku);
    if (!Number.isSafeInteger(units) || units < 1) throw new RangeError(`purchase of ${sku} on ${channel}: units must be an integer >= 1, got ${units}`);
    this.advance(atMs);
    const k = this.counts[c]!;
    k.attempts++;
    this.listener.purchase?.(channel, taken);
    const truth = this.truth[i]!;
    if (!taken) {
      k.turnedAway++;
      if (truth >= units) {
        k.lostSales++;
        k.lostSaleUnits += units;
        this.listener.lostSale?.(channel, units);
      }
      return;
    }
    k.taken++;
    k.unitsTaken += units;
    if (truth < units) {
      // Cancelled whole: it takes nothing from the truth.
      k.oversells++;
      k.oversoldUnits += units;
      this.listener.oversell?.(channel, units);
      return;
    }
    // The selling channel's own listing is about to drop by `units` (listingChanged follows):
    // what it still owes earlier sales moves down with it.
    this.shiftPending(c, i, -units);
    this.setTruth(i, truth - units, atMs);
    this.notePending(c, i, truth - units, atMs);
  }

  listingChanged(channel: string, sku: string, quantity: number, atMs: number, _cause: 'sale' | 'update'): void {
    const c = this.channelOf(channel);
    const i = this.skuOf(sku);
    if (!Number.isFinite(quantity)) throw new RangeError(`listing of ${sku} on ${channel}: quantity must be finite, got ${quantity}`);
    this.advance(atMs);
    const l = c * this.skus.length + i;
    this.account(l, atMs);
    this.listed[l] = quantity;
    this.restale(l, this.truth[i]!, atMs);
    this.resolvePending(c, l, quantity, atMs);
  }

  apiCall(channel: string, outcome: ApiOutcome, items: number): void {
    const k = this.counts[this.channelOf(channel)]!;
    k.api[outcome]++;
    k.apiItems += items;
    this.listener.apiCall?.(channel, outcome);
  }

  /** The harness restocked: the truth rises; sales still pending on the SKU are superseded. */
  restocked(sku: string, units: number, atMs: number): void {
    const i = this.skuOf(sku);
    if (!Number.isSafeInteger(units) || units < 1) throw new RangeError(`restock of ${sku}: units must be an integer >= 1, got ${units}`);
    this.advance(atMs);
    this.restocks++;
    this.restockedUnits += units;
    const n = this.skus.length;
    for (let c = 0; c < this.channels.length; c++) {
      const queue = this.pending[c * n + i];
      if (queue === undefined || queue.length === 0) continue;
      this.counts[c]!.superseded += queue.length;
      queue.length = 0;
    }
    this.setTruth(i, this.truth[i]! + units, atMs);
  }

  // ---- report ---------------------------------------------------------------------------

  report(nowMs: number): AuditReport {
    if (!Number.isFinite(nowMs) || nowMs < this.lastMs) throw new RangeError(`report at ${nowMs} ms is before the last event (${this.lastMs} ms)`);
    const n = this.skus.length;
    const observedMs = nowMs - this.startMs;
    const examples: { channel: string; sku: string; listed: number; truth: number }[] = [];
    const raw = { confidenceMs: 0, invisibleMs: 0, belowMinMs: 0 };
    const channels: ChannelAuditReport[] = this.channels.map((id, c) => {
      const k = this.counts[c]!;
      let confidenceMs = k.confidenceMs;
      let invisibleMs = k.invisibleMs;
      let belowMinMs = k.belowMinMs;
      let stale = 0;
      let over = 0;
      let under = 0;
      let pending = 0;
      let oldestMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const l = c * n + i;
        const tail = this.tail(l, nowMs);
        confidenceMs += tail.confidenceIntegralMs;
        invisibleMs += tail.invisibleMs;
        belowMinMs += tail.belowMinMs;
        const listed = this.listed[l]!;
        const truth = this.truth[i]!;
        if (listed !== truth) {
          stale++;
          if (listed > truth) over++;
          else under++;
          if (examples.length < this.maxExamples) examples.push({ channel: id, sku: this.skus[i]!, listed, truth });
        }
        const queue = this.pending[l];
        if (queue !== undefined && queue.length > 0) {
          pending += queue.length;
          oldestMs = Math.min(oldestMs, queue[0]!.atMs);
        }
      }
      const listingMs = observedMs * n;
      raw.confidenceMs += confidenceMs;
      raw.invisibleMs += invisibleMs;
      raw.belowMinMs += belowMinMs;
      return {
        id,
        orders: ordersOf(k),
        propagation: {
          latencyMs: latencyOf(this.latency.snapshot(id)),
          pending,
          oldestPendingAgeMs: pending === 0 ? null : round3(nowMs - oldestMs),
          superseded: k.superseded,
          dropped: k.dropped,
        },
        freshness: freshnessOf({ confidenceMs, invisibleMs, belowMinMs, listingMs, stale }),
        divergentListings: { total: over + under, over, under },
        api: apiOf([k]),
      };
    });
    const sum = (f: (r: ChannelAuditReport) => number): number => channels.reduce((a, r) => a + f(r), 0);
    const listingMs = observedMs * n * this.channels.length;
    const freshness = freshnessOf({
      ...raw,
      listingMs,
      stale: sum((r) => r.freshness.staleListings),
    });
    const over = sum((r) => r.divergentListings.over);
    const under = sum((r) => r.divergentListings.under);
    const pendingAges = channels.map((r) => r.propagation.oldestPendingAgeMs).filter((a): a is number => a !== null);
    const orders = ordersOf(sumCounts(this.counts));
    return {
      atMs: round3(nowMs),
      observedMs: round3(observedMs),
      skus: n,
      oversells: orders.oversells,
      lostSales: orders.lostSales,
      orders,
      truth: { units: this.truth.reduce((a, b) => a + b, 0), restocks: this.restocks, restockedUnits: this.restockedUnits },
      propagation: {
        latencyMs: latencyOf(this.latency.merged()),
        pending: sum((r) => r.propagation.pending),
        oldestPendingAgeMs: pendingAges.length === 0 ? null : Math.max(...pendingAges),
        superseded: sum((r) => r.propagation.superseded),
        dropped: sum((r) => r.propagation.dropped),
      },
      freshness: { ...freshness, maxStalenessMs: this.maxStalenessMs, minConfidence: this.minConfidence },
      settled: over + under === 0,
      settledAtOrBelowTruth: over === 0,
      divergentListings: { total: over + under, over, under, examples },
      api: apiOf(this.counts),
      channels,
    };
  }

  // ---- internals ------------------------------------------------------------------------

  private channelOf(id: string): number {
    const c = this.channelIndex.get(id);
    if (c === undefined) throw new RangeError(`the audit knows no channel ${id}`);
    return c;
  }

  private skuOf(sku: string): number {
    const i = this.skuIndex.get(sku);
    if (i === undefined) throw new RangeError(`the audit knows no SKU ${sku}`);
    return i;
  }

  private advance(atMs: number): void {
    if (!Number.isFinite(atMs) || atMs < this.lastMs) throw new RangeError(`event at ${atMs} ms is before the last one (${this.lastMs} ms): events must come in time order`);
    this.lastMs = atMs;
  }

  /** The truth of SKU i changes: every channel's listing of it is accounted and re-judged. */
  private setTruth(i: number, value: number, atMs: number): void {
    if (value < 0) throw new Error(`invariant: the audit's truth of ${this.skus[i]} went below 0 (${value})`);
    const n = this.skus.length;
    for (let c = 0; c < this.channels.length; c++) this.account(c * n + i, atMs);
    this.truth[i] = value;
    for (let c = 0; c < this.channels.length; c++) this.restale(c * n + i, value, atMs);
  }

  /** Fresh while it matches; stale from the moment it stopped matching (not from its last change). */
  private restale(l: number, truth: number, atMs: number): void {
    if (this.listed[l] === truth) this.staleSinceMs[l] = Number.NaN;
    else if (Number.isNaN(this.staleSinceMs[l]!)) this.staleSinceMs[l] = atMs;
  }

  /**
   * Starts the measured window at `nowMs`: counts, API calls, latencies and the freshness
   * integrals start again from zero, so the audit covers the load (the simulator's run) and not
   * the time the system under test took to start and take its initial stock. The truth, the
   * listings and when each went stale are kept: a listing stale before the window stays stale.
   */
  beginWindow(nowMs: number): void {
    if (nowMs < this.lastMs) throw new RangeError(`beginWindow at ${nowMs} ms is before the last event at ${this.lastMs} ms`);
    this.accountedMs.fill(nowMs);
    this.counts = this.channels.map(() => zeroCounts());
    this.latency = new LatencyObserver({ alertThresholdMs: Number.MAX_SAFE_INTEGER / 1e9 });
    for (let l = 0; l < this.pending.length; l++) if (this.pending[l] !== undefined) this.pending[l] = [];
    this.startMs = nowMs;
    this.lastMs = nowMs;
  }

  private account(l: number, atMs: number): void {
    const tail = this.tail(l, atMs);
    const k = this.counts[Math.floor(l / this.skus.length)]!;
    k.confidenceMs += tail.confidenceIntegralMs;
    k.invisibleMs += tail.invisibleMs;
    k.belowMinMs += tail.belowMinMs;
    this.accountedMs[l] = atMs;
  }

  private tail(l: number, toMs: number): { confidenceIntegralMs: number; invisibleMs: number; belowMinMs: number } {
    const fromMs = this.accountedMs[l]!;
    if (toMs <= fromMs) return { confidenceIntegralMs: 0, invisibleMs: 0, belowMinMs: 0 };
    const since = this.staleSinceMs[l]!;
    if (Number.isNaN(since)) return { confidenceIntegralMs: toMs - fromMs, invisibleMs: 0, belowMinMs: 0 };
    return integrateFreshness({ fromMs, toMs, lastUpdateMs: since, maxStalenessMs: this.maxStalenessMs, minConfidence: this.minConfidence });
  }

  /** A sale on channel `from` left the truth at `value`: every other channel above it owes it. */
  private notePending(from: number, i: number, value: number, atMs: number): void {
    const n = this.skus.length;
    for (let c = 0; c < this.channels.length; c++) {
      if (c === from) continue;
      const l = c * n + i;
      if (this.listed[l]! <= value) continue;
      const queue = (this.pending[l] ??= []);
      if (queue.length >= this.maxPending) {
        queue.shift();
        this.counts[c]!.dropped++;
      }
      queue.push({ atMs, target: value });
    }
  }

  private shiftPending(c: number, i: number, delta: number): void {
    const queue = this.pending[c * this.skus.length + i];
    if (queue === undefined) return;
    for (const p of queue) p.target += delta;
  }

  private resolvePending(c: number, l: number, quantity: number, atMs: number): void {
    const queue = this.pending[l];
    if (queue === undefined || queue.length === 0) return;
    const id = this.channels[c]!;
    let kept = 0;
    for (const p of queue) {
      if (quantity <= p.target) {
        const latencyMs = atMs - p.atMs;
        this.latency.recordPropagation(id, latencyMs);
        this.listener.propagated?.(id, latencyMs);
      } else {
        queue[kept++] = p;
      }
    }
    queue.length = kept;
  }
}

function sumCounts(counts: readonly ChannelCounts[]): ChannelCounts {
  const total = zeroCounts();
  for (const k of counts) {
    for (const key of ['attempts', 'taken', 'unitsTaken', 'turnedAway', 'oversells', 'oversoldUnits', 'lostSales', 'lostSaleUnits'] as const) total[key] += k[key];
  }
  return total;
}

function ordersOf(k: ChannelCounts): OrdersReport {
  return {
    attempts: k.attempts,
    taken: k.taken,
    unitsTaken: k.unitsTaken,
    turnedAway: k.turnedAway,
    oversells: k.oversells,
    oversoldUnits: k.oversoldUnits,
    lostSales: k.lostSales,
    lostSaleUnits: k.lostSaleUnits,
  };
}

function apiOf(counts: readonly ChannelCounts[]): ApiReport {
  const byOutcome: Record<ApiOutcome, number> = { ok: 0, throttled: 0, listing_quota: 0, server_error: 0, unavailable: 0, timeout: 0 };
  let items = 0;
  for (const k of counts) {
    for (const o of API_OUTCOMES) byOutcome[o] += k.api[o];
    items += k.apiItems;
  }
  const calls = API_OUTCOMES.reduce((a, o) => a + byOutcome[o], 0);
  return { calls, ok: byOutcome.ok, throttled: byOutcome.throttled, failed: calls - byOutcome.ok - byOutcome.throttled, items, byOutcome };
}

function latencyOf(s: LatencySnapshot): LatencyReport {
  const r = (x: number): number | null => (s.count === 0 ? null : round3(x));
  return { count: s.count, p50: r(s.p50), p95: r(s.p95), p99: r(s.p99), max: r(s.max) };
}

function freshnessOf(x: { confidenceMs: number; invisibleMs: number; belowMinMs: number; listingMs: number; stale: number }): FreshnessReport {
  if (x.listingMs <= 0) return { meanConfidence: 1, invisibleFraction: 0, belowMinConfidenceFraction: 0, belowMinConfidenceListingMs: 0, staleListings: x.stale };
  return {
    meanConfidence: round6(x.confidenceMs / x.listingMs),
    invisibleFraction: round6(x.invisibleMs / x.listingMs),
    belowMinConfidenceFraction: round6(x.belowMinMs / x.listingMs),
    belowMinConfidenceListingMs: round3(x.belowMinMs),
    staleListings: x.stale,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
