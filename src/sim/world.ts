/**
 * One simulated run: the real engine (processor workers, dispatcher, reconciler, latency
 * observer, in-memory store) against simulated channels and customers, in virtual time.
 *
 * The run has two phases. During `durationS`, customers buy, faults fire and every number is
 * measured. Then the heal phase turns faults off, restarts what is down, redrives the DLQ and
 * waits, up to `healBoundS`, for every listing to match the source of truth (liveness).
 * Invariants are checked where they can break: on every commit, every listing change, every
 * DLQ park, and once more at the end for outcomes.
 */
import { PropagationDispatcher } from '../engine/dispatcher.js';
import { evaluateListingFreshness, integrateFreshness } from '../engine/freshness.js';
import { LatencyObserver } from '../engine/latency-observer.js';
import { computeRevenueLeakage } from '../engine/leakage.js';
import { listedQuantity, type ListingPolicy } from '../engine/listing-policy.js';
import { InMemoryInventoryStore } from '../engine/memory-store.js';
import type { InventoryMutation, MutationOutcome } from '../engine/mutation.js';
import { InventoryMutationProcessor } from '../engine/processor.js';
import type { Alert, AlertSink, ChannelUpdate, CommitRequest, DeadLetter, InventoryStore, StockLevel } from '../engine/ports.js';
import { Reconciler } from '../engine/reconciler.js';
import { effectivePreset, engineConfig, scenarioChannelFaults } from '../scenarios/compile.js';
import { runMoney } from '../scenarios/economics.js';
import type { Scenario, StrategySpec } from '../scenarios/schema.js';
import { closestMatch } from '../scenarios/suggest.js';
import { SimChannel, type ChannelHost, type ChannelStats } from '../model/channel.js';
import { sampleLatencyMs } from '../model/latency.js';
import { nodeKernelHost } from '../adapters/kernel-host.js';
import { Kernel } from './kernel.js';
import { BroadcastBeforePersistProcessor, forwardStore, PessimisticLocks, withSilentDlq, withoutIdempotency, withoutLocking } from './pitfalls.js';
import { ORDER_STATUS, OrderBook } from './orders.js';
import { RandomStreams, ZipfSampler, type Rng } from '../model/random.js';
import { LATENCY_CDF_QUANTILES, MAX_VIOLATIONS_LISTED, percentilesOrNull, type InvariantName, type OversellExplanation, type SimulationResult, type Violation } from '../model/result.js';
import { TRACE, TraceRecorder } from './trace.js';

export interface SimulateOptions {
  readonly strategy: string;
  readonly seed: number;
  /** Receives the canonical trace as it is produced (for `--trace FILE`). */
  readonly traceSink?: (chunk: string) => void;
  /** Kernel limits; the defaults scale with the scenario. */
  readonly maxEvents?: number;
  /** Give the host event loop a turn every N kernel events (default 200 000). */
  readonly yieldEveryEvents?: number;
}

export class UnknownStrategyError extends Error {
  override readonly name = 'UnknownStrategyError';
}

const DAY_MS = 86_400_000;
const YIELD_EVERY_EVENTS = 200_000;
const HOUR_MS = 3_600_000;
const SERIES_BUCKETS = 100;
const OVERSELL_EXAMPLES = 5;
const REDELIVERY_AFTER_CONFLICT_MS = 1_000;
const HEAL_CHECK_MS = 1_000;
const HEAL_REDRIVE_MS = 60_000;
const INVARIANTS: readonly InvariantName[] = [
  'negative-stock',
  'mutation-applied-twice',
  'lost-update',
  'mutation-without-outcome',
  'update-lost-without-dlq',
  'version-regression',
  'update-ahead-of-source',
];
const OUTCOMES = ['applied', 'duplicate', 'rejected'] as const;

interface ProcessorGeneration {
  alive: boolean;
  readonly inflight: Set<number>;
  readonly handle: (m: InventoryMutation) => Promise<MutationOutcome>;
  readonly stats: { versionConflicts: number };
}

