/**
 * One life of the service's state, from start (or `POST /reset`) to the next reset: the real
 * engine (processor behind the intake workers, event-driven dispatcher, latency observer) on a
 * store from the store factory, the scenario's channels as real-time channel models, and the
 * audit ledger that checks the engine's invariants while traffic flows.
 *
 * Invariants checked online, on every commit and every listing change (as the simulator does):
 * no mutation applied twice, stock never negative, no channel version regression, no listing
 * ahead of the source of truth, every parked update in the dead-letter queue. And end to end,
 * whenever the audit runs while nothing is in flight: each SKU's level equals its first observed
 * level plus the applied deltas, and its version grew by exactly one per applied mutation (a
 * lost update breaks both).
 */
import { PropagationDispatcher } from '../engine/dispatcher.js';
import { evaluateListingFreshness } from '../engine/freshness.js';
import { LatencyObserver, type LatencySnapshot } from '../engine/latency-observer.js';
import type { InventoryMutation, MutationOutcome } from '../engine/mutation.js';
import type { AlertSink, ChannelUpdate, CommitRequest, DeadLetter, InventoryStore, StockLevel } from '../engine/ports.js';
import { InventoryMutationProcessor } from '../engine/processor.js';
import { RealTimeSource } from '../adapters/realtime.js';
import type { Scenario } from '../scenarios/schema.js';
import { SimChannel, type ChannelFaults, type ChannelHost } from '../sim/channel.js';
import { RandomStreams } from '../sim/random.js';
import { effectivePreset, engineConfig } from '../sim/world.js';
import { Intake } from './intake.js';
import type { AuditBody, ChannelListingBody, LatencySnapshotBody, MutationResultBody, ViolationBody } from './schemas.js';
import type { StoreFactory } from './store.js';

export class ServiceLimitError extends Error {
  override readonly name = 'ServiceLimitError';
}

export interface GenerationOptions {
  readonly scenario: Scenario;
  readonly storeFactory: StoreFactory;
  readonly seed: number;
  /** Scenario seconds per real second, for fault windows and the DLQ redrive cadence. */
  readonly speedup: number;
  readonly faults: boolean;
  readonly maxSkus: number;
  readonly maxTrackedMutations: number;
  readonly maxQueueLength: number;
  readonly alerts: AlertSink;
  readonly events: GenerationEvents;
}

/** What the metrics layer hears as it happens. */
export interface GenerationEvents {
  delivered(channel: string, latencyMs: number): void;
  outcome(kind: 'order' | 'adjustment', channel: string, status: MutationResultBody['status']): void;
  oversell(channel: string): void;
  violation(invariant: string): void;
  parked(channel: string): void;
}

const ORDER = 0;
const ADJUSTMENT = 1;
const PENDING = 0;
const APPLIED = 1;
const REJECTED = 2;
const MAX_VIOLATIONS_LISTED = 50;
const REDELIVERY_AFTER_CONFLICT_MS = 1_000;
const MAX_REDELIVERIES = 10;

/** One mutation the service received: enough to judge its outcome and its commits. */
interface Tracked {
  readonly kind: typeof ORDER | typeof ADJUSTMENT;
  readonly sku: string;
  /** Index of the channel an order came from (-1 for adjustments). */
  readonly channel: number;
  readonly delta: number;
  /** What the channel listed when the order arrived (orders only). */
  readonly shown: number;
  status: number;
  applyCount: number;
}

