/**
 * The discrete-event kernel: virtual time that jumps from event to event.
 *
 * Ordering. Events are ordered by `(timeMs, seq)`, where `seq` is a global counter taken at
 * schedule time, so the order is total and equal times resolve in schedule order on every run.
 * The queue is a binary min-heap in one Float64Array, an entry's time, seq and callback slot side
 * by side, so a step down the heap reads one cache line for both children (the heap is 1-based
 * and an entry 32 bytes: children 2p and 2p + 1 share a 64-byte line). Each event's callback lives
 * in a slot of a plain array, recycled through a free-list. `cancel` is lazy: it clears the slot
 * and the entry stays in the heap until it reaches the top, where it is dropped unfired. So the
 * heap's moves update nothing outside it (an eager cancel needs every move to record each
 * entry's position, a random write per level); the simulator itself cancels nothing.
 *
 * Draining. Engine code is async. After an event fires, every continuation it made runnable
 * must finish before the next event fires, or code would observe a later time than the one at
 * which it became runnable. Node processes its queues in `processTicksAndRejections`:
 *
 *     do { run every queued nextTick callback; runMicrotasks(); } while (ticks are queued …)
 *
 * and `runMicrotasks()` drains the V8 microtask queue completely, including microtasks queued by
 * microtasks. So the kernel fires one event per `step`, and `step` runs as a microtask: after
 * firing, it queues `nextTick(tick)` and `tick` queues `step` as a microtask. `tick` runs only
 * once the microtask queue is empty, i.e. once every promise chain the event started (await
 * chains of any depth, Promise.all, thenables, async generators) has settled or waits on a later
 * event. Cost: one nextTick and one microtask per event, several times cheaper than a
 * `setImmediate` turn (measured on a 2-vCPU box: 2-5 M vs 0.2 M events/s).
 *
 * The gap, and how it is closed. `process.nextTick` callbacks queued by simulated code break the
 * argument: all queued ticks run before the next microtask phase, so a tick queued by an event
 * (or by its continuations) runs in the same phase as `tick`, and the promise chain *it* starts
 * is still running when `step` fires the next event (test/sim/kernel.test.ts has the cases). The
 * host can tell the kernel about such ticks: `KernelHost.foreignTicks` counts the nextTick calls
 * that are not the kernel's own. If the count moved since the last event fired, `step` does not
 * fire; it takes one host event-loop turn (`KernelHost.turn`), after which both queues are
 * provably empty, and then fires. Promise-only code, which is all of the engine and the
 * simulator, never pays for it. The kernel itself reads and patches no global: how ticks are
 * counted is the host's business (src/adapters/kernel-host.ts wraps `process.nextTick`, opt-in,
 * at the edge). Not covered: ticks the host cannot see, and real timers or I/O, which src/sim
 * and src/engine may not use (lint rule).
 *
 * Events with no promise in them. Most of a simulation's events are plain callbacks (the
 * engine's continuation ports, the channels' answers) that neither create nor settle a promise,
 * and so leave nothing for the microtask queue: for those the hop is pure cost (a nextTick, a
 * microtask, a promise; about a tenth of a simulation's CPU and a sixth of its allocation). A
 * host that can see promise activity (`KernelHost.watchPromises`: a count of promises created
 * and settled, src/adapters/kernel-host.ts counts them with V8's promise hooks during a run)
 * lets the kernel fire the next event in the same step whenever the last one left that count
 * where it was: no promise was made or settled, so no continuation can be pending. The first
 * event that moves it ends the step, and the hop drains as above. The order of events is the
 * heap's either way, so results and traces are the same with and without a watch.
 *
 * The event loop. Between host turns the simulation runs inside one `processTicksAndRejections`
 * loop, so real timers, I/O, signals and even Node's unhandled-rejection reporting wait until
 * `run` resolves or yields. That is intended (nothing real may interleave with virtual time). A
 * host that needs the loop (progress output, Ctrl-C) sets `yieldEveryEvents`; every continuation
 * has settled when the kernel yields, so yielding cannot change the result. Each step is a fresh
 * microtask, so the stack does not grow, and the nextTick queue and the heap arrays are reused,
 * so memory stays flat over runs of tens of millions of events.
 *
 * Limits fail loudly: firing more than `maxEvents`, scheduling past `maxTimeMs`, or holding more
 * than `maxQueueLength` pending events throws a `KernelLimitError`. A limit hit inside a promise
 * continuation (where the caller might swallow the throw) is also latched and rejects the
 * current and every later `run`, so it can never be lost.
 *
 * Several kernels may run at once (their steps interleave); each keeps its own guarantee, as long
 * as they share no state.
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

/** A handle to a scheduled event, for `cancel`. */
export class EventId {
  /** @internal The callback slot; it still holds this event while the slot's seq equals `seq`. */
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

/**
 * What the kernel needs from the process it runs in. The caller passes it in; the kernel reads
 * and patches no global. `nodeKernelHost()` (src/adapters/kernel-host.ts) is Node's.
 */
export interface KernelHost {
  /**
   * Queues `callback` on the host's nextTick queue: the kernel's hop between events. It must sit
   * where `process.nextTick` does (its queue runs whenever the microtask queue has drained, before
   * the next microtask phase), and `foreignTicks` must not count it.
   */
  readonly nextTick: (callback: () => void) => void;
  /**
   * Resolves after one full host event-loop turn, when the nextTick and microtask queues are
   * empty. Used for `yieldEveryEvents` and to drain foreign nextTick callbacks. A rejection
   * rejects the current `run`.
   */
  readonly turn: () => Promise<void>;
  /**
   * How many nextTick callbacks code other than the kernel has queued so far: non-decreasing, and
   * bumped when the host lost count (its counter was replaced). Read before every event; when it
   * moved since the queues were last known empty, the kernel takes a `turn` before firing.
   * Absent: nothing counts, and a promise chain started by a foreign nextTick may observe a later
   * time (the gap in the file comment). Must be cheap: it is called once per event.
   */
  readonly foreignTicks?: () => number;
  /**
   * Starts counting promise activity for one `run` (see "Events with no promise in them"):
   * `activity()` must move whenever a promise is created or settled, and is read after every
   * event; `stop()` is called once when the run ends. Absent: every event takes the hop.
   */
  readonly watchPromises?: () => PromiseWatch;
}

/** A count of promise activity, for one run of the kernel (`KernelHost.watchPromises`). */
export interface PromiseWatch {
  readonly activity: () => number;
  readonly stop: () => void;
}

export interface KernelOptions {
  /** The host's nextTick hop, event-loop turn and foreign-tick count. Required: no default reads a global. */
  readonly host: KernelHost;
  /** Total events the kernel may fire over its lifetime. Default 1e9. */
  readonly maxEvents?: number;
  /** No event may be scheduled after this virtual time. Default 10 years. */
  readonly maxTimeMs?: number;
  /** Pending events at any moment. Default 10 000 000. */
  readonly maxQueueLength?: number;
  /** Give the host event loop a turn every N events (a positive integer). Default: never. */
  readonly yieldEveryEvents?: number;
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
  /** Host event-loop turns taken during this call (yields and foreign-nextTick drains). */
  readonly hostTurns: number;
}

const DEFAULT_MAX_EVENTS = 1_000_000_000;
const DEFAULT_MAX_TIME_MS = 10 * 365 * 24 * 3600 * 1000;
const DEFAULT_MAX_QUEUE_LENGTH = 10_000_000;
const MAX_QUEUE_LENGTH_CEILING = 2 ** 30;
const INITIAL_CAPACITY = 1024;
/** A heap entry's doubles: time, then these offsets. */
const STRIDE = 4;
const SEQ = 1;
const SLOT = 2;

/** Writes heap entry `p`. */
function put(heap: Float64Array, p: number, timeMs: number, seq: number, slot: number): void {
  const at = p * STRIDE;
  heap[at] = timeMs;
  heap[at + SEQ] = seq;
  heap[at + SLOT] = slot;
}
const SETTLED: Promise<void> = Promise.resolve();

/** The tick count of a host that counts none. */
const NO_TICKS = (): number => 0;

interface ActiveRun {
  readonly untilMs: number;
  readonly eventsAtStart: number;
  readonly turnsAtStart: number;
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
  private readonly yieldEveryEvents: number;
  private readonly hop: (callback: () => void) => void;
  private readonly hostTurn: () => Promise<void>;
  private readonly foreignTicks: () => number;
  private readonly watchPromises: (() => PromiseWatch) | undefined;
  /** The current run's count of promise activity, when the host keeps one. */
  private promises: PromiseWatch | undefined;

