/**
 * One life of the service's state, from start (or `POST /reset`) to the next reset: the real
 * engine (processor behind the intake workers, event-driven dispatcher, latency observer) on a
 * store from the store factory, the scenario's channels as real-time channel models, and the
 * audit ledger that checks the engine's invariants while traffic flows: the mutations received,
 * and the `InvariantLedger` the simulator keeps too (src/model/ledger.ts), fed what the service
 * observes.
 *
 * Invariants checked online, on every commit and every listing change (as the simulator does):
 * no mutation applied twice, stock never negative, no channel version regression, no listing
 * ahead of the source of truth, every parked update in the dead-letter queue. And end to end,
 * whenever the audit runs while nothing is in flight: each SKU's level equals its first observed
 * level plus the applied deltas, and its version grew by exactly one per applied mutation (a
 * lost update breaks both).
 *
 * On a shared store (Redis, PostgreSQL; several instances, see store.ts) three things change.
 * (1) Other instances commit to the same SKUs, so no instance alone can check a level against
 * its own applied deltas: the end-to-end check becomes the cluster's. Every audit reports the
 * commits this instance made (`commits.applied`, `commits.unitsDelta`); summed over the
 * instances they must equal the store's levels (versions and quantities grow from 0@0 after a
 * reset): `combineAudits` in cluster.ts. (2) Each instance simulates its own copy of the
 * scenario's channels (in production the marketplaces are external and shared), and its
 * dispatcher delivers only the outbox entries it claimed, so its copies miss updates other
 * instances delivered. The engine's Reconciler therefore compares every listing with the
 * store's level every `reconcileEveryMs` (and catches up on the store's SKUs at start, after a
 * restart) and corrects the listings that are older, through the dispatcher's lanes (see
 * `channelReconciler`). The online checks stay valid: the source-of-truth level an instance
 * knows also advances with the outbox entries it claims and the levels it reads. (3) The store is
 * across a network: a failed store call answers 503 (the sender redelivers), a failed outbox
 * read or acknowledgement is retried by the next pump (a heartbeat pumps at least every second,
 * which also renews this instance's claims and takes over a dead instance's), and nothing of
 * that kind may crash the process. (4) Round trips are what a webhook costs there: the
 * processor takes a level from what this instance knows and lets the optimistic commit, which
 * checks the idempotency record and the version atomically, catch anything stale (see
 * `knownLevels` and `guardSharedStore`).
 */
import { PropagationDispatcher } from '../engine/dispatcher.js';
import { forwardStore } from '../engine/forward-store.js';
import { evaluateListingFreshness, integrateFreshness } from '../engine/freshness.js';
import { EXTERNAL_MEASURES_REASON } from './external-channels.js';
import { LatencyObserver, type LatencySnapshot } from '../engine/latency-observer.js';
import type { InventoryMutation, MutationOutcome, RejectionReason } from '../engine/mutation.js';
import type { AlertSink, ChannelClient, ChannelUpdate, Clock, CommitRequest, DeadLetter, InventoryStore, StockLevel } from '../engine/ports.js';
import { InventoryMutationProcessor } from '../engine/processor.js';
import { Reconciler, type ListingSource } from '../engine/reconciler.js';
import { RealTimeSource } from '../adapters/realtime.js';
import type { Scenario } from '../scenarios/schema.js';
import { SimChannel, type ChannelHost } from '../model/channel.js';
import { RandomStreams } from '../model/random.js';
import { INVARIANTS, InvariantLedger, type InvariantName } from '../model/ledger.js';
import { MAX_VIOLATIONS_LISTED } from '../model/result.js';
import { effectivePreset, engineConfig, scenarioChannelFaults } from '../scenarios/compile.js';
import { errorMessage } from '../stores/errors.js';
import { Intake, IntakeClosedError, IntakeFullError } from './intake.js';
import { ADMIN_SOURCE, idempotencyKey, KeyReusedError, payloadDigest } from './keys.js';
import { OrderedTimeSource } from './ordered-time.js';
import type { AuditBody, ChannelListingBody, LatencySnapshotBody, MutationResultBody } from './schemas.js';
import type { StoreFactory } from './store.js';

/** The audit's measures that come from the channel models, which external channels make meaningless. */
const EXTERNAL_NOT_MEASURED = ['oversells', 'oversellsByChannel', 'lostSalesByChannel', 'freshness', 'channels', 'orders.notListed', 'orders.lostSales'] as const;

export class ServiceLimitError extends Error {
  override readonly name = 'ServiceLimitError';
}

/** A call to a network store failed (connection lost, server down): answered 503, the sender redelivers. */
export class StoreFailureError extends Error {
  override readonly name = 'StoreFailureError';
}

export interface GenerationOptions {
  readonly scenario: Scenario;
  readonly storeFactory: StoreFactory;
  readonly seed: number;
  /**
   * Scenario milliseconds per real millisecond: the engine, the channel models, the faults, the
   * store's latency and the DLQ redrive run on a clock compressed by it (see realtime.ts), and
   * the audit's times are in scenario time. The service's own operational loops (shared-store
   * heartbeats, claims, reconciliation, settling) stay in real time.
   */
  readonly speedup: number;
  readonly faults: boolean;
  readonly maxSkus: number;
  readonly maxTrackedMutations: number;
  readonly maxQueueLength: number;
  readonly alerts: AlertSink;
  readonly events: GenerationEvents;
  /** This instance's name (unique among the instances sharing a store). */
  readonly instanceId: string;
  /** 1 at start, +1 on every reset. */
  readonly generation: number;
  /** Shared store: how often the reconciler compares this instance's channel models with the store. */
  readonly reconcileEveryMs: number;
  /**
   * The channel models act as storefronts, as the simulator's customers meet them: an order its
   * channel's listing cannot show is not taken (answered `rejected`, `not_listed`, never reaching
   * the engine) and counts as a lost sale when the source of truth had the units.
   */
  readonly storefront: boolean;
  /** Operational warnings (store trouble), one line each; the caller throttles. */
  readonly warn: (message: string) => void;
  /**
   * External-channel mode (`invsim serve --channels`): the dispatcher pushes through these
   * clients, one per scenario channel in the scenario's order, instead of the channel models.
   * The models stay as the audit's bookkeeping, but their measures (oversells, freshness) no
   * longer describe the channels, so /audit marks them not measured.
   */
  readonly externalClients?: readonly ChannelClient[];
}

/**
 * The invariants the service checks, online and at the audit: every one the ledger names but
 * `mutation-without-outcome` (an order not decided yet is `pending` in the audit: the service
 * cannot tell one still on its way from one that never will be).
 */
export type ServiceInvariant = Exclude<InvariantName, 'mutation-without-outcome'>;
export const SERVICE_INVARIANTS: readonly ServiceInvariant[] = INVARIANTS.filter((name): name is ServiceInvariant => name !== 'mutation-without-outcome');

/** What the metrics layer hears as it happens. */
export interface GenerationEvents {
  delivered(channel: string, latencyMs: number): void;
  outcome(kind: 'order' | 'adjustment', channel: string, status: MutationResultBody['status']): void;
  oversell(channel: string): void;
  violation(invariant: InvariantName): void;
  parked(channel: string): void;
}

