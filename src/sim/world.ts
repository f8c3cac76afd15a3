/**
 * One simulated run: the real engine (processor workers, dispatcher, reconciler, latency
 * observer, in-memory store) against simulated channels and customers, in virtual time.
 *
 * The World only wires the parts and runs the two phases. During `durationS`, customers buy,
 * faults fire and every number is measured. Then the heal phase turns faults off, restarts
 * what is down, redrives the DLQ and waits, up to `healBoundS`, for every listing to match the
 * source of truth (liveness). The parts, each a file of its own, own their state and hear from
 * each other only through the narrow callbacks wired here:
 *
 *   keys.ts           the key space (SKUs, per-channel pools)
 *   stock.ts          initial stock, pool shares, restocks
 *   demand.ts         customers' arrivals, bursts, surge
 *   sales.ts          a customer at a listing, an order's outcome
 *   notifications.ts  webhooks and order polls
 *   workers.ts        the intake queue, processor workers, their crashes
 *   dispatch.ts       the dispatcher's life, DLQ, full syncs, reconciliation
 *   strategies.ts     when to push, what to list, periodic work (the registry)
 *   pitfalls.ts       the Pitfall Guide's mistakes, rebuilt to measure them
 *   ledger.ts         the source of truth's mirror and the invariant checks
 *   freshness.ts      listing freshness over the measured period
 *   result.ts         the result document
 */
import { InvariantError } from '../engine/invariant.js';
import { LatencyObserver } from '../engine/latency-observer.js';
import { listedQuantity, type ListingPolicy } from '../engine/listing-policy.js';
import { DenseIdempotencyIndex } from '../engine/idempotency-index.js';
import { InMemoryInventoryStore } from '../engine/memory-store.js';
import type { InventoryMutation } from '../engine/mutation.js';
import type { Alert, AlertSink, ChannelUpdate } from '../engine/ports.js';
import { SimChannel, type ChannelHost } from '../model/channel.js';
import { RandomStreams } from '../model/random.js';
import type { SimulationResult } from '../model/result.js';
import { effectivePreset, engineConfig, scenarioChannelFaults } from '../scenarios/compile.js';
import type { Scenario, StrategySpec } from '../scenarios/schema.js';
import { closestMatch } from '../scenarios/suggest.js';
import { nodeKernelHost } from '../adapters/kernel-host.js';
import { Demand } from './demand.js';
import { Dispatch } from './dispatch.js';
import { ListingFreshness } from './freshness.js';
import { KeySpace } from './keys.js';
import { Kernel } from './kernel.js';
import { RunLedger } from './ledger.js';
import { Notifications } from './notifications.js';
import { OrderBook } from './orders.js';
import { pitfallBehaviour, type PitfallBehaviour } from './pitfalls.js';
import { loadStrategyDefinition, pluginOptionIssues, StrategyPluginError } from './plugin.js';
import { buildResult } from './result.js';
import { Sales } from './sales.js';
import { drawInitialStock, poolShares, Restocks } from './stock.js';
import type { RestockJob } from '../model/restock-job.js';
import { listingPolicies, type StrategyDefinition, type StrategyPorts, type StrategyRun } from './strategies.js';
import { TRACE, TraceRecorder } from './trace.js';
import { Workers } from './workers.js';

export interface SimulateOptions {
  readonly strategy: string;
  readonly seed: number;
  /** Receives the canonical trace as it is produced (for `--trace FILE`). */
  readonly traceSink?: (chunk: string) => void;
  /** Kernel limits; the defaults scale with the scenario. */
  readonly maxEvents?: number;
  /** Give the host event loop a turn every N kernel events (default 200 000). */
  readonly yieldEveryEvents?: number;
  /**
   * Draw the catalogue (every SKU's initial stock) from this seed's `catalog.stock` stream instead
   * of `seed`'s: the prediction of a live run, whose catalogue is its load's draw, holds it fixed.
   */
  readonly catalogSeed?: number;
  /** Restocks as a job that takes time (a live run's restock), instead of at their moment. */
  readonly restockJob?: RestockJob;
}