  private now = 0;
  private nextSeq = 0;
  private fired = 0;
  private turns = 0;

  // Heap, 1-based: entry p (1 <= p <= size) has key (heap[4p], heap[4p + 1]) and owns callback
  // slot heap[4p + 2]; heap[4p + 3] is padding, and entry 0 is unused.
  private capacity = INITIAL_CAPACITY;
  private size = 0;
  private heap = new Float64Array((INITIAL_CAPACITY + 1) * STRIDE);
  /** Entries in the heap whose event was cancelled (see `cancel`). */
  private cancelled = 0;
  // Slots: callback and seq of the event occupying it (-1 when free or cancelled).
  private readonly callbacks: Array<(() => void) | undefined> = [];
  private slotSeq = new Float64Array(INITIAL_CAPACITY).fill(-1);
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  private slotsUsed = 0;

  private active: ActiveRun | undefined;
  private stopRequested = false;
  private fault: KernelLimitError | undefined;
  private sinceYield = 0;
  /** `foreignTicks()` when the queues were last known to be empty: at the last fire or host turn. */
  private ticksSeen = 0;

  constructor(options: KernelOptions) {
    this.maxEvents = positiveLimit('maxEvents', options.maxEvents, DEFAULT_MAX_EVENTS);
    this.maxTimeMs = positiveLimit('maxTimeMs', options.maxTimeMs, DEFAULT_MAX_TIME_MS);
    this.maxQueueLength = positiveLimit('maxQueueLength', options.maxQueueLength, DEFAULT_MAX_QUEUE_LENGTH);
    if (this.maxQueueLength > MAX_QUEUE_LENGTH_CEILING) {
      // Slots and heap positions are Int32.
      throw new RangeError(`maxQueueLength must be <= ${MAX_QUEUE_LENGTH_CEILING}, got ${this.maxQueueLength}`);
    }
    const every = options.yieldEveryEvents;
    if (every !== undefined && !(Number.isSafeInteger(every) && every > 0)) {
      throw new RangeError(`yieldEveryEvents must be a positive integer, got ${every}`);
    }
    this.yieldEveryEvents = every ?? Infinity;
    const host = options.host;
    this.hop = host.nextTick;
    this.hostTurn = host.turn;
    this.foreignTicks = host.foreignTicks ?? NO_TICKS;
    this.watchPromises = host.watchPromises;
    this.ticksSeen = this.foreignTicks();
    this.clock = { nowMs: () => this.now };
    this.timers = { sleep: (ms: number) => this.sleep(ms), after: (ms: number, fn: () => void) => this.after(ms, fn) };
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
    return this.size - this.cancelled;
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

  /**
   * Removes a pending event. False if it already fired or was cancelled. Its heap entry stays
   * until it reaches the top, and its slot with it, so no other event can take the slot first.
   */
  cancel(id: EventId): boolean {
    const slot = id.slot;
    if (slot < 0 || slot >= this.slotsUsed || this.slotSeq[slot] !== id.seq) return false;
    this.callbacks[slot] = undefined;
    this.slotSeq[slot] = -1;
    this.cancelled++;
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

  /** Runs `fn` `ms` of virtual time from now, like `sleep` but with no promise and no handle. */
  after(ms: number, fn: () => void): void {
    if (!(ms >= 0) || ms === Infinity) {
      throw new RangeError(`after ms must be finite and >= 0, got ${ms}`);
    }
    this.push(this.now + ms, fn);
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
      this.active = { untilMs, eventsAtStart: this.fired, turnsAtStart: this.turns, resolve, reject };
      this.stopRequested = false;
      this.sinceYield = 0;
      this.promises = this.watchPromises?.();
      // Enter through the same hop as between events, so continuations the caller already made
      // runnable (processes started before `run`) settle before the first event fires. Foreign
      // ticks queued since the last run make the first step take a host turn.
      this.hop(this.tick);
    });
  }

