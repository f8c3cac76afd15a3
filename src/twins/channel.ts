/**
 * One channel twin's state and behaviour, without its wire protocol: the listings a marketplace
 * holds for the seller, and the scenario's channel model (rate limits, latency, faults, feed
 * apply delays, update semantics) deciding how each API call is answered. A protocol module
 * (shopify.ts, woocommerce.ts, amazon.ts, ebay.ts) translates HTTP requests into `call(...)` and
 * the listing operations, and the channel reports every listing change and every sale to the
 * black-box audit through `TwinObserver`.
 *
 * Time is a `TimeSource` in scenario milliseconds (the real-time source of
 * src/adapters/realtime.ts, compressed by `--speedup`), so the twins and `invsim serve` share
 * one definition of time compression.
 */
import type { ChannelFaults, TimeSource } from '../model/channel.js';
import { sampleLatencyMs, type LatencySpec } from '../model/latency.js';
import type { ChannelPreset } from '../model/presets.js';
import { ChannelLimits } from '../model/channel-limits.js';
import type { Rng } from '../model/random.js';

/** How a call that the channel model refused is answered; each protocol maps it to its own status and body. */
export type CallRefusal =
  /** Rate limit (or an injected 429): wait `retryAfterMs` scenario ms. */
  | { readonly kind: 'throttled'; readonly retryAfterMs: number }
  /** Per-listing revision quota (eBay): the listing cannot be revised again yet. */
  | { readonly kind: 'listing_quota'; readonly retryAfterMs: number }
  | { readonly kind: 'server_error' }
  /** An outage window: 503. */
  | { readonly kind: 'unavailable' }
  /**
   * No answer within the client's timeout: the protocol holds the response for `timeoutMs`
   * (scenario ms; the channel has already waited it) and then answers 504. The request may have
   * been applied all the same (`applied`), as with a real marketplace.
   */
  | { readonly kind: 'timeout'; readonly applied: boolean };

export type CallOutcome<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & CallRefusal);

export interface CallOptions {
  /** SKUs the request carries (cost buckets with a per-item cost charge for them). */
  readonly items: number;
  /** SKUs a request revises, for per-listing quotas (eBay's revisions per listing per day). */
  readonly keys?: readonly string[];
  /** Reads are not rate limited by write quotas on every marketplace; default false (they are). */
  readonly read?: boolean;
}

/** Where a twin's listing changes and sales are reported (the black-box audit). */
export interface TwinObserver {
  /** A listing's quantity changed (our customer bought, or the system under test set or adjusted it). */
  listingChanged(channel: string, sku: string, quantity: number, atMs: number, cause: 'sale' | 'update'): void;
  /** A customer tried to buy `units` of `sku` here; `taken` says whether the listing showed them. */
  purchase(channel: string, sku: string, units: number, taken: boolean, atMs: number): void;
  /** One API call answered (after its latency): `outcome` is 'ok' or the refusal kind. */
  apiCall(channel: string, outcome: 'ok' | CallRefusal['kind'], items: number): void;
}

export interface TwinChannelOptions {
  readonly id: string;
  readonly preset: ChannelPreset;
  readonly time: TimeSource;
  readonly rng: Rng;
  readonly faults: ChannelFaults;
  readonly observer: TwinObserver;
  /** Every SKU of the catalogue with its initial listed quantity. */
  readonly catalog: readonly { readonly sku: string; readonly quantity: number }[];
}

/** A quantity update: set (`set`) or adjust (`delta`), optionally compare-and-set. */
export type ListingWrite =
  | { readonly sku: string; readonly set: number; readonly compareQuantity?: number }
  | { readonly sku: string; readonly delta: number };

export type WriteResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unknown_sku'; readonly sku: string }
  | { readonly ok: false; readonly reason: 'compare_mismatch'; readonly sku: string; readonly actual: number }
  | { readonly ok: false; readonly reason: 'invalid_quantity'; readonly sku: string };

/** Largest quantity a twin lists (marketplaces cap it; Shopify at 1 000 000 000). */
export const MAX_TWIN_QUANTITY = 1_000_000_000;

export class TwinChannel {
  readonly id: string;
  readonly preset: ChannelPreset;
  readonly time: TimeSource;
  private readonly rng: Rng;
  private readonly faults: ChannelFaults;
  private readonly observer: TwinObserver;
  private readonly limits: ChannelLimits;
  private readonly index = new Map<string, number>();
  readonly skus: readonly string[];
  private readonly quantities: Int32Array;
  private applyQueueTailMs = 0;

  constructor(options: TwinChannelOptions) {
    this.id = options.id;
    this.preset = options.preset;
    this.time = options.time;
    this.rng = options.rng;
    this.faults = options.faults;
    this.observer = options.observer;
    this.skus = options.catalog.map((c) => c.sku);
    this.quantities = new Int32Array(options.catalog.length);
    options.catalog.forEach((c, i) => {
      this.index.set(c.sku, i);
      this.quantities[i] = c.quantity;
    });
    this.limits = new ChannelLimits(options.preset.rateLimits);
  }

  /** Largest number of SKUs one update request may carry (the preset's batch size). */
  get maxItemsPerRequest(): number {
    return this.preset.maxItemsPerRequest;
  }

  has(sku: string): boolean {
    return this.index.has(sku);
  }

  /** The listed quantity, undefined for a SKU the channel does not list. */
  quantityOf(sku: string): number | undefined {
    const i = this.index.get(sku);
    return i === undefined ? undefined : this.quantities[i]!;
  }

  /** What the rate limiter would answer now, without consuming (for throttle status headers). */
  peek(items: number): { ok: true } | { ok: false; retryAfterMs: number } {
    return this.limits.peek(this.time.nowMs(), { items });
  }