const ORDER = 0;
const ADJUSTMENT = 1;
const PENDING = 0;
const APPLIED = 1;
const REJECTED = 2;
const DECIDED_ELSEWHERE = 3;
/** Storefront: the channel's listing could not show the units; the order never reached the engine. */
const NOT_TAKEN = 4;
const REDELIVERY_AFTER_CONFLICT_MS = 1_000;
const MAX_REDELIVERIES = 10;
/** Outcomes of commits whose answer was lost are looked up this often, this many per pass. */
const LEARN_EVERY_MS = 250;
const LEARN_BATCH = 200;
/** Looks at a key without a record before it is left to its client's redelivery (5 s). */
const LEARN_LOOKUPS = 20;
/**
 * Shared store: SKUs one reconciler pass reads at most: while mutations are in flight only a
 * few (the reads compete with the traffic for the store; the outbox entries this instance
 * claims keep its busiest listings current meanwhile), when quiet many. And how many reads a
 * pass keeps in flight.
 */
const RECONCILE_BATCH = 1_000;
const RECONCILE_BATCH_BUSY = 50;
const RECONCILE_READS_IN_FLIGHT = 32;
/** Where the reconciler's drift alerts go on a shared store: nowhere (see channelReconciler). */
const NO_ALERTS: AlertSink = { raise: () => undefined };
/**
 * Shared store: outbox claims start at most every SHARED_PUMP_INTERVAL_MS, and at most every
 * SHARED_PUMP_DUTY × the last claim's duration; the commits in between share one claim. A claim
 * costs the store a scan of every entry claimed and not yet acknowledged (thousands under load:
 * acknowledgements wait for the slowest delivery in flight), during which Redis serves nothing
 * else, so claiming on every commit would cost O(n²) and stall the commits.
 */
const SHARED_PUMP_INTERVAL_MS = 100;
const SHARED_PUMP_DUTY = 10;
/** Shared store: the outbox is pumped at least this often (claims renewed, a dead instance's taken over). */
const MAX_HEARTBEAT_MS = 1_000;
/** Parking a dead letter is retried this often, a second apart, before the update counts as lost. */
const PARK_ATTEMPTS = 30;

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
  /** The channel's own listing was decremented for this order when it arrived. */
  sold: boolean;
  /** Deliveries of it the engine is handling now. */
  inFlight: number;
  /** An order the channel took whose commit this instance has not yet seen nor its outcome heard: its units are still in `sotQty`. */
  waiting?: boolean;
}

export class Generation implements ChannelHost {
  /** Scenario time: compressed by the speedup. */
  readonly time: RealTimeSource;
  /** Real time, same origin: for the service's operational loops. */
  private readonly real: RealTimeSource;
  /** The channel models' clock: timers in (time, sequence) order (see ordered-time.ts). */
  private readonly channelTime: OrderedTimeSource;
  readonly startedAtMs: number;
  readonly channels: SimChannel[] = [];
  readonly observer: LatencyObserver;
  /**
   * Scenario ms from an order's first delivery to the engine's answer: the time the simulator's
   * engine spends on it is its store latency and queueing only, so more here (a service short of
   * CPU at a high speedup) is a departure of the live world the report names.
   */
  private readonly processing: LatencyObserver;
  /** A store shared with other instances (see the file comment). */
  readonly shared: boolean;
  private readonly opts: GenerationOptions;
  private readonly cfg: ReturnType<typeof engineConfig>;
  private readonly rawStore: InventoryStore;
  private readonly store: InventoryStore;
  /** Shared store: sends the outbox acknowledgement still gathering (on stop). */
  private readonly flushAcks: () => Promise<void>;
  private readonly processor: InventoryMutationProcessor;
  private readonly dispatcher: PropagationDispatcher;
  private readonly intake: Intake;
  private readonly channelIndex = new Map<string, number>();
  // SKUs: an index per SKU seen, into the channels' and these arrays.
  private readonly skuIndex = new Map<string, number>();
  private readonly skuNames: string[] = [];
  private readonly sotQty: Float64Array;
  /** Per SKU: units of orders taken here and waiting for the engine (see `Tracked.waiting`); still counted in `sotQty`. */
  private readonly waitingUnits: Float64Array;
  private readonly sotVer: Float64Array;
  /** Shared store: the processor may take sotQty/sotVer as the level (1), or must read the store (0). */
  private readonly levelKnown: Uint8Array;
  private readonly baseQty: Float64Array;
  private readonly baseVer: Float64Array;
  private readonly appliedDelta: Float64Array;
  private readonly appliedCount: Float64Array;
  /** Per listing (channel × SKU, c * maxSkus + i): since when it differs from the source of truth. */
  private readonly staleSince: Float64Array;
  private readonly staleSlots = new Set<number>();
  /**
   * Freshness integrated as the simulator integrates it, over the measured window: from the first
   * order to the scenario's duration later (scenario time), listing by listing, exactly.
   */
  private windowFromMs = Number.NaN;
  private freshnessLossMs = 0;
  private freshnessInvisibleMs = 0;
  private freshnessBelowMinMs = 0;
  /** Every mutation received, by idempotency key (the audit ledger). */
  private readonly mutations = new Map<string, Tracked>();
  private readonly counts = {
    ordersReceived: 0,
    ordersApplied: 0,
    ordersDuplicates: 0,
    ordersRejected: 0,
    ordersNotListed: 0,
    lostSales: 0,
    lostSalesWhileOrdersWaited: 0,
    ordersDistinct: 0,
    ordersDecidedElsewhere: 0,
    ordersKeyReused: 0,
    outcomesLearned: 0,
    adjustmentsReceived: 0,
    adjustmentsApplied: 0,
    adjustmentsDuplicates: 0,
    adjustmentsRejected: 0,
    adjustmentsKeyReused: 0,
    oversells: 0,
    parked: 0,
    redriven: 0,
    commitsApplied: 0,
    commitsUnitsDelta: 0,
    reconcilePasses: 0,
    reconcileCorrections: 0,
  };
  private readonly rejectedByReason: Record<string, number> = {};
  private readonly oversellsByChannel: number[];
  private readonly lostSalesByChannel: number[];
  /** What must never happen: the checks on commits, listing changes, parked updates and levels. */
  private readonly invariants: InvariantLedger;
  /** SKU -> the level at which the end-to-end check last reported it, so a mismatch counts once. */
  private readonly flaggedLevels = new Map<string, string>();
  private stopped = false;
  /** Shared store: a pump is scheduled; the next SKU index the reconciler reads. */
  private pumpScheduled = false;
  private lastPumpMs = Number.NEGATIVE_INFINITY;
  private lastPumpDurationMs = 0;
  private reconcileCursor = 0;
  private reconciling = false;
  /** Shared store: the engine's Reconciler over this instance's channel models (see channelReconciler). */
  private readonly reconciler: Reconciler | undefined;
  /**
   * Keys of mutations whose commit answer was lost to a store failure (answered 503): their
   * outcome is learned from the store's idempotency record (see learnOutcomes).
   */
  private readonly unresolved = new Map<string, { looks: number; readonly origins: string[] }>();
  /** Numbers this instance's deliveries to the engine (their `origin`, see CommitRequest). */
  private deliveries = 0;
  private learning = false;

