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
 */
import { listedQuantity, type ListingPolicy } from './listing-policy.js';
import type { LatencyObserver } from './latency-observer.js';
import type {
  AlertSink,
  ChannelClient,
  ChannelListing,
  ChannelResult,
  ChannelUpdate,
  Clock,
  DeadLetter,
  InventoryStore,
  OutboxEvent,
  Random,
  Timers,
} from './ports.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, validateRetryPolicy, type RetryPolicy } from './retry.js';

/** An update answered 429 this many times the retry budget is parked (a channel that never admits it). */
const THROTTLE_BOUND_FACTOR = 20;
/** See DispatcherOptions.compareAndSetSettleMs. */
const DEFAULT_CAS_SETTLE_MS = 60_000;

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
  readonly observer?: LatencyObserver;
  readonly listingPolicy?: ListingPolicy;
  /** Outbox events read per store call. */
  readonly outboxBatch?: number;
  /** The channels a SKU is listed on (default: every channel). */
  readonly channelsFor?: (sku: string) => readonly string[] | undefined;
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
}

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
}

/** What a waiting or in-flight update covers: an outbox event (its slot; -1 for none) and its commit time. */
interface Pending {
  readonly slot: number;
  readonly committedAtMs: number;
}

interface Lane {
  readonly sku: string;
  readonly channel: ChannelState;
  /** Newest version waiting to be sent (undefined when none). */
  next: ChannelUpdate | undefined;
  nextCommittedAtMs: number;
  /** Outbox events (and their commit times) that the waiting or in-flight update covers. */
  covers: Pending[];
  inFlight: boolean;
  /** The update in flight and the outbox events it covers. */
  sending: ChannelUpdate | undefined;
  sendingCovers: Pending[];
  queued: boolean;
  /** Failed attempts of the current update (throttling excluded). */
  failures: number;
  /** 429 answers for the current update: flow control, bounded separately. */
  throttles: number;
  waitingRetry: boolean;
  ackedVersion: number;
  /**
   * Compare-and-set channels: the quantity the channel showed after our last successful set (or
   * last read), NaN when unknown; the units sold there that the source of truth has not seen yet
   * (learned from a refusal), and the units of its own sales the source has reflected since.
   */
  listed: number;
  unsynced: number;
  ownReflected: number;
  /** The level of the SKU in the last outbox event this lane saw (its own sales are the drops). */
  seenLevel: number;
  /** Compare-and-set refusals of the current update, bounded like throttling. */
  conflicts: number;
}

interface ChannelState {
  readonly client: ChannelClient;
  /** Position in the dispatcher's channel list: the index into each SKU's lane array. */
  readonly index: number;
  readonly ready: Lane[];
  readyHead: number;
  inFlight: number;
  pausedUntilMs: number;
  wakeScheduled: boolean;
}