export class Generation implements ChannelHost {
  readonly time: RealTimeSource;
  readonly startedAtMs: number;
  readonly channels: SimChannel[] = [];
  readonly observer: LatencyObserver;
  private readonly opts: GenerationOptions;
  private readonly cfg: ReturnType<typeof engineConfig>;
  private readonly rawStore: InventoryStore;
  private readonly store: InventoryStore;
  private readonly processor: InventoryMutationProcessor;
  private readonly dispatcher: PropagationDispatcher;
  private readonly intake: Intake;
  private readonly channelIndex = new Map<string, number>();
  // SKUs: an index per SKU seen, into the channels' and these arrays.
  private readonly skuIndex = new Map<string, number>();
  private readonly skuNames: string[] = [];
  private readonly sotQty: Float64Array;
  private readonly sotVer: Float64Array;
  private readonly baseQty: Float64Array;
  private readonly baseVer: Float64Array;
  private readonly appliedDelta: Float64Array;
  private readonly appliedCount: Float64Array;
  /** Per listing (channel × SKU, c * maxSkus + i): since when it differs from the source of truth. */
  private readonly staleSince: Float64Array;
  private readonly staleSlots = new Set<number>();
  private readonly ledger = new Map<string, Tracked>();
  private readonly counts = {
    ordersReceived: 0,
    ordersApplied: 0,
    ordersDuplicates: 0,
    ordersRejected: 0,
    ordersNotListed: 0,
    ordersDistinct: 0,
    adjustmentsReceived: 0,
    adjustmentsApplied: 0,
    adjustmentsDuplicates: 0,
    adjustmentsRejected: 0,
    oversells: 0,
    parked: 0,
    redriven: 0,
  };
  private readonly rejectedByReason: Record<string, number> = {};
  private readonly oversellsByChannel: number[];
  private readonly violations: ViolationBody[] = [];
  private violationCount = 0;
  /** SKU -> the level at which the end-to-end check last reported it, so a mismatch counts once. */
  private readonly flaggedLevels = new Map<string, string>();
  private stopped = false;

  private constructor(options: GenerationOptions, rawStore: InventoryStore, time: RealTimeSource) {
    this.opts = options;
    this.time = time;
    this.startedAtMs = time.wallClockMs(0);
    this.cfg = engineConfig(options.scenario);
    this.rawStore = rawStore;
    this.store = observeCommits(rawStore, (request, level) => this.onCommitted(request, level));
    const n = options.maxSkus;
    this.sotQty = new Float64Array(n);
    this.sotVer = new Float64Array(n);
    this.baseQty = new Float64Array(n).fill(Number.NaN);
    this.baseVer = new Float64Array(n).fill(Number.NaN);
    this.appliedDelta = new Float64Array(n);
    this.appliedCount = new Float64Array(n);
    this.staleSince = new Float64Array(options.scenario.channels.length * n).fill(Number.NaN);
    this.oversellsByChannel = new Array<number>(options.scenario.channels.length).fill(0);
    const streams = new RandomStreams(options.seed);
    this.observer = new LatencyObserver({
      alertThresholdMs: this.cfg.alertThresholdMs,
      clock: time.clock,
      onAlert: (alert) => options.alerts.raise(alert),
    });
    this.buildChannels(streams);
    this.processor = new InventoryMutationProcessor({
      store: this.store,
      clock: time.clock,
      timers: time.timers,
      random: streams.stream('engine.jitter'),
      alerts: options.alerts,
      idempotencyTtlMs: this.cfg.idempotencyTtlMs,
      onCommitted: () => void this.dispatcher.pump(),
    });
    this.dispatcher = new PropagationDispatcher({
      store: this.store,
      channels: this.channels,
      clock: time.clock,
      timers: time.timers,
      random: streams.stream('dispatcher.jitter'),
      alerts: options.alerts,
      retryPolicy: this.cfg.retryPolicy,
      observer: this.observer,
      onDelivered: (channel, _update, latencyMs) => options.events.delivered(channel, latencyMs),
      onParked: (letter) => this.onParked(letter),
    });
    this.intake = new Intake({
      workers: options.scenario.engine.processorWorkers,
      maxQueueLength: options.maxQueueLength,
      handle: (m) => this.processor.handle(m),
      time,
      redeliveryDelayMs: REDELIVERY_AFTER_CONFLICT_MS,
      maxRedeliveries: MAX_REDELIVERIES,
    });
    this.scheduleRedrive();
  }

  static async start(options: GenerationOptions): Promise<Generation> {
    const time = new RealTimeSource();
    const store = await options.storeFactory.create({ clock: time.clock, timers: time.timers, scenario: options.scenario });
    const generation = new Generation(options, store, time);
    // Events a persistent store already holds are dispatched as on a restart.
    await generation.dispatcher.pump();
    return generation;
  }

  hasChannel(id: string): boolean {
    return this.channelIndex.has(id);
  }

  get inFlight(): number {
    return this.intake.inFlight;
  }

  get queueLength(): number {
    return this.intake.queueLength;
  }

  // ---- requests -----------------------------------------------------------------------------

