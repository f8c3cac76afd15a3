/**
 * The discrete-event kernel: virtual time that jumps from event to event.
 *
 * Ordering. Events are ordered by `(timeMs, seq)`, where `seq` is a global counter taken at
 * schedule time, so the order is total and equal times resolve in schedule order on every run.
 * The queue is a binary min-heap over parallel typed arrays (time, seq, slot); each event's
 * callback lives in a slot of a plain array, recycled through a free-list, and `slotPos` maps a
 * slot back to its heap position so `cancel` removes the entry eagerly in O(log n) (no
 * tombstones that would pile up when most timeouts are cancelled).
 *
 * Draining. Engine code is async. After an event fires, every continuation it made runnable
 * must finish before the next event fires, or code would observe a later time than the one at
 * which it became runnable. Node processes its queues in `processTicksAndRejections`:
 *
 *     do { run every queued nextTick callback; runMicrotasks(); } while (ticks were queued …)
 *
 * and `runMicrotasks()` drains the V8 microtask queue completely, including microtasks queued by
 * microtasks. So the kernel fires one event per `step`, and `step` itself runs as a microtask:
 * after firing, it queues `process.nextTick(tick)` and `tick` queues `step` as a microtask. The
 * nextTick callback only runs once the microtask queue is empty, i.e. once every promise chain
 * the event started (await chains of any depth, Promise.all, thenables, async generators) has
 * settled or is waiting on a later event. This costs one nextTick plus one microtask per event,
 * instead of a full event-loop turn with `setImmediate` (roughly 5-10x faster; numbers in the
 * test file's header and the task report).
 *
 * What the technique does NOT cover, verified in test/sim/kernel.test.ts: a `process.nextTick`
 * callback queued *from a microtask* runs before the next event, but microtasks *it* queues run
 * after the next step (the tick queue is emptied before the microtask queue). Engine and
 * simulator code use only promises, so this never happens there; code that needs it can pass
 * `hostYield: { everyEvents: 1, yield: yieldToEventLoop }` (src/adapters/drain.ts), which drains
 * through a full `setImmediate` turn after each event, at `setImmediate` speed.
 *
 * The event loop. While `run` is running, the whole simulation happens inside one
 * `processTicksAndRejections` loop, so real timers, I/O and signals are not serviced until it
 * resolves. That is intended (nothing real may interleave with virtual time). A host that needs
 * the loop (progress output, Ctrl-C) passes `hostYield` to take a `setImmediate` turn every N
 * events; all continuations are drained at that point, so yielding does not change the result.
 * Each step is a fresh microtask, so the stack does not grow, and the nextTick queue and the heap
 * are reused, so a run of tens of millions of events runs in constant memory beyond the queue.
 *
 * Limits fail loudly: a run that would fire more than `maxEvents`, an event scheduled past
 * `maxTimeMs`, or a queue longer than `maxQueueLength` throws a `KernelLimitError`. A limit hit
 * inside a promise continuation (where the caller might swallow the throw) is also latched and
 * rejects the current or next `run`, so it can never be lost.
 */
import type { Clock, Timers } from '../engine/ports.js';

export type KernelLimit = 'maxEvents' | 'maxTimeMs' | 'maxQueueLength';

/** A kernel limit was reached. Always a bug or a mis-sized scenario, never an outcome. */
export class KernelLimitError extends Error {
  override readonly name = 'KernelLimitError';
  readonly limit: KernelLimit;
  readonly value: number;
  readonly atMs: number;

  constructor(limit: KernelLimit, value: number, atMs: number, detail: string) {
    super(`kernel limit ${limit}=${value} exceeded at t=${atMs}ms: ${detail}`);
    this.limit = limit;
    this.value = value;
    this.atMs = atMs;
  }
}

/** A handle to a scheduled event, for `cancel`. Opaque apart from its order key. */
export class EventId {
  /** @internal The callback slot; valid only while `slot`'s seq equals `seq`. */
  readonly slot: number;
  readonly seq: number;
  readonly timeMs: number;

  /** @internal Created by the kernel only. */
  constructor(slot: number, seq: number, timeMs: number) {
    this.slot = slot;
    this.seq = seq;
    this.timeMs = timeMs;
  }
}

export interface HostYield {
  /** Take a host event-loop turn after this many events (a positive integer). */
  readonly everyEvents: number;
  /** Resolves after a host event-loop turn, e.g. `yieldToEventLoop` from src/adapters/drain.ts. */
  readonly yield: () => Promise<void>;
}

