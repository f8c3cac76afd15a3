/**
 * PropagationDispatcher: drains the transactional outbox and pushes each SKU's new level to
 * every channel.
 *
 * One lane per (channel, SKU) keeps at most one request in flight, so a channel never sees a
 * version older than one it already acknowledged; a newer version waiting in a lane replaces
 * an older one (coalescing). A failed request is retried with exponential backoff and jitter,
 * honouring Retry-After (a 429 pauses the whole channel); after the last retry the update is
 * parked in the dead-letter queue and an alert raised. Nothing is dropped silently: an outbox
 * event is acknowledged only when every channel has it, a newer version, or a DLQ entry.
 *
 * Store writes the dispatcher makes on its own (parking a letter, acknowledging the outbox) are
 * retried with backoff (`storeRetryPolicy`, through the injected timers), counted in `stats`
 * and, when the retries are spent, raised as a `store_write_failed` alert. A letter that could
 * not be written is not parked: its update goes back into delivery and its outbox events stay
 * owed. An acknowledgement that could not be written only delays the cursor (a restart re-sends
 * from it; channels take a version once); the next acknowledgement covers it.
 *
 * I/O in continuation form. Every request, store write and wait goes through one small layer
 * (the store's `io`, each channel's `io`, `wait`): where the port offers continuations
 * (`store.continuations`, `client.continuations`, `timers.after`; the simulator's) it calls them
 * and creates no promise; elsewhere (the service, the network stores) the promise methods,
 * adapted to the same form once (`promiseStoreIo`, `promiseChannelIo`). Either way the answer
 * reaches the same decision code (`sent`, `delivered`, `failed`, `conflicted`, `park`), so both
 * paths decide alike; only the number of microtask hops between decisions differs.
 *
 * No promise floats and no callback throws into its caller. Work the dispatcher starts without
 * awaiting it (a send, a backoff, a write) goes through `background` (a promise) or `guard` (a
 * callback), which turn a throw there (a bug: operating errors are handled where they happen)
 * into a latched fault: the dispatcher stops, `onFault` hears of it, and `pump`, `idle`,
 * `redrive` and `submit` reject or throw with it from then on, so it cannot be lost.
 */
import { isIdentityPolicy, listedQuantity, type ListingPolicy } from './listing-policy.js';
import type { LatencyObserver } from './latency-observer.js';
import type {
  AlertSink,
  ChannelClient,
  ChannelClientContinuations,
  ChannelListing,
  ChannelResult,
  ChannelUpdate,
  Clock,
  DeadLetter,
  Fail,
  InventoryStore,
  InventoryStoreContinuations,
  OutboxEvent,
  Random,
  Timers,
} from './ports.js';
import { DEFAULT_CHANNEL_CONCURRENCY } from './defaults.js';
import { CoverChains, NO_COVERS } from './cover-chains.js';
import { InvariantError } from './invariant.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, validateRetryPolicy, type RetryPolicy } from './retry.js';

/** An update answered 429 this many times the retry budget is parked (a channel that never admits it). */
const THROTTLE_BOUND_FACTOR = 20;
/** A cover's slot for a compare-and-set resend: no outbox event (as -1), and no commit to date a letter by. */
const RESEND_SLOT = -3;

/** See DispatcherOptions.compareAndSetSettleMs. */
export const DEFAULT_CAS_SETTLE_MS = 60_000;
/** See DispatcherOptions.outboxBatch. */
export const DEFAULT_OUTBOX_BATCH = 10_000;
/**
 * Retries of the dispatcher's own store writes (a dead letter, an outbox acknowledgement): short
 * delays, since the store is local infrastructure and a lane is held while its letter is written.
 */
export const DEFAULT_STORE_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  backoffMultiplier: 2,
  jitter: 0.2,
};

export interface DispatcherPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly alerts: AlertSink;
}

export interface DispatcherOptions extends DispatcherPorts {
  readonly store: InventoryStore;
  readonly channels: readonly ChannelClient[];
  readonly retryPolicy?: RetryPolicy;
  /** Retries of a failed `parkDeadLetter` or `ackOutbox` (default DEFAULT_STORE_RETRY_POLICY). */
  readonly storeRetryPolicy?: RetryPolicy;
  readonly observer?: LatencyObserver;
  readonly listingPolicy?: ListingPolicy;
  /** Outbox events read per store call (default DEFAULT_OUTBOX_BATCH). */
  readonly outboxBatch?: number;
  /** The channels a SKU is listed on (default: every channel). */
  readonly channelsFor?: (sku: string) => readonly string[] | undefined;
  /**
   * A dense number for the SKUs of a known catalogue: `indexOf` gives 0 <= i < `count`, or
   * undefined for a SKU outside it. Their lanes are then found by that number, without hashing
   * the name; any other SKU is numbered on first sight through a map (all of them, without it).
   */
  readonly skuIndex?: { readonly count: number; readonly indexOf: (sku: string) => number | undefined };
  /**
   * Skip sending a channel the level change its own sale caused, when nothing else is pending
   * for that listing: the channel decremented its listing when it took the order, and echoing
   * an absolute level back would re-expose units it sold since. Off by default.
   */
  readonly skipEchoToSource?: boolean;
  /**
   * Compare-and-set channels: after a set made less sales the source had not seen, how long to
   * wait for their orders before setting the source's level as it is (default 60 000 ms).
   */
  readonly compareAndSetSettleMs?: number;
  /** Called whenever a channel acknowledges a version (metrics, tests). */
  readonly onDelivered?: (channelId: string, update: ChannelUpdate, latencyMs: number) => void;
  readonly onParked?: (letter: DeadLetter) => void;
  /**
   * Called once when a fault latches (see the file comment): how a caller that starts work with
   * `pumpSoon`, and awaits nothing, learns that the dispatcher stopped on a bug.
   */
  readonly onFault?: (error: unknown) => void;
}

/** The store operations the dispatcher makes on its own, in continuation form. */
type DispatcherStoreIo = Pick<InventoryStoreContinuations, 'outboxCursor' | 'readOutbox' | 'ackOutbox' | 'parkDeadLetter'>;

