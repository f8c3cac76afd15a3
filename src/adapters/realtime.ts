/**
 * A real-time `TimeSource` for the simulator's channel models (src/sim/channel.ts), so that
 * `invsim serve` runs them against the wall clock: the same latency, throttling and feed-delay
 * code, waiting with `setTimeout` instead of jumping through virtual time.
 *
 * Time is `performance.now()` relative to the source's creation: monotone (a wall-clock step
 * cannot make a latency negative) and starting near 0 like the simulator's clock, so scenario
 * windows (`outages[].startS`) mean "seconds after the service started". `wallClockMs` turns a
 * reading back into epoch milliseconds for display.
 *
 * `speedup` is the live path's one definition of time compression: the source reads and waits
 * in scenario milliseconds, and N of them pass in each real millisecond. Everything that runs on
 * it (the engine's retry and conflict backoff, the DLQ redrive, the channels' latencies, feed
 * delays, rate-limit refill and fault windows, the store's operation latency) is compressed the
 * same way, and what it measures (propagation latency, staleness) is in scenario time, the
 * simulator's unit. A wait shorter than a real millisecond is not given to `setTimeout` (which
 * rounds it up to one, i.e. N scenario ms) but to `setImmediate`.
 *
 * Every pending timer is tracked, bounded by `maxPendingTimers`, and cancelled by `dispose()`,
 * so a stopped service leaves nothing behind that keeps the process alive; a sleep cancelled by
 * `dispose()` never resolves (what was waiting on it belongs to a stopped generation).
 */
import type { Clock, Timers } from '../engine/ports.js';
import type { TimeSource } from '../model/channel.js';

export class TimerLimitError extends Error {
  override readonly name = 'TimerLimitError';
}

export interface RealTimeSourceOptions {
  /** Upper bound on timers pending at once; exceeding it throws TimerLimitError. */
  readonly maxPendingTimers?: number;
  /** `performance.now()` reading taken as time 0 (default: at construction). */
  readonly originMs?: number;
  /** Scenario milliseconds per real millisecond (default 1). */
  readonly speedup?: number;
}

const DEFAULT_MAX_PENDING_TIMERS = 1_000_000;

export class RealTimeSource implements TimeSource {
  readonly clock: Clock;
  readonly timers: Timers;
  /** The `performance.now()` reading taken as time 0. */
  readonly originMs: number;
  private readonly originWallMs: number;
  private readonly maxPending: number;
  readonly speedup: number;
  private readonly pending = new Map<object, () => void>();
  private disposed = false;

  constructor(options: RealTimeSourceOptions = {}) {
    this.maxPending = options.maxPendingTimers ?? DEFAULT_MAX_PENDING_TIMERS;
    if (!Number.isSafeInteger(this.maxPending) || this.maxPending < 1) {
      throw new RangeError(`maxPendingTimers must be an integer >= 1, got ${this.maxPending}`);
    }
    this.speedup = options.speedup ?? 1;
    if (!(this.speedup > 0) || !Number.isFinite(this.speedup)) throw new RangeError(`speedup must be a finite number > 0, got ${this.speedup}`);
    const perfNow = performance.now();
    this.originMs = options.originMs ?? perfNow;
    this.originWallMs = Date.now() - (perfNow - this.originMs);
    this.clock = { nowMs: () => this.nowMs() };
    this.timers = { sleep: (ms) => this.sleep(ms) };
  }

  /** Scenario milliseconds since the origin. */
  nowMs(): number {
    return (performance.now() - this.originMs) * this.speedup;
  }

  /** Real milliseconds since the origin. */
  realNowMs(): number {
    return performance.now() - this.originMs;
  }

  /**
   * Epoch milliseconds now, times the speedup: a clock that processes started at different times
   * agree on (given the same speedup), advancing in scenario milliseconds.
   */
  epochMs(): number {
    return (this.originWallMs + this.realNowMs()) * this.speedup;
  }

  /** Epoch milliseconds of a reading of `nowMs()`. */
  wallClockMs(timeMs: number): number {
    return this.originWallMs + timeMs / this.speedup;
  }

  get pendingTimers(): number {
    return this.pending.size;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!(ms >= 0) || !Number.isFinite(ms)) {
        reject(new RangeError(`sleep: ms must be a finite number >= 0, got ${ms}`));
        return;
      }
      this.arm(ms, resolve);
    });
  }

  schedule(delayMs: number, fn: () => void): void {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new RangeError(`delayMs must be finite and >= 0, got ${delayMs}`);
    this.arm(delayMs, fn);
  }

  scheduleAt(timeMs: number, fn: () => void): void {
    if (!Number.isFinite(timeMs)) throw new RangeError(`timeMs must be finite, got ${timeMs}`);
    // Real time moves on between computing `timeMs` and arming the timer: a moment in the
    // recent past means "now", unlike in the kernel where it would be a bug.
    this.arm(Math.max(0, timeMs - this.nowMs()), fn);
  }

  /** Cancels every pending timer; later calls to schedule or sleep are ignored (never fire). */
  dispose(): void {
    this.disposed = true;
    for (const cancel of this.pending.values()) cancel();
    this.pending.clear();
  }

  /**
   * Runs `fn` once the clock reads `delayMs` later than now, never before: a Node timer counts
   * from the event loop's millisecond clock and can fire up to a millisecond early by
   * `performance.now()`, which under a speedup of N is N scenario milliseconds (a redrive meeting
   * the end of an outage, a window closing early). An early wake-up waits out the remainder.
   */
  private arm(delayMs: number, fn: () => void): void {
    if (this.disposed) return;
    if (this.pending.size >= this.maxPending) {
      throw new TimerLimitError(`more than ${this.maxPending} timers pending at once (is something scheduling in a loop?)`);
    }
    const key = {};
    const dueMs = this.nowMs() + delayMs;
    const wake = (): void => {
      if (this.disposed) return;
      const leftMs = dueMs - this.nowMs();
      if (leftMs > 0) {
        this.pending.set(key, afterRealMs(leftMs / this.speedup, wake));
        return;
      }
      this.pending.delete(key);
      fn();
    };
    this.pending.set(key, afterRealMs(delayMs / this.speedup, wake));
  }
}

/**
 * Runs `fn` after `realMs` real milliseconds and returns its cancellation. Under a millisecond it
 * goes to `setImmediate`: `setTimeout` would wait a whole millisecond, which under a speedup of N
 * is N scenario milliseconds added to every short wait.
 */
export function afterRealMs(realMs: number, fn: () => void): () => void {
  if (realMs < 1) {
    const handle = setImmediate(fn);
    return () => clearImmediate(handle);
  }
  const handle = setTimeout(fn, realMs);
  return () => clearTimeout(handle);
}