  async receiveOrder(channelId: string, order: { mutationId: string; orderId: string; sku: string; quantity: number }): Promise<MutationResultBody> {
    const c = this.channelIndex.get(channelId);
    if (c === undefined) throw new RangeError(`unknown channel ${channelId}`);
    this.counts.ordersReceived++;
    let tracked = this.ledger.get(order.mutationId);
    if (tracked === undefined) {
      const i = this.indexOf(order.sku);
      const channel = this.channels[c]!;
      const shown = i === undefined ? 0 : channel.quantity[i]!;
      tracked = this.track(order.mutationId, { kind: ORDER, sku: order.sku, channel: c, delta: -order.quantity, shown, status: PENDING, applyCount: 0 });
      this.counts.ordersDistinct++;
      // The channel took the order: it decrements its own listing at once (as in the simulator).
      if (i !== undefined && shown >= order.quantity) {
        channel.sell(i, order.quantity);
        this.restale(c, i);
      } else {
        this.counts.ordersNotListed++;
      }
    }
    const outcome = await this.intake.submit({
      mutationId: order.mutationId,
      sku: order.sku,
      quantityDelta: -order.quantity,
      sourceChannel: channelId,
      orderId: order.orderId,
    });
    this.recordOutcome(tracked, outcome);
    return resultBody(outcome);
  }

  async adjust(sku: string, body: { mutationId: string; quantityDelta: number }): Promise<MutationResultBody> {
    this.counts.adjustmentsReceived++;
    let tracked = this.ledger.get(body.mutationId);
    if (tracked === undefined) {
      if (this.indexOf(sku) === undefined) throw new ServiceLimitError(`SKU capacity reached: this service tracks at most ${this.opts.maxSkus} SKUs (--max-skus)`);
      tracked = this.track(body.mutationId, { kind: ADJUSTMENT, sku, channel: -1, delta: body.quantityDelta, shown: 0, status: PENDING, applyCount: 0 });
    }
    const mutation: InventoryMutation = { mutationId: body.mutationId, sku, quantityDelta: body.quantityDelta, sourceChannel: 'admin', orderId: `adjustment:${body.mutationId}` };
    const outcome = await this.intake.submit(mutation);
    this.recordOutcome(tracked, outcome);
    return resultBody(outcome);
  }

  /** The source of truth and every channel's listing; undefined for a SKU never seen. */
  async inventory(sku: string): Promise<{ quantity: number; version: number; channels: ChannelListingBody[] } | undefined> {
    const i = this.skuIndex.get(sku);
    if (i === undefined) return undefined;
    const level = await this.store.read(sku);
    const channels = this.channels.map((channel, c): ChannelListingBody => {
      const version = channel.version[i]!;
      return {
        channel: channel.id,
        quantity: channel.quantity[i]!,
        version,
        updatedAt: version > 0 ? new Date(this.time.wallClockMs(channel.updatedAtMs[i]!)).toISOString() : null,
        stale: !Number.isNaN(this.staleSince[c * this.opts.maxSkus + i]!),
      };
    });
    return { quantity: level.quantity, version: level.version, channels };
  }