export interface DispatcherStats {
  calls: number;
  delivered: number;
  throttled: number;
  failed: number;
  retries: number;
  parked: number;
  superseded: number;
  /** Compare-and-set refusals (the channel sold units since our last set), each followed by a re-read. */
  conflicts: number;
  redriven: number;
  /** `parkDeadLetter` calls that rejected (each retried or, when the retries are spent, given up). */
  parkFailures: number;
  /** Letters given up on after the store retries: their updates went back into delivery. */
  parksAbandoned: number;
  /** `ackOutbox` calls that rejected. */
  ackFailures: number;
  /** Acknowledgements given up on after the store retries (a later one covers them). */
  acksAbandoned: number;
}

/**
 * A lane's lifecycle. Whether it sits in its channel's ready list (`queued`) is kept apart: only
 * an idle lane with an update waiting is queued.
 *
 *   idle ──send──▶ sending ──acknowledged──────────────▶ idle
 *                     ├──failed or refused, budget left──▶ backoff ──wait over──▶ idle
 *                     └──budget spent──▶ parking ──letter written, or write given up──▶ idle
 *
 * `sending` and `parking` hold the lane (one request or write at a time); `backoff` holds it
 * for a retry delay or a compare-and-set re-read. A stopped dispatcher leaves its lanes where
 * they are. Any other transition is a bug and throws an InvariantError.
 */
type LaneState = 'idle' | 'sending' | 'backoff' | 'parking';

const LANE_TRANSITIONS: Readonly<Record<LaneState, readonly LaneState[]>> = {
  idle: ['sending'],
  sending: ['idle', 'backoff', 'parking'],
  backoff: ['idle'],
  parking: ['idle'],
};

interface Lane {
  readonly sku: string;
  readonly channel: ChannelState;
  /** Newest version waiting to be sent (undefined when none). */
  next: ChannelUpdate | undefined;
  /**
   * The outbox events (slot, negative for none, and commit time, NaN for none) the waiting update
   * covers: a list in the dispatcher's `coverLists`, oldest first, never empty while `next` is
   * set (NO_COVERS when it is not).
   */
  covers: number;
  state: LaneState;
  /** The update in flight and the outbox events it covers (NO_COVERS when none is in flight). */
  sending: ChannelUpdate | undefined;
  sendingCovers: number;
  queued: boolean;
  /** Failed attempts of the current update (throttling excluded). */
  failures: number;
  /** 429 answers for the current update: flow control, bounded separately. */
  throttles: number;
  ackedVersion: number;
  /** Compare-and-set refusals of the current update, bounded like throttling. */
  conflicts: number;
  /** A compare-and-set channel's lane only (undefined on every other). */
  readonly cas: CasLane | undefined;
}

/**
 * What a lane to a compare-and-set channel knows of its listing. Apart from the lane, so the lanes
 * of other channels carry none of it: every lane's fields are small integers or references, which
 * V8 keeps in the object itself, where a field that ever holds NaN or a fraction is boxed in every
 * lane of the same shape.
 */
interface CasLane {
  /** The quantity the channel showed after our last successful set (or last read), NaN when unknown. */
  listed: number;
  /** The units sold there that the source of truth has not seen yet (learned from a refusal). */
  unsynced: number;
  /** The units of its own sales the source has reflected since. */
  ownReflected: number;
  /** The level of the SKU in the last outbox event this lane saw (its own sales are the drops). */
  seenLevel: number;
}

interface ChannelState {
  readonly client: ChannelClient;
  /** The client's calls in continuation form: its own, or its promise methods adapted. */
  readonly io: ChannelClientContinuations;
  /** Position in the dispatcher's channel list: the index into each SKU's lane array. */
  readonly index: number;
  readonly ready: Lane[];
  readyHead: number;
  inFlight: number;
  pausedUntilMs: number;
  wakeScheduled: boolean;
}

export class PropagationDispatcher {
  readonly stats: DispatcherStats = {
    calls: 0,
    delivered: 0,
    throttled: 0,
    failed: 0,
    retries: 0,
    parked: 0,
    superseded: 0,
    redriven: 0,
    conflicts: 0,
    parkFailures: 0,
    parksAbandoned: 0,
    ackFailures: 0,
    acksAbandoned: 0,
  };
  private readonly opts: DispatcherOptions;
  private readonly policy: RetryPolicy;
  private readonly storePolicy: RetryPolicy;
  private readonly channels: ChannelState[];
  private channelCount = 0;
  /**
   * One lane per (SKU, channel), SKU number n's for channel c at n * channelCount + c: a SKU's
   * lanes sit together. A SKU's number is `skuIndex`'s, or one given on first sight (`numbers`).
   */
  private readonly laneTable: (Lane | undefined)[];
  private readonly numbers = new Map<string, number>();
  /** `skuIndex.count` when the dispatcher was made: the numbers below it are the index's. */
  private readonly indexed: number;
  private numbered: number;
  /** Every lane's covers, in one pool (see CoverChains). */
  private readonly coverLists = new CoverChains();
  /** True when the listing policy changes nothing: the listed quantity is the level. */
  private readonly identityPolicy: boolean;
  /** Outbox seq -> lanes still owing it. */
  // Outbox events read and not yet settled, in read order: slot k (absolute, counting from 0)
  // sits at index k - slotBase. `owedLeft` counts the lanes still owing it.
  private owedSeq: number[] = [];
  private owedLeft: number[] = [];
  private slotBase = 0;
  private owedHead = 0;
  private unsettled = 0;
  private readCursor = -1;
  private ackedSeq = 0;
  /** The highest seq the store confirmed acknowledging: a failed older acknowledgement needs no retry. */
  private durableAckSeq = 0;
  /** A pump run (one or more passes over the outbox) is in progress. */
  private pumpActive = false;
  private pumpAgain = false;
  /** Events read by the current pump run, and the `pump()` callers waiting for its end. */
  private pumpTotal = 0;
  private pumpWaiters: { resolve: (read: number) => void; reject: (error: unknown) => void }[] = [];
  /** `pumpSoon` started or joined the current run: nobody awaits a failure of it, so it latches. */
  private pumpUnawaited = false;
  /** The store in continuation form: its own, or its promise methods adapted. */
  private readonly io: DispatcherStoreIo;
  /** `timers.after`, when the timers have it. */
  private readonly after: ((ms: number, fn: () => void) => void) | undefined;
  private stopped = false;
  private inFlightTotal = 0;
  private waitingTotal = 0;
  private idleWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** The first error thrown by background work (a bug); latched, see the file comment. */
  private fault: { error: unknown } | undefined;
  private readonly onBackgroundFailure = (error: unknown): void => this.latchFault(error);