  // --- stepping -----------------------------------------------------------------------------------

  /**
   * Queues `step` as a microtask. `SETTLED.then(step)` is that without the AsyncResource and bind
   * that Node's `queueMicrotask` allocates per call (4.7 M vs 3.0 M hops/s measured).
   */
  private readonly tick = (): void => {
    void SETTLED.then(this.step);
  };

  /**
   * Fires one event, and more while each leaves no promise activity behind (the file comment's
   * "Events with no promise in them"). Runs as a microtask; see the file comment for why the hop
   * that follows drains.
   */
  private readonly step = (): void => {
    const run = this.active;
    if (run === undefined) return;
    try {
      const promises = this.promises;
      if (promises === undefined) {
        if (this.stepOnce(run)) this.hop(this.tick);
        return;
      }
      const seen = promises.activity();
      while (this.stepOnce(run)) {
        if (promises.activity() !== seen) {
          this.hop(this.tick);
          return;
        }
      }
    } catch (error) {
      // The event callback threw (or, if the kernel has a bug, the kernel did): reject `run`.
      this.finish(run, undefined, error);
    }
  };

  /** True when an event fired and the next step should follow through the nextTick hop. */
  private stepOnce(run: ActiveRun): boolean {
    if (this.fault !== undefined) {
      this.finish(run, undefined, this.fault);
      return false;
    }
    // Foreign ticks since the last fire may still have microtasks pending: drain them first.
    if (this.foreignTicks() !== this.ticksSeen || this.sinceYield >= this.yieldEveryEvents) {
      this.takeHostTurn(run);
      return false;
    }
    if (this.stopRequested) {
      this.finish(run, 'stopped');
      return false;
    }
    if (this.cancelled > 0) this.dropCancelledTop();
    const timeMs = this.size === 0 ? Infinity : (this.heap[STRIDE] as number);
    if (timeMs > run.untilMs) {
      this.now = run.untilMs;
      this.finish(run, 'until');
      return false;
    }
    if (timeMs === Infinity) {
      this.finish(run, 'empty');
      return false;
    }
    if (this.fired >= this.maxEvents) {
      const error = new KernelLimitError('maxEvents', this.maxEvents, this.now, `${this.pending} events still pending`);
      this.finish(run, undefined, this.latch(error));
      return false;
    }
    const slot = this.popMin();
    const fn = this.callbacks[slot] as () => void;
    this.releaseSlot(slot);
    this.now = timeMs;
    this.fired++;
    this.sinceYield++;
    fn();
    return true;
  }

