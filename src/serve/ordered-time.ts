/**
 * The channel models' clock in the service: the real-time source, with `schedule` and
 * `scheduleAt` callbacks run in (time, sequence) order, as the simulator's kernel runs them.
 *
 * Why: a channel with a feed delay applies accepted updates in a FIFO queue (each at
 * `max(now + delay, tail)`), so two updates can be due at the same moment or a fraction of a
 * millisecond apart. Node's timers do not keep that order: each timer's expiry is counted from
 * the event loop's integer-millisecond clock at the moment it is set, so a timer set later for a
 * slightly later time can fire first, and the channel would apply an older version over a newer
 * one (the audit reports it as a version regression). Here every such callback waits in one
 * heap ordered by (time, sequence), and a single timer, armed for the earliest entry, runs
 * everything that is due in order. `sleep` (independent request latencies) is left as it is.
 */
import { afterRealMs, type RealTimeSource } from '../adapters/realtime.js';
import type { TimeSource } from '../model/channel.js';

export class OrderedTimerLimitError extends Error {
  override readonly name = 'OrderedTimerLimitError';
}

interface Entry {
  readonly atMs: number;
  readonly seq: number;
  readonly fn: () => void;
}

const DEFAULT_MAX_PENDING = 1_000_000;

export class OrderedTimeSource implements TimeSource {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private cancelTimer: (() => void) | undefined;
  private armedForMs = Number.POSITIVE_INFINITY;
  private disposed = false;

  constructor(
    private readonly inner: RealTimeSource,
    private readonly maxPending: number = DEFAULT_MAX_PENDING,
  ) {}

  get pending(): number {
    return this.heap.length;
  }

  nowMs(): number {
    return this.inner.nowMs();
  }

  sleep(ms: number): Promise<void> {
    return this.inner.sleep(ms);
  }

  schedule(delayMs: number, fn: () => void): void {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new RangeError(`delayMs must be finite and >= 0, got ${delayMs}`);
    this.scheduleAt(this.nowMs() + delayMs, fn);
  }

  scheduleAt(timeMs: number, fn: () => void): void {
    if (!Number.isFinite(timeMs)) throw new RangeError(`timeMs must be finite, got ${timeMs}`);
    if (this.disposed) return;
    if (this.heap.length >= this.maxPending) throw new OrderedTimerLimitError(`more than ${this.maxPending} channel timers pending at once`);
    this.push({ atMs: timeMs, seq: this.seq++, fn });
    this.arm();
  }

  /** Cancels everything pending; later calls are ignored (as RealTimeSource.dispose). */
  dispose(): void {
    this.disposed = true;
    this.heap.length = 0;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private arm(): void {
    const head = this.heap[0];
    if (head === undefined || head.atMs >= this.armedForMs) return;
    this.cancelTimer?.();
    this.armedForMs = head.atMs;
    this.cancelTimer = afterRealMs(Math.max(0, head.atMs - this.nowMs()) / this.inner.speedup, () => this.fire());
  }

  private fire(): void {
    this.cancelTimer = undefined;
    this.armedForMs = Number.POSITIVE_INFINITY;
    try {
      // Everything due now, in order; what a callback schedules for now runs in this same pass.
      for (let head = this.heap[0]; head !== undefined && head.atMs <= this.nowMs() && !this.disposed; head = this.heap[0]) {
        this.pop();
        head.fn();
      }
    } finally {
      this.arm();
    }
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