  constructor(options: DispatcherOptions) {
    this.opts = options;
    this.policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    const lp = options.listingPolicy ?? {};
    this.identityPolicy = isIdentityPolicy(lp);
    this.storePolicy = options.storeRetryPolicy ?? DEFAULT_STORE_RETRY_POLICY;
    const problems = validateRetryPolicy(this.policy);
    if (problems.length > 0) throw new RangeError(`retryPolicy: ${problems.join('; ')}`);
    const storeProblems = validateRetryPolicy(this.storePolicy);
    if (storeProblems.length > 0) throw new RangeError(`storeRetryPolicy: ${storeProblems.join('; ')}`);
    const ids = new Set<string>();
    this.indexed = options.skuIndex?.count ?? 0;
    this.numbered = this.indexed;
    this.laneTable = new Array<Lane | undefined>(this.numbered * options.channels.length).fill(undefined);
    this.channels = options.channels.map((client) => {
      if (ids.has(client.id)) throw new RangeError(`channel id ${client.id} appears twice`);
      ids.add(client.id);
      const io = client.continuations ?? this.promiseChannelIo(client);
      return { client, io, index: this.channelCount++, ready: [], readyHead: 0, inFlight: 0, pausedUntilMs: 0, wakeScheduled: false };
    });
    this.io = options.store.continuations ?? this.promiseStoreIo(options.store);
    const after = options.timers.after;
    this.after = after === undefined ? undefined : after.bind(options.timers);
  }

  /** A promise method behind a continuation: a throw or a rejection goes to `fail`, a throw in `done` or `fail` is a fault. */
  private viaPromise<T>(operation: () => Promise<T>, done: (value: T) => void, fail: Fail): void {
    let answer: Promise<T>;
    try {
      answer = operation();
    } catch (error) {
      answer = Promise.reject(error);
    }
    this.background(answer.then(done, fail));
  }

  /** The store's promise methods behind the continuation interface. */
  private promiseStoreIo(store: InventoryStore): DispatcherStoreIo {
    const call = <T>(operation: () => Promise<T>, done: (value: T) => void, fail: Fail): void => this.viaPromise(operation, done, fail);
    return {
      outboxCursor: (done, fail) => call(() => store.outboxCursor(), done, fail),
      readOutbox: (afterSeq, limit, done, fail) => call(() => store.readOutbox(afterSeq, limit), done, fail),
      ackOutbox: (seq, done, fail) => call(() => store.ackOutbox(seq), done, fail),
      parkDeadLetter: (letter, done, fail) => call(() => store.parkDeadLetter(letter), done, fail),
    };
  }

  /**
   * A client's promise methods behind the continuation interface: `batch.push` or `pushListing`,
   * a throw or rejection of which is a server error (the channel's adapter failed, not the update).
   */
  private promiseChannelIo(client: ChannelClient): ChannelClientContinuations {
    return {
      push: (updates, done) =>
        this.viaPromise(() => (client.batch !== undefined ? client.batch.push(updates) : client.pushListing(updates[0]!)), done, (error) =>
          done({ ok: false, error: 'server_error', message: errorText(error) }),
        ),
      readListing: (sku, done, fail) => this.viaPromise(() => client.readListing(sku), done, fail),
    };
  }

  /** Stops taking new work and ignores the results of requests still in flight (a crash). */
  stop(): void {
    this.stopped = true;
  }

  /** Outbox events read and not yet fully acknowledged. */
  get backlog(): number {
    return this.unsettled;
  }

  /** A pump is reading the outbox: events it has not yet counted in the backlog may be on their way. */
  get pumpInProgress(): boolean {
    return this.pumpActive;
  }

  /**
   * Reads new outbox events and starts their deliveries. Safe to call often: concurrent calls
   * coalesce into one more pass. Resolves with the number of events read by the run it joined;
   * rejects with a store failure of that run (the next call tries again).
   */
  pump(): Promise<number> {
    if (this.fault !== undefined) return Promise.reject(this.fault.error);
    return new Promise<number>((resolve, reject) => {
      this.pumpWaiters.push({ resolve, reject });
      this.startPump();
    });
  }

  /**
   * `pump` with no promise, for a driver that awaits nothing (the simulator, after each commit):
   * coalesces the same way. Nobody hears a failure of the run it starts or joins, so a store
   * failure there latches as a fault (see the file comment and `onFault`).
   */
  pumpSoon(): void {
    if (this.fault !== undefined) return;
    this.pumpUnawaited = true;
    this.startPump();
  }

  private startPump(): void {
    if (this.pumpActive) {
      this.pumpAgain = true;
      return;
    }
    this.pumpActive = true;
    this.pumpTotal = 0;
    try {
      this.pumpPass();
    } catch (error) {
      this.pumpFailed(error);
    }
  }

  private pumpPass(): void {
    this.pumpAgain = false;
    this.pumpOnce(this.pumpPassDone, this.pumpFailed);
  }

  private readonly pumpPassDone = (read: number): void => {
    this.pumpTotal += read;
    if (this.pumpAgain && !this.stopped) {
      // A store call that throws at once (a kernel limit, a bug) fails the run like one that answers with a failure.
      try {
        this.pumpPass();
      } catch (error) {
        this.pumpFailed(error);
      }
      return;
    }
    const waiters = this.endPump();
    for (const waiter of waiters) waiter.resolve(this.pumpTotal);
    this.guard(this.maybeIdleNow, undefined);
  };

  private readonly pumpFailed = (error: unknown): void => {
    if (!this.pumpActive) return; // the run already ended (a fault latched meanwhile)
    const unawaited = this.pumpUnawaited;
    const waiters = this.endPump();
    for (const waiter of waiters) waiter.reject(error);
    if (unawaited) this.latchFault(error);
  };

  private readonly maybeIdleNow = (): void => this.maybeIdle();

  private endPump(): { resolve: (read: number) => void; reject: (error: unknown) => void }[] {
    const waiters = this.pumpWaiters;
    this.pumpWaiters = [];
    this.pumpActive = false;
    this.pumpUnawaited = false;
    return waiters;
  }