  /** Waits until nothing is in flight and propagation is idle, or `timeoutMs` passed. */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = this.time.nowMs() + timeoutMs;
    for (;;) {
      if (this.isSettled()) return true;
      const left = deadline - this.time.nowMs();
      if (left <= 0) return false;
      await Promise.race([this.dispatcher.idle(), this.time.sleep(Math.min(left, 20))]);
      if (this.intake.inFlight > 0) await this.time.sleep(Math.min(Math.max(0, deadline - this.time.nowMs()), 5));
    }
  }

  async audit(scenarioName: string, storeName: string): Promise<AuditBody> {
    const settled = this.isSettled();
    if (settled) await this.checkLevels();
    const dlqDepth = (await this.store.listDeadLetters()).length;
    const byChannel: Record<string, LatencySnapshotBody> = {};
    const apiByChannel: AuditBody['channels'] = {};
    const oversellsByChannel: Record<string, number> = {};
    this.channels.forEach((channel, c) => {
      byChannel[channel.id] = snapshotBody(this.observer.snapshot(channel.id));
      const { calls, throttled, failed, itemsSent } = channel.stats;
      (apiByChannel as Record<string, unknown>)[channel.id] = { calls, throttled, failed, itemsSent };
      oversellsByChannel[channel.id] = this.oversellsByChannel[c]!;
    });
    const k = this.counts;
    return {
      scenario: scenarioName,
      store: storeName,
      startedAt: new Date(this.startedAtMs).toISOString(),
      uptimeS: round3(this.time.nowMs() / 1000),
      settled,
      orders: {
        received: k.ordersReceived,
        distinct: k.ordersDistinct,
        applied: k.ordersApplied,
        duplicates: k.ordersDuplicates,
        rejected: k.ordersRejected,
        rejectedByReason: { ...this.rejectedByReason },
        notListed: k.ordersNotListed,
        pending: k.ordersDistinct - k.ordersApplied - k.ordersRejected,
      },
      adjustments: { received: k.adjustmentsReceived, applied: k.adjustmentsApplied, duplicates: k.adjustmentsDuplicates, rejected: k.adjustmentsRejected },
      oversells: k.oversells,
      oversellsByChannel,
      integrityViolations: this.violationCount,
      violations: [...this.violations],
      dlq: { depth: dlqDepth, parked: k.parked, redriven: k.redriven },
      latencyMs: snapshotBody(this.observer.merged()),
      latencyMsByChannel: byChannel,
      freshness: this.freshness(),
      channels: apiByChannel,
      alerts: {},
    };
  }

  /** Listings, stale listings and mean confidence, per channel or over all of them. */
  freshness(channel?: number): { listings: number; staleListings: number; meanConfidence: number } {
    const n = this.opts.maxSkus;
    const skus = this.skuNames.length;
    const listings = skus * (channel === undefined ? this.channels.length : 1);
    if (listings === 0) return { listings: 0, staleListings: 0, meanConfidence: 1 };
    const now = this.time.nowMs();
    let loss = 0;
    let stale = 0;
    for (const slot of this.staleSlots) {
      if (channel !== undefined && Math.floor(slot / n) !== channel) continue;
      stale++;
      loss += 1 - evaluateListingFreshness(Math.min(this.staleSince[slot]!, now), now, { maxStalenessMs: this.cfg.maxStalenessMs });
    }
    return { listings, staleListings: stale, meanConfidence: round6(1 - loss / listings) };
  }

  dlqDepth(): Promise<number> {
    return this.store.listDeadLetters().then((letters) => letters.length);
  }

  /** Stops everything this generation runs; unanswered mutations fail with IntakeClosedError. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.intake.close();
    this.dispatcher.stop();
    this.time.dispose();
    await this.opts.storeFactory.dispose?.(this.rawStore);
  }

  // ---- ChannelHost --------------------------------------------------------------------------

  skuIndexOf(key: string): number {
    const i = this.indexOf(key);
    if (i === undefined) throw new ServiceLimitError(`SKU capacity reached: cannot list ${key}`);
    return i;
  }

  onApplied(channel: SimChannel, i: number, key: string, update: ChannelUpdate, previousVersion: number): void {
    if (update.version < previousVersion) {
      this.violate('version-regression', `${channel.id} ${key}: version ${update.version} replaced ${previousVersion}`);
    }
    if (update.version > this.sotVer[i]!) {
      this.violate('update-ahead-of-source', `${channel.id} ${key}: version ${update.version} listed while the source of truth is at ${this.sotVer[i]}`);
    }
    this.restale(channel.index, i);
  }

  // ---- internals ----------------------------------------------------------------------------

  private buildChannels(streams: RandomStreams): void {
    const sc = this.opts.scenario;
    const f = sc.faults;
    const speedup = this.opts.speedup;
    const faultsOn = this.opts.faults;
    sc.channels.forEach((spec, index) => {
      const preset = effectivePreset(spec.preset, spec.overrides as Record<string, unknown> | undefined);
      // Scenario time = real time since the start × speedup.
      const outages = f.outages.filter((o) => o.channel === spec.id).map((o) => [o.startS * 1000, (o.startS + o.durationS) * 1000] as const);
      const spikes = f.latencySpikes
        .filter((s) => s.channel === undefined || s.channel === spec.id)
        .map((s) => [s.startS * 1000, (s.startS + s.durationS) * 1000, s.multiplier] as const);
      const faults: ChannelFaults = {
        active: () => faultsOn,
        serverErrorRate: f.serverErrorRate,
        throttleRate: f.throttleRate,
        throttleRetryAfterMs: f.throttleRetryAfterMs,
        timeoutRate: f.timeoutRate,
        timeoutMs: f.timeoutMs,
        timeoutAppliedShare: f.timeoutAppliedShare,
        latencyMultiplier: (now) => {
          if (!faultsOn) return 1;
          const t = now * speedup;
          let m = 1;
          for (const [from, to, mult] of spikes) if (t >= from && t < to) m *= mult;
          return m;
        },
        inOutage: (now) => outages.some(([from, to]) => now * speedup >= from && now * speedup < to),
      };
      this.channelIndex.set(spec.id, index);
      this.channels.push(
        new SimChannel(this.time, streams.stream(`channel:${spec.id}`), this, faults, {
          id: spec.id,
          index,
          preset,
          skus: this.opts.maxSkus,
          maxConcurrency: spec.overrides?.maxConcurrency ?? sc.engine.dispatcherConcurrency,
        }),
      );
    });
  }

  private scheduleRedrive(): void {
    const everyS = this.opts.scenario.engine.redriveDlqEveryS;
    if (everyS === undefined) return;
    const everyMs = (everyS * 1000) / this.opts.speedup;
    const tick = (): void => {
      if (this.stopped) return;
      void this.dispatcher.redrive().then((n) => {
        this.counts.redriven += n;
      });
      this.time.schedule(everyMs, tick);
    };
    this.time.schedule(everyMs, tick);
  }

  /** The SKU's index, allocated on first sight; undefined when the SKU capacity is used up. */
  private indexOf(sku: string): number | undefined {
    const known = this.skuIndex.get(sku);
    if (known !== undefined) return known;
    if (this.skuNames.length >= this.opts.maxSkus) return undefined;
    const i = this.skuNames.length;
    this.skuNames.push(sku);
    this.skuIndex.set(sku, i);
    return i;
  }

  private track(mutationId: string, tracked: Tracked): Tracked {
    if (this.ledger.size >= this.opts.maxTrackedMutations) {
      throw new ServiceLimitError(`audit ledger full: ${this.opts.maxTrackedMutations} mutations tracked (POST /reset, or restart with a larger --max-mutations)`);
    }
    this.ledger.set(mutationId, tracked);
    return tracked;
  }

  private recordOutcome(tracked: Tracked, outcome: MutationOutcome): void {
    const order = tracked.kind === ORDER;
    const channelId = order ? this.channels[tracked.channel]!.id : 'admin';
    this.opts.events.outcome(order ? 'order' : 'adjustment', channelId, outcome.status);
    if (outcome.status === 'duplicate') {
      if (order) this.counts.ordersDuplicates++;
      else this.counts.adjustmentsDuplicates++;
      return;
    }
    if (tracked.status !== PENDING) return;
    if (outcome.status === 'applied') {
      tracked.status = APPLIED;
      if (order) this.counts.ordersApplied++;
      else this.counts.adjustmentsApplied++;
      return;
    }
    tracked.status = REJECTED;
    if (!order) {
      this.counts.adjustmentsRejected++;
      return;
    }
    this.counts.ordersRejected++;
    this.rejectedByReason[outcome.reason] = (this.rejectedByReason[outcome.reason] ?? 0) + 1;
    // The channel took it on a listing that showed the units: a sale that must be cancelled.
    if (outcome.reason === 'insufficient_stock' && tracked.shown >= -tracked.delta) {
      this.counts.oversells++;
      this.oversellsByChannel[tracked.channel]!++;
      this.opts.events.oversell(channelId);
    }
  }

  /** Called after every successful commit the engine makes. */
  private onCommitted(request: CommitRequest, level: StockLevel): void {
    if (request.effect !== 'apply') return;
    const i = this.indexOf(request.sku);
    const tracked = this.ledger.get(request.mutationId);
    if (tracked !== undefined && ++tracked.applyCount > 1) {
      this.violate('mutation-applied-twice', `${request.mutationId} applied ${tracked.applyCount} times on ${request.sku}`);
    }
    if (level.quantity < 0) this.violate('negative-stock', `${request.sku} at ${level.quantity}`);
    if (i === undefined) return;
    if (Number.isNaN(this.baseQty[i]!)) {
      this.baseQty[i] = level.quantity - (tracked?.delta ?? 0);
      this.baseVer[i] = level.version - 1;
    }
    if (tracked !== undefined) this.appliedDelta[i] = this.appliedDelta[i]! + tracked.delta;
    this.appliedCount[i] = this.appliedCount[i]! + 1;
    if (level.version > this.sotVer[i]!) {
      this.sotQty[i] = level.quantity;
      this.sotVer[i] = level.version;
    }
    for (let c = 0; c < this.channels.length; c++) this.restale(c, i);
  }

  private onParked(letter: DeadLetter): void {
    this.counts.parked++;
    this.opts.events.parked(letter.channel);
    void this.rawStore.listDeadLetters().then((letters) => {
      if (!letters.some((l) => l.id === letter.id)) this.violate('update-lost-without-dlq', `parked update ${letter.id} is not in the dead-letter queue`);
    });
  }

  private isSettled(): boolean {
    return this.intake.inFlight === 0 && this.dispatcher.backlog === 0;
  }

  /** End-to-end: every SKU's level is its base plus the applied deltas, its version base + count. */
  private async checkLevels(): Promise<void> {
    for (let i = 0; i < this.skuNames.length; i++) {
      if (Number.isNaN(this.baseQty[i]!)) continue;
      const sku = this.skuNames[i]!;
      const level = await this.store.read(sku);
      if (!this.isSettled()) return; // traffic resumed: judge on a later audit
      const expectedQty = this.baseQty[i]! + this.appliedDelta[i]!;
      const expectedVer = this.baseVer[i]! + this.appliedCount[i]!;
      if (level.quantity === expectedQty && level.version === expectedVer) continue;
      const key = `${level.quantity}@${level.version}`;
      if (this.flaggedLevels.get(sku) === key) continue;
      this.flaggedLevels.set(sku, key);
      this.violate('lost-update', `${sku} holds ${level.quantity} (v${level.version}) but applied mutations give ${expectedQty} (v${expectedVer})`);
    }
  }

  private violate(invariant: string, detail: string): void {
    this.violationCount++;
    if (this.violations.length < MAX_VIOLATIONS_LISTED) this.violations.push({ invariant, atMs: round3(this.time.nowMs()), detail });
    this.opts.events.violation(invariant);
  }

  /** Re-evaluates whether listing (c, i) differs from the source of truth. */
  private restale(c: number, i: number): void {
    const slot = c * this.opts.maxSkus + i;
    const fresh = this.channels[c]!.quantity[i]! === this.sotQty[i]!;
    const stale = !Number.isNaN(this.staleSince[slot]!);
    if (fresh && stale) {
      this.staleSince[slot] = Number.NaN;
      this.staleSlots.delete(slot);
    } else if (!fresh && !stale) {
      this.staleSince[slot] = this.time.nowMs();
      this.staleSlots.add(slot);
    }
  }
}

