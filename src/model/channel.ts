/**
 * A simulated sales channel: its own view of every listing, a rate limiter, a latency
 * distribution, update semantics, feed-style apply delays and injected faults. It implements
 * the engine's ChannelClient port, so the real dispatcher talks to it exactly as it would talk
 * to a marketplace adapter. It reads time only through a `TimeSource`: the simulator passes its
 * Kernel (virtual time); `invsim serve` passes a real-time source (src/adapters/realtime.ts), so
 * the same latency, throttling and failure models run against the wall clock.
 *
 * The request logic is written once, in continuation form on `time.schedule` (`continuations`,
 * which the dispatcher uses with no promise per request); `pushListing`, `batch.push` and
 * `readListing` wrap it in a promise, so both forms make the same random draws in the same order
 * and answer alike.
 */
import type { ChannelClient, ChannelClientContinuations, ChannelListing, ChannelResult, ChannelUpdate, Fail } from '../engine/ports.js';
import { sampleLatencyMs, type LatencySpec } from './latency.js';
import type { ChannelPreset } from './presets.js';
import { ChannelLimits } from './channel-limits.js';
import type { Rng } from './random.js';

/** What an applied slot of the processing queue holds: its requests are let go. */
const NOTHING: readonly ChannelUpdate[] = [];

/**
 * Where a channel's time comes from. The simulator's `Kernel` satisfies it structurally; the
 * real-time adapter implements it with the system clock and `setTimeout`.
 */