export class PropagationDispatcher {
  readonly stats: DispatcherStats = { calls: 0, delivered: 0, throttled: 0, failed: 0, retries: 0, parked: 0, superseded: 0, redriven: 0, conflicts: 0 };
  private readonly opts: DispatcherOptions;
  private readonly policy: RetryPolicy;
  private readonly channels: ChannelState[];
  private channelCount = 0;
  /** One lane per (SKU, channel): a SKU's lanes sit together, found with one lookup. */
  private readonly lanes = new Map<string, (Lane | undefined)[]>();
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
  private pumping: Promise<number> | undefined;
  private pumpAgain = false;
  private stopped = false;
  private inFlightTotal = 0;
  private waitingTotal = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: DispatcherOptions) {
    this.opts = options;
    this.policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    const lp = options.listingPolicy ?? {};
    this.identityPolicy = lp.allocation === undefined && lp.bufferUnits === undefined && lp.outOfStockThreshold === undefined && lp.maxListed === undefined;
    const problems = validateRetryPolicy(this.policy);
    if (problems.length > 0) throw new RangeError(`retryPolicy: ${problems.join('; ')}`);
    const ids = new Set<string>();
    this.channels = options.channels.map((client) => {
      if (ids.has(client.id)) throw new RangeError(`channel id ${client.id} appears twice`);
      ids.add(client.id);
      return { client, index: this.channelCount++, ready: [], readyHead: 0, inFlight: 0, pausedUntilMs: 0, wakeScheduled: false };
    });
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
    return this.pumping !== undefined;
  }

  /**
   * Reads new outbox events and starts their deliveries. Safe to call often: concurrent calls
   * coalesce into one more pass. Resolves with the number of events read.
   */
  pump(): Promise<number> {
    if (this.pumping !== undefined) {
      this.pumpAgain = true;
      return this.pumping;
    }
    const run = async (): Promise<number> => {
      let total = 0;
      try {
        do {
          this.pumpAgain = false;
          total += await this.pumpOnce();
        } while (this.pumpAgain && !this.stopped);
      } finally {
        this.pumping = undefined;
      }
      return total;
    };
    this.pumping = run();
    return this.pumping;
  }

  /**
   * Submits one update for one channel outside the outbox (reconciliation, redrive). With
   * `resend`, a version equal to the last acknowledged one is sent again: the reconciler saw
   * the channel lose it. Never anything older.
   */
  submit(channelId: string, update: ChannelUpdate, committedAtMs: number, options: { resend?: boolean } = {}): boolean {
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
    return channel === undefined ? -1 : (this.lanes.get(sku)?.[channel.index]?.ackedVersion ?? -1);
  }

  /**
   * Moves parked entries (all, or those matching `filter`) back into delivery. A parked entry
   * means "this listing missed an update": what is sent is the SKU's level now, not the parked
   * payload, which may since have been overtaken by a newer version the channel already has.
   */
  async redrive(filter: (letter: DeadLetter) => boolean = () => true): Promise<number> {
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
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.inFlightTotal === 0 && this.waitingTotal === 0 && this.pumping === undefined && this.readyCount() === 0;
  }

  private readyCount(): number {
    let n = 0;
    for (const c of this.channels) n += c.ready.length - c.readyHead;
    return n;
  }

  private async pumpOnce(): Promise<number> {
    const { store } = this.opts;
    if (this.readCursor < 0) {
      this.readCursor = await store.outboxCursor();
      this.ackedSeq = this.readCursor;
    }
    const limit = this.opts.outboxBatch ?? 10_000;
    let read = 0;
    for (;;) {
      if (this.stopped) return read;
      const events = await store.readOutbox(this.readCursor, limit);
      for (const event of events) this.accept(event);
      read += events.length;
      if (events.length < limit) break;
    }
    // Enqueue everything read before sending anything, so a restart that re-reads several
    // versions of one SKU sends only the newest.
    for (const channel of this.channels) this.drain(channel);
    this.maybeIdle();
    return read;
  }

  private accept(event: OutboxEvent): void {
    this.readCursor = event.seq;
    const targets = this.targets(event.sku);
    const slot = this.slotBase + this.owedSeq.length;
    this.owedSeq.push(event.seq);
    this.owedLeft.push(targets.length);
    this.unsettled++;
    // Updates and covers are immutable: channels that list the same quantity share one object.
    const cover: Pending = { slot, committedAtMs: event.committedAtMs };
    const shared: ChannelUpdate | undefined = this.identityPolicy ? { sku: event.sku, quantity: event.quantity, version: event.version } : undefined;
    for (const channel of targets) {
      if (channel.client.compareAndSet === true) this.observeLevel(this.lane(channel, event.sku), event);
      const update = shared ?? { sku: event.sku, quantity: listedQuantity(event.quantity, channel.client.id, this.opts.listingPolicy ?? {}), version: event.version };
      if (this.opts.skipEchoToSource === true && channel.client.id === event.sourceChannel && this.skipEcho(channel, update)) {
        this.settle(slot);
        continue;
      }
      this.enqueueCover(channel, update, cover);
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
  private observeLevel(lane: Lane, event: OutboxEvent): void {
    const sold = Number.isNaN(lane.seenLevel) ? 0 : lane.seenLevel - event.quantity;
    lane.seenLevel = event.quantity;
    if (sold <= 0 || event.sourceChannel !== lane.channel.client.id) return;
    const settled = Math.min(lane.unsynced, sold);
    lane.unsynced -= settled;
    lane.ownReflected += sold - settled;
  }

  private targets(sku: string): readonly ChannelState[] {
    const ids = this.opts.channelsFor?.(sku);
    if (ids === undefined) return this.channels;
    return this.channels.filter((c) => ids.includes(c.client.id));
  }

  /** The source channel already shows its own sale; only an idle lane may skip the echo. */
  private skipEcho(channel: ChannelState, update: ChannelUpdate): boolean {
    const lane = this.lane(channel, update.sku);
    if (lane.sending !== undefined || lane.next !== undefined || update.version <= lane.ackedVersion) return false;
    lane.ackedVersion = update.version;
    return true;
  }

  private lane(channel: ChannelState, sku: string): Lane {
    let perChannel = this.lanes.get(sku);
    if (perChannel === undefined) {
      perChannel = new Array<Lane | undefined>(this.channels.length);
      this.lanes.set(sku, perChannel);
    }
    let lane = perChannel[channel.index];
    if (lane === undefined) {
      lane = {
        sku,
        channel,
        next: undefined,
        nextCommittedAtMs: 0,
        covers: [],
        inFlight: false,
        sending: undefined,
        sendingCovers: [],
        queued: false,
        failures: 0,
        throttles: 0,
        waitingRetry: false,
        ackedVersion: -1,
        listed: Number.NaN,
        unsynced: 0,
        ownReflected: 0,
        seenLevel: Number.NaN,
        conflicts: 0,
      };
      perChannel[channel.index] = lane;
    }
    return lane;
  }

  /** Returns false when the update is not newer than what the lane already has. */
  private enqueue(channel: ChannelState, update: ChannelUpdate, committedAtMs: number): boolean {
    return this.enqueueCover(channel, update, { slot: -1, committedAtMs });
  }

  private enqueueCover(channel: ChannelState, update: ChannelUpdate, cover: Pending): boolean {
    const lane = this.lane(channel, update.sku);
    if (update.version <= lane.ackedVersion) {
      if (cover.slot >= 0) this.settle(cover.slot);
      return false;
    }
    // Covered by the version in flight or waiting: it owes this event too.
    if (lane.sending !== undefined && update.version <= lane.sending.version) {
      lane.sendingCovers.push(cover);
      return false;
    }
    if (lane.next !== undefined && update.version <= lane.next.version) {
      lane.covers.push(cover);
      return false;
    }
    if (lane.next !== undefined) this.stats.superseded++;
    lane.next = update;
    lane.nextCommittedAtMs = cover.committedAtMs;
    lane.covers.push(cover);
    if (!lane.inFlight && !lane.waitingRetry && !lane.queued) {
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
    const limit = channel.client.maxConcurrency ?? 8;
    const maxItems = channel.client.batch?.maxItems ?? 1;
    while (channel.inFlight < limit && channel.readyHead < channel.ready.length) {
      const batch: Lane[] = [];
      while (batch.length < maxItems && channel.readyHead < channel.ready.length) {
        const lane = channel.ready[channel.readyHead++]!;
        lane.queued = false;
        if (lane.next !== undefined && !lane.inFlight && !lane.waitingRetry) batch.push(lane);
      }
      if (batch.length > 0) void this.send(channel, batch);
    }
    if (channel.readyHead > 1024 && channel.readyHead * 2 > channel.ready.length) {
      channel.ready.splice(0, channel.readyHead);
      channel.readyHead = 0;
    }
  }

  private wakeAt(channel: ChannelState, delayMs: number): void {
    if (channel.wakeScheduled) return;
    channel.wakeScheduled = true;
    this.waitingTotal++;
    void this.opts.timers.sleep(delayMs).then(() => {
      channel.wakeScheduled = false;
      this.waitingTotal--;
      this.drain(channel);
      this.maybeIdle();
    });
  }

  private async send(channel: ChannelState, lanes: Lane[]): Promise<void> {
    const cas = channel.client.compareAndSet === true;
    const originals = lanes.map((lane) => lane.next!);
    const updates = cas ? lanes.map((lane, i) => casUpdate(lane, originals[i]!)) : originals;
    for (const lane of lanes) {
      lane.inFlight = true;
      lane.sending = lane.next;
      lane.sendingCovers = lane.covers;
      lane.next = undefined;
      lane.covers = [];
    }
    channel.inFlight++;
    this.inFlightTotal++;
    this.stats.calls++;
    let result: ChannelResult;
    try {
      const client = channel.client;
      result = client.batch !== undefined ? await client.batch.push(updates) : await client.pushListing(updates[0]!);
    } catch (error) {
      result = { ok: false, error: 'server_error', message: error instanceof Error ? error.message : String(error) };
    }
    channel.inFlight--;
    this.inFlightTotal--;
    if (this.stopped) return;
    const now = this.opts.clock.nowMs();
    if (!result.ok && result.error === 'throttled' && result.retryAfterMs !== undefined) {
      channel.pausedUntilMs = Math.max(channel.pausedUntilMs, now + result.retryAfterMs);
    }
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i]!;
      const covers = lane.sendingCovers;
      lane.inFlight = false;
      lane.sending = undefined;
      lane.sendingCovers = [];
      if (result.ok) this.delivered(lane, updates[i]!, covers, now, originals[i]!);
      else if (result.error === 'conflict') this.conflicted(lane, originals[i]!, covers, result, now);
      else this.failed(lane, originals[i]!, covers, result, now);
    }
    this.drain(channel);
    this.maybeIdle();
  }

  private delivered(lane: Lane, update: ChannelUpdate, covers: Pending[], now: number, original: ChannelUpdate = update): void {
    this.stats.delivered++;
    lane.failures = 0;
    lane.throttles = 0;
    lane.conflicts = 0;
    lane.ackedVersion = Math.max(lane.ackedVersion, update.version);
    if (lane.channel.client.compareAndSet === true) {
      // The channel now shows what was set: the unseen sales are in it, and when their orders
      // reach the source, its next level equals this listing (no double subtraction).
      lane.listed = update.quantity;
      if (lane.unsynced > 0) this.resyncLater(lane, original);
      lane.unsynced = 0;
      lane.ownReflected = 0;
    }
    const channelId = lane.channel.client.id;
    for (const cover of covers) {
      // A resend (NaN commit time) carries no propagation latency of its own.
      if (!Number.isNaN(cover.committedAtMs)) {
        const latencyMs = now - cover.committedAtMs;
        this.opts.observer?.recordPropagation(channelId, latencyMs);
        this.opts.onDelivered?.(channelId, update, latencyMs);
      }
      if (cover.slot >= 0) this.settle(cover.slot);
    }
    // Anything that arrived meanwhile and is not newer is covered now.
    if (lane.next !== undefined && lane.next.version <= lane.ackedVersion) {
      for (const cover of lane.covers) if (cover.slot >= 0) this.settle(cover.slot);
      lane.next = undefined;
      lane.covers = [];
    }
    this.requeue(lane);
  }

  private failed(lane: Lane, update: ChannelUpdate, covers: Pending[], result: Extract<ChannelResult, { ok: false }>, now: number): void {
    // A 429 is the channel pacing us, not a failure of the update: it does not use up the
    // retry budget, but a bound on it still parks an update a channel never takes.
    if (result.error === 'throttled') {
      this.stats.throttled++;
      lane.throttles++;
    } else {
      this.stats.failed++;
      lane.failures++;
    }
    this.putBack(lane, update, covers, now);
    if (lane.failures > this.policy.maxRetries || lane.throttles > THROTTLE_BOUND_FACTOR * (this.policy.maxRetries + 1)) {
      void this.park(lane, result, now);
      return;
    }
    this.stats.retries++;
    const backoff = result.error === 'throttled' ? 0 : retryDelayMs(this.policy, lane.failures, this.opts.random);
    this.retryAfter(lane, this.opts.timers.sleep(Math.max(backoff, result.retryAfterMs ?? 0)));
  }

  /** The update that did not go through waits again; a newer version that arrived meanwhile takes its place and its debts. */
  private putBack(lane: Lane, update: ChannelUpdate, covers: Pending[], now: number): void {
    if (lane.next === undefined) {
      lane.next = update;
      lane.nextCommittedAtMs = covers[0]?.committedAtMs ?? now;
    }
    lane.covers = covers.concat(lane.covers);
  }

  /** The lane waits for `wait` (a backoff, a re-read), then is ready to send again. */
  private retryAfter(lane: Lane, wait: Promise<void>): void {
    lane.waitingRetry = true;
    this.waitingTotal++;
    void wait.then(() => {
      lane.waitingRetry = false;
      this.waitingTotal--;
      if (this.stopped) return;
      this.requeue(lane);
      this.drain(lane.channel);
      this.maybeIdle();
    });
  }

  /**
   * A compare-and-set refused: the channel sold units since we last set it. As a connector must,
   * re-read what it shows, count the sales there the source has not seen yet (what we set, less
   * what it shows, less its own sales the source reflected since), and set again from the
   * source's level less those units, compared against what it shows now. Not a failure of the
   * update: bounded on its own, like throttling.
   */
  private conflicted(lane: Lane, update: ChannelUpdate, covers: Pending[], result: Extract<ChannelResult, { ok: false }>, now: number): void {
    this.stats.conflicts++;
    lane.conflicts++;
    // What goes again is the source's update (re-adjusted when sent), not the refused copy.
    this.putBack(lane, update, covers, now);
    if (lane.conflicts > THROTTLE_BOUND_FACTOR * (this.policy.maxRetries + 1)) {
      void this.park(lane, result, now);
      return;
    }
    this.retryAfter(lane, this.reread(lane));
  }

  /**
   * A set made less units sold on the channel that the source had not seen: when their orders
   * reach the source, its level comes down to it. An order the source never applies (refused
   * for want of stock: an oversell) never does, so after `compareAndSetSettleMs` the source's
   * level is set again as it is, unless a newer version went out meanwhile.
   */
  private resyncLater(lane: Lane, original: ChannelUpdate): void {
    this.waitingTotal++;
    void this.opts.timers.sleep(this.opts.compareAndSetSettleMs ?? DEFAULT_CAS_SETTLE_MS).then(() => {
      this.waitingTotal--;
      if (this.stopped) return;
      if (lane.ackedVersion === original.version && lane.next === undefined && lane.sending === undefined && lane.listed !== original.quantity) {
        lane.next = original;
        lane.nextCommittedAtMs = Number.NaN; // a resend: no propagation latency of its own
        this.requeue(lane);
        this.drain(lane.channel);
      }
      this.maybeIdle();
    });
  }

  private async reread(lane: Lane): Promise<void> {
    let listing: ChannelListing | undefined;
    try {
      listing = await lane.channel.client.readListing(lane.sku);
    } catch {
      lane.listed = Number.NaN; // unknown: the next attempt is unconditional
      return;
    }
    if (listing === undefined) {
      lane.listed = Number.NaN;
      return;
    }
    if (!Number.isNaN(lane.listed)) lane.unsynced += Math.max(0, lane.listed - listing.quantity - lane.ownReflected);
    lane.ownReflected = 0;
    lane.listed = listing.quantity;
  }

  private async park(lane: Lane, result: Extract<ChannelResult, { ok: false }>, now: number): Promise<void> {
    const update = lane.next!;
    const covers = lane.covers;
    const channelId = lane.channel.client.id;
    const letter: DeadLetter = {
      id: `${channelId}:${update.sku}:${update.version}`,
      sku: update.sku,
      channel: channelId,
      quantity: update.quantity,
      version: update.version,
      committedAtMs: covers[0]?.committedAtMs ?? lane.nextCommittedAtMs,
      attempts: lane.failures + lane.throttles,
      lastError: result.message ?? result.error,
      parkedAtMs: now,
    };
    lane.next = undefined;
    lane.covers = [];
    lane.failures = 0;
    lane.throttles = 0;
    lane.inFlight = true; // hold the lane until the letter is durable
    this.inFlightTotal++;
    await this.opts.store.parkDeadLetter(letter);
    lane.inFlight = false;
    this.inFlightTotal--;
    this.stats.parked++;
    this.opts.onParked?.(letter);
    this.opts.alerts.raise({
      kind: 'dlq_parked',
      severity: 'critical',
      message: `update ${update.sku} v${update.version} to ${channelId} parked after ${letter.attempts} attempts: ${letter.lastError}`,
      atMs: now,
      detail: { channel: channelId, sku: update.sku, version: update.version, attempts: letter.attempts },
    });
    for (const cover of covers) if (cover.slot >= 0) this.settle(cover.slot);
    this.requeue(lane);
    this.drain(lane.channel);
    this.maybeIdle();
  }

  private requeue(lane: Lane): void {
    if (lane.next !== undefined && !lane.inFlight && !lane.waitingRetry && !lane.queued) {
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
      void this.opts.store.ackOutbox(acked);
    }
  }

  private maybeIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** What a compare-and-set channel is sent: the level less its unseen sales, compared with what it shows. */
function casUpdate(lane: Lane, update: ChannelUpdate): ChannelUpdate {
  const quantity = Math.max(0, update.quantity - lane.unsynced);
  return Number.isNaN(lane.listed) ? { ...update, quantity } : { ...update, quantity, compareQuantity: lane.listed };
}