  /**
   * Submits one update for one channel outside the outbox (reconciliation, redrive). With
   * `resend`, a version equal to the last acknowledged one is sent again: the reconciler saw
   * the channel lose it. Never anything older.
   */
  submit(channelId: string, update: ChannelUpdate, committedAtMs: number, options: { resend?: boolean } = {}): boolean {
    if (this.fault !== undefined) throw this.fault.error;
    const channel = this.channels.find((c) => c.client.id === channelId);
    if (channel === undefined) throw new RangeError(`unknown channel ${channelId}`);
    if (options.resend === true) {
      const lane = this.lane(channel, update.sku);
      if (lane.ackedVersion === update.version && lane.sending === undefined && lane.next === undefined) lane.ackedVersion = update.version - 1;
    }
    const accepted = this.enqueue(channel, update, committedAtMs);
    this.drain(channel);
    return accepted;
  }

  /** The highest version each channel acknowledged for a SKU (-1 if none). */
  ackedVersion(channelId: string, sku: string): number {
    const channel = this.channels.find((c) => c.client.id === channelId);
    const n = channel === undefined ? undefined : this.numberOf(sku, false);
    return n === undefined ? -1 : (this.laneTable[n * this.channelCount + channel!.index]?.ackedVersion ?? -1);
  }

  /**
   * Moves parked entries (all, or those matching `filter`) back into delivery. A parked entry
   * means "this listing missed an update": what is sent is the SKU's level now, not the parked
   * payload, which may since have been overtaken by a newer version the channel already has.
   */
  async redrive(filter: (letter: DeadLetter) => boolean = () => true): Promise<number> {
    if (this.fault !== undefined) throw this.fault.error;
    const { store } = this.opts;
    const letters = await store.listDeadLetters();
    let count = 0;
    for (const letter of letters) {
      if (!filter(letter)) continue;
      if (!this.channels.some((c) => c.client.id === letter.channel)) continue;
      const level = await store.read(letter.sku);
      if (!(await store.removeDeadLetter(letter.id))) continue;
      count++;
      this.stats.redriven++;
      const quantity = listedQuantity(level.quantity, letter.channel, this.opts.listingPolicy ?? {});
      this.submit(letter.channel, { sku: letter.sku, quantity, version: level.version }, letter.committedAtMs, { resend: true });
    }
    return count;
  }

  /** Resolves when no request is in flight or waiting for a retry and the pump is done. */
  idle(): Promise<void> {
    if (this.fault !== undefined) return Promise.reject(this.fault.error);
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
  }

  private isIdle(): boolean {
    return this.inFlightTotal === 0 && this.waitingTotal === 0 && !this.pumpActive && this.readyCount() === 0;
  }

  private readyCount(): number {
    let n = 0;
    for (const c of this.channels) n += c.ready.length - c.readyHead;
    return n;
  }

  /** One pass: the cursor (first time), then batches of events until a short one; `done` with how many were read. A throw in the answers goes to `fail`. */
  private pumpOnce(done: (read: number) => void, fail: Fail): void {
    if (this.readCursor >= 0) {
      this.readBatch(0, done, fail);
      return;
    }
    this.io.outboxCursor((seq) => {
      this.readCursor = seq;
      this.ackedSeq = seq;
      this.readBatch(0, done, fail);
    }, fail);
  }

  private readBatch(readSoFar: number, done: (read: number) => void, fail: Fail): void {
    if (this.stopped) {
      done(readSoFar);
      return;
    }
    const limit = this.opts.outboxBatch ?? DEFAULT_OUTBOX_BATCH;
    this.io.readOutbox(
      this.readCursor,
      limit,
      (events) => {
        const read = readSoFar + events.length;
        try {
          for (const event of events) this.accept(event);
          if (events.length >= limit) {
            this.readBatch(read, done, fail);
            return;
          }
          // Enqueue everything read before sending anything, so a restart that re-reads several
          // versions of one SKU sends only the newest.
          for (const channel of this.channels) this.drain(channel);
        } catch (error) {
          fail(error);
          return;
        }
        done(read);
      },
      fail,
    );
  }

  private accept(event: OutboxEvent): void {
    this.readCursor = event.seq;
    const targets = this.targets(event.sku);
    const slot = this.slotBase + this.owedSeq.length;
    this.owedSeq.push(event.seq);
    this.owedLeft.push(targets.length);
    this.unsettled++;
    // Updates are immutable: channels that list the same quantity share one object.
    const shared: ChannelUpdate | undefined = this.identityPolicy ? { sku: event.sku, quantity: event.quantity, version: event.version } : undefined;
    // The SKU's lanes are found once for all its channels.
    const first = this.numberOf(event.sku, true)! * this.channelCount;
    const lanes = this.laneTable;
    for (const channel of targets) {
      const lane = lanes[first + channel.index] ?? this.newLane(first, channel, event.sku);
      if (lane.cas !== undefined) this.observeLevel(lane.cas, lane.channel, event);
      const update = shared ?? { sku: event.sku, quantity: listedQuantity(event.quantity, channel.client.id, this.opts.listingPolicy ?? {}), version: event.version };
      if (this.opts.skipEchoToSource === true && channel.client.id === event.sourceChannel && this.skipEcho(lane, update)) {
        this.settle(slot);
        continue;
      }
      this.enqueueLane(lane, update, slot, event.committedAtMs);
    }
    if (targets.length === 0) {
      this.owedLeft[slot - this.slotBase] = 1;
      this.settle(slot);
    }
  }

  /**
   * Compare-and-set: a drop in the level from an order the channel itself took is one of its
   * sales the source has now seen: it no longer needs subtracting (or, before any refusal, it
   * explains part of the next difference between what we set and what the channel shows).
   */
  private observeLevel(cas: CasLane, channel: ChannelState, event: OutboxEvent): void {
    const sold = Number.isNaN(cas.seenLevel) ? 0 : cas.seenLevel - event.quantity;
    cas.seenLevel = event.quantity;
    if (sold <= 0 || event.sourceChannel !== channel.client.id) return;
    const settled = Math.min(cas.unsynced, sold);
    cas.unsynced -= settled;
    cas.ownReflected += sold - settled;
  }

  private targets(sku: string): readonly ChannelState[] {
    const ids = this.opts.channelsFor?.(sku);
    if (ids === undefined) return this.channels;
    return this.channels.filter((c) => ids.includes(c.client.id));
  }

  /** The source channel already shows its own sale; only an idle lane may skip the echo. */
  private skipEcho(lane: Lane, update: ChannelUpdate): boolean {
    if (lane.sending !== undefined || lane.next !== undefined || update.version <= lane.ackedVersion) return false;
    lane.ackedVersion = update.version;
    return true;
  }