  private constructor(options: GenerationOptions, rawStore: InventoryStore, time: RealTimeSource, real: RealTimeSource) {
    this.opts = options;
    this.time = time;
    this.real = real;
    this.channelTime = new OrderedTimeSource(time);
    this.startedAtMs = time.wallClockMs(0);
    this.cfg = engineConfig(options.scenario);
    this.invariants = new InvariantLedger({
      nowMs: () => round3(this.time.nowMs()),
      maxListed: MAX_VIOLATIONS_LISTED,
      onViolation: (invariant) => options.events.violation(invariant),
    });
    this.rawStore = rawStore;
    this.shared = options.storeFactory.shared;
    // On a shared store, times travel between processes: idempotency expiries another instance
    // checks, commit times of outbox entries another instance delivers (propagation latency).
    // The engine then reads epoch milliseconds (monotone within the process), not time since
    // start, times the speedup (every instance on a store runs the same one).
    const engineClock: Clock = this.shared ? { nowMs: () => time.epochMs() } : time.clock;
    const guarded = this.shared
      ? guardSharedStore(rawStore, {
          committed: (request, level) => this.onCommitted(request, level),
          observed: (sku, level) => this.observeLevel(sku, level),
          trouble: (what, error) => this.storeTrouble(what, error),
          sleep: (ms) => real.sleep(ms),
          schedule: (ms, fn) => real.schedule(ms, fn),
          nowMs: () => engineClock.nowMs(),
        })
      : undefined;
    this.store = guarded ?? observeCommits(rawStore, (request, level) => this.onCommitted(request, level));
    this.flushAcks = guarded === undefined ? () => Promise.resolve() : () => guarded.flushAcks();
    const n = options.maxSkus;
    this.sotQty = new Float64Array(n);
    this.waitingUnits = new Float64Array(n);
    this.sotVer = new Float64Array(n);
    this.levelKnown = new Uint8Array(this.shared ? n : 0);
    this.baseQty = new Float64Array(n).fill(Number.NaN);
    this.baseVer = new Float64Array(n).fill(Number.NaN);
    this.appliedDelta = new Float64Array(n);
    this.appliedCount = new Float64Array(n);
    this.staleSince = new Float64Array(options.scenario.channels.length * n).fill(Number.NaN);
    this.oversellsByChannel = new Array<number>(options.scenario.channels.length).fill(0);
    this.lostSalesByChannel = new Array<number>(options.scenario.channels.length).fill(0);
    const streams = new RandomStreams(options.seed);
    this.observer = new LatencyObserver({
      alertThresholdMs: this.cfg.alertThresholdMs,
      clock: engineClock,
      onAlert: (alert) => options.alerts.raise(alert),
    });
    this.processing = new LatencyObserver({ alertThresholdMs: Number.MAX_VALUE }); // a measure, never an alert
    this.buildChannels(streams);
    this.processor = new InventoryMutationProcessor({
      store: guarded === undefined ? this.store : this.knownLevels(guarded),
      clock: engineClock,
      timers: time.timers,
      random: streams.stream('engine.jitter'),
      alerts: options.alerts,
      idempotencyTtlMs: this.cfg.idempotencyTtlMs,
      onCommitted: () => this.requestPump(),
    });
    this.dispatcher = new PropagationDispatcher({
      store: this.store,
      channels: options.externalClients ?? this.channels,
      clock: engineClock,
      timers: time.timers,
      random: streams.stream('dispatcher.jitter'),
      alerts: options.alerts,
      retryPolicy: this.cfg.retryPolicy,
      observer: this.observer,
      onDelivered: (channel, _update, latencyMs) => options.events.delivered(channel, latencyMs),
      onParked: (letter) => this.onParked(letter),
    });
    this.reconciler = this.shared ? this.channelReconciler(engineClock) : undefined;
    this.intake = new Intake({
      workers: options.scenario.engine.processorWorkers,
      maxQueueLength: options.maxQueueLength,
      handle: (m) => this.processor.handle(m),
      time,
      redeliveryDelayMs: REDELIVERY_AFTER_CONFLICT_MS,
      maxRedeliveries: MAX_REDELIVERIES,
    });
    if (this.shared) this.scheduleSharedLoops();
  }

  static async start(options: GenerationOptions): Promise<Generation> {
    const real = new RealTimeSource();
    const time = new RealTimeSource({ speedup: options.speedup, originMs: real.originMs });
    const store = await options.storeFactory.create({
      clock: time.clock,
      timers: time.timers,
      scenario: options.scenario,
      instanceId: options.instanceId,
      generation: options.generation,
    });
    const generation = new Generation(options, store, time, real);
    // Events a persistent store already holds are dispatched as on a restart.
    await generation.pumpNow();
    return generation;
  }

  hasChannel(id: string): boolean {
    return this.channelIndex.has(id);
  }

  /** Real milliseconds since this generation started. */
  realUptimeMs(): number {
    return this.real.nowMs();
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
    const arrivedAtMs = this.time.nowMs();
    this.counts.ordersReceived++;
    const key = idempotencyKey('order', channelId, order.mutationId);
    let tracked = this.mutations.get(key);
    if (tracked !== undefined && (tracked.sku !== order.sku || tracked.delta !== -order.quantity)) this.keyReused(tracked, `order ${order.mutationId} from ${channelId}`);
    const firstSight = tracked === undefined;
    if (tracked === undefined) {
      const i = this.indexOf(order.sku);
      const channel = this.channels[c]!;
      const shown = i === undefined ? 0 : channel.quantity[i]!;
      const sold = i !== undefined && shown >= order.quantity;
      if (Number.isNaN(this.windowFromMs)) this.openWindow();
      if (!sold && this.opts.storefront) return this.turnAway(key, order.sku, c, i, order.quantity, shown);
      tracked = this.track(key, { kind: ORDER, sku: order.sku, channel: c, delta: -order.quantity, shown, status: PENDING, applyCount: 0, sold, inFlight: 0 });
      this.counts.ordersDistinct++;
      if (i !== undefined) this.startWaiting(tracked, i);
      // The channel took the order: it decrements its own listing at once (as in the simulator).
      if (sold) {
        channel.sell(i, order.quantity);
        this.restale(c, i);
      } else {
        this.counts.ordersNotListed++;
      }
    }
    if (tracked.status === NOT_TAKEN) {
      this.counts.ordersDuplicates++;
      return { status: 'duplicate' };
    }
    const outcome = await this.submit(key, tracked, {
      mutationId: key,
      sku: order.sku,
      quantityDelta: -order.quantity,
      sourceChannel: channelId,
      orderId: order.orderId,
      payloadDigest: payloadDigest(order.sku, -order.quantity),
    });
    if (outcome.status === 'duplicate' && outcome.payloadDiffers === true) this.keyReused(tracked, `order ${order.mutationId} from ${channelId}`, firstSight ? key : undefined);
    if (firstSight && outcome.status === 'duplicate') this.decidedElsewhere(tracked);
    if (firstSight && outcome.status !== 'duplicate' && !Number.isNaN(this.windowFromMs)) this.processing.recordPropagation('orders', Math.max(0, this.time.nowMs() - arrivedAtMs));
    this.recordOutcome(tracked, outcome);
    return resultBody(outcome);
  }