export interface KernelOptions {
  /** Total events the kernel may fire over its lifetime. Default 1e9. */
  readonly maxEvents?: number;
  /** No event may be scheduled after this virtual time. Default 10 years. */
  readonly maxTimeMs?: number;
  /** Pending events at any moment. Default 10 000 000. */
  readonly maxQueueLength?: number;
  /** Give the host event loop a turn every N events (see the file comment). Default: never. */
  readonly hostYield?: HostYield;
}

export interface RunOptions {
  /** Fire every event with `timeMs <= untilMs`, then set the clock to `untilMs`. */
  readonly untilMs?: number;
}

export type RunEndReason = 'empty' | 'until' | 'stopped';

export interface KernelStats {
  /** Events fired during this call of `run`. */
  readonly events: number;
  /** Virtual time when `run` resolved. */
  readonly endTimeMs: number;
  readonly reason: RunEndReason;
}

const DEFAULT_MAX_EVENTS = 1_000_000_000;
const DEFAULT_MAX_TIME_MS = 10 * 365 * 24 * 3600 * 1000;
const DEFAULT_MAX_QUEUE_LENGTH = 10_000_000;
const MAX_QUEUE_LENGTH_CEILING = 2 ** 30;
const INITIAL_CAPACITY = 1024;
const SETTLED: Promise<void> = Promise.resolve();

interface ActiveRun {
  readonly untilMs: number;
  readonly eventsAtStart: number;
  readonly resolve: (stats: KernelStats) => void;
  readonly reject: (error: unknown) => void;
}

function positiveLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
  return value;
}

export class Kernel {
  readonly clock: Clock;
  readonly timers: Timers;

  private readonly maxEvents: number;
  private readonly maxTimeMs: number;
  private readonly maxQueueLength: number;
  private readonly hostYield: HostYield | undefined;

  private now = 0;
  private nextSeq = 0;
  private fired = 0;

  // Heap, 0-based: entry i has key (heapTime[i], heapSeq[i]) and owns callback slot heapSlot[i].
  private capacity = INITIAL_CAPACITY;
  private size = 0;
  private heapTime = new Float64Array(INITIAL_CAPACITY);
  private heapSeq = new Float64Array(INITIAL_CAPACITY);
  private heapSlot = new Int32Array(INITIAL_CAPACITY);
  // Slots: callback, heap position and seq of the event occupying it (-1 when free).
  private readonly callbacks: Array<(() => void) | undefined> = [];
  private slotPos = new Int32Array(INITIAL_CAPACITY);
  private slotSeq = new Float64Array(INITIAL_CAPACITY).fill(-1);
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  private slotsUsed = 0;

  private active: ActiveRun | undefined;
  private stopRequested = false;
  private fault: KernelLimitError | undefined;
  private sinceYield = 0;

  constructor(options: KernelOptions = {}) {
    this.maxEvents = positiveLimit('maxEvents', options.maxEvents, DEFAULT_MAX_EVENTS);
    this.maxTimeMs = positiveLimit('maxTimeMs', options.maxTimeMs, DEFAULT_MAX_TIME_MS);
    this.maxQueueLength = positiveLimit('maxQueueLength', options.maxQueueLength, DEFAULT_MAX_QUEUE_LENGTH);
    if (this.maxQueueLength > MAX_QUEUE_LENGTH_CEILING) {
      // Slots and heap positions are Int32.
      throw new RangeError(`maxQueueLength must be <= ${MAX_QUEUE_LENGTH_CEILING}, got ${this.maxQueueLength}`);
    }
    const hostYield = options.hostYield;
    if (hostYield !== undefined && !(Number.isInteger(hostYield.everyEvents) && hostYield.everyEvents > 0)) {
      throw new RangeError(`hostYield.everyEvents must be a positive integer, got ${hostYield.everyEvents}`);
    }
    this.hostYield = hostYield;
    this.clock = { nowMs: () => this.now };
    this.timers = { sleep: (ms: number) => this.sleep(ms) };
  }

  nowMs(): number {
    return this.now;
  }

  /** Events fired over the kernel's lifetime. */
  get eventsProcessed(): number {
    return this.fired;
  }

  /** Events scheduled and neither fired nor cancelled. */
  get pending(): number {
    return this.size;
  }

  get running(): boolean {
    return this.active !== undefined;
  }

  schedule(delayMs: number, fn: () => void): EventId {
    if (!(delayMs >= 0) || delayMs === Infinity) {
      throw new RangeError(`delayMs must be finite and >= 0, got ${delayMs}`);
    }
    return this.scheduleAt(this.now + delayMs, fn);
  }

  scheduleAt(timeMs: number, fn: () => void): EventId {
    if (!(timeMs >= this.now) || timeMs === Infinity) {
      throw new RangeError(`timeMs must be finite and >= now (${this.now}), got ${timeMs}`);
    }
    const seq = this.nextSeq;
    const slot = this.push(timeMs, fn);
    return new EventId(slot, seq, timeMs);
  }

