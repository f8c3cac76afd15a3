/**
 * A simulated sales channel: its own view of every listing, a rate limiter, a latency
 * distribution, update semantics, feed-style apply delays and injected faults. It implements
 * the engine's ChannelClient port, so the real dispatcher talks to it exactly as it would talk
 * to a marketplace adapter. It reads time only through a `TimeSource`: the simulator passes its
 * Kernel (virtual time); `invsim serve` passes a real-time source (src/adapters/realtime.ts), so
 * the same latency, throttling and failure models run against the wall clock.
 */
import type { ChannelClient, ChannelListing, ChannelResult, ChannelUpdate } from '../engine/ports.js';
import { sampleLatencyMs, type LatencySpec } from './latency.js';
import type { ChannelPreset } from './presets.js';
import { ChannelLimits } from './channel-limits.js';
import type { Rng } from './random.js';

/**
 * Where a channel's time comes from. The simulator's `Kernel` satisfies it structurally; the
 * real-time adapter implements it with the system clock and `setTimeout`.
 */
export interface TimeSource {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
  /** Runs `fn` after `delayMs` (>= 0). */
  schedule(delayMs: number, fn: () => void): unknown;
  /** Runs `fn` at `timeMs` (>= nowMs()). */
  scheduleAt(timeMs: number, fn: () => void): unknown;
}

export interface ChannelFaults {
  readonly active: () => boolean;
  readonly serverErrorRate: number;
  readonly throttleRate: number;
  readonly throttleRetryAfterMs: number;
  readonly timeoutRate: number;
  readonly timeoutMs: number;
  readonly timeoutAppliedShare: number;
  /** Latency multiplier at a time (1 outside spikes). */
  readonly latencyMultiplier: (nowMs: number) => number;
  readonly inOutage: (nowMs: number) => boolean;
}

/** What the world needs to hear from a channel. */
export interface ChannelHost {
  /** SKU index of a listing key the engine sends (a SKU, or a per-channel pool key). */
  skuIndexOf(key: string): number;
  /** A listing changed because our update was applied. */
  onApplied(channel: SimChannel, skuIndex: number, key: string, update: ChannelUpdate, previousVersion: number): void;
}

export interface ChannelStats {
  calls: number;
  throttled: number;
  failed: number;
  reads: number;
  itemsSent: number;
}

export class SimChannel implements ChannelClient {
  readonly id: string;
  readonly index: number;
  readonly preset: ChannelPreset;
  readonly maxConcurrency: number;
  readonly batch: ChannelClient['batch'];
  readonly compareAndSet: boolean;
  readonly stats: ChannelStats = { calls: 0, throttled: 0, failed: 0, reads: 0, itemsSent: 0 };

  /**
   * A new measurement period starts at `nowMs` (the service's measured window, the load's time 0):
   * the API counts start at zero and the rate limits afresh, as at the simulator's time 0.
   */
  restartWindow(nowMs: number): void {
    Object.assign(this.stats, { calls: 0, throttled: 0, failed: 0, reads: 0, itemsSent: 0 });
    this.limits.restart(nowMs);
  }
  /** The channel's view: listed quantity, the source version it reflects, when we last set it. */
  readonly quantity: Int32Array;
  readonly version: Float64Array;
  readonly updatedAtMs: Float64Array;
  /** For delta semantics: the value our adapter last set. */
  private readonly lastSet: Int32Array;
  private readonly limits: ChannelLimits;
  private applyQueueTailMs = 0;

  constructor(
    private readonly time: TimeSource,
    private readonly rng: Rng,
    private readonly host: ChannelHost,
    private readonly faults: ChannelFaults,
    options: { id: string; index: number; preset: ChannelPreset; skus: number; maxConcurrency: number },
  ) {
    this.id = options.id;
    this.index = options.index;
    this.preset = options.preset;
    this.maxConcurrency = options.maxConcurrency;
    this.compareAndSet = options.preset.updateSemantics === 'compare-and-set';
    this.quantity = new Int32Array(options.skus);
    this.version = new Float64Array(options.skus);
    this.updatedAtMs = new Float64Array(options.skus);
    this.lastSet = new Int32Array(options.skus);
    this.limits = new ChannelLimits(options.preset.rateLimits);
    const maxItems = options.preset.maxItemsPerRequest;
    this.batch = maxItems > 1 ? { maxItems, push: (updates) => this.request(updates) } : undefined;
  }

  /** Sets the initial listing (the catalog as it stood when the run began). */
  seedListing(skuIndex: number, quantity: number, version: number): void {
    this.quantity[skuIndex] = quantity;
    this.version[skuIndex] = version;
    this.lastSet[skuIndex] = quantity;
  }

  /** A customer bought `units` here: the channel decrements its own listing at once. */
  sell(skuIndex: number, units: number): void {
    this.quantity[skuIndex] = this.quantity[skuIndex]! - units;
  }

  pushListing(update: ChannelUpdate): Promise<ChannelResult> {
    return this.request([update]);
  }