  private takeHostTurn(run: ActiveRun): void {
    this.turns++;
    this.sinceYield = 0;
    const turn = this.hostTurn(); // a synchronous throw here reaches step's catch
    turn.then(
      () => {
        // A full event-loop turn has passed: the tick and microtask queues are empty.
        this.ticksSeen = this.foreignTicks();
        this.step();
      },
      (error: unknown) => this.finish(run, undefined, error),
    );
  }

  private finish(run: ActiveRun, reason: RunEndReason | undefined, error?: unknown): void {
    this.active = undefined;
    this.promises?.stop();
    this.promises = undefined;
    this.stopRequested = false;
    if (reason === undefined) {
      run.reject(error);
      return;
    }
    run.resolve({
      events: this.fired - run.eventsAtStart,
      endTimeMs: this.now,
      reason,
      hostTurns: this.turns - run.turnsAtStart,
    });
  }

  /** Records a limit error so the current and every later `run` reject, even if the thrower swallowed it. */
  private latch(error: KernelLimitError): KernelLimitError {
    this.fault ??= error;
    return error;
  }

  // --- heap ---------------------------------------------------------------------------------

  private push(timeMs: number, fn: () => void): number {
    if (timeMs > this.maxTimeMs) {
      throw this.latch(new KernelLimitError('maxTimeMs', this.maxTimeMs, this.now, `event scheduled at t=${timeMs}ms`));
    }
    if (this.pending >= this.maxQueueLength) {
      throw this.latch(new KernelLimitError('maxQueueLength', this.maxQueueLength, this.now, 'too many pending events'));
    }
    if (this.size === this.capacity) this.grow();
    const seq = this.nextSeq++;
    const slot = this.acquireSlot();
    this.callbacks[slot] = fn;
    this.slotSeq[slot] = seq;
    this.siftUp(++this.size, timeMs, seq, slot);
    return slot;
  }