  /** Removes a pending event. False if it already fired or was cancelled. */
  cancel(id: EventId): boolean {
    const slot = id.slot;
    if (slot < 0 || slot >= this.slotsUsed || this.slotSeq[slot] !== id.seq) return false;
    this.removeAt(this.slotPos[slot] as number);
    this.releaseSlot(slot);
    return true;
  }

  /** Resolves `ms` of virtual time from now, after every event already due at that time. */
  sleep(ms: number): Promise<void> {
    if (!(ms >= 0) || ms === Infinity) {
      throw new RangeError(`sleep ms must be finite and >= 0, got ${ms}`);
    }
    return new Promise<void>((resolve) => {
      this.push(this.now + ms, resolve);
    });
  }

  /** Asks the running `run` to resolve after the current event's continuations. */
  stop(): void {
    if (this.active !== undefined) this.stopRequested = true;
  }

  run(options: RunOptions = {}): Promise<KernelStats> {
    if (this.active !== undefined) return Promise.reject(new Error('Kernel.run is already running'));
    if (this.fault !== undefined) return Promise.reject(this.fault);
    const untilMs = options.untilMs ?? Infinity;
    if (options.untilMs !== undefined) {
      if (!Number.isFinite(untilMs) || untilMs < this.now) {
        return Promise.reject(new RangeError(`untilMs must be finite and >= now (${this.now}), got ${untilMs}`));
      }
      if (untilMs > this.maxTimeMs) {
        return Promise.reject(this.latch(new KernelLimitError('maxTimeMs', this.maxTimeMs, this.now, `run({ untilMs: ${untilMs} })`)));
      }
    }
    return new Promise<KernelStats>((resolve, reject) => {
      this.active = { untilMs, eventsAtStart: this.fired, resolve, reject };
      this.stopRequested = false;
      this.sinceYield = 0;
      // Enter through the same hop as between events, so continuations the caller already made
      // runnable (processes started before `run`) settle before the first event fires.
      process.nextTick(this.tick);
    });
  }

  // --- stepping -----------------------------------------------------------------------------

  /**
   * Queues `step` as a microtask. `settled.then(step)` is that, without the AsyncResource and
   * bind that Node's `queueMicrotask` allocates per call: 4.7 M vs 3.0 M hops/s measured.
   * `step` never throws (it catches event errors and turns them into a rejection of `run`).
   */
  private readonly tick = (): void => {
    void SETTLED.then(this.step);
  };

  /** Fires one event. Runs as a microtask; see the file comment for why that drains. */
  private readonly step = (): void => {
    const run = this.active;
    if (run === undefined) return;
    if (this.fault !== undefined) return this.finish(run, undefined, this.fault);
    if (this.stopRequested) return this.finish(run, 'stopped');
    if (this.size === 0 && run.untilMs === Infinity) return this.finish(run, 'empty');
    const timeMs = this.size === 0 ? Infinity : (this.heapTime[0] as number);
    if (timeMs > run.untilMs) {
      this.now = run.untilMs;
      return this.finish(run, 'until');
    }
    if (this.fired >= this.maxEvents) {
      const error = new KernelLimitError('maxEvents', this.maxEvents, this.now, `${this.size} events still pending`);
      return this.finish(run, undefined, this.latch(error));
    }
    const slot = this.popMin();
    const fn = this.callbacks[slot] as () => void;
    this.releaseSlot(slot);
    this.now = timeMs;
    this.fired++;
    try {
      fn();
    } catch (error) {
      return this.finish(run, undefined, error);
    }
    const hostYield = this.hostYield;
    if (hostYield !== undefined && ++this.sinceYield >= hostYield.everyEvents) {
      this.sinceYield = 0;
      hostYield.yield().then(this.tick, (error: unknown) => this.finish(run, undefined, error));
      return;
    }
    process.nextTick(this.tick);
  };

  private finish(run: ActiveRun, reason: RunEndReason | undefined, error?: unknown): void {
    this.active = undefined;
    this.stopRequested = false;
    if (reason === undefined) {
      run.reject(error);
      return;
    }
    run.resolve({ events: this.fired - run.eventsAtStart, endTimeMs: this.now, reason });
  }

  /** Records a limit error so the current or next `run` rejects even if the thrower swallowed it. */
  private latch(error: KernelLimitError): KernelLimitError {
    this.fault ??= error;
    return error;
  }

  // --- heap ---------------------------------------------------------------------------------