  private lane(channel: ChannelState, sku: string): Lane {
    const first = this.numberOf(sku, true)! * this.channelCount;
    return this.laneTable[first + channel.index] ?? this.newLane(first, channel, sku);
  }

  /** The SKU's number (see `laneTable`); with `assign`, a SKU without one is given the next. */
  private numberOf(sku: string, assign: boolean): number | undefined {
    const known = this.opts.skuIndex?.indexOf(sku);
    if (known !== undefined) {
      // Against the count the table was made for: numbers from it on belong to the map's SKUs.
      if (!(Number.isInteger(known) && known >= 0 && known < this.indexed)) throw new InvariantError(`dispatcher: skuIndex numbered ${sku} ${known}, outside 0..${this.indexed - 1}`);
      return known;
    }
    let n = this.numbers.get(sku);
    if (n === undefined && assign) {
      n = this.numbered++;
      this.numbers.set(sku, n);
      for (let c = 0; c < this.channelCount; c++) this.laneTable.push(undefined);
    }
    return n;
  }

  /** `first`: the index of the SKU's first lane in `laneTable`. */
  private newLane(first: number, channel: ChannelState, sku: string): Lane {
    const lane: Lane = {
      sku,
      channel,
      next: undefined,
      covers: NO_COVERS,
      state: 'idle',
      sending: undefined,
      sendingCovers: NO_COVERS,
      queued: false,
      failures: 0,
      throttles: 0,
      ackedVersion: -1,
      conflicts: 0,
      cas: channel.client.compareAndSet === true ? { listed: Number.NaN, unsynced: 0, ownReflected: 0, seenLevel: Number.NaN } : undefined,
    };
    this.laneTable[first + channel.index] = lane;
    return lane;
  }

  /** Returns false when the update is not newer than what the lane already has. */
  private enqueue(channel: ChannelState, update: ChannelUpdate, committedAtMs: number): boolean {
    return this.enqueueLane(this.lane(channel, update.sku), update, -1, committedAtMs);
  }

  /** `slot`: the outbox event the update comes from (-1 for none), owed until the lane settles it. */
  private enqueueLane(lane: Lane, update: ChannelUpdate, slot: number, committedAtMs: number): boolean {
    const channel = lane.channel;
    if (update.version <= lane.ackedVersion) {
      if (slot >= 0) this.settle(slot);
      return false;
    }
    // Covered by the version in flight or waiting: it owes this event too.
    if (lane.sending !== undefined && update.version <= lane.sending.version) {
      lane.sendingCovers = this.coverLists.append(lane.sendingCovers, slot, committedAtMs);
      return false;
    }
    if (lane.next !== undefined && update.version <= lane.next.version) {
      lane.covers = this.coverLists.append(lane.covers, slot, committedAtMs);
      return false;
    }
    if (lane.next !== undefined) this.stats.superseded++;
    lane.next = update;
    lane.covers = this.coverLists.append(lane.covers, slot, committedAtMs);
    if (lane.state === 'idle' && !lane.queued) {
      lane.queued = true;
      channel.ready.push(lane);
    }
    return true;
  }

  private drain(channel: ChannelState): void {
    if (this.stopped) return;
    const now = this.opts.clock.nowMs();
    if (channel.pausedUntilMs > now) {
      this.wakeAt(channel, channel.pausedUntilMs - now);
      return;
    }
    const limit = channel.client.maxConcurrency ?? DEFAULT_CHANNEL_CONCURRENCY;
    const maxItems = channel.client.batch?.maxItems ?? 1;
    while (channel.inFlight < limit && channel.readyHead < channel.ready.length) {
      const batch = maxItems === 1 ? this.takeOne(channel) : this.takeBatch(channel, maxItems);
      if (batch !== undefined) this.sendLatching(channel, batch);
    }
    if (channel.readyHead > 1024 && channel.readyHead * 2 > channel.ready.length) {
      channel.ready.splice(0, channel.readyHead);
      channel.readyHead = 0;
    }
  }

  /** The next ready lane, as a request of one (an array of its exact size); undefined if it had nothing to send. */
  private takeOne(channel: ChannelState): Lane[] | undefined {
    const lane = channel.ready[channel.readyHead++]!;
    lane.queued = false;
    return lane.next !== undefined && lane.state === 'idle' ? [lane] : undefined;
  }

  /**
   * Up to `maxItems` ready lanes with something to send; undefined if none had. Counted first, so
   * the request's array is made at its size (a slice of the ready list when every lane taken has
   * something to send, the usual case) rather than grown.
   */
  private takeBatch(channel: ChannelState, maxItems: number): Lane[] | undefined {
    const ready = channel.ready;
    const start = channel.readyHead;
    let end = start;
    let taken = 0;
    while (taken < maxItems && end < ready.length) {
      const lane = ready[end++]!;
      lane.queued = false;
      if (lane.next !== undefined && lane.state === 'idle') taken++;
    }
    channel.readyHead = end;
    if (taken === 0) return undefined;
    if (taken === end - start) return ready.slice(start, end);
    const batch: Lane[] = [];
    for (let at = start; at < end; at++) {
      const lane = ready[at]!;
      if (lane.next !== undefined && lane.state === 'idle') batch.push(lane);
    }
    return batch;
  }

  private wakeAt(channel: ChannelState, delayMs: number): void {
    if (channel.wakeScheduled) return;
    channel.wakeScheduled = true;
    this.waitingTotal++;
    this.wait(delayMs, () => {
      channel.wakeScheduled = false;
      this.waitingTotal--;
      this.drain(channel);
      this.maybeIdle();
    });
  }

  /** A throw while starting a send is a bug: latched, so the drain that started it carries on as a stopped dispatcher. */
  private sendLatching(channel: ChannelState, lanes: Lane[]): void {
    try {
      this.send(channel, lanes);
    } catch (error) {
      this.latchFault(error);
    }
  }