export interface TimeSource {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
  /** Runs `fn` after `delayMs` (>= 0). */
  schedule(delayMs: number, fn: () => void): unknown;
  /** `schedule` with no handle to return, where the source has it (the kernel's allocates none). */
  after?(delayMs: number, fn: () => void): void;
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
  readonly continuations: ChannelClientContinuations;
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
  /**
   * Accepted requests waiting for the feed's processing, in the order they apply (their times
   * never decrease: FIFO), from `applyHead` on. Only the first is an event in the time source,
   * so a feed with thousands of requests in processing keeps one event pending, not thousands.
   */
  private readonly applyAtMs: number[] = [];
  private readonly applyQueue: (readonly ChannelUpdate[])[] = [];
  private applyHead = 0;
  private readonly applyDue = (): void => this.applyNext();
  /** `time.after`, or `time.schedule` where the source has no `after`. */
  private readonly later: (delayMs: number, fn: () => void) => void;

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
    const after = time.after;
    this.later = after !== undefined ? after.bind(time) : (delayMs, fn) => void time.schedule(delayMs, fn);
    const maxItems = options.preset.maxItemsPerRequest;
    this.batch = maxItems > 1 ? { maxItems, push: (updates) => new Promise((resolve, reject) => this.request(updates, resolve, reject)) } : undefined;
    this.continuations = {
      // The port's push never throws: a throw in the channel's own code (a bug, an unknown
      // listing key) answers, on an event of its own, as the server error the dispatcher makes
      // of a rejected push.
      push: (updates, done) => {
        const failed = (error: unknown): void => done({ ok: false, error: 'server_error', message: error instanceof Error ? error.message : String(error) });
        try {
          this.request(updates, done, failed);
        } catch (error) {
          this.later(0, () => failed(error));
        }
      },
      readListing: (sku, done, fail) => this.read(sku, done, fail),
    };
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
    return new Promise((resolve, reject) => this.request([update], resolve, reject));
  }

  readListing(sku: string): Promise<ChannelListing | undefined> {
    return new Promise((resolve, reject) => this.read(sku, resolve, reject));
  }

  /** A read answers after the latency; an outage when it was sent fails it. */
  private read(sku: string, done: (listing: ChannelListing) => void, fail: Fail): void {
    this.stats.reads++;
    const now = this.time.nowMs();
    this.later(this.latency(now), () => {
      if (this.faults.active() && this.faults.inOutage(now)) {
        fail(new Error(`${this.id}: 503 service unavailable`));
        return;
      }
      let listing: ChannelListing;
      try {
        const i = this.host.skuIndexOf(sku);
        listing = { quantity: this.quantity[i]!, version: this.version[i]! };
      } catch (error) {
        fail(error);
        return;
      }
      done(listing);
    });
  }

  private latency(nowMs: number): number {
    return sampleLatencyMs(this.preset.latency, this.rng) * this.faults.latencyMultiplier(nowMs);
  }

  /**
   * One request; `done` hears its answer (failures are results) after the latency, or the
   * timeout; `fail` a throw of the channel's own code when the request arrives.
   */
  private request(updates: readonly ChannelUpdate[], done: (result: ChannelResult) => void, fail: Fail): void {
    const stats = this.stats;
    stats.calls++;
    stats.itemsSent += updates.length;
    const now = this.time.nowMs();
    const latencyMs = this.latency(now);
    const faultsOn = this.faults.active();
    const draw = this.rng.next();
    if (faultsOn && this.faults.inOutage(now)) return this.fail(latencyMs, { ok: false, error: 'unavailable', message: 'HTTP 503 (outage)' }, done);
    const acquire = this.limits.perListing ? { items: updates.length, keys: updates.map((u) => u.sku) } : { items: updates.length };
    const admission = this.limits.admit(now, acquire);
    if (!admission.ok) return this.throttle(latencyMs, admission.retryAfterMs, done);
    const perListing = this.limits.admitListings(now, acquire);
    if (!perListing.ok) return this.fail(latencyMs, { ok: false, error: 'rejected', retryAfterMs: perListing.retryAfterMs, message: 'listing revision limit reached' }, done);
    const f = this.faults;
    const throttleP = faultsOn ? f.throttleRate : 0;
    const errorP = this.preset.errorRate5xx + (faultsOn ? f.serverErrorRate : 0);
    const timeoutP = faultsOn ? f.timeoutRate : 0;
    if (draw < throttleP) return this.throttle(latencyMs, f.throttleRetryAfterMs, done);
    if (draw < throttleP + errorP) return this.fail(latencyMs, { ok: false, error: 'server_error', message: 'HTTP 500' }, done);
    // A timeout: injected, or a response slower than the client waits. The outcome is unknown
    // to the caller; the channel may have applied the request before the client gave up.
    if (draw < throttleP + errorP + timeoutP || latencyMs >= f.timeoutMs) {
      if (this.rng.next() < f.timeoutAppliedShare) this.later(Math.min(latencyMs, f.timeoutMs) / 2, () => this.accept(updates));
      return this.fail(f.timeoutMs, { ok: false, error: 'timeout', message: `no answer within ${f.timeoutMs} ms` }, done);
    }
    this.later(latencyMs, () => {
      let result: ChannelResult;
      try {
        result = this.answer(updates);
      } catch (error) {
        fail(error);
        return;
      }
      done(result);
    });
  }

  /** The request arrived (its latency passed): compare-and-set checks, then accept. */
  private answer(updates: readonly ChannelUpdate[]): ChannelResult {
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
    this.applyAtMs.push(at);
    this.applyQueue.push(updates);
    if (this.applyQueue.length - this.applyHead === 1) this.time.scheduleAt(at, this.applyDue);
  }

  /** The first request in processing applies; the next one, if any, becomes the pending event. */
  private applyNext(): void {
    const updates = this.applyQueue[this.applyHead]!;
    this.applyQueue[this.applyHead] = NOTHING;
    this.applyHead++;
    if (this.applyHead === this.applyQueue.length) {
      this.applyQueue.length = 0;
      this.applyAtMs.length = 0;
      this.applyHead = 0;
    } else {
      if (this.applyHead > 1024 && this.applyHead * 2 > this.applyQueue.length) {
        this.applyQueue.splice(0, this.applyHead);
        this.applyAtMs.splice(0, this.applyHead);
        this.applyHead = 0;
      }
      this.time.scheduleAt(this.applyAtMs[this.applyHead]!, this.applyDue);
    }
    this.apply(updates);
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

  private fail(afterMs: number, result: ChannelResult, done: (result: ChannelResult) => void): void {
    this.stats.failed++;
    this.later(afterMs, () => done(result));
  }

  private throttle(afterMs: number, retryAfterMs: number, done: (result: ChannelResult) => void): void {
    this.stats.throttled++;
    this.later(afterMs, () => done({ ok: false, error: 'throttled', retryAfterMs }));
  }
}