  /**
   * In an outage window now (faults on). `call` refuses every call then; a dialect's order reads,
   * which bypass `call` for their own limits, ask here, since an outage takes the marketplace's
   * whole API down: the simulator fetches no polled order while a channel is in one
   * (src/sim/notifications.ts).
   */
  inOutage(): boolean {
    return this.faults.active() && this.faults.inOutage(this.time.nowMs());
  }

  /** The measured window opens at `nowMs`: the rate limits start afresh there, as at the simulator's time 0. */
  restartLimits(nowMs: number): void {
    this.limits.restart(nowMs);
  }

  /**
   * Answers one API call as the channel model does: an outage, the rate limit, the injected
   * faults, then the call's latency; `perform` runs only when the call goes through (and, for a
   * timeout whose request was applied, all the same). Mirrors SimChannel.request.
   */
  async call<T>(options: CallOptions, perform: () => T): Promise<CallOutcome<T>> {
    const now = this.time.nowMs();
    const latencyMs = sampleLatencyMs(this.preset.latency, this.rng) * this.faults.latencyMultiplier(now);
    const faultsOn = this.faults.active();
    const draw = this.rng.next();
    const refuse = async (refusal: CallRefusal, afterMs: number): Promise<CallOutcome<T>> => {
      await this.time.sleep(afterMs);
      this.observer.apiCall(this.id, refusal.kind, options.items);
      return { ok: false, ...refusal };
    };
    if (faultsOn && this.faults.inOutage(now)) return refuse({ kind: 'unavailable' }, latencyMs);
    const acquire = options.keys === undefined ? { items: options.items } : { items: options.items, keys: options.keys };
    const admission = this.limits.admit(now, acquire);
    if (!admission.ok) return refuse({ kind: 'throttled', retryAfterMs: admission.retryAfterMs }, latencyMs);
    if (options.keys !== undefined && options.read !== true) {
      const perListing = this.limits.admitListings(now, acquire);
      if (!perListing.ok) return refuse({ kind: 'listing_quota', retryAfterMs: perListing.retryAfterMs }, latencyMs);
    }
    const f = this.faults;
    const throttleP = faultsOn ? f.throttleRate : 0;
    const errorP = this.preset.errorRate5xx + (faultsOn ? f.serverErrorRate : 0);
    const timeoutP = faultsOn ? f.timeoutRate : 0;
    if (draw < throttleP) return refuse({ kind: 'throttled', retryAfterMs: f.throttleRetryAfterMs }, latencyMs);
    if (draw < throttleP + errorP) return refuse({ kind: 'server_error' }, latencyMs);
    if (draw < throttleP + errorP + timeoutP || latencyMs >= f.timeoutMs) {
      const applied = this.rng.next() < f.timeoutAppliedShare;
      if (applied) this.time.schedule(Math.min(latencyMs, f.timeoutMs) / 2, () => void perform());
      return refuse({ kind: 'timeout', applied }, f.timeoutMs);
    }
    await this.time.sleep(latencyMs);
    const value = perform();
    this.observer.apiCall(this.id, 'ok', options.items);
    return { ok: true, value };
  }

  /**
   * Writes quantities, all or nothing: every SKU must exist and every compare must hold, or
   * nothing changes. Feed channels (`applyDelay`) accept now and apply later, in FIFO order;
   * a compare is checked when the request is accepted.
   */
  write(writes: readonly ListingWrite[]): WriteResult {
    for (const w of writes) {
      const i = this.index.get(w.sku);
      if (i === undefined) return { ok: false, reason: 'unknown_sku', sku: w.sku };
      if ('set' in w) {
        if (!Number.isSafeInteger(w.set) || w.set < 0 || w.set > MAX_TWIN_QUANTITY) return { ok: false, reason: 'invalid_quantity', sku: w.sku };
        if (w.compareQuantity !== undefined && w.compareQuantity !== this.quantities[i]!) return { ok: false, reason: 'compare_mismatch', sku: w.sku, actual: this.quantities[i]! };
      } else if (!Number.isSafeInteger(w.delta) || Math.abs(w.delta) > MAX_TWIN_QUANTITY) {
        return { ok: false, reason: 'invalid_quantity', sku: w.sku };
      }
    }
    const delay: LatencySpec | undefined = this.preset.applyDelay;
    if (delay === undefined) {
      this.apply(writes);
    } else {
      const at = Math.max(this.time.nowMs() + sampleLatencyMs(delay, this.rng), this.applyQueueTailMs);
      this.applyQueueTailMs = at;
      this.time.scheduleAt(at, () => this.apply(writes));
    }
    return { ok: true };
  }

  /**
   * A customer at this channel's storefront asks for `units`: taken only while the listing shows
   * them, and the listing is decremented at once (as on the marketplace).
   */
  buy(sku: string, units: number): boolean {
    const i = this.index.get(sku);
    if (i === undefined) return false;
    const now = this.time.nowMs();
    const taken = this.quantities[i]! >= units;
    this.observer.purchase(this.id, sku, units, taken, now);
    if (!taken) return false;
    this.quantities[i] = this.quantities[i]! - units;
    this.observer.listingChanged(this.id, sku, this.quantities[i]!, now, 'sale');
    return true;
  }

  private apply(writes: readonly ListingWrite[]): void {
    const now = this.time.nowMs();
    for (const w of writes) {
      const i = this.index.get(w.sku)!;
      const next = 'set' in w ? w.set : Math.min(MAX_TWIN_QUANTITY, Math.max(0, this.quantities[i]! + w.delta));
      if (next === this.quantities[i]) continue;
      this.quantities[i] = next;
      this.observer.listingChanged(this.id, w.sku, next, now, 'update');
    }
  }
}