  /**
   * One delivery through the engine. A store failure leaves the commit's outcome unknown: the
   * client is answered 503 and redelivers; meanwhile the outcome is learned from the store.
   */
  private async submit(key: string, tracked: Tracked, mutation: InventoryMutation): Promise<MutationOutcome> {
    tracked.inFlight++;
    const origin = `${this.opts.instanceId}#${this.opts.generation}:${++this.deliveries}`;
    try {
      return await this.intake.submit({ ...mutation, origin });
    } catch (error) {
      // Refused before the store (queue full, shutting down): nothing to learn.
      const beforeStore = error instanceof IntakeFullError || error instanceof IntakeClosedError || error instanceof RangeError;
      if (!beforeStore && tracked.status === PENDING) this.awaitOutcome(key, origin);
      throw error;
    } finally {
      tracked.inFlight--;
    }
  }

  /**
   * A key already used for another payload (SKU or quantity): refused, counted, never applied.
   * `freshKey`: the audit ledger took it on this delivery (another instance recorded the key);
   * it is dropped again, this delivery being no mutation of its own.
   */
  private keyReused(tracked: Tracked, what: string, freshKey?: string): never {
    if (tracked.kind === ORDER) this.counts.ordersKeyReused++;
    else this.counts.adjustmentsKeyReused++;
    if (freshKey !== undefined) this.forget(freshKey, tracked);
    throw new KeyReusedError(`${what} reuses an idempotency key already recorded for a different SKU or quantity; use a new id for a new mutation`);
  }

  /**
   * Opens the measured window now, unless it is open: the load's time 0 (`POST /start`, which the
   * k6 script sends as its scenarios begin). Returns the window's start in scenario seconds.
   */
  startWindow(): { windowFromS: number; alreadyOpen: boolean } {
    const alreadyOpen = !Number.isNaN(this.windowFromMs);
    if (!alreadyOpen) this.openWindow();
    return { windowFromS: round3(this.windowFromMs / 1000), alreadyOpen };
  }

  /**
   * The measured window is the simulator's time 0: the fault windows, the freshness integral,
   * the DLQ redrive cadence and the channels' rate limits (full buckets, quota windows from here)
   * count from its start, and the propagation latencies and API calls
   * of what came before (loading the stock) are dropped, as the simulator starts with its stock
   * listed. It opens at `POST /start` (the load's own time 0: its orders, restocks and bursts are
   * scheduled from there, the first order one inter-arrival later), or else at the first order.
   */
  private openWindow(): void {
    this.windowFromMs = this.time.nowMs();
    this.scheduleRedrive();
    this.observer.reset();
    this.processing.reset();
    for (const channel of this.channels) channel.restartWindow(this.windowFromMs);
  }

  /** Undoes `track` for a delivery that turned out to be no mutation of its own. */
  private forget(key: string, tracked: Tracked): void {
    this.mutations.delete(key);
    if (tracked.kind !== ORDER) return;
    this.counts.ordersDistinct--;
    if (!tracked.sold) this.counts.ordersNotListed--;
    this.giveBack(tracked);
  }

  /** A mutation whose commit answer was lost: its outcome is learned from the store. */
  private awaitOutcome(key: string, origin: string): void {
    const entry = this.unresolved.get(key);
    if (entry === undefined) this.unresolved.set(key, { looks: 0, origins: [origin] });
    else entry.origins.push(origin);
    this.scheduleLearning();
  }

  private scheduleLearning(): void {
    if (!this.learning && this.unresolved.size > 0 && !this.stopped) {
      this.learning = true;
      this.real.schedule(LEARN_EVERY_MS, () => void this.learnOutcomes());
    }
  }

  /**
   * Reads the idempotency record of each mutation whose commit answer was lost, until each has
   * an outcome. A record one of the lost deliveries wrote (its origin) is this instance's
   * decision: applied (counted as onCommitted would have, unless it did) or rejected. A record
   * another delivery wrote (a redelivery to another instance) is that delivery's to count:
   * decided elsewhere.
   * A key still without a record after LEARN_LOOKUPS looks was never committed: it stays pending
   * until its client redelivers it. (A recorded rejection does not say why; nearly always it is
   * a stock-out, so it is counted as one.)
   */
  private async learnOutcomes(): Promise<void> {
    const recordOf = this.store.recordOf;
    const nowMs = this.shared ? this.time.epochMs() : this.time.nowMs();
    try {
      for (const [key, entry] of [...this.unresolved].slice(0, LEARN_BATCH)) {
        if (this.stopped) return;
        const tracked = this.mutations.get(key);
        if (tracked === undefined || tracked.status !== PENDING) {
          this.unresolved.delete(key);
          continue;
        }
        if (tracked.inFlight > 0 || recordOf === undefined) continue;
        const record = await recordOf.call(this.store, key, nowMs);
        if (record === undefined) {
          if (++entry.looks >= LEARN_LOOKUPS) this.unresolved.delete(key);
          continue;
        }
        if (tracked.status !== PENDING || tracked.inFlight > 0) continue;
        this.unresolved.delete(key);
        this.counts.outcomesLearned++;
        const ours = record.origin !== undefined && entry.origins.includes(record.origin);
        if (ours && record.applied === true) {
          // One record per key: a commit already observed (the processor failed after it) is this one.
          if (tracked.applyCount === 0) this.countCommit(tracked, key);
          this.decide(tracked, undefined);
        } else if (ours && record.applied === false) {
          this.decide(tracked, 'insufficient_stock');
        } else {
          this.decidedElsewhere(tracked);
        }
      }
    } catch (error) {
      this.storeTrouble('idempotency record', error);
    } finally {
      this.learning = false;
      this.scheduleLearning();
    }
  }

  /** Storefront: the customer found too few units listed and left; the engine never hears of it. */
  private turnAway(key: string, sku: string, c: number, i: number | undefined, quantity: number, shown: number): MutationResultBody {
    this.track(key, { kind: ORDER, sku, channel: c, delta: -quantity, shown, status: NOT_TAKEN, applyCount: 0, sold: false, inFlight: 0 });
    this.counts.ordersDistinct++;
    this.counts.ordersNotListed++;
    if (i !== undefined && this.sotQty[i]! >= quantity) {
      this.counts.lostSales++;
      this.lostSalesByChannel[c]!++;
      // The source had the units only because orders taken earlier had not reached it yet.
      if (this.sotQty[i]! - this.waitingUnits[i]! < quantity) this.counts.lostSalesWhileOrdersWaited++;
    }
    this.opts.events.outcome('order', this.channels[c]!.id, 'rejected');
    return { status: 'rejected', reason: 'not_listed' };
  }