  /** Removes the minimum and returns its slot. Precondition: size > 0. */
  private popMin(): number {
    const heap = this.heap;
    const top = (heap[STRIDE + SLOT] as number) | 0;
    const last = this.size--;
    if (last > 1) {
      const at = last * STRIDE;
      this.siftDown(1, heap[at] as number, heap[at + SEQ] as number, heap[at + SLOT] as number);
    }
    return top;
  }

  /** Drops cancelled entries from the top of the heap, freeing their slots. */
  private dropCancelledTop(): void {
    while (this.size > 0) {
      const heap = this.heap;
      const slot = (heap[STRIDE + SLOT] as number) | 0;
      if (this.slotSeq[slot] === heap[STRIDE + SEQ]) return;
      this.popMin();
      this.cancelled--;
      this.releaseSlot(slot);
    }
  }

  private siftUp(start: number, timeMs: number, seq: number, slot: number): void {
    const heap = this.heap;
    let p = start;
    while (p > 1) {
      const parent = p >> 1;
      const from = parent * STRIDE;
      const parentTime = heap[from] as number;
      if (parentTime < timeMs || (parentTime === timeMs && (heap[from + SEQ] as number) < seq)) break;
      put(heap, p, parentTime, heap[from + SEQ] as number, heap[from + SLOT] as number);
      p = parent;
    }
    put(heap, p, timeMs, seq, slot);
  }

  private siftDown(start: number, timeMs: number, seq: number, slot: number): void {
    const heap = this.heap;
    const size = this.size;
    let p = start;
    for (let child = 2 * p; child <= size; child = 2 * p) {
      let from = child * STRIDE;
      let childTime = heap[from] as number;
      let childSeq = heap[from + SEQ] as number;
      if (child < size) {
        const right = from + STRIDE;
        const rightTime = heap[right] as number;
        const rightSeq = heap[right + SEQ] as number;
        if (rightTime < childTime || (rightTime === childTime && rightSeq < childSeq)) {
          child++;
          from = right;
          childTime = rightTime;
          childSeq = rightSeq;
        }
      }
      if (timeMs < childTime || (timeMs === childTime && seq < childSeq)) break;
      put(heap, p, childTime, childSeq, heap[from + SLOT] as number);
      p = child;
    }
    put(heap, p, timeMs, seq, slot);
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
    // Up to the limit, then (cancelled entries still in the heap can take it past) doubling.
    const capacity = this.size >= this.maxQueueLength ? this.capacity * 2 : Math.min(this.capacity * 2, Math.max(Math.ceil(this.maxQueueLength), this.capacity + 1));
    const heap = new Float64Array((capacity + 1) * STRIDE);
    heap.set(this.heap);
    this.heap = heap;
    const slotSeq = new Float64Array(capacity).fill(-1);
    slotSeq.set(this.slotSeq);
    this.slotSeq = slotSeq;
    const freeSlots = new Int32Array(capacity);
    freeSlots.set(this.freeSlots);
    this.freeSlots = freeSlots;
    this.capacity = capacity;
  }
}