export class UnknownStrategyError extends Error {
  override readonly name = 'UnknownStrategyError';
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const YIELD_EVERY_EVENTS = 200_000;
const SERIES_BUCKETS = 100;
const HEAL_CHECK_MS = 1_000;
const HEAL_REDRIVE_MS = 60_000;
const STALE_LISTED_ON_HEAL_FAILURE = 10;

export async function simulate(scenario: Scenario, options: SimulateOptions): Promise<SimulationResult> {
  const strategy = scenario.strategies[options.strategy];
  if (strategy === undefined) {
    const names = Object.keys(scenario.strategies);
    const guess = closestMatch(options.strategy, names);
    const hint = guess === undefined ? '' : `; did you mean ${guess}?`;
    throw new UnknownStrategyError(`scenario ${scenario.name} has no strategy ${options.strategy}${hint} (it has: ${names.join(', ')})`);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new RangeError(`seed must be an integer >= 0, got ${options.seed}`);
  if (options.catalogSeed !== undefined && (!Number.isSafeInteger(options.catalogSeed) || options.catalogSeed < 0)) {
    throw new RangeError(`catalogSeed must be an integer >= 0, got ${options.catalogSeed}`);
  }
  const definition = await loadStrategyDefinition(strategy);
  const problems = pluginOptionIssues(strategy);
  if (strategy.kind === 'plugin' && problems.length > 0) throw new StrategyPluginError(strategy.module, `options of strategy ${options.strategy}: ${problems.join('; ')}`);
  return new World(scenario, options.strategy, strategy, definition, options).run();
}

class World implements ChannelHost {
  private readonly kernel: Kernel;
  private readonly streams: RandomStreams;
  private readonly trace: TraceRecorder;
  private readonly cfg: ReturnType<typeof engineConfig>;
  private readonly durationMs: number;
  private readonly keys: KeySpace;
  private readonly channels: SimChannel[] = [];
  private readonly policy: ListingPolicy;
  private readonly dispatchPolicy: ListingPolicy;
  private readonly identityPolicy: boolean;
  private readonly pitfall: PitfallBehaviour;
  private readonly store: InMemoryInventoryStore;
  private readonly observer: LatencyObserver;
  private readonly listingObserver: LatencyObserver;
  private readonly alerts: Alert[] = [];
  private readonly alertSink: AlertSink;
  private readonly orders = new OrderBook();
  private readonly ledger: RunLedger;
  private readonly freshness: ListingFreshness;
  private readonly restocks: Restocks;
  private readonly demand: Demand;
  private readonly sales: Sales;
  private readonly notifications: Notifications;
  private readonly workers: Workers;
  private readonly dispatch: Dispatch;
  private strategyRun: StrategyRun = {};
  private readonly seriesDlq: number[] = [];
  private faultsOn = true;
  private demandOn = true;
  /** Commits made by the no-idempotency pitfall, each under an id of its own. */
  private unkeyedCommits = 0;
  /** The first failure of background work (see `background`). */
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly strategyName: string,
    private readonly strategy: StrategySpec,
    private readonly definition: StrategyDefinition<StrategySpec>,
    private readonly options: SimulateOptions,
  ) {
    this.cfg = engineConfig(scenario);
    this.durationMs = scenario.durationS * 1000;
    const horizonMs = this.durationMs + scenario.healBoundS * 1000 + DAY_MS;
    const kernel = new Kernel({
      maxEvents: options.maxEvents ?? 2_000_000_000,
      maxTimeMs: horizonMs,
      // A host event-loop turn now and then (tens of ms of work apart), so a long run does not
      // starve the process's timers and I/O (progress lines, signals, a test runner's heartbeat).
      // It cannot change the result: the kernel yields only when every continuation has settled.
      yieldEveryEvents: options.yieldEveryEvents ?? YIELD_EVERY_EVENTS,
      // Node's event loop; counting foreign nextTick callbacks keeps the drain guarantee for
      // any code that queues them (src/adapters/kernel-host.ts).
      host: nodeKernelHost({ countForeignTicks: true, watchPromises: true }),
    });
    this.kernel = kernel;
    const now = (): number => kernel.nowMs();
    const schedule = (delayMs: number, fn: () => void): void => void kernel.schedule(delayMs, fn);
    this.streams = new RandomStreams(options.seed);
    this.trace = new TraceRecorder(options.traceSink);
    ({ policy: this.policy, dispatchPolicy: this.dispatchPolicy, identity: this.identityPolicy } = listingPolicies(strategy));
    const cat = scenario.catalog;
    const channelIds = scenario.channels.map((c) => c.id);
    const keys = new KeySpace({ skuPrefix: cat.skuPrefix, skus: cat.skus, channelIds, partition: strategy.partitionStock });
    this.keys = keys;

    this.alertSink = { raise: (alert) => void this.alerts.push(alert) };
    this.observer = new LatencyObserver({ alertThresholdMs: this.cfg.alertThresholdMs, clock: kernel.clock });
    this.listingObserver = new LatencyObserver({ alertThresholdMs: Number.MAX_SAFE_INTEGER, highestTrackableMs: horizonMs });
    this.freshness = new ListingFreshness(
      { nChannels: channelIds.length, nSku: keys.nSku, durationMs: this.durationMs, horizonMs, maxStalenessMs: this.cfg.maxStalenessMs, minConfidence: this.cfg.minConfidence },
      { nowMs: now, shown: (c, i) => this.channels[c]!.quantity[i]!, target: (c, i) => this.targetListing(c, i) },
    );
    this.ledger = new RunLedger({
      nowMs: now,
      keys,
      orders: this.orders,
      restocks: () => this.restocks,
      trace: this.trace,
      listingObserver: this.listingObserver,
      onSourceChanged: (k) => this.sourceChanged(k),
    });
    this.store = new InMemoryInventoryStore({
      operationLatencyMs: scenario.engine.storeLatencyMs,
      timers: kernel.timers,
      onCommitted: (request, level, nowMs) => this.ledger.onCommitted(request, level, nowMs),
      // Orders are `o<n>` and restocks `r<m>` (mutationOf): their records fit in typed arrays.
      idempotencyIndex: new DenseIdempotencyIndex({ prefixes: ['o', 'r'] }),
    });
    this.buildChannels();
    const shares = (units: number): number[] => poolShares(units, channelIds, this.policy);
    this.restocks = new Restocks(cat.restock, keys, {
      schedule,
      available: (i) => this.ledger.available(i),
      shares,
      demandOn: () => this.demandOn,
      enqueue: (message) => this.workers.enqueue(message),
    }, options.restockJob);
    drawInitialStock({
      catalog: cat,
      keys,
      rng: (options.catalogSeed === undefined ? this.streams : new RandomStreams(options.catalogSeed)).stream('catalog.stock'),
      shares,
      hold: (k, units) => {
        this.store.seed(keys.keyNames[k]!, units, 1);
        this.ledger.seed(k, units);
      },
      afterSku: (i) => {
        for (let c = 0; c < this.channels.length; c++) this.channels[c]!.seedListing(i, this.targetListing(c, i), 1);
      },
    });

    this.notifications = new Notifications(this.channels, scenario.faults, this.streams, {
      nowMs: now,
      schedule,
      faultsOn: () => this.faultsOn,
      deliver: (n) => {
        this.trace.record(TRACE.delivery, n, 0, 0, 0, 0, kernel.nowMs());
        this.orders.delivered(n, kernel.nowMs());
        this.workers.enqueue(n);
      },
    });
    this.sales = new Sales(this.channels, keys, this.orders, this.ledger, this.trace, {
      nowMs: now,
      demandOn: () => this.demandOn,
      restale: (c, i) => this.freshness.restale(c, i),
      notify: (c, n) => this.notifications.notify(c, n),
    });
    this.demand = new Demand(scenario, this.streams, {
      scheduleAt: (timeMs, fn) => void kernel.scheduleAt(timeMs, fn),
      arrive: (c, i, units) => this.sales.arrive(c, i, units),
    });
    this.pitfall = pitfallBehaviour(strategy.pitfall, {
      kernel,
      storeLatencyMs: scenario.engine.storeLatencyMs,
      idempotencyTtlMs: this.cfg.idempotencyTtlMs,
      store: this.store,
      keys,
      channels: this.channels,
      dispatchPolicy: this.dispatchPolicy,
      dispatcher: () => this.dispatch.dispatcher,
      nextUnkeyedAttempt: () => ++this.unkeyedCommits,
      sourceVersion: (key) => this.ledger.version[keys.indexOf(key)]!,
    });
    this.workers = new Workers(this.store, { count: scenario.engine.processorWorkers, idempotencyTtlMs: this.cfg.idempotencyTtlMs }, this.pitfall, {
      clock: kernel.clock,
      timers: kernel.timers,
      schedule,
      trace: this.trace,
      alerts: this.alertSink,
      jitter: (generation) => this.streams.stream(`engine.jitter.gen${generation}`),
      mutationOf: (message) => this.mutationOf(message),
      onCommitted: () => this.onEngineCommit(),
      onOutcome: (message, outcome) => {
        if (message >= 0) this.sales.settle(message, outcome);
        else this.restocks.answered(-message - 1, kernel.nowMs());
      },
      background: (work) => this.background(work),
    });
    this.dispatch = new Dispatch(this.store, this.pitfall.dispatcherStore?.(this.store) ?? this.store, this.channels, keys, this.ledger, { retryPolicy: this.cfg.retryPolicy, policy: this.dispatchPolicy }, {
      clock: kernel.clock,
      timers: kernel.timers,
      schedule,
      alerts: this.alertSink,
      observer: this.observer,
      trace: this.trace,
      jitter: (generation) => this.streams.stream(`dispatcher.jitter.gen${generation}`),
      background: (work) => this.background(work),
    });
  }

  // ---- wiring ---------------------------------------------------------------------------

  private buildChannels(): void {
    const sc = this.scenario;
    sc.channels.forEach((spec, index) => {
      const preset = effectivePreset(spec.preset, spec.overrides as Record<string, unknown> | undefined);
      const faults = scenarioChannelFaults(sc.faults, spec.id, () => this.faultsOn);
      const maxConcurrency = spec.overrides?.maxConcurrency ?? sc.engine.dispatcherConcurrency;
      this.channels.push(new SimChannel(this.kernel, this.streams.stream(`channel:${spec.id}`), this, faults, { id: spec.id, index, preset, skus: this.keys.nSku, maxConcurrency }));
    });
  }

  /** What channel c should list for SKU i given the source of truth now. */
  private targetListing(c: number, i: number): number {
    const level = this.ledger.quantity[this.keys.keyOf(c, i)]!;
    return this.identityPolicy ? level : listedQuantity(level, this.channels[c]!.id, this.dispatchPolicy);
  }

  /** Key k's level changed: every listing that shows it is re-evaluated. */
  private sourceChanged(k: number): void {
    const i = this.keys.keySku[k]!;
    const only = this.keys.keyChannel[k]!;
    if (only >= 0) this.freshness.restale(only, i);
    else for (let c = 0; c < this.channels.length; c++) this.freshness.restale(c, i);
  }

  skuIndexOf(key: string): number {
    const k = this.keys.find(key);
    if (k === undefined) throw new Error(`channel received an update for unknown listing key ${key}`);
    return this.keys.keySku[k]!;
  }

  onApplied(channel: SimChannel, i: number, key: string, update: ChannelUpdate, previousVersion: number): void {
    // A channel lists only its own keys: SKU i's (or, with partitioned stock, its pool of SKU i).
    const k = this.keys.keyOf(channel.index, i);
    if (this.keys.keyNames[k] !== key) throw new InvariantError(`channel ${channel.id} applied ${key}, which is not its listing of SKU ${i}`);
    this.ledger.onListingChanged(channel, key, k, update, previousVersion, this.kernel.nowMs());
    this.freshness.restale(channel.index, i);
  }

  /** Orders are messages n >= 0, restocks -(m + 1). */
  private mutationOf(message: number): InventoryMutation {
    if (message >= 0) {
      const c = this.orders.channelOf(message);
      const id = `o${message}`;
      return { mutationId: id, sku: this.keys.keyNames[this.keys.keyOf(c, this.orders.skuOf(message))]!, quantityDelta: -this.orders.unitsOf(message), sourceChannel: this.channels[c]!.id, orderId: id };
    }
    const m = -message - 1;
    return { mutationId: `r${m}`, sku: this.keys.keyNames[this.restocks.keyOf(m)]!, quantityDelta: this.restocks.deltaOf(m), sourceChannel: 'warehouse', orderId: `restock-${m}` };
  }

  /**
   * Work no caller awaits (a pump, a redrive, a sync, a worker's loop). The engine handles its
   * own failures, so a rejection here is a bug: the run fails with it at the next event, never
   * an unhandled rejection, never silence. Resolves either way (for strategies' ports).
   */
  private background(work: Promise<unknown>): Promise<void> {
    return work.then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
        this.kernel.schedule(0, () => {
          throw error;
        });
      },
    );
  }

  /** A commit happened: what the strategy does about it. */
  private onEngineCommit(): void {
    if (this.dispatch.down) return;
    try {
      this.strategyRun.onCommit?.();
    } catch (error) {
      // The processor would take a throw here for a failed handler and redeliver; a strategy
      // that throws is broken, so the run fails, at the next event, with its error.
      this.kernel.schedule(0, () => {
        throw error;
      });
    }
  }

  private strategyPorts(): StrategyPorts {
    const kernel = this.kernel;
    const phase = this.streams.stream('strategy.phase');
    return {
      nowMs: () => kernel.nowMs(),
      schedule: (delayMs, fn) => void kernel.schedule(delayMs, fn),
      random: (name) => this.streams.stream(`strategy:${this.strategyName}:${name}`),
      phase: () => phase.next(),
      pump: () => this.dispatch.pump(),
      fullSync: () => this.background((this.pitfall.fullSync ?? (() => this.dispatch.fullSync()))()),
      reconcile: () => this.background((this.pitfall.reconcile ?? (() => this.dispatch.reconcile()))()),
      dispatcherDown: () => this.dispatch.down,
    };
  }

  private startPeriodicJobs(): void {
    const redriveS = this.scenario.engine.redriveDlqEveryS;
    if (redriveS !== undefined) {
      const tick = (): void => {
        this.background(this.dispatch.redrive());
        this.kernel.schedule(redriveS * 1000, tick);
      };
      this.kernel.schedule(redriveS * 1000, tick);
    }
    this.strategyRun = this.definition.start(this.strategy, this.strategyPorts());
  }

  private scheduleCrashes(): void {
    for (const crash of this.scenario.faults.processorCrashes) {
      this.kernel.scheduleAt(crash.atS * 1000, () => {
        if (this.faultsOn) this.workers.crash(crash.downS * 1000);
      });
    }
    for (const crash of this.scenario.faults.dispatcherCrashes) {
      this.kernel.scheduleAt(crash.atS * 1000, () => {
        if (this.faultsOn) this.dispatch.crash(crash.downS * 1000);
      });
    }
  }

  private sampleSeries(): void {
    this.freshness.sample();
    this.seriesDlq.push(this.dispatch.dlqDepth);
    // Orders older than the idempotency window can no longer be redelivered meaningfully.
    const settledBeforeMs = this.kernel.nowMs() - Math.max(this.cfg.idempotencyTtlMs, 6 * HOUR_MS);
    this.orders.release(settledBeforeMs);
    this.restocks.release(settledBeforeMs);
  }

  // ---- the run --------------------------------------------------------------------------

  async run(): Promise<SimulationResult> {
    try {
      return await this.runToResult();
    } finally {
      // The histograms live in WebAssembly memory, which no collector frees: the result holds their figures.
      for (const observer of [this.observer, this.listingObserver, this.sales.processing]) observer.dispose();
      this.freshness.dispose();
    }
  }

  private async runToResult(): Promise<SimulationResult> {
    const bucketMs = this.durationMs / SERIES_BUCKETS;
    for (let b = 1; b <= SERIES_BUCKETS; b++) this.kernel.scheduleAt(b * bucketMs, () => this.sampleSeries());
    this.workers.start();
    this.dispatch.start();
    this.notifications.startPolling();
    this.startPeriodicJobs();
    this.restocks.start();
    this.demand.scheduleBursts();
    this.scheduleCrashes();
    this.demand.startArrivals();
    await this.kernel.run({ untilMs: this.durationMs });
    // Close the measured period: freshness is integrated over [0, duration] only, and the API
    // budget is the measured run's (the heal phase's redrives and reconciliation are not).
    const freshnessIntegrals = this.freshness.closeMeasuredPeriod();
    const measuredApi = this.channels.map((ch) => ({ ...ch.stats }));
    const convergenceMs = await this.heal();
    if (this.failure !== undefined) throw this.failure.error;
    this.ledger.checkOutcomes(this.orders.pending());
    const p99Default = (p99: number): number => Math.max(1, p99 / 1000);
    return buildResult({
      scenario: this.scenario,
      strategyName: this.strategyName,
      seed: this.options.seed,
      nowMs: this.kernel.nowMs(),
      kernelEvents: this.kernel.eventsProcessed,
      nSku: this.keys.nSku,
      channels: this.channels,
      measuredApi,
      freshnessIntegrals,
      freshness: this.freshness,
      sales: this.sales,
      placed: this.orders.size,
      invariants: this.ledger.invariants,
      observer: this.observer,
      listingObserver: this.listingObserver,
      syncWindowS: (p99) => this.definition.syncWindowS?.(this.strategy, p99) ?? p99Default(p99),
      dlq: { maxDepth: this.dispatch.dlqMaxDepth, parked: this.dispatch.parkedTotal, series: this.seriesDlq },
      engine: { versionConflicts: this.workers.versionConflicts, processorRestarts: this.workers.restarts, dispatcherRestarts: this.dispatch.restarts, alerts: this.alerts.length },
      conflictRejected: this.workers.conflictRejected,
      convergenceMs,
      bucketMs,
      trace: this.trace,
    });
  }

  /** Faults off, everything restarted, DLQ redriven; returns ms to convergence, or null. */
  private async heal(): Promise<number | null> {
    this.faultsOn = false;
    this.demandOn = false;
    const healStart = this.kernel.nowMs();
    this.trace.record(TRACE.heal, 0, 0, 0, 0, 0, healStart);
    this.workers.restartIfDown();
    this.dispatch.restartIfDown();
    const boundMs = healStart + this.scenario.healBoundS * 1000;
    let nextRedrive = healStart;
    while (this.kernel.nowMs() < boundMs) {
      if (this.kernel.nowMs() >= nextRedrive) {
        this.background(this.dispatch.redrive());
        nextRedrive += HEAL_REDRIVE_MS;
      }
      await this.kernel.run({ untilMs: Math.min(boundMs, this.kernel.nowMs() + HEAL_CHECK_MS) });
      if (this.isConverged()) return this.kernel.nowMs() - healStart;
    }
    if (process.env['INVSIM_DEBUG_HEAL'] !== undefined) this.debugHeal();
    return null;
  }

  private isConverged(): boolean {
    const busy = this.sales.pending > 0 || this.workers.queueLength > 0 || this.workers.inflight > 0;
    return !busy && this.freshness.staleCount === 0 && this.dispatch.dlqDepth === 0;
  }

  private debugHeal(): void {
    const stale = this.freshness.staleListings(STALE_LISTED_ON_HEAL_FAILURE).map(([c, i]) => {
      const k = this.keys.keyOf(c, i);
      const ch = this.channels[c]!;
      return `${ch.id}/${this.keys.keyNames[k]} shows ${ch.quantity[i]} v${ch.version[i]} want ${this.targetListing(c, i)} v${this.ledger.version[k]}`;
    });
    process.stderr.write(`heal: pending ${this.sales.pending} queue ${this.workers.queueLength} stale ${this.freshness.staleCount} dlq ${this.dispatch.dlqDepth}\n${stale.join('\n')}\n`);
  }
}