  async adjust(sku: string, body: { mutationId: string; quantityDelta: number }): Promise<MutationResultBody> {
    this.counts.adjustmentsReceived++;
    const key = idempotencyKey('adjustment', ADMIN_SOURCE, body.mutationId);
    let tracked = this.mutations.get(key);
    if (tracked !== undefined && (tracked.sku !== sku || tracked.delta !== body.quantityDelta)) this.keyReused(tracked, `adjustment ${body.mutationId}`);
    const firstSight = tracked === undefined;
    if (tracked === undefined) {
      if (this.indexOf(sku) === undefined) throw new ServiceLimitError(`SKU capacity reached: this service tracks at most ${this.opts.maxSkus} SKUs (--max-skus)`);
      tracked = this.track(key, { kind: ADJUSTMENT, sku, channel: -1, delta: body.quantityDelta, shown: 0, status: PENDING, applyCount: 0, sold: false, inFlight: 0 });
    }
    const mutation: InventoryMutation = {
      mutationId: key,
      sku,
      quantityDelta: body.quantityDelta,
      sourceChannel: ADMIN_SOURCE,
      orderId: `adjustment:${body.mutationId}`,
      payloadDigest: payloadDigest(sku, body.quantityDelta),
    };
    const outcome = await this.submit(key, tracked, mutation);
    if (outcome.status === 'duplicate' && outcome.payloadDiffers === true) this.keyReused(tracked, `adjustment ${body.mutationId}`, firstSight ? key : undefined);
    this.recordOutcome(tracked, outcome);
    return resultBody(outcome);
  }