  private send(channel: ChannelState, lanes: Lane[]): void {
    // The channel may keep the array it is sent (a feed applies it later): a new one per request.
    // What the source asked for stays in each lane's `sending`; a compare-and-set channel is sent
    // an adjusted copy of it.
    const updates = channel.client.compareAndSet === true ? lanes.map((lane) => casUpdate(lane.cas!, lane.next!)) : lanes.map((lane) => lane.next!);
    for (const lane of lanes) {
      this.move(lane, 'sending');
      if (lane.sendingCovers !== NO_COVERS) throw new InvariantError(`dispatcher: lane ${lane.channel.client.id}/${lane.sku} sends with covers of an earlier request`);
      lane.sending = lane.next;
      lane.sendingCovers = lane.covers;
      lane.next = undefined;
      lane.covers = NO_COVERS;
    }
    channel.inFlight++;
    this.inFlightTotal++;
    this.stats.calls++;
    // One callback per request; a throw in it is a fault (as `guard`).
    channel.io.push(updates, (result) => {
      try {
        this.sent(channel, lanes, updates, result);
      } catch (error) {
        this.latchFault(error);
      }
    });
  }

  /** A request answered: each lane moves on from `sending` by the outcome. */
  private sent(channel: ChannelState, lanes: Lane[], updates: readonly ChannelUpdate[], result: ChannelResult): void {
    channel.inFlight--;
    this.inFlightTotal--;
    if (this.stopped) return;
    const now = this.opts.clock.nowMs();
    if (!result.ok && result.error === 'throttled' && result.retryAfterMs !== undefined) {
      channel.pausedUntilMs = Math.max(channel.pausedUntilMs, now + result.retryAfterMs);
    }
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i]!;
      const original = lane.sending;
      if (original === undefined) throw new InvariantError(`dispatcher: lane ${lane.channel.client.id}/${lane.sku} answered with no update in flight`);
      const covers = lane.sendingCovers;
      lane.sending = undefined;
      lane.sendingCovers = NO_COVERS;
      // Each outcome moves the lane on from `sending`: to idle, backoff or parking.
      if (result.ok) this.delivered(lane, updates[i]!, covers, now, original);
      else if (result.error === 'conflict') this.conflicted(lane, original, covers, result, now);
      else this.failed(lane, original, covers, result, now);
    }
    this.drain(channel);
    this.maybeIdle();
  }

  private delivered(lane: Lane, update: ChannelUpdate, covers: number, now: number, original: ChannelUpdate = update): void {
    this.move(lane, 'idle');
    this.stats.delivered++;
    lane.failures = 0;
    lane.throttles = 0;
    lane.conflicts = 0;
    lane.ackedVersion = Math.max(lane.ackedVersion, update.version);
    const cas = lane.cas;
    if (cas !== undefined) {
      // The channel now shows what was set: the unseen sales are in it, and when their orders
      // reach the source, its next level equals this listing (no double subtraction).
      cas.listed = update.quantity;
      if (cas.unsynced > 0) this.resyncLater(lane, cas, original);
      cas.unsynced = 0;
      cas.ownReflected = 0;
    }
    const channelId = lane.channel.client.id;
    const lists = this.coverLists;
    // The covers were this request's alone (`sent` took them from the lane): freed as they are read.
    for (let cover = covers; cover !== NO_COVERS; ) {
      const committedAtMs = lists.committedAtOf(cover);
      const slot = lists.slotOf(cover);
      const next = lists.nextOf(cover);
      lists.free(cover);
      cover = next;
      // A resend (NaN commit time) carries no propagation latency of its own.
      if (!Number.isNaN(committedAtMs)) {
        const latencyMs = now - committedAtMs;
        this.opts.observer?.recordPropagation(channelId, latencyMs);
        this.opts.onDelivered?.(channelId, update, latencyMs);
      }
      if (slot >= 0) this.settle(slot);
    }
    // Anything that arrived meanwhile and is not newer is covered now.
    if (lane.next !== undefined && lane.next.version <= lane.ackedVersion) {
      const waiting = lane.covers;
      lane.next = undefined;
      lane.covers = NO_COVERS;
      this.settleCovers(waiting);
    }
    this.requeue(lane);
  }

  private failed(lane: Lane, update: ChannelUpdate, covers: number, result: Extract<ChannelResult, { ok: false }>, now: number): void {
    // A 429 is the channel pacing us, not a failure of the update: it does not use up the
    // retry budget, but a bound on it still parks an update a channel never takes.
    if (result.error === 'throttled') {
      this.stats.throttled++;
      lane.throttles++;
    } else {
      this.stats.failed++;
      lane.failures++;
    }
    this.putBack(lane, update, covers);
    if (lane.failures > this.policy.maxRetries || lane.throttles > THROTTLE_BOUND_FACTOR * (this.policy.maxRetries + 1)) {
      this.park(lane, result, now);
      return;
    }
    this.stats.retries++;
    const backoff = result.error === 'throttled' ? 0 : retryDelayMs(this.policy, lane.failures, this.opts.random);
    const delayMs = Math.max(backoff, result.retryAfterMs ?? 0);
    this.backoff(lane);
    this.waitWith(delayMs, this.backoffOverOf, lane);
  }

  /** The update that did not go through waits again; a newer version that arrived meanwhile takes its place and its debts. */
  private putBack(lane: Lane, update: ChannelUpdate, covers: number): void {
    if (lane.next === undefined) lane.next = update;
    // The returned covers come first: they are the older ones.
    lane.covers = this.coverLists.join(covers, lane.covers);
  }

  /** The lane waits (a backoff, a re-read); `backoffOver` makes it ready to send again. */
  private backoff(lane: Lane): void {
    this.move(lane, 'backoff');
    this.waitingTotal++;
  }

  private readonly backoffOverOf = (lane: Lane): void => this.backoffOver(lane);

  private backoffOver(lane: Lane): void {
    this.move(lane, 'idle');
    this.waitingTotal--;
    if (this.stopped) return;
    this.requeue(lane);
    this.drain(lane.channel);
    this.maybeIdle();
  }

  /**
   * A compare-and-set refused: the channel sold units since we last set it. As a connector must,
   * re-read what it shows, count the sales there the source has not seen yet (what we set, less
   * what it shows, less its own sales the source reflected since), and set again from the
   * source's level less those units, compared against what it shows now. Not a failure of the
   * update: bounded on its own, like throttling.
   */
  private conflicted(lane: Lane, update: ChannelUpdate, covers: number, result: Extract<ChannelResult, { ok: false }>, now: number): void {
    this.stats.conflicts++;
    lane.conflicts++;
    // What goes again is the source's update (re-adjusted when sent), not the refused copy.
    this.putBack(lane, update, covers);
    if (lane.conflicts > THROTTLE_BOUND_FACTOR * (this.policy.maxRetries + 1)) {
      this.park(lane, result, now);
      return;
    }
    this.backoff(lane);
    this.reread(lane);
  }

  /**
   * A set made less units sold on the channel that the source had not seen: when their orders
   * reach the source, its level comes down to it. An order the source never applies (refused
   * for want of stock: an oversell) never does, so after `compareAndSetSettleMs` the source's
   * level is set again as it is, unless a newer version went out meanwhile.
   */
  private resyncLater(lane: Lane, cas: CasLane, original: ChannelUpdate): void {
    this.waitingTotal++;
    this.wait(this.opts.compareAndSetSettleMs ?? DEFAULT_CAS_SETTLE_MS, () => {
      this.waitingTotal--;
      if (this.stopped) return;
      if (lane.ackedVersion === original.version && lane.next === undefined && lane.sending === undefined && cas.listed !== original.quantity) {
        lane.next = original;
        // A resend: it owes no outbox event and carries no propagation latency of its own.
        lane.covers = this.coverLists.append(lane.covers, RESEND_SLOT, Number.NaN);
        this.requeue(lane);
        this.drain(lane.channel);
      }
      this.maybeIdle();
    });
  }

  /** Reads what the channel shows for the lane's SKU (see `conflicted`), then ends the lane's backoff. */
  private reread(lane: Lane): void {
    // A read that fails leaves the listing unknown: the next attempt is unconditional.
    lane.channel.io.readListing(
      lane.sku,
      (listing) => this.rereadDone(lane, listing),
      () => this.rereadDone(lane, undefined),
    );
  }

  /** A port's callback: a throw here is a fault (as `guard`). */
  private rereadDone(lane: Lane, listing: ChannelListing | undefined): void {
    try {
      this.learnListing(lane, listing);
      this.backoffOver(lane);
    } catch (error) {
      this.latchFault(error);
    }
  }

  private learnListing(lane: Lane, listing: ChannelListing | undefined): void {
    const cas = lane.cas;
    // A channel that does not compare and set answered a conflict: nothing here adjusts what it
    // is sent, so what it shows changes nothing (the update simply goes again).
    if (cas === undefined) return;
    if (listing === undefined) {
      cas.listed = Number.NaN;
      return;
    }
    if (!Number.isNaN(cas.listed)) cas.unsynced += Math.max(0, cas.listed - listing.quantity - cas.ownReflected);
    cas.ownReflected = 0;
    cas.listed = listing.quantity;
  }

  private park(lane: Lane, result: Extract<ChannelResult, { ok: false }>, now: number): void {
    const update = lane.next;
    if (update === undefined) throw new InvariantError(`dispatcher: lane ${lane.channel.client.id}/${lane.sku} parks with no update`);
    const covers = lane.covers;
    const channelId = lane.channel.client.id;
    if (covers === NO_COVERS) throw new InvariantError(`dispatcher: lane ${channelId}/${lane.sku} parks an update that covers nothing`);
    const letter: DeadLetter = {
      id: `${channelId}:${update.sku}:${update.version}`,
      sku: update.sku,
      channel: channelId,
      quantity: update.quantity,
      version: update.version,
      committedAtMs: this.letterCommittedAt(covers, now),
      attempts: lane.failures + lane.throttles,
      lastError: result.message ?? result.error,
      parkedAtMs: now,
    };
    lane.next = undefined;
    lane.covers = NO_COVERS;
    lane.failures = 0;
    lane.throttles = 0;
    this.move(lane, 'parking'); // hold the lane until the letter is durable
    this.inFlightTotal++;
    this.writeLetter(lane, update, covers, letter, now, 0);
  }

  /** Writes the letter, retrying a failed write after the store policy's delays. */
  private writeLetter(lane: Lane, update: ChannelUpdate, covers: number, letter: DeadLetter, now: number, failuresSoFar: number): void {
    this.io.parkDeadLetter(
      letter,
      () => this.guard(() => this.parked(lane, update, covers, letter, now), undefined),
      (error) =>
        this.guard(() => {
          const failures = failuresSoFar + 1;
          this.stats.parkFailures++;
          if (this.stopped || failures > this.storePolicy.maxRetries) {
            this.parkGivenUp(lane, update, covers, letter, error, failures);
            return;
          }
          this.wait(retryDelayMs(this.storePolicy, failures, this.opts.random), () => this.writeLetter(lane, update, covers, letter, now, failures));
        }, undefined),
    );
  }

  /** The letter is durable: the lane is released and its outbox events settled. */
  private parked(lane: Lane, update: ChannelUpdate, covers: number, letter: DeadLetter, now: number): void {
    const channelId = letter.channel;
    this.inFlightTotal--;
    this.move(lane, 'idle');
    this.stats.parked++;
    this.opts.onParked?.(letter);
    this.opts.alerts.raise({
      kind: 'dlq_parked',
      severity: 'critical',
      message: `update ${update.sku} v${update.version} to ${channelId} parked after ${letter.attempts} attempts: ${letter.lastError}`,
      atMs: now,
      detail: { channel: channelId, sku: update.sku, version: update.version, attempts: letter.attempts },
    });
    this.settleCovers(covers);
    this.requeue(lane);
    this.drain(lane.channel);
    this.maybeIdle();
  }

  /**
   * The letter could not be written: nothing is parked, so nothing may be settled. The update
   * goes back into delivery (a newer version that arrived meanwhile takes its place and its
   * debts), with a fresh retry budget, and its outbox events stay owed.
   */
  private parkGivenUp(lane: Lane, update: ChannelUpdate, covers: number, letter: DeadLetter, error: unknown, failures: number): void {
    this.inFlightTotal--;
    this.move(lane, 'idle');
    if (this.stopped) return;
    const now = this.opts.clock.nowMs();
    this.stats.parksAbandoned++;
    this.opts.alerts.raise({
      kind: 'store_write_failed',
      severity: 'critical',
      message: `dead letter ${letter.id} not written after ${failures} attempts (${errorText(error)}); the update goes back to delivery`,
      atMs: now,
      detail: { operation: 'parkDeadLetter', channel: letter.channel, sku: letter.sku, version: letter.version, attempts: failures },
    });
    this.putBack(lane, update, covers);
    this.requeue(lane);
    this.drain(lane.channel);
    this.maybeIdle();
  }

  /**
   * A dead letter's commit time: its oldest cover's (NaN for a correction submitted without one),
   * passing over a compare-and-set resend, which covers no commit; the time it is parked when
   * the resend is all it covers.
   */
  private letterCommittedAt(covers: number, now: number): number {
    const lists = this.coverLists;
    for (let cover = covers; cover !== NO_COVERS; cover = lists.nextOf(cover)) if (lists.slotOf(cover) !== RESEND_SLOT) return lists.committedAtOf(cover);
    return now;
  }

  /** Settles the outbox events of a list of covers, and frees it. */
  private settleCovers(covers: number): void {
    const lists = this.coverLists;
    for (let cover = covers; cover !== NO_COVERS; ) {
      const slot = lists.slotOf(cover);
      const next = lists.nextOf(cover);
      lists.free(cover);
      cover = next;
      if (slot >= 0) this.settle(slot);
    }
  }

  private requeue(lane: Lane): void {
    if (lane.next !== undefined && lane.state === 'idle' && !lane.queued) {
      lane.queued = true;
      lane.channel.ready.push(lane);
    }
  }

  /** One lane no longer owes the outbox event in `slot`; acknowledge the settled prefix. */
  private settle(slot: number): void {
    const index = slot - this.slotBase;
    const left = this.owedLeft[index]!;
    if (left <= 0) return;
    this.owedLeft[index] = left - 1;
    if (left > 1) return;
    this.unsettled--;
    let acked = this.ackedSeq;
    while (this.owedHead < this.owedSeq.length && this.owedLeft[this.owedHead] === 0) {
      acked = this.owedSeq[this.owedHead]!;
      this.owedHead++;
    }
    if (this.owedHead > 4096 && this.owedHead * 2 > this.owedSeq.length) {
      this.owedSeq = this.owedSeq.slice(this.owedHead);
      this.owedLeft = this.owedLeft.slice(this.owedHead);
      this.slotBase += this.owedHead;
      this.owedHead = 0;
    }
    if (acked > this.ackedSeq) {
      this.ackedSeq = acked;
      this.ack(acked, 0);
    }
  }

  /**
   * Acknowledges the outbox up to `seq`, retrying a failed write until a later acknowledgement
   * is confirmed or the store retries are spent. The store call is made at once, as the settle
   * that asks for it happens.
   */
  private ack(seq: number, failuresSoFar: number): void {
    this.io.ackOutbox(
      seq,
      () => {
        if (seq > this.durableAckSeq) this.durableAckSeq = seq;
      },
      (error) => this.guard(() => this.ackFailed(seq, failuresSoFar + 1, error), undefined),
    );
  }

  private ackFailed(seq: number, failures: number, error: unknown): void {
    this.stats.ackFailures++;
    if (this.stopped || this.durableAckSeq >= seq) return;
    if (failures > this.storePolicy.maxRetries) {
      this.stats.acksAbandoned++;
      this.opts.alerts.raise({
        kind: 'store_write_failed',
        severity: 'warning',
        message: `outbox acknowledgement up to ${seq} not written after ${failures} attempts (${errorText(error)}); a later one covers it, a restart re-sends from the last one written`,
        atMs: this.opts.clock.nowMs(),
        detail: { operation: 'ackOutbox', seq, attempts: failures },
      });
      return;
    }
    this.waitingTotal++;
    this.wait(retryDelayMs(this.storePolicy, failures, this.opts.random), () => {
      this.waitingTotal--;
      this.maybeIdle();
      if (this.stopped || this.durableAckSeq >= seq) return;
      this.ack(seq, failures);
    });
  }

  /** Moves a lane along its lifecycle (see LaneState); any other move is a bug. */
  private move(lane: Lane, to: LaneState): void {
    const from = lane.state;
    if (!LANE_TRANSITIONS[from].includes(to)) {
      throw new InvariantError(`dispatcher: lane ${lane.channel.client.id}/${lane.sku} cannot go from ${from} to ${to}`);
    }
    if (to === 'sending' && (lane.next === undefined || lane.queued)) {
      throw new InvariantError(`dispatcher: lane ${lane.channel.client.id}/${lane.sku} sends with ${lane.next === undefined ? 'no update' : 'itself still queued'}`);
    }
    if (to === 'idle' && lane.sending !== undefined) {
      throw new InvariantError(`dispatcher: lane ${lane.channel.client.id}/${lane.sku} idles with v${lane.sending.version} still in flight`);
    }
    lane.state = to;
  }

  /** Runs work the dispatcher does not await; a throw there is latched as the dispatcher's fault. */
  private background(work: Promise<unknown>): void {
    work.catch(this.onBackgroundFailure);
  }

  /** Runs a callback a port calls (nobody to throw to); a throw there is latched as the dispatcher's fault. */
  private guard<T>(fn: (value: T) => void, value: T): void {
    try {
      fn(value);
    } catch (error) {
      this.latchFault(error);
    }
  }

  /** Runs `fn` after `ms`: `timers.after` when the timers have it, else after `sleep` resolves. Guarded either way. */
  private wait(ms: number, fn: () => void): void {
    this.waitWith(ms, fn, undefined);
  }

  /** `wait` for a callback that takes one value: one closure per wait instead of two. */
  private waitWith<T>(ms: number, fn: (value: T) => void, value: T): void {
    const after = this.after;
    if (after !== undefined) after(ms, () => this.guard(fn, value));
    else this.background(this.opts.timers.sleep(ms).then(() => fn(value)));
  }

  private latchFault(error: unknown): void {
    if (this.fault !== undefined) return;
    this.fault = { error };
    this.stopped = true;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
    const pumpWaiters = this.pumpActive ? this.endPump() : [];
    for (const waiter of pumpWaiters) waiter.reject(error);
    this.opts.onFault?.(error);
  }

  private maybeIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a compare-and-set channel is sent: the level less its unseen sales, compared with what it shows. */
function casUpdate(cas: CasLane, update: ChannelUpdate): ChannelUpdate {
  const quantity = Math.max(0, update.quantity - cas.unsynced);
  // Written out rather than spread: this runs per request, and a spread copies slowly.
  const compareQuantity = Number.isNaN(cas.listed) ? update.compareQuantity : cas.listed;
  return compareQuantity === undefined ? { sku: update.sku, quantity, version: update.version } : { sku: update.sku, quantity, version: update.version, compareQuantity };
}