/** A store whose successful commits are reported, whatever store it wraps. */
function observeCommits(inner: InventoryStore, onCommitted: (request: CommitRequest, level: StockLevel) => void): InventoryStore {
  return {
    read: (sku) => inner.read(sku),
    hasProcessed: (id, nowMs) => inner.hasProcessed(id, nowMs),
    commit: async (request, nowMs) => {
      const result = await inner.commit(request, nowMs);
      if (result.ok) onCommitted(request, result.level);
      return result;
    },
    readOutbox: (afterSeq, limit) => inner.readOutbox(afterSeq, limit),
    ackOutbox: (seq) => inner.ackOutbox(seq),
    outboxCursor: () => inner.outboxCursor(),
    parkDeadLetter: (letter) => inner.parkDeadLetter(letter),
    listDeadLetters: () => inner.listDeadLetters(),
    removeDeadLetter: (id) => inner.removeDeadLetter(id),
    skus: () => inner.skus(),
  };
}

function resultBody(outcome: MutationOutcome): MutationResultBody {
  switch (outcome.status) {
    case 'applied':
      return { status: 'applied', quantity: outcome.quantity, version: outcome.version };
    case 'duplicate':
      return { status: 'duplicate' };
    case 'rejected':
      return outcome.quantity === undefined ? { status: 'rejected', reason: outcome.reason } : { status: 'rejected', reason: outcome.reason, quantity: outcome.quantity };
  }
}

function snapshotBody(s: LatencySnapshot): LatencySnapshotBody {
  return { count: s.count, p50: round3(s.p50), p95: round3(s.p95), p99: round3(s.p99), max: round3(s.max) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