  private push(timeMs: number, fn: () => void): number {
    if (timeMs > this.maxTimeMs) {
      throw this.latch(new KernelLimitError('maxTimeMs', this.maxTimeMs, this.now, `event scheduled at t=${timeMs}ms`));
    }
    if (this.size >= this.maxQueueLength) {
      throw this.latch(new KernelLimitError('maxQueueLength', this.maxQueueLength, this.now, 'too many pending events'));
    }
    if (this.size === this.capacity) this.grow();
    const seq = this.nextSeq++;
    const slot = this.acquireSlot();
    this.callbacks[slot] = fn;
    this.slotSeq[slot] = seq;

    this.siftUp(this.size++, timeMs, seq, slot);
    return slot;
  }

  /** Removes the minimum and returns its slot. Precondition: size > 0. */
  private popMin(): number {
    const top = this.heapSlot[0] as number;
    this.removeAt(0);
    return top;
  }

  /** Removes heap entry `i` by moving the last entry into the hole and restoring order. */
  private removeAt(i: number): void {
    const last = --this.size;
    if (i === last) return;
    const timeMs = this.heapTime[last] as number;
    const seq = this.heapSeq[last] as number;
    const slot = this.heapSlot[last] as number;
    const parent = (i - 1) >> 1;
    if (i > 0 && ((this.heapTime[parent] as number) > timeMs || ((this.heapTime[parent] as number) === timeMs && (this.heapSeq[parent] as number) > seq))) {
      this.siftUp(i, timeMs, seq, slot);
    } else {
      this.siftDown(i, timeMs, seq, slot);
    }
  }

  private siftUp(start: number, timeMs: number, seq: number, slot: number): void {
    const heapTime = this.heapTime;
    const heapSeq = this.heapSeq;
    const heapSlot = this.heapSlot;
    const slotPos = this.slotPos;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = heapTime[parent] as number;
      if (parentTime < timeMs || (parentTime === timeMs && (heapSeq[parent] as number) < seq)) break;
      const parentSlot = heapSlot[parent] as number;
      heapTime[i] = parentTime;
      heapSeq[i] = heapSeq[parent] as number;
      heapSlot[i] = parentSlot;
      slotPos[parentSlot] = i;
      i = parent;
    }
    heapTime[i] = timeMs;
    heapSeq[i] = seq;
    heapSlot[i] = slot;
    slotPos[slot] = i;
  }

  private siftDown(start: number, timeMs: number, seq: number, slot: number): void {
    const heapTime = this.heapTime;
    const heapSeq = this.heapSeq;
    const heapSlot = this.heapSlot;
    const slotPos = this.slotPos;
    const size = this.size;
    const half = size >> 1;
    let i = start;
    while (i < half) {
      let child = 2 * i + 1;
      let childTime = heapTime[child] as number;
      let childSeq = heapSeq[child] as number;
      const right = child + 1;
      if (right < size) {
        const rightTime = heapTime[right] as number;
        const rightSeq = heapSeq[right] as number;
        if (rightTime < childTime || (rightTime === childTime && rightSeq < childSeq)) {
          child = right;
          childTime = rightTime;
          childSeq = rightSeq;
        }
      }
      if (timeMs < childTime || (timeMs === childTime && seq < childSeq)) break;
      const childSlot = heapSlot[child] as number;
      heapTime[i] = childTime;
      heapSeq[i] = childSeq;
      heapSlot[i] = childSlot;
      slotPos[childSlot] = i;
      i = child;
    }
    heapTime[i] = timeMs;
    heapSeq[i] = seq;
    heapSlot[i] = slot;
    slotPos[slot] = i;
  }

  private acquireSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount] as number;
    const slot = this.slotsUsed++;
    this.callbacks.push(undefined);
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.callbacks[slot] = undefined;
    this.slotSeq[slot] = -1;
    this.freeSlots[this.freeCount++] = slot;
  }

  /** Doubles every array. Slots in use never exceed heap entries, so one capacity serves both. */
  private grow(): void {
    const capacity = Math.min(this.capacity * 2, Math.max(Math.ceil(this.maxQueueLength), this.capacity + 1));
    const heapTime = new Float64Array(capacity);
    heapTime.set(this.heapTime);
    this.heapTime = heapTime;
    const heapSeq = new Float64Array(capacity);
    heapSeq.set(this.heapSeq);
    this.heapSeq = heapSeq;
    const heapSlot = new Int32Array(capacity);
    heapSlot.set(this.heapSlot);
    this.heapSlot = heapSlot;
    const slotPos = new Int32Array(capacity);
    slotPos.set(this.slotPos);
    this.slotPos = slotPos;
    const slotSeq = new Float64Array(capacity).fill(-1);
    slotSeq.set(this.slotSeq);
    this.slotSeq = slotSeq;
    const freeSlots = new Int32Array(capacity);
    freeSlots.set(this.freeSlots);
    this.freeSlots = freeSlots;
    this.capacity = capacity;
  }
}