export async function simulate(scenario: Scenario, options: SimulateOptions): Promise<SimulationResult> {
  const strategy = scenario.strategies[options.strategy];
  if (strategy === undefined) {
    const names = Object.keys(scenario.strategies);
    const guess = closestMatch(options.strategy, names);
    const hint = guess === undefined ? '' : `; did you mean ${guess}?`;
    throw new UnknownStrategyError(`scenario ${scenario.name} has no strategy ${options.strategy}${hint} (it has: ${names.join(', ')})`);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new RangeError(`seed must be an integer >= 0, got ${options.seed}`);
  const world = new World(scenario, options.strategy, strategy, options);
  return world.run();
}

class World implements ChannelHost {
  private readonly kernel: Kernel;
  private readonly streams: RandomStreams;
  private readonly trace: TraceRecorder;
  private readonly cfg: ReturnType<typeof engineConfig>;
  private readonly durationMs: number;
  private readonly nSku: number;
  private readonly skuNames: string[];
  private readonly channels: SimChannel[] = [];
  private readonly partition: boolean;
  private readonly policy: ListingPolicy;
  private readonly dispatchPolicy: ListingPolicy;
  private readonly identityPolicy: boolean;
  private readonly pitfall: StrategySpec['pitfall'];
  // Source-of-truth keys: a SKU, or with partitioned stock one pool per (channel, SKU).
  private readonly keyNames: string[] = [];
  private readonly keyIndex = new Map<string, number>();
  private readonly keySku: Int32Array;
  private readonly keyChannel: Int32Array; // -1 when the key is shared by every channel
  private readonly sotQty: Int32Array;
  private readonly sotVer: Float64Array;
  private readonly expectedQty: Float64Array;
  private readonly lastCommitAtMs: Float64Array;
  private readonly store: InMemoryInventoryStore;
  private readonly observer: LatencyObserver;
  private readonly staleObserver: LatencyObserver;
  /**
   * Propagation latency to the listing actually changing (a feed applies minutes after it
   * accepted), per commit: from the commit of version v to the first time a channel lists v or a
   * newer one. `commitTimes[k][v - 2]` is when key k's version v was committed (versions are
   * consecutive; 1 is the seeded stock).
   */
  private readonly listingObserver: LatencyObserver;
  private readonly commitTimes: number[][];
  private readonly alerts: Alert[] = [];
  private readonly alertSink: AlertSink;
  // Per listing (channel × SKU), flattened c * nSku + i.
  private readonly staleSince: Float64Array;
  private staleCount = 0;
  private confidenceLossMs = 0;
  private invisibleMs = 0;
  private belowMinMs = 0;
  // Orders.
  private readonly orders = new OrderBook();
  private arrivals = 0;
  /** Orders placed that have no terminal outcome yet. */
  private pendingOrders = 0;
  private readonly restockKey: number[] = [];
  private readonly restockDelta: number[] = [];
  private readonly restockApplied: number[] = [];
  private readonly lostSalesByChannel: number[];
  private readonly placedByChannel: number[];
  private lostSales = 0;
  private oversold = 0;
  private fulfilled = 0;
  private duplicatesIgnored = 0;
  private conflictRejected = 0;
  private readonly oversellExamples: OversellExplanation[] = [];
  private readonly violations: Violation[] = [];
  private violationCount = 0;
  // Intake broker and processor workers.
  private readonly queue: number[] = [];
  private queueHead = 0;
  private readonly waiters: ((message: number) => void)[] = [];
  private generation: ProcessorGeneration | undefined;
  private processorRestarts = 0;
  /** Commits made by the no-idempotency pitfall, each under an id of its own. */
  private unkeyedCommits = 0;
  private readonly pollBacklog: number[][];
  // Dispatch.
  private dispatcher!: PropagationDispatcher;
  private dispatcherDown = false;
  private dispatcherRestarts = 0;
  private batchPumpScheduled = false;
  private dlqDepth = 0;
  private dlqMaxDepth = 0;
  private parkedTotal = 0;
  private versionConflictsRetired = 0;
  // Phase.
  private faultsOn = true;
  private demandOn = true;
  private readonly seriesFreshness: number[] = [];
  private readonly seriesDlq: number[] = [];
  private readonly zipf: ZipfSampler;
  private readonly demandRng: { arrivals: Rng; sku: Rng; channel: Rng; qty: Rng; burst: Rng };
  private readonly channelWeights: number[];
  private readonly channelWeightTotal: number;
  private readonly profile: number[];

  constructor(
    private readonly scenario: Scenario,
    private readonly strategyName: string,
    private readonly strategy: StrategySpec,
    private readonly options: SimulateOptions,
  ) {
    this.cfg = engineConfig(scenario);
    this.durationMs = scenario.durationS * 1000;
    this.kernel = new Kernel({
      maxEvents: options.maxEvents ?? 2_000_000_000,
      maxTimeMs: this.durationMs + scenario.healBoundS * 1000 + DAY_MS,
      // A host event-loop turn now and then (tens of ms of work apart), so a long run does not
      // starve the process's timers and I/O (progress lines, signals, a test runner's heartbeat).
      // It cannot change the result: the kernel yields only when every continuation has settled.
      yieldEveryEvents: options.yieldEveryEvents ?? YIELD_EVERY_EVENTS,
      // Node's event loop; counting foreign nextTick callbacks keeps the drain guarantee for
      // any code that queues them (src/adapters/kernel-host.ts).
      host: nodeKernelHost({ countForeignTicks: true }),
    });
    this.streams = new RandomStreams(options.seed);
    this.trace = new TraceRecorder(options.traceSink);
    this.pitfall = strategy.pitfall;
    this.partition = strategy.partitionStock;
    this.policy = frozenPolicy(strategy.listingPolicy, true);
    // With partitioned stock the allocation made the pools; listings show a pool whole.
    this.dispatchPolicy = this.partition ? frozenPolicy(strategy.listingPolicy, false) : this.policy;
    this.identityPolicy = Object.keys(this.dispatchPolicy).length === 0;
    const cat = scenario.catalog;
    this.nSku = cat.skus;
    this.skuNames = Array.from({ length: cat.skus }, (_, i) => `${cat.skuPrefix}${String(i + 1).padStart(String(cat.skus).length, '0')}`);
    const nCh = scenario.channels.length;
    this.zipf = new ZipfSampler(cat.skus, cat.zipfExponent);
    this.demandRng = {
      arrivals: this.streams.stream('demand.arrivals'),
      sku: this.streams.stream('demand.sku'),
      channel: this.streams.stream('demand.channel'),
      qty: this.streams.stream('demand.units'),
      burst: this.streams.stream('demand.bursts'),
    };
    this.channelWeights = scenario.channels.map((c) => c.demandWeight);
    this.channelWeightTotal = this.channelWeights.reduce((a, b) => a + b, 0);
    const raw = scenario.demand.dailyProfile ?? new Array<number>(24).fill(1);
    const mean = raw.reduce((a, b) => a + b, 0) / 24;
    this.profile = raw.map((v) => (mean > 0 ? v / mean : 0));
    this.lostSalesByChannel = new Array<number>(nCh).fill(0);
    this.placedByChannel = new Array<number>(nCh).fill(0);
    this.pollBacklog = scenario.channels.map(() => []);

    const nKeys = this.partition ? nCh * this.nSku : this.nSku;
    this.keySku = new Int32Array(nKeys);
    this.keyChannel = new Int32Array(nKeys).fill(-1);
    for (let k = 0; k < nKeys; k++) {
      const i = k % this.nSku;
      const c = this.partition ? Math.floor(k / this.nSku) : -1;
      const name = c < 0 ? this.skuNames[i]! : `${this.skuNames[i]!}@${scenario.channels[c]!.id}`;
      this.keyNames.push(name);
      this.keyIndex.set(name, k);
      this.keySku[k] = i;
      this.keyChannel[k] = c;
    }
    this.sotQty = new Int32Array(nKeys);
    this.sotVer = new Float64Array(nKeys);
    this.expectedQty = new Float64Array(nKeys);
    this.lastCommitAtMs = new Float64Array(nKeys);
    this.staleSince = new Float64Array(nCh * this.nSku).fill(Number.NaN);

    this.alertSink = { raise: (alert) => void this.alerts.push(alert) };
    this.observer = new LatencyObserver({ alertThresholdMs: this.cfg.alertThresholdMs, clock: this.kernel.clock });
    this.staleObserver = new LatencyObserver({ alertThresholdMs: Number.MAX_SAFE_INTEGER, highestTrackableMs: this.durationMs + scenario.healBoundS * 1000 + DAY_MS });
    this.listingObserver = new LatencyObserver({ alertThresholdMs: Number.MAX_SAFE_INTEGER, highestTrackableMs: this.durationMs + scenario.healBoundS * 1000 + DAY_MS });
    this.commitTimes = Array.from({ length: nKeys }, () => []);
    this.store = new InMemoryInventoryStore({
      operationLatencyMs: scenario.engine.storeLatencyMs,
      timers: this.kernel.timers,
      onCommitted: (request, level, nowMs) => this.onCommitted(request, level, nowMs),
    });
    this.buildChannels();
    this.seedStock();
  }

  // ---- set-up ---------------------------------------------------------------------------

  private buildChannels(): void {
    const sc = this.scenario;
    const f = sc.faults;
    sc.channels.forEach((spec, index) => {
      const preset = effectivePreset(spec.preset, spec.overrides as Record<string, unknown> | undefined);
      const faults = scenarioChannelFaults(f, spec.id, () => this.faultsOn);
      const maxConcurrency = spec.overrides?.maxConcurrency ?? sc.engine.dispatcherConcurrency;
      this.channels.push(
        new SimChannel(this.kernel, this.streams.stream(`channel:${spec.id}`), this, faults, {
          id: spec.id,
          index,
          preset,
          skus: this.nSku,
          maxConcurrency,
        }),
      );
    });
  }

  /** Initial stock: drawn per SKU from its own stream, the same for every strategy. */
  private seedStock(): void {
    const cat = this.scenario.catalog;
    const rng = this.streams.stream('catalog.stock');
    for (let i = 0; i < this.nSku; i++) {
      const stock = rng.int(cat.initialStockMin, cat.initialStockMax + 1);
      const shares = this.poolShares(stock);
      for (let c = 0; c < (this.partition ? this.channels.length : 1); c++) {
        const k = this.keyOf(c, i);
        const held = this.partition ? shares[c]! : stock;
        this.store.seed(this.keyNames[k]!, held, 1);
        this.sotQty[k] = held;
        this.sotVer[k] = 1;
        this.expectedQty[k] = held;
      }
      for (let c = 0; c < this.channels.length; c++) this.channels[c]!.seedListing(i, this.targetListing(c, i), 1);
    }
  }

  /** Splits units across channel pools by allocation percent; the remainder to the largest share. */
  private poolShares(units: number): number[] {
    const alloc = this.policy.allocation ?? {};
    const pct = this.channels.map((ch) => {
      const a = alloc[ch.id];
      return a !== undefined && 'percent' in a ? a.percent : 100 / this.channels.length;
    });
    const shares = pct.map((p) => Math.floor((units * p) / 100));
    let largest = 0;
    pct.forEach((p, c) => {
      if (p > pct[largest]!) largest = c;
    });
    const totalPct = pct.reduce((a, b) => a + b, 0);
    if (totalPct >= 99.999) shares[largest] = shares[largest]! + units - shares.reduce((a, b) => a + b, 0);
    return shares;
  }

  private keyOf(c: number, i: number): number {
    return this.partition ? c * this.nSku + i : i;
  }

  /** What channel c should list for SKU i given the source of truth now. */
  private targetListing(c: number, i: number): number {
    const level = this.sotQty[this.keyOf(c, i)]!;
    return this.identityPolicy ? level : listedQuantity(level, this.channels[c]!.id, this.dispatchPolicy);
  }

  private sotAvailable(i: number): number {
    if (!this.partition) return this.sotQty[i]!;
    let total = 0;
    for (let c = 0; c < this.channels.length; c++) total += this.sotQty[c * this.nSku + i]!;
    return total;
  }

  skuIndexOf(key: string): number {
    const k = this.keyIndex.get(key);
    if (k === undefined) throw new Error(`channel received an update for unknown listing key ${key}`);
    return this.keySku[k]!;
  }

  // ---- invariants -----------------------------------------------------------------------

  private violate(invariant: InvariantName, detail: string): void {
    this.violationCount++;
    if (this.violations.length < MAX_VIOLATIONS_LISTED) this.violations.push({ invariant, atMs: this.kernel.nowMs(), detail });
    this.trace.record(TRACE.violation, INVARIANTS.indexOf(invariant), 0, 0, 0, 0, this.kernel.nowMs());
  }

  /** Called inside every successful store commit, synchronously. */
  private onCommitted(request: CommitRequest, level: StockLevel, nowMs: number): void {
    const id = request.mutationId;
    const hash = id.indexOf('#');
    // The ledger of what the store holds under an order's own id (pitfalls that rename ids hold
    // nothing under it): the outcome a later `duplicate` answer stands for.
    if (id.charCodeAt(0) === 111 /* o */ && hash < 0) this.orders.noteCommitted(Number(id.slice(1)), request.effect === 'apply' ? 'applied' : 'rejected');
    if (request.effect !== 'apply') return;
    const k = this.keyIndex.get(request.sku)!;
    const n = Number(id.slice(1, hash < 0 ? undefined : hash));
    let delta: number;
    if (id.charCodeAt(0) === 111 /* o */) {
      delta = -this.orders.unitsOf(n);
      const applied = this.orders.applied(n);
      if (applied > 1) this.violate('mutation-applied-twice', `order o${n} applied ${applied} times on ${request.sku}`);
    } else {
      delta = this.restockDelta[n]!;
      if (++this.restockApplied[n]! > 1) this.violate('mutation-applied-twice', `restock r${n} applied twice on ${request.sku}`);
    }
    this.expectedQty[k] = this.expectedQty[k]! + delta;
    if (level.quantity < 0) this.violate('negative-stock', `${request.sku} at ${level.quantity}`);
    if (level.quantity !== this.expectedQty[k]) {
      this.violate('lost-update', `${request.sku} holds ${level.quantity} but applied mutations sum to ${this.expectedQty[k]}`);
      this.expectedQty[k] = level.quantity;
    }
    this.sotQty[k] = level.quantity;
    this.sotVer[k] = level.version;
    this.lastCommitAtMs[k] = nowMs;
    this.commitTimes[k]![level.version - 2] = nowMs;
    this.trace.record(TRACE.commit, k, level.quantity, level.version, id.charCodeAt(0), n, nowMs);
    const i = this.keySku[k]!;
    const only = this.keyChannel[k]!;
    if (only >= 0) this.restale(only, i);
    else for (let c = 0; c < this.channels.length; c++) this.restale(c, i);
  }

  onApplied(channel: SimChannel, i: number, key: string, update: ChannelUpdate, previousVersion: number): void {
    const k = this.keyIndex.get(key)!;
    if (update.version < previousVersion) {
      this.violate('version-regression', `${channel.id} ${key}: version ${update.version} replaced ${previousVersion}`);
    }
    if (update.version > this.sotVer[k]!) {
      this.violate('update-ahead-of-source', `${channel.id} ${key}: version ${update.version} listed while the source of truth is at ${this.sotVer[k]}`);
    }
    const now = this.kernel.nowMs();
    this.trace.record(TRACE.apply, channel.index, k, update.quantity, update.version, 0, now);
    const times = this.commitTimes[k]!;
    for (let v = Math.max(previousVersion + 1, 2); v <= update.version; v++) {
      const at = times[v - 2];
      if (at !== undefined) this.listingObserver.recordPropagation(channel.id, now - at);
    }
    this.restale(channel.index, i);
  }

  // ---- freshness ------------------------------------------------------------------------

  /** Re-evaluates whether listing (c, i) differs from what it should show; integrates freshness. */
  private restale(c: number, i: number): void {
    const slot = c * this.nSku + i;
    const shown = this.channels[c]!.quantity[i]!;
    const fresh = shown === this.targetListing(c, i);
    const since = this.staleSince[slot]!;
    const now = this.kernel.nowMs();
    if (fresh && !Number.isNaN(since)) {
      this.closeStale(since, now);
      this.staleSince[slot] = Number.NaN;
      this.staleCount--;
    } else if (!fresh && Number.isNaN(since)) {
      this.staleSince[slot] = now;
      this.staleCount++;
    }
  }

  private closeStale(sinceMs: number, nowMs: number): void {
    this.staleObserver.recordPropagation('stale', nowMs - sinceMs);
    this.integrateStale(sinceMs, sinceMs, Math.min(nowMs, this.durationMs));
  }

  private integrateStale(staleSinceMs: number, fromMs: number, toMs: number): void {
    if (toMs <= fromMs) return;
    const r = integrateFreshness({
      fromMs,
      toMs,
      lastUpdateMs: staleSinceMs,
      maxStalenessMs: this.cfg.maxStalenessMs,
      minConfidence: this.cfg.minConfidence,
    });
    this.confidenceLossMs += toMs - fromMs - r.confidenceIntegralMs;
    this.invisibleMs += r.invisibleMs;
    this.belowMinMs += r.belowMinMs;
  }

  private sampleSeries(): void {
    const now = this.kernel.nowMs();
    let loss = 0;
    for (let slot = 0; slot < this.staleSince.length; slot++) {
      const since = this.staleSince[slot]!;
      if (!Number.isNaN(since)) loss += 1 - evaluateListingFreshness(since, now, { maxStalenessMs: this.cfg.maxStalenessMs });
    }
    this.seriesFreshness.push(round6(1 - loss / this.staleSince.length));
    this.seriesDlq.push(this.dlqDepth);
    // Orders older than the idempotency window can no longer be redelivered meaningfully.
    this.orders.release(now - Math.max(this.cfg.idempotencyTtlMs, 6 * HOUR_MS));
  }

  // ---- demand ---------------------------------------------------------------------------

  private ratePerMs(atMs: number): number {
    const hour = Math.floor(atMs / HOUR_MS) % 24;
    return (this.scenario.demand.ordersPerDay / DAY_MS) * this.profile[hour]!;
  }

  /** Poisson arrivals with a piecewise-constant hourly rate: exact by redrawing at each hour. */
  private scheduleNextArrival(fromMs: number): void {
    const rate = this.ratePerMs(fromMs);
    const hourEnd = (Math.floor(fromMs / HOUR_MS) + 1) * HOUR_MS;
    const gap = rate > 0 ? this.demandRng.arrivals.exponential(rate) : Number.POSITIVE_INFINITY;
    const at = fromMs + gap;
    if (at >= this.durationMs && hourEnd >= this.durationMs) return;
    if (at >= hourEnd) {
      this.kernel.scheduleAt(hourEnd, () => this.scheduleNextArrival(hourEnd));
      return;
    }
    this.kernel.scheduleAt(at, () => {
      const i = this.zipf.sample(this.demandRng.sku);
      const c = this.pickChannel();
      const units = this.demandRng.qty.int(1, this.scenario.demand.unitsPerOrderMax + 1);
      this.customerArrives(c, i, units);
      this.scheduleNextArrival(at);
    });
  }

  private pickChannel(): number {
    let u = this.demandRng.channel.next() * this.channelWeightTotal;
    for (let c = 0; c < this.channelWeights.length; c++) {
      u -= this.channelWeights[c]!;
      if (u < 0) return c;
    }
    return this.channelWeights.length - 1;
  }

  private scheduleBursts(): void {
    const rng = this.demandRng.burst;
    for (const burst of this.scenario.demand.bursts) {
      const channelIdx = (burst.channels ?? this.scenario.channels.map((c) => c.id)).map((id) => this.channelIndex(id));
      // A burst's orders fall on its channels in proportion to their demand weights, as all demand does.
      const weights = channelIdx.map((c) => this.channelWeights[c]!);
      const total = weights.reduce((t, w) => t + w, 0);
      const hot = Math.min(burst.hotSkus, this.nSku);
      for (let j = 0; j < burst.orders; j++) {
        const at = burst.atS * 1000 + rng.next() * burst.spreadMs;
        const i = rng.int(0, hot);
        const c = channelIdx[pickWeighted(weights, total, rng.next())]!;
        this.kernel.scheduleAt(at, () => this.customerArrives(c, i, 1));
      }
    }
    const surge = this.scenario.demand.surge;
    if (surge !== undefined) {
      const rate = surge.ordersPerHour / HOUR_MS;
      const end = Math.min(this.durationMs, (surge.startS + surge.durationS) * 1000);
      const next = (from: number): void => {
        const at = from + rng.exponential(rate);
        if (at >= end) return;
        this.kernel.scheduleAt(at, () => {
          const i = rng.int(0, Math.min(surge.hotSkus, this.nSku));
          this.customerArrives(this.pickChannel(), i, 1);
          next(at);
        });
      };
      if (rate > 0) next(surge.startS * 1000);
    }
  }

  private channelIndex(id: string): number {
    const c = this.channels.findIndex((ch) => ch.id === id);
    if (c < 0) throw new RangeError(`unknown channel ${id}`);
    return c;
  }

  /** A customer looks at channel c's listing of SKU i and buys if it shows enough. */
  private customerArrives(c: number, i: number, units: number): void {
    if (!this.demandOn) return;
    this.arrivals++;
    const channel = this.channels[c]!;
    const shown = channel.quantity[i]!;
    const now = this.kernel.nowMs();
    if (shown < units) {
      if (this.sotAvailable(i) >= units) {
        this.lostSales++;
        this.lostSalesByChannel[c]!++;
        this.trace.record(TRACE.lostSale, c, i, units, 0, 0, now);
      }
      return;
    }
    channel.sell(i, units);
    const k = this.keyOf(c, i);
    const n = this.orders.add({ sku: i, channel: c, units, placedAtMs: now, shown, sourceQuantity: this.sotQty[k]!, sourceChangedAtMs: this.lastCommitAtMs[k]! });
    this.placedByChannel[c]!++;
    this.pendingOrders++;
    this.trace.record(TRACE.order, n, c, i, units, shown, now);
    this.restale(c, i);
    this.notifyOrder(c, n);
  }

  /** The order reaches the engine by webhook (delayed, maybe duplicated) or by the next poll. */
  private notifyOrder(c: number, n: number): void {
    const channel = this.channels[c]!;
    const note = channel.preset.orderNotification;
    if (note.mode === 'polling') {
      this.pollBacklog[c]!.push(n);
      return;
    }
    const rng = this.streams.stream(`webhooks:${channel.id}`);
    const f = this.scenario.faults;
    const reorderMs = note.reorderWindowMs + (this.faultsOn ? f.webhookReorderWindowMs : 0);
    const delay = (): number => sampleLatencyMs(note.delay, rng) + rng.next() * reorderMs;
    this.kernel.schedule(delay(), () => this.deliver(n));
    const dupRate = note.duplicateRate + (this.faultsOn ? f.webhookDuplicateRate : 0);
    if (rng.next() < dupRate) {
      const retryMs = Math.max(1_000, note.retryWindowS * 1000 * rng.next() * 0.01);
      this.kernel.schedule(delay() + retryMs, () => this.deliver(n));
    }
  }

  private startOrderPolling(): void {
    this.channels.forEach((channel, c) => {
      const note = channel.preset.orderNotification;
      if (note.mode !== 'polling') return;
      const intervalMs = note.intervalS * 1000;
      const phase = this.streams.stream(`orderpoll:${channel.id}`).next() * intervalMs;
      const tick = (): void => {
        const backlog = this.pollBacklog[c]!;
        const down = this.faultsOn && this.scenarioOutage(channel.id, this.kernel.nowMs());
        channel.stats.reads++;
        if (!down && backlog.length > 0) {
          for (const n of backlog) this.deliver(n);
          backlog.length = 0;
        }
        this.kernel.schedule(intervalMs, tick);
      };
      this.kernel.schedule(phase, tick);
    });
  }

  private scenarioOutage(channelId: string, now: number): boolean {
    return this.scenario.faults.outages.some((o) => o.channel === channelId && now >= o.startS * 1000 && now < (o.startS + o.durationS) * 1000);
  }

  private scheduleRestocks(): void {
    const restock = this.scenario.catalog.restock;
    if (restock === undefined) return;
    const everyMs = restock.everyS * 1000;
    const tick = (): void => {
      if (!this.demandOn) return;
      for (let i = 0; i < this.nSku; i++) {
        const total = this.sotAvailable(i);
        if (total >= restock.upToUnits) continue;
        const shares = this.poolShares(restock.upToUnits - total);
        for (let c = 0; c < (this.partition ? this.channels.length : 1); c++) {
          const delta = this.partition ? shares[c]! : restock.upToUnits - total;
          if (delta <= 0) continue;
          const m = this.restockDelta.length;
          this.restockDelta.push(delta);
          this.restockKey.push(this.keyOf(c, i));
          this.restockApplied.push(0);
          this.enqueue(-(m + 1));
        }
      }
      this.kernel.schedule(everyMs, tick);
    };
    this.kernel.schedule(everyMs, tick);
  }

  // ---- intake broker and processor workers ------------------------------------------------

  private deliver(n: number): void {
    this.trace.record(TRACE.delivery, n, 0, 0, 0, 0, this.kernel.nowMs());
    this.enqueue(n);
  }

  /** Orders are n >= 0, restocks -(m + 1). A durable queue: nothing is lost while workers are down. */
  private enqueue(message: number): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(message);
    else this.queue.push(message);
  }

  private take(): Promise<number> {
    if (this.queueHead < this.queue.length) {
      const message = this.queue[this.queueHead++]!;
      if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      return Promise.resolve(message);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private get queueLength(): number {
    return this.queue.length - this.queueHead;
  }

  private mutationOf(message: number): InventoryMutation {
    if (message >= 0) {
      const c = this.orders.channelOf(message);
      const id = `o${message}`;
      return {
        mutationId: id,
        sku: this.keyNames[this.keyOf(c, this.orders.skuOf(message))]!,
        quantityDelta: -this.orders.unitsOf(message),
        sourceChannel: this.channels[c]!.id,
        orderId: id,
      };
    }
    const m = -message - 1;
    return {
      mutationId: `r${m}`,
      sku: this.keyNames[this.restockKey[m]!]!,
      quantityDelta: this.restockDelta[m]!,
      sourceChannel: 'warehouse',
      orderId: `restock-${m}`,
    };
  }

  private startProcessors(): void {
    const sc = this.scenario;
    const gen: ProcessorGeneration = { alive: true, inflight: new Set(), handle: () => Promise.reject(new Error('unset')), stats: { versionConflicts: 0 } };
    // A crashed process makes no further calls: its store handle stops answering.
    const frozen = new Promise<never>(() => undefined);
    const base = this.store;
    const live = forwardStore(base, {
      read: (sku) => (gen.alive ? base.read(sku) : frozen),
      hasProcessed: (id, now) => (gen.alive ? base.hasProcessed(id, now) : frozen),
      commit: (req, now) => (gen.alive ? base.commit(req, now) : frozen),
    });
    let store: InventoryStore = live;
    if (this.pitfall === 'no-idempotency') store = withoutIdempotency(live, () => ++this.unkeyedCommits);
    if (this.pitfall === 'no-locking') store = withoutLocking(live, (sku) => this.sotVer[this.keyIndex.get(sku)!]!);
    const jitter = this.streams.stream(`engine.jitter.gen${this.processorRestarts}`);
    const onCommitted = (): void => this.onEngineCommit();
    const handles: ((m: InventoryMutation) => Promise<MutationOutcome>)[] = [];
    const processors: InventoryMutationProcessor[] = [];
    const locks = this.pitfall === 'pessimistic-locking' ? new PessimisticLocks(this.kernel, 2 * sc.engine.storeLatencyMs) : undefined;
    for (let w = 0; w < sc.engine.processorWorkers; w++) {
      if (this.pitfall === 'broadcast-before-persist') {
        const p = new BroadcastBeforePersistProcessor(store, () => this.dispatcher, this.channels.map((c) => c.id), this.kernel);
        handles.push(async (m) => {
          const outcome = await p.handle(m);
          if (outcome.status === 'applied') onCommitted();
          return outcome;
        });
        continue;
      }
      const processor = new InventoryMutationProcessor({
        store,
        clock: this.kernel.clock,
        timers: this.kernel.timers,
        random: jitter,
        alerts: this.alertSink,
        idempotencyTtlMs: this.cfg.idempotencyTtlMs,
        onCommitted,
      });
      processors.push(processor);
      handles.push(locks === undefined ? (m) => processor.handle(m) : (m) => locks.around(m.sku, () => processor.handle(m)));
    }
    Object.defineProperty(gen.stats, 'versionConflicts', { get: () => processors.reduce((a, p) => a + p.stats.versionConflicts, 0) });
    this.generation = gen;
    handles.forEach((handle) => void this.worker(gen, handle));
  }

  private async worker(gen: ProcessorGeneration, handle: (m: InventoryMutation) => Promise<MutationOutcome>): Promise<void> {
    while (gen.alive) {
      const message = await this.take();
      if (!gen.alive) {
        this.queue.splice(this.queueHead, 0, message);
        return;
      }
      gen.inflight.add(message);
      let outcome: MutationOutcome | undefined;
      try {
        outcome = await handle(this.mutationOf(message));
      } catch {
        outcome = undefined; // the broker redelivers a message whose handler failed
      }
      if (!gen.alive) return;
      gen.inflight.delete(message);
      this.recordOutcome(message, outcome);
    }
  }

  private recordOutcome(message: number, outcome: MutationOutcome | undefined): void {
    const now = this.kernel.nowMs();
    if (outcome === undefined || (outcome.status === 'rejected' && outcome.reason === 'conflict_retries_exhausted')) {
      if (outcome !== undefined) this.conflictRejected++;
      this.kernel.schedule(REDELIVERY_AFTER_CONFLICT_MS, () => this.enqueue(message));
      return;
    }
    if (message < 0) return;
    this.trace.record(TRACE.outcome, message, OUTCOMES.indexOf(outcome.status), 0, 0, 0, now);
    if (outcome.status === 'duplicate') this.duplicatesIgnored++;
    // A crash while a commit is in flight loses its answer, not the commit: the redelivery is
    // then answered `duplicate`, and the store's record under the order's id is the outcome.
    // A `duplicate` with no record there settles nothing; the order stays pending and the
    // end-of-run check reports it.
    const settled = outcome.status === 'duplicate' ? this.orders.committedAs(message) : outcome.status;
    if (settled === undefined || this.orders.statusOf(message) !== ORDER_STATUS.pending) return;
    this.pendingOrders--;
    if (settled === 'applied') {
      this.orders.setStatus(message, ORDER_STATUS.fulfilled);
      this.fulfilled++;
      return;
    }
    this.orders.setStatus(message, ORDER_STATUS.oversold);
    this.oversold++;
    if (this.oversellExamples.length < OVERSELL_EXAMPLES) this.explainOversell(message);
  }

  private explainOversell(n: number): void {
    const c = this.orders.channelOf(n);
    const i = this.orders.skuOf(n);
    const placedAt = this.orders.placedAtOf(n);
    const changedAt = this.orders.sourceChangedAtOf(n);
    const updatedAt = this.channels[c]!.updatedAtMs[i]!;
    this.oversellExamples.push({
      orderId: `o${n}`,
      channel: this.channels[c]!.id,
      sku: this.skuNames[i]!,
      placedAtMs: round3(placedAt),
      listedQuantity: this.orders.shownOf(n),
      sourceQuantityAtPlacement: this.orders.sourceQuantityOf(n),
      sourceChangedAtMs: changedAt > 0 ? round3(changedAt) : null,
      channelUpdatedAtMs: updatedAt > changedAt ? round3(updatedAt) : null,
    });
  }

  private crashProcessors(downMs: number): void {
    const gen = this.generation;
    if (gen === undefined || !gen.alive) return;
    gen.alive = false;
    this.versionConflictsRetired += gen.stats.versionConflicts;
    this.trace.record(TRACE.crash, 0, 0, 0, 0, 0, this.kernel.nowMs());
    this.kernel.schedule(downMs, () => this.restartProcessors(gen));
  }

  private restartProcessors(crashed: ProcessorGeneration): void {
    if (this.generation !== crashed || crashed.alive) return;
    // Messages the dead workers held were never acknowledged: the broker delivers them again.
    for (const message of crashed.inflight) this.enqueue(message);
    crashed.inflight.clear();
    this.processorRestarts++;
    this.startProcessors();
  }

  // ---- dispatch strategies --------------------------------------------------------------

  private startDispatcher(): void {
    const base = this.pitfall === 'silent-dlq-drop' ? withSilentDlq(this.store) : this.store;
    this.dispatcher = new PropagationDispatcher({
      store: base,
      channels: this.channels,
      clock: this.kernel.clock,
      timers: this.kernel.timers,
      random: this.streams.stream(`dispatcher.jitter.gen${this.dispatcherRestarts}`),
      alerts: this.alertSink,
      retryPolicy: this.cfg.retryPolicy,
      observer: this.observer,
      listingPolicy: this.dispatchPolicy,
      ...(this.partition ? { channelsFor: (key: string) => this.channelsForKey(key), skipEchoToSource: true } : {}),
      onParked: (letter) => this.onParked(letter),
    });
    this.dispatcherDown = false;
    void this.dispatcher.pump();
  }

  private channelsForKey(key: string): readonly string[] | undefined {
    const c = this.keyChannel[this.keyIndex.get(key)!]!;
    return c < 0 ? undefined : [this.channels[c]!.id];
  }

  /** The dispatcher says it parked an update: it must be in the store's DLQ now. */
  private onParked(letter: DeadLetter): void {
    this.parkedTotal++;
    if (!this.store.hasDeadLetter(letter.id)) this.violate('update-lost-without-dlq', `parked update ${letter.id} is not in the dead-letter queue`);
    this.dlqDepth = this.store.deadLetterCount;
    this.dlqMaxDepth = Math.max(this.dlqMaxDepth, this.dlqDepth);
    this.trace.record(TRACE.park, this.channelIndex(letter.channel), this.keyIndex.get(letter.sku) ?? -1, letter.version, letter.quantity, 0, this.kernel.nowMs());
  }

  private crashDispatcher(downMs: number): void {
    if (this.dispatcherDown) return;
    this.dispatcher.stop();
    this.dispatcherDown = true;
    this.trace.record(TRACE.crash, 1, 0, 0, 0, 0, this.kernel.nowMs());
    this.kernel.schedule(downMs, () => this.restartDispatcher());
  }

  private restartDispatcher(): void {
    if (!this.dispatcherDown) return;
    this.dispatcherRestarts++;
    this.startDispatcher();
  }

  /** A commit happened: what the strategy does about it. */
  private onEngineCommit(): void {
    if (this.dispatcherDown) return;
    const s = this.strategy;
    if (s.kind === 'event-driven' || s.kind === 'hybrid') {
      void this.dispatcher.pump();
    } else if (s.kind === 'event-batched' && !this.batchPumpScheduled) {
      this.batchPumpScheduled = true;
      this.kernel.schedule(s.windowMs, () => {
        this.batchPumpScheduled = false;
        if (!this.dispatcherDown) void this.dispatcher.pump();
      });
    }
  }

  private startPeriodicJobs(): void {
    const s = this.strategy;
    const redriveS = this.scenario.engine.redriveDlqEveryS;
    if (redriveS !== undefined) {
      const tick = (): void => {
        void this.redriveDlq();
        this.kernel.schedule(redriveS * 1000, tick);
      };
      this.kernel.schedule(redriveS * 1000, tick);
    }
    // A sync job runs at some phase of its interval, not in step with the scenario's clock: in
    // step, a restock period that is a multiple of the interval would always land on a sync
    // (which then reads the levels mid-restock), and the result would hang on that alignment.
    // The phase is drawn per seed, in (0, interval], from a stream of its own.
    const phase = this.streams.stream('strategy.phase');
    if (s.kind === 'polling') {
      const everyMs = s.intervalS * 1000;
      const tick = (): void => {
        void this.fullSync();
        this.kernel.schedule(everyMs, tick);
      };
      this.kernel.schedule(everyMs * (1 - phase.next()), tick);
    }
    if (s.kind === 'hybrid') {
      const everyMs = s.reconcileIntervalS * 1000;
      const tick = (): void => {
        void (this.pitfall === 'overwriting-reconciliation' ? this.overwritingReconcile() : this.reconcile());
        this.kernel.schedule(everyMs, tick);
      };
      this.kernel.schedule(everyMs * (1 - phase.next()), tick);
    }
  }

  /** Polling: drain the changes since the last poll, then push every listing again (a full sync). */
  private async fullSync(): Promise<void> {
    if (this.dispatcherDown) return;
    const dispatcher = this.dispatcher;
    await dispatcher.pump();
    const levels = await Promise.all(this.keyNames.map((key) => this.store.read(key)));
    if (dispatcher !== this.dispatcher || this.dispatcherDown) return;
    levels.forEach((level, k) => {
      const key = this.keyNames[k]!;
      const only = this.keyChannel[k]!;
      for (let c = 0; c < this.channels.length; c++) {
        if (only >= 0 && only !== c) continue;
        const id = this.channels[c]!.id;
        const quantity = listedQuantity(level.quantity, id, this.dispatchPolicy);
        dispatcher.submit(id, { sku: key, quantity, version: level.version }, Number.NaN, { resend: true });
      }
    });
  }

  private async reconcile(): Promise<void> {
    if (this.dispatcherDown) return;
    const reconciler = new Reconciler({
      store: this.store,
      channels: this.channels,
      dispatcher: this.dispatcher,
      clock: this.kernel.clock,
      alerts: this.alertSink,
      listingPolicy: this.dispatchPolicy,
      ...(this.partition ? { channelsFor: (key: string) => this.channelsForKey(key) } : {}),
    });
    try {
      await reconciler.reconcile(this.keyNames);
    } catch {
      // A channel that cannot be read now is audited on the next pass.
    }
  }

  /** The pitfall: read every level, then write each one back to every channel, newer or not. */
  private async overwritingReconcile(): Promise<void> {
    const levels = await Promise.all(this.keyNames.map((key) => this.store.read(key)));
    await this.kernel.sleep(2_000); // a slow audit: the levels it read age while it works
    await Promise.all(
      levels.map(async (level, k) => {
        const key = this.keyNames[k]!;
        for (const channel of this.channels) {
          if (this.keyChannel[k]! >= 0 && this.keyChannel[k] !== channel.index) continue;
          await channel.pushListing({ sku: key, quantity: listedQuantity(level.quantity, channel.id, this.dispatchPolicy), version: level.version });
        }
      }),
    );
  }

  // ---- faults ---------------------------------------------------------------------------

  private scheduleCrashes(): void {
    for (const crash of this.scenario.faults.processorCrashes) {
      this.kernel.scheduleAt(crash.atS * 1000, () => {
        if (this.faultsOn) this.crashProcessors(crash.downS * 1000);
      });
    }
    for (const crash of this.scenario.faults.dispatcherCrashes) {
      this.kernel.scheduleAt(crash.atS * 1000, () => {
        if (this.faultsOn) this.crashDispatcher(crash.downS * 1000);
      });
    }
  }

  // ---- the run --------------------------------------------------------------------------

  async run(): Promise<SimulationResult> {
    const bucketMs = this.durationMs / SERIES_BUCKETS;
    for (let b = 1; b <= SERIES_BUCKETS; b++) this.kernel.scheduleAt(b * bucketMs, () => this.sampleSeries());
    this.startProcessors();
    this.startDispatcher();
    this.startOrderPolling();
    this.startPeriodicJobs();
    this.scheduleRestocks();
    this.scheduleBursts();
    this.scheduleCrashes();
    this.scheduleNextArrival(0);
    await this.kernel.run({ untilMs: this.durationMs });
    // Close the measured period: freshness is integrated over [0, duration] only.
    for (let slot = 0; slot < this.staleSince.length; slot++) {
      const since = this.staleSince[slot]!;
      if (!Number.isNaN(since)) this.integrateStale(since, since, this.durationMs);
    }
    const frozenFreshness = { loss: this.confidenceLossMs, invisible: this.invisibleMs, belowMin: this.belowMinMs };
    // The API budget is the measured run's: the heal phase's redrives and reconciliation are not.
    const measuredApi = this.channels.map((ch) => ({ ...ch.stats }));
    const convergenceMs = await this.heal();
    this.checkOutcomes();
    return this.result(frozenFreshness, measuredApi, convergenceMs, bucketMs);
  }

  private async redriveDlq(): Promise<void> {
    if (this.dispatcherDown) return;
    await this.dispatcher.redrive();
    this.dlqDepth = this.store.deadLetterCount;
  }

  /** Faults off, everything restarted, DLQ redriven; returns ms to convergence, or null. */
  private async heal(): Promise<number | null> {
    this.faultsOn = false;
    this.demandOn = false;
    const healStart = this.kernel.nowMs();
    this.trace.record(TRACE.heal, 0, 0, 0, 0, 0, healStart);
    if (this.generation !== undefined && !this.generation.alive) this.restartProcessors(this.generation);
    if (this.dispatcherDown) this.restartDispatcher();
    const boundMs = healStart + this.scenario.healBoundS * 1000;
    let nextRedrive = healStart;
    while (this.kernel.nowMs() < boundMs) {
      if (this.kernel.nowMs() >= nextRedrive) {
        void this.redriveDlq();
        nextRedrive += HEAL_REDRIVE_MS;
      }
      await this.kernel.run({ untilMs: Math.min(boundMs, this.kernel.nowMs() + HEAL_CHECK_MS) });
      if (this.isConverged()) return this.kernel.nowMs() - healStart;
    }
    if (process.env['INVSIM_DEBUG_HEAL'] !== undefined) this.debugHeal();
    return null;
  }

  private debugHeal(): void {
    const stale: string[] = [];
    for (let slot = 0; slot < this.staleSince.length && stale.length < 10; slot++) {
      if (Number.isNaN(this.staleSince[slot]!)) continue;
      const c = Math.floor(slot / this.nSku);
      const i = slot % this.nSku;
      const k = this.keyOf(c, i);
      stale.push(`${this.channels[c]!.id}/${this.keyNames[k]} shows ${this.channels[c]!.quantity[i]} v${this.channels[c]!.version[i]} want ${this.targetListing(c, i)} v${this.sotVer[k]}`);
    }
    process.stderr.write(`heal: pending ${this.pendingOrders} queue ${this.queueLength} stale ${this.staleCount} dlq ${this.dlqDepth}\n${stale.join('\n')}\n`);
  }

  private isConverged(): boolean {
    const busy = this.pendingOrders > 0 || this.queueLength > 0 || (this.generation?.inflight.size ?? 0) > 0;
    return !busy && this.staleCount === 0 && this.dlqDepth === 0;
  }

  /** Every order a channel accepted must end applied or rejected. */
  private checkOutcomes(): void {
    for (const n of this.orders.pending()) this.violate('mutation-without-outcome', `order o${n} never reached an outcome`);
  }

  private result(
    fresh: { loss: number; invisible: number; belowMin: number },
    measuredApi: readonly ChannelStats[],
    convergenceMs: number | null,
    bucketMs: number,
  ): SimulationResult {
    const sc = this.scenario;
    const days = sc.durationS / 86_400;
    const listings = this.channels.length * this.nSku;
    const exposureMs = listings * this.durationMs;
    const merged = this.observer.merged();
    const stale = this.staleObserver.snapshot('stale');
    const econ = sc.economics;
    const money = runMoney({ oversells: this.oversold, lostSales: this.lostSales, scenario: sc });
    const seedInputs = econ.seedModel ?? {
      dailyOrderVolume: Math.max(1, sc.demand.ordersPerDay),
      syncWindowSeconds: this.strategy.kind === 'polling' ? this.strategy.intervalS : Math.max(1, merged.p99 / 1000),
      oversellProbability: 0.02,
    };
    const seedModel = computeRevenueLeakage({
      dailyOrderVolume: seedInputs.dailyOrderVolume,
      syncWindowSeconds: seedInputs.syncWindowSeconds,
      averageOrderValue: Math.max(econ.averageOrderValue, Number.MIN_VALUE),
      oversellProbability: seedInputs.oversellProbability,
      customerLifetimeValue: Math.max(econ.customerLifetimeValue, Number.MIN_VALUE),
      churnMultiplier: Math.max(econ.churnMultiplier, Number.MIN_VALUE),
    });
    const api = measuredApi.reduce((a, st) => ({ calls: a.calls + st.calls, throttled: a.throttled + st.throttled, failed: a.failed + st.failed }), { calls: 0, throttled: 0, failed: 0 });
    const versionConflicts = this.versionConflictsRetired + (this.generation?.stats.versionConflicts ?? 0);
    const result: SimulationResult = {
      scenario: sc.name,
      strategy: this.strategyName,
      seed: this.options.seed,
      traceHash: '',
      simulatedSeconds: round3(this.kernel.nowMs() / 1000),
      orders: {
        arrivals: this.arrivals,
        placed: this.orders.size,
        fulfilled: this.fulfilled,
        oversold: this.oversold,
        lostSales: this.lostSales,
        duplicatesIgnored: this.duplicatesIgnored,
        conflictRejected: this.conflictRejected,
      },
      oversells: this.oversold,
      lostSales: this.lostSales,
      integrityViolations: this.violationCount,
      violations: this.violations,
      latencyMs: percentilesOrNull(merged),
      listingLatencyMs: percentilesOrNull(this.listingObserver.merged()),
      staleWindowMs: { p50: percentilesOrNull(stale).p50, p99: percentilesOrNull(stale).p99 },
      freshness: {
        meanConfidence: round6(1 - fresh.loss / exposureMs),
        invisibleFraction: round6(fresh.invisible / exposureMs),
        belowMinConfidenceFraction: round6(fresh.belowMin / exposureMs),
      },
      leakage: { ...money, seedModel },
      api,
      dlq: { maxDepth: this.dlqMaxDepth, parked: this.parkedTotal },
      converged: convergenceMs !== null,
      convergenceMs: convergenceMs === null ? null : round3(convergenceMs),
      engine: { versionConflicts, processorRestarts: this.processorRestarts, dispatcherRestarts: this.dispatcherRestarts, alerts: this.alerts.length },
      channels: this.channels.map((ch, c) => {
        const snap = this.observer.snapshot(ch.id);
        const dailyQuota = ch.preset.rateLimits.find((r) => r.kind === 'quota' && r.scope !== 'listing');
        return {
          id: ch.id,
          preset: ch.preset.id,
          latencyMs: { count: snap.count, ...percentilesOrNull(snap) },
          listingLatencyMs: ((l) => ({ count: l.count, ...percentilesOrNull(l) }))(this.listingObserver.snapshot(ch.id)),
          latencyCdf: snap.count === 0 ? { q: [], ms: [] } : { q: [...LATENCY_CDF_QUANTILES], ms: this.observer.quantiles(ch.id, LATENCY_CDF_QUANTILES).map(round3) },
          api: { ...measuredApi[c]! },
          orders: { placed: this.placedByChannel[c]!, lostSales: this.lostSalesByChannel[c]! },
          quota: {
            limitPerDay: dailyQuota !== undefined && dailyQuota.kind === 'quota' ? round3((dailyQuota.limit * 86_400) / dailyQuota.periodS) : null,
            usedPerDay: round3(measuredApi[c]!.calls / days),
          },
        };
      }),
      oversellExamples: this.oversellExamples,
      series: { bucketMs: round3(bucketMs), freshness: this.seriesFreshness, dlqDepth: this.seriesDlq },
      kernel: { events: this.kernel.eventsProcessed },
    };
    result.traceHash = this.trace.digest(JSON.stringify({ ...result, kernel: undefined }));
    return result;
  }
}

function frozenPolicy(input: StrategySpec['listingPolicy'], withAllocation: boolean): ListingPolicy {
  const policy: { -readonly [K in keyof ListingPolicy]: ListingPolicy[K] } = {};
  if (input.bufferUnits !== undefined) policy.bufferUnits = input.bufferUnits;
  if (input.outOfStockThreshold !== undefined) policy.outOfStockThreshold = input.outOfStockThreshold;
  if (input.maxListed !== undefined) policy.maxListed = input.maxListed;
  if (withAllocation && input.allocation !== undefined) policy.allocation = Object.freeze({ ...input.allocation });
  return Object.freeze(policy);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The index whose cumulative weight first exceeds u × total (u in [0, 1)). */
function pickWeighted(weights: readonly number[], total: number, u: number): number {
  let left = u * total;
  for (let k = 0; k < weights.length; k++) {
    left -= weights[k]!;
    if (left < 0) return k;
  }
  return weights.length - 1;
}