  /** The source of truth and every channel's listing; undefined for a SKU never seen. */
  async inventory(sku: string): Promise<{ quantity: number; version: number; channels: ChannelListingBody[] } | undefined> {
    let i = this.skuIndex.get(sku);
    // On a shared store another instance may have stocked or sold it: the store decides.
    if (i === undefined && this.shared) i = (await this.store.read(sku)).version > 0 ? this.indexOf(sku) : undefined;
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

  /** Waits until nothing is in flight and propagation is idle, or `timeoutMs` (real) passed. */
  async settle(timeoutMs: number): Promise<boolean> {
    const real = this.real;
    const deadline = real.nowMs() + timeoutMs;
    for (;;) {
      if (this.isSettled()) return true;
      const left = deadline - real.nowMs();
      if (left <= 0) return false;
      await Promise.race([this.dispatcher.idle(), real.sleep(Math.min(left, 20))]);
      if (this.intake.inFlight > 0) await real.sleep(Math.min(Math.max(0, deadline - real.nowMs()), 5));
    }
  }

  async audit(scenarioName: string, storeName: string): Promise<AuditBody> {
    const settled = this.isSettled();
    // On a shared store the level check is the cluster's (see the file comment).
    if (settled && !this.shared) await this.checkLevels();
    const dlqDepth = (await this.store.listDeadLetters()).length;
    const byChannel: Record<string, LatencySnapshotBody> = {};
    const apiByChannel: AuditBody['channels'] = {};
    const oversellsByChannel: Record<string, number> = {};
    const lostSalesByChannel: Record<string, number> = {};
    this.channels.forEach((channel, c) => {
      byChannel[channel.id] = snapshotBody(this.observer.snapshot(channel.id));
      const { calls, throttled, failed, itemsSent } = channel.stats;
      (apiByChannel as Record<string, unknown>)[channel.id] = { calls, throttled, failed, itemsSent };
      oversellsByChannel[channel.id] = this.oversellsByChannel[c]!;
      lostSalesByChannel[channel.id] = this.lostSalesByChannel[c]!;
    });
    const k = this.counts;
    return {
      scenario: scenarioName,
      store: storeName,
      startedAt: new Date(this.startedAtMs).toISOString(),
      uptimeS: round3(this.real.nowMs() / 1000),
      speedup: this.opts.speedup,
      scenarioTimeS: round3(this.time.nowMs() / 1000),
      storefront: this.opts.storefront,
      settled,
      orders: {
        received: k.ordersReceived,
        distinct: k.ordersDistinct,
        applied: k.ordersApplied,
        duplicates: k.ordersDuplicates,
        rejected: k.ordersRejected,
        rejectedByReason: { ...this.rejectedByReason },
        notListed: k.ordersNotListed,
        lostSales: k.lostSales,
        lostSalesWhileOrdersWaited: k.lostSalesWhileOrdersWaited,
        decidedElsewhere: k.ordersDecidedElsewhere,
        keyReused: k.ordersKeyReused,
        pending: k.ordersDistinct - k.ordersApplied - k.ordersRejected - k.ordersDecidedElsewhere - (this.opts.storefront ? k.ordersNotListed : 0),
      },
      adjustments: {
        received: k.adjustmentsReceived,
        applied: k.adjustmentsApplied,
        duplicates: k.adjustmentsDuplicates,
        rejected: k.adjustmentsRejected,
        keyReused: k.adjustmentsKeyReused,
      },
      outcomesLearned: k.outcomesLearned,
      commits: { applied: k.commitsApplied, unitsDelta: k.commitsUnitsDelta },
      instance: {
        id: this.opts.instanceId,
        sharedStore: this.shared,
        reconciliation: { passes: k.reconcilePasses, corrections: k.reconcileCorrections },
      },
      oversells: k.oversells,
      oversellsByChannel,
      lostSalesByChannel,
      integrityViolations: this.invariants.count,
      violations: [...this.invariants.listed],
      dlq: { depth: dlqDepth, parked: k.parked, redriven: k.redriven },
      latencyMs: snapshotBody(this.observer.merged()),
      latencyMsByChannel: byChannel,
      orderProcessingMs: snapshotBody(this.processing.snapshot('orders')),
      freshness: { ...this.freshness(), integrated: this.integratedFreshness() },
      channels: apiByChannel,
      alerts: {},
      ...(this.opts.externalClients === undefined
        ? {}
        : { channelMode: 'external' as const, notMeasured: { measures: [...EXTERNAL_NOT_MEASURED], reason: EXTERNAL_MEASURES_REASON } }),
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

  /**
   * The simulator's freshness measures over the measured window so far: mean confidence,
   * fraction of listing-time invisible (confidence 0) and below `min_confidence_score`, with the
   * listings still stale integrated up to now.
   */
  integratedFreshness(): AuditBody['freshness']['integrated'] {
    const from = this.windowFromMs;
    const durationMs = this.opts.scenario.durationS * 1000;
    if (Number.isNaN(from)) return { fromS: null, toS: null, windowS: 0, meanConfidence: null, invisibleFraction: null, belowMinConfidenceFraction: null };
    const to = Math.min(this.time.nowMs(), from + durationMs);
    let loss = this.freshnessLossMs;
    let invisible = this.freshnessInvisibleMs;
    let belowMin = this.freshnessBelowMinMs;
    for (const slot of this.staleSlots) {
      const r = this.integrateStale(this.staleSince[slot]!, to);
      loss += r.loss;
      invisible += r.invisible;
      belowMin += r.belowMin;
    }
    const exposureMs = this.skuNames.length * this.channels.length * (to - from);
    const share = (x: number): number | null => (exposureMs > 0 ? round6(x / exposureMs) : null);
    const lossShare = share(loss);
    return {
      fromS: round3(from / 1000),
      toS: round3(to / 1000),
      windowS: round3((to - from) / 1000),
      meanConfidence: lossShare === null ? null : round6(1 - lossShare),
      invisibleFraction: share(invisible),
      belowMinConfidenceFraction: share(belowMin),
    };
  }

  /** One stale stretch of a listing, from `sinceMs` to `untilMs`, clipped to the measured window. */
  private integrateStale(sinceMs: number, untilMs: number): { loss: number; invisible: number; belowMin: number } {
    const from = Math.max(sinceMs, this.windowFromMs);
    const to = Math.min(untilMs, this.windowFromMs + this.opts.scenario.durationS * 1000);
    if (Number.isNaN(from) || !(to > from)) return { loss: 0, invisible: 0, belowMin: 0 };
    const r = integrateFreshness({ fromMs: from, toMs: to, lastUpdateMs: sinceMs, maxStalenessMs: this.cfg.maxStalenessMs, minConfidence: this.cfg.minConfidence });
    return { loss: to - from - r.confidenceIntegralMs, invisible: r.invisibleMs, belowMin: r.belowMinMs };
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
    await this.flushAcks();
    this.channelTime.dispose();
    this.time.dispose();
    this.real.dispose();
    await this.opts.storeFactory.dispose?.(this.rawStore);
  }

  // ---- ChannelHost --------------------------------------------------------------------------

  skuIndexOf(key: string): number {
    const i = this.indexOf(key);
    if (i === undefined) throw new ServiceLimitError(`SKU capacity reached: cannot list ${key}`);
    return i;
  }

  onApplied(channel: SimChannel, i: number, key: string, update: ChannelUpdate, previousVersion: number): void {
    this.invariants.checkListingChange(channel.id, key, update.version, previousVersion, this.sotVer[i]!);
    this.restale(channel.index, i);
  }

  // ---- internals ----------------------------------------------------------------------------

  private buildChannels(streams: RandomStreams): void {
    const sc = this.opts.scenario;
    const f = sc.faults;
    const faultsOn = this.opts.faults;
    sc.channels.forEach((spec, index) => {
      const preset = effectivePreset(spec.preset, spec.overrides as Record<string, unknown> | undefined);
      // The channels' clock is scenario time already (compressed by the speedup); the scenario's
      // fault windows count from the first order, where the simulator's demand starts.
      const faults = scenarioChannelFaults(f, spec.id, () => faultsOn, () => this.windowFromMs);
      this.channelIndex.set(spec.id, index);
      this.channels.push(
        new SimChannel(this.channelTime, streams.stream(`channel:${spec.id}`), this, faults, {
          id: spec.id,
          index,
          preset,
          skus: this.opts.maxSkus,
          maxConcurrency: spec.overrides?.maxConcurrency ?? sc.engine.dispatcherConcurrency,
        }),
      );
    });
  }

  /**
   * The DLQ redrive at the window's start + n × redriveDlqEveryS, on the ordered clock: each at
   * that moment or just after, never before (a Node timer can fire up to a millisecond early, N
   * scenario milliseconds), and without drift from one to the next. It matters: when a fault
   * window ends on a redrive's moment, as the simulator's scenarios often do, a redrive a hair
   * early meets the outage and parks everything once more.
   */
  private scheduleRedrive(): void {
    const everyS = this.opts.scenario.engine.redriveDlqEveryS;
    if (everyS === undefined) return;
    const everyMs = everyS * 1000;
    const origin = this.windowFromMs;
    const tick = (n: number): void => {
      if (this.stopped) return;
      void this.dispatcher.redrive().then(
        (redriven) => {
          this.counts.redriven += redriven;
        },
        (error: unknown) => this.storeTrouble('dead-letter redrive', error),
      );
      this.channelTime.scheduleAt(origin + (n + 1) * everyMs, () => tick(n + 1));
    };
    this.channelTime.scheduleAt(origin + everyMs, () => tick(1));
  }

  // ---- the outbox pump and, on a shared store, the heartbeat and the reconciler -----------

  /** Memory: pump at once (as the engine does). Shared: at most one claim every SHARED_PUMP_INTERVAL_MS. */
  private requestPump(): void {
    if (!this.shared) {
      void this.dispatcher.pump();
      return;
    }
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    const intervalMs = Math.min(MAX_HEARTBEAT_MS, Math.max(SHARED_PUMP_INTERVAL_MS, SHARED_PUMP_DUTY * this.lastPumpDurationMs));
    this.real.schedule(Math.max(0, this.lastPumpMs + intervalMs - this.real.nowMs()), () => {
      this.pumpScheduled = false;
      void this.pumpNow();
    });
  }

  /** One pump; a failure (store unreachable) is reported and left to the next pump. */
  private pumpNow(): Promise<void> {
    const started = this.real.nowMs();
    this.lastPumpMs = started;
    return this.dispatcher.pump().then(
      () => {
        this.lastPumpDurationMs = this.real.nowMs() - started;
      },
      (error: unknown) => this.storeTrouble('outbox claim', error),
    );
  }

  private scheduleSharedLoops(): void {
    const claimIdleMs = this.opts.storeFactory.claimIdleMs ?? MAX_HEARTBEAT_MS * 3;
    const heartbeatMs = Math.min(MAX_HEARTBEAT_MS, claimIdleMs / 3);
    const beat = (): void => {
      if (this.stopped) return;
      void this.pumpNow();
      this.real.schedule(heartbeatMs, beat);
    };
    this.real.schedule(heartbeatMs, beat);
    void this.catchUp();
  }

  /** After a (re)start: learn the store's SKUs, reconcile them all once, then every reconcileEveryMs. */
  private async catchUp(): Promise<void> {
    try {
      const skus = await this.store.skus();
      let untracked = 0;
      for (const sku of skus) if (this.indexOf(sku) === undefined) untracked++;
      if (untracked > 0) this.opts.warn(`${untracked} SKUs of the store exceed --max-skus ${this.opts.maxSkus}: their listings are not simulated here`);
    } catch (error) {
      this.storeTrouble('SKU list', error);
    }
    // One full round at once (bounded: a failing store does not make it spin), then the periodic passes.
    const rounds = Math.ceil(this.skuNames.length / RECONCILE_BATCH);
    for (let r = 1; r < rounds && !this.stopped; r++) await this.reconcile(RECONCILE_BATCH);
    const tick = (): void => {
      if (this.stopped) return;
      void this.reconcile().finally(() => this.real.schedule(this.opts.reconcileEveryMs, tick));
    };
    tick();
  }

  /**
   * The engine's Reconciler over this instance's channel models. They stand in for marketplaces
   * the instances share in production, but each instance keeps its own copy, and its dispatcher
   * delivers only the outbox entries it claimed: its copies miss the updates other instances
   * delivered, which the reconciler resends. Fitted to that:
   * - the listings are read as the models hold them (this process's memory), not through the
   *   models' simulated API, which would add a channel's latency and outages to every read;
   * - a listing at the store's version that shows another quantity took a local sale: once
   *   nothing is in flight here, that sale was rejected (or decided elsewhere) and the units are
   *   back, so the quantity is corrected too (not on a delta channel, whose quantity is not
   *   ours to set); while orders are in flight it may be one about to commit, and is left alone;
   * - a correction carries no propagation latency of its own (latency runs from commits);
   * - levels are read RECONCILE_READS_IN_FLIGHT at a time (round trips to a network store);
   * - drift is how this works, not a fault: no alert.
   * Reading each level through the shared store's guard also advances the source of truth this
   * instance knows (observeLevel): that is the guard's doing, for every read, not the pass's.
   */
  private channelReconciler(clock: Clock): Reconciler {
    const listings = this.channels.map(
      (channel): ListingSource => ({
        id: channel.id,
        readListing: (sku) => {
          const i = this.skuIndex.get(sku);
          return Promise.resolve(i === undefined ? undefined : { quantity: channel.quantity[i]!, version: channel.version[i]! });
        },
      }),
    );
    const setsQuantity = new Set(this.channels.filter((channel) => channel.preset.updateSemantics !== 'delta').map((channel) => channel.id));
    return new Reconciler({
      store: this.store,
      channels: listings,
      dispatcher: this.dispatcher,
      clock,
      alerts: NO_ALERTS,
      readsInFlight: RECONCILE_READS_IN_FLIGHT,
      checkQuantity: (channelId) => this.intake.inFlight === 0 && setsQuantity.has(channelId),
      timeCorrections: false,
    });
  }

  /**
   * One reconciler pass over the next SKUs (RECONCILE_BATCH, or RECONCILE_BATCH_BUSY while
   * mutations are in flight), the cursor moving round the SKUs this instance knows.
   */
  private async reconcile(batch?: number): Promise<void> {
    if (this.reconciling || this.reconciler === undefined) return;
    this.reconciling = true;
    try {
      const n = this.skuNames.length;
      const count = Math.min(n, batch ?? (this.intake.inFlight === 0 ? RECONCILE_BATCH : RECONCILE_BATCH_BUSY));
      const skus: string[] = [];
      for (let j = 0; j < count; j++) skus.push(this.skuNames[(this.reconcileCursor + j) % n]!);
      const report = await this.reconciler.reconcile(skus);
      this.counts.reconcileCorrections += report.corrected;
      this.reconcileCursor = n === 0 ? 0 : this.reconcileCursor + count;
      if (this.reconcileCursor >= n) this.reconcileCursor = 0;
      this.counts.reconcilePasses++;
    } catch (error) {
      this.storeTrouble('reconciliation read', error);
    } finally {
      this.reconciling = false;
    }
  }

  /** A level read from the store or carried by a claimed outbox entry: the source of truth known here advances. */
  private observeLevel(sku: string, level: StockLevel): void {
    const i = this.skuIndex.get(sku) ?? this.indexOf(sku);
    if (i === undefined || level.version < this.sotVer[i]!) return;
    this.levelKnown[i] = 1;
    if (level.version === this.sotVer[i]!) return;
    this.sotQty[i] = level.quantity;
    this.sotVer[i] = level.version;
    for (let c = 0; c < this.channels.length; c++) this.restale(c, i);
  }

  /**
   * Shared store: the store as the processor sees it, reading a level from what this instance
   * knows (its own commits, the outbox entries it claimed, the levels it read) instead of the
   * store, once it knows one. The optimistic commit checks the version anyway: a level another
   * instance has since changed makes the commit a version conflict, after which this SKU is
   * read from the store again, and the processor retries as it does after any lost race. So
   * what a mutation decides always rests on a current level, and the common case (no other
   * instance touched the SKU) takes one round trip (the commit) instead of two.
   */
  private knownLevels(store: InventoryStore): InventoryStore {
    return forwardStore(store, {
      read: (sku) => {
        const i = this.skuIndex.get(sku);
        if (i !== undefined && this.levelKnown[i] === 1) return Promise.resolve({ quantity: this.sotQty[i]!, version: this.sotVer[i]! });
        return store.read(sku);
      },
      commit: (request, nowMs) =>
        store.commit(request, nowMs).then((result) => {
          if (!result.ok && result.reason === 'version_conflict') {
            const i = this.skuIndex.get(request.sku);
            if (i !== undefined) this.levelKnown[i] = 0;
          }
          return result;
        }),
    });
  }

  private storeTrouble(what: string, error: unknown): void {
    if (this.stopped) return;
    this.opts.warn(`store trouble (${what}): ${errorMessage(error)}`);
  }

  /**
   * An order this instance saw first, answered `duplicate`: another instance (or this one before
   * a restart) decided it. Not a new sale: the channel model gets its unit back.
   */
  private decidedElsewhere(tracked: Tracked): void {
    if (tracked.status !== PENDING) return;
    this.stopWaiting(tracked);
    tracked.status = DECIDED_ELSEWHERE;
    this.counts.ordersDecidedElsewhere++;
    this.giveBack(tracked);
  }

  private startWaiting(tracked: Tracked, i: number): void {
    tracked.waiting = true;
    this.waitingUnits[i] = this.waitingUnits[i]! - tracked.delta;
  }

  /** The order's commit was seen (its units left `sotQty` with it) or it has its outcome: no longer waiting. */
  private stopWaiting(tracked: Tracked): void {
    if (tracked.waiting !== true) return;
    tracked.waiting = false;
    const i = this.skuIndex.get(tracked.sku);
    if (i !== undefined) this.waitingUnits[i] = this.waitingUnits[i]! + tracked.delta;
  }

  /** The channel model decremented its listing for an order that is not a sale of its own: the units go back. */
  private giveBack(tracked: Tracked): void {
    if (!tracked.sold) return;
    tracked.sold = false;
    const i = this.skuIndex.get(tracked.sku);
    if (i === undefined) return;
    this.channels[tracked.channel]!.sell(i, tracked.delta); // delta < 0: gives the units back
    this.restale(tracked.channel, i);
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
    if (this.mutations.size >= this.opts.maxTrackedMutations) {
      throw new ServiceLimitError(`audit ledger full: ${this.opts.maxTrackedMutations} mutations tracked (POST /reset, or restart with a larger --max-mutations)`);
    }
    this.mutations.set(mutationId, tracked);
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
    this.decide(tracked, outcome.status === 'applied' ? undefined : outcome.reason);
  }

  /** The mutation's outcome, once: applied (no reason) or rejected for `reason`. */
  private decide(tracked: Tracked, reason: RejectionReason | undefined): void {
    if (tracked.status !== PENDING) return;
    this.stopWaiting(tracked);
    const order = tracked.kind === ORDER;
    const channelId = order ? this.channels[tracked.channel]!.id : ADMIN_SOURCE;
    if (reason === undefined) {
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
    this.rejectedByReason[reason] = (this.rejectedByReason[reason] ?? 0) + 1;
    // The channel took it on a listing that showed the units: a sale that must be cancelled.
    if (reason === 'insufficient_stock' && tracked.shown >= -tracked.delta) {
      this.counts.oversells++;
      this.oversellsByChannel[tracked.channel]!++;
      this.opts.events.oversell(channelId);
    }
  }

  /** Called after every successful commit the engine makes. */
  private onCommitted(request: CommitRequest, level: StockLevel): void {
    if (request.effect !== 'apply') return;
    const i = this.indexOf(request.sku);
    const tracked = this.mutations.get(request.mutationId);
    if (tracked !== undefined) this.stopWaiting(tracked);
    this.countCommit(tracked, request.mutationId);
    this.invariants.checkStockLevel(request.sku, level.quantity);
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
    if (this.shared) this.levelKnown[i] = 1;
    for (let c = 0; c < this.channels.length; c++) this.restale(c, i);
  }

  /** An applied commit of this instance's, in the audit's counts (`commits`, applied twice). */
  private countCommit(tracked: Tracked | undefined, key: string): void {
    if (tracked !== undefined) this.invariants.checkApplyCount(key, tracked.sku, ++tracked.applyCount);
    this.counts.commitsApplied++;
    if (tracked !== undefined) this.counts.commitsUnitsDelta += tracked.delta;
  }

  private onParked(letter: DeadLetter): void {
    this.counts.parked++;
    this.opts.events.parked(letter.channel);
    void this.rawStore.listDeadLetters().then(
      (letters) => this.invariants.checkParked(letter.id, letters.some((l) => l.id === letter.id)),
      (error: unknown) => this.storeTrouble('dead-letter check', error),
    );
  }

  /** Nothing in flight: no mutation, no outbox read that may still find a commit, no delivery. */
  private isSettled(): boolean {
    return this.intake.inFlight === 0 && !this.pumpScheduled && !this.dispatcher.pumpInProgress && this.dispatcher.backlog === 0;
  }

  /** End-to-end: every SKU's level is its base plus the applied deltas, its version base + count. */
  private async checkLevels(): Promise<void> {
    for (let i = 0; i < this.skuNames.length; i++) {
      if (Number.isNaN(this.baseQty[i]!)) continue;
      const sku = this.skuNames[i]!;
      const level = await this.store.read(sku);
      if (!this.isSettled()) return; // traffic resumed: judge on a later audit
      const key = `${level.quantity}@${level.version}`;
      if (this.flaggedLevels.get(sku) === key) continue; // reported at this level already
      const expected = { quantity: this.baseQty[i]! + this.appliedDelta[i]!, version: this.baseVer[i]! + this.appliedCount[i]! };
      if (!this.invariants.checkLevelSum(sku, level, expected)) this.flaggedLevels.set(sku, key);
    }
  }

  /** Re-evaluates whether listing (c, i) differs from the source of truth. */
  private restale(c: number, i: number): void {
    const slot = c * this.opts.maxSkus + i;
    const fresh = this.channels[c]!.quantity[i]! === this.sotQty[i]!;
    const stale = !Number.isNaN(this.staleSince[slot]!);
    if (fresh && stale) {
      const r = this.integrateStale(this.staleSince[slot]!, this.time.nowMs());
      this.freshnessLossMs += r.loss;
      this.freshnessInvisibleMs += r.invisible;
      this.freshnessBelowMinMs += r.belowMin;
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
  return forwardStore(inner, {
    commit: async (request, nowMs) => {
      const result = await inner.commit(request, nowMs);
      if (result.ok) onCommitted(request, result.level);
      return result;
    },
  });
}

const NOT_PROCESSED: Promise<boolean> = Promise.resolve(false);
const ACKED: Promise<void> = Promise.resolve();
/** Shared store: outbox acknowledgements within this window go out as one. */
const ACK_BATCH_MS = 50;

interface SharedStoreHooks {
  committed(request: CommitRequest, level: StockLevel): void;
  /** A level the store holds (read, or carried by a claimed outbox entry). */
  observed(sku: string, level: StockLevel): void;
  trouble(what: string, error: unknown): void;
  sleep(ms: number): Promise<void>;
  schedule(ms: number, fn: () => void): void;
  /** The engine's clock (epoch ms). */
  nowMs(): number;
}

/**
 * A network store as the engine may use it inside the service: a failed call on the request
 * path becomes StoreFailureError (503; a RangeError stays a programmer error), an outbox
 * acknowledgement that fails is reported and dropped (the entry stays claimed and is delivered
 * again after the claim's idle time: harmless, versions are compared), and parking a dead
 * letter is retried rather than lost. Levels read and outbox entries claimed are observed.
 */
function guardSharedStore(inner: InventoryStore, hooks: SharedStoreHooks): InventoryStore & { flushAcks(): Promise<void> } {
  const failure = (what: string) => (error: unknown): never => {
    if (error instanceof RangeError) throw error;
    throw new StoreFailureError(`the store failed (${what}): ${errorMessage(error)}`, { cause: error });
  };
  let ackedUpTo = 0;
  let ackPending = false;
  const sendAck = (): Promise<void> => {
    if (!ackPending) return ACKED;
    ackPending = false;
    return inner.ackOutbox(ackedUpTo).catch((error: unknown) => hooks.trouble('outbox acknowledgement', error));
  };
  const recordOf = inner.recordOf;
  const guarded = forwardStore(inner, {
    read: (sku) =>
      inner.read(sku).then((level) => {
        hooks.observed(sku, level);
        return level;
      }, failure('read')),
    // The processor's early duplicate check costs a round trip on every new mutation; the commit
    // checks the idempotency record itself, atomically and first (a duplicate wins over a
    // version conflict in every store), so the answer is the same without it: a new mutation
    // takes two round trips instead of three, a duplicate two instead of one.
    hasProcessed: () => NOT_PROCESSED,
    ...(recordOf === undefined ? {} : { recordOf: (id: string, nowMs: number) => recordOf.call(inner, id, nowMs).catch(failure('idempotency record')) }),
    commit: (request, nowMs) =>
      inner.commit(request, nowMs).then((result) => {
        if (result.ok) hooks.committed(request, result.level);
        return result;
      }, failure('commit')),
    readOutbox: async (afterSeq, limit) => {
      const events = await inner.readOutbox(afterSeq, limit);
      const now = hooks.nowMs();
      // Another process's clock may run a little ahead of this one's: a commit time in the
      // future would make a negative propagation latency, which the observer refuses.
      return events.map((e) => {
        hooks.observed(e.sku, { quantity: e.quantity, version: e.version });
        return e.committedAtMs > now ? { ...e, committedAtMs: now } : e;
      });
    },
    // Acknowledgements cover every entry up to a seq: those of a few ms go out as one call.
    ackOutbox: (seq) => {
      if (seq > ackedUpTo) ackedUpTo = seq;
      if (!ackPending) {
        ackPending = true;
        hooks.schedule(ACK_BATCH_MS, () => void sendAck());
      }
      return ACKED;
    },
    parkDeadLetter: async (letter) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await inner.parkDeadLetter(letter);
          return;
        } catch (error) {
          hooks.trouble(`parking dead letter ${letter.id}, attempt ${attempt} of ${PARK_ATTEMPTS}`, error);
          // Given up: the update is neither delivered nor parked, which the DLQ check reports.
          if (attempt >= PARK_ATTEMPTS) return;
          await hooks.sleep(1_000);
        }
      }
    },
    listDeadLetters: () => inner.listDeadLetters().catch(failure('dead-letter list')),
    removeDeadLetter: (id) => inner.removeDeadLetter(id).catch(failure('dead-letter removal')),
    skus: () => inner.skus().catch(failure('SKU list')),
  });
  return Object.assign(guarded, { flushAcks: sendAck });
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