  async readListing(sku: string): Promise<ChannelListing | undefined> {
    this.stats.reads++;
    const now = this.time.nowMs();
    await this.time.sleep(this.latency(now));
    if (this.faults.active() && this.faults.inOutage(now)) throw new Error(`${this.id}: 503 service unavailable`);
    const i = this.host.skuIndexOf(sku);
    return { quantity: this.quantity[i]!, version: this.version[i]! };
  }

  private latency(nowMs: number): number {
    return sampleLatencyMs(this.preset.latency, this.rng) * this.faults.latencyMultiplier(nowMs);
  }

  private async request(updates: readonly ChannelUpdate[]): Promise<ChannelResult> {
    const stats = this.stats;
    stats.calls++;
    stats.itemsSent += updates.length;
    const now = this.time.nowMs();
    const latencyMs = this.latency(now);
    const faultsOn = this.faults.active();
    const draw = this.rng.next();
    if (faultsOn && this.faults.inOutage(now)) return this.fail(latencyMs, { ok: false, error: 'unavailable', message: 'HTTP 503 (outage)' });
    const acquire = this.limits.perListing ? { items: updates.length, keys: updates.map((u) => u.sku) } : { items: updates.length };
    const admission = this.limits.admit(now, acquire);
    if (!admission.ok) return this.throttle(latencyMs, admission.retryAfterMs);
    const perListing = this.limits.admitListings(now, acquire);
    if (!perListing.ok) return this.fail(latencyMs, { ok: false, error: 'rejected', retryAfterMs: perListing.retryAfterMs, message: 'listing revision limit reached' });
    const f = this.faults;
    const throttleP = faultsOn ? f.throttleRate : 0;
    const errorP = this.preset.errorRate5xx + (faultsOn ? f.serverErrorRate : 0);
    const timeoutP = faultsOn ? f.timeoutRate : 0;
    if (draw < throttleP) return this.throttle(latencyMs, f.throttleRetryAfterMs);
    if (draw < throttleP + errorP) return this.fail(latencyMs, { ok: false, error: 'server_error', message: 'HTTP 500' });
    // A timeout: injected, or a response slower than the client waits. The outcome is unknown
    // to the caller; the channel may have applied the request before the client gave up.
    if (draw < throttleP + errorP + timeoutP || latencyMs >= f.timeoutMs) {
      if (this.rng.next() < f.timeoutAppliedShare) this.time.schedule(Math.min(latencyMs, f.timeoutMs) / 2, () => this.accept(updates));
      return this.fail(f.timeoutMs, { ok: false, error: 'timeout', message: `no answer within ${f.timeoutMs} ms` });
    }
    await this.time.sleep(latencyMs);
    if (this.compareAndSet) {
      // Shopify's inventorySetQuantities with compareQuantity: all or nothing, refused when a
      // quantity is no longer the one the caller expects (units sold here since it last set it).
      const moved = updates.find((u) => u.compareQuantity !== undefined && u.compareQuantity !== this.quantity[this.host.skuIndexOf(u.sku)]!);
      if (moved !== undefined) {
        this.stats.failed++;
        return { ok: false, error: 'conflict', message: `compareQuantity ${moved.compareQuantity} no longer matches ${moved.sku}'s quantity ${this.quantity[this.host.skuIndexOf(moved.sku)]}` };
      }
      const stale = updates.find((u) => u.version < this.version[this.host.skuIndexOf(u.sku)]!);
      if (stale !== undefined) return { ok: false, error: 'rejected', message: `compare-and-set failed for ${stale.sku}` };
    }
    this.accept(updates);
    return { ok: true };
  }

  /** The channel accepted the request: apply now, or after the feed's processing delay (FIFO). */
  private accept(updates: readonly ChannelUpdate[]): void {
    const delay: LatencySpec | undefined = this.preset.applyDelay;
    if (delay === undefined) {
      this.apply(updates);
      return;
    }
    const now = this.time.nowMs();
    const at = Math.max(now + sampleLatencyMs(delay, this.rng), this.applyQueueTailMs);
    this.applyQueueTailMs = at;
    this.time.scheduleAt(at, () => this.apply(updates));
  }

  private apply(updates: readonly ChannelUpdate[]): void {
    const now = this.time.nowMs();
    for (const update of updates) {
      const i = this.host.skuIndexOf(update.sku);
      const previousVersion = this.version[i]!;
      if (this.preset.updateSemantics === 'compare-and-set' && update.version < previousVersion) continue;
      if (this.preset.updateSemantics === 'delta') {
        this.quantity[i] = this.quantity[i]! + (update.quantity - this.lastSet[i]!);
      } else {
        this.quantity[i] = update.quantity;
      }
      this.lastSet[i] = update.quantity;
      this.version[i] = update.version;
      this.updatedAtMs[i] = now;
      this.host.onApplied(this, i, update.sku, update, previousVersion);
    }
  }

  private async fail(afterMs: number, result: ChannelResult): Promise<ChannelResult> {
    this.stats.failed++;
    await this.time.sleep(afterMs);
    return result;
  }

  private async throttle(afterMs: number, retryAfterMs: number): Promise<ChannelResult> {
    this.stats.throttled++;
    await this.time.sleep(afterMs);
    return { ok: false, error: 'throttled', retryAfterMs };
  }
}
