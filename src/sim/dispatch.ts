/**
 * The dispatcher's life in a run: started, crashed and restarted (each generation with a jitter
 * stream of its own), its dead-letter queue watched (every park checked against the store), and
 * the jobs strategies ask of it: pump the outbox, redrive the DLQ, push every listing again
 * (a full sync), reconcile the channels with the source of truth.
 */
import { PropagationDispatcher } from '../engine/dispatcher.js';
import type { LatencyObserver } from '../engine/latency-observer.js';
import { listedQuantity, type ListingPolicy } from '../engine/listing-policy.js';
import type { InMemoryInventoryStore } from '../engine/memory-store.js';
import type { AlertSink, Clock, DeadLetter, InventoryStore, Timers } from '../engine/ports.js';
import { Reconciler } from '../engine/reconciler.js';
import type { RetryPolicy } from '../engine/retry.js';
import type { SimChannel } from '../model/channel.js';
import type { Rng } from '../model/random.js';
import type { KeySpace } from './keys.js';
import type { RunLedger } from './ledger.js';
import { TRACE, type TraceRecorder } from './trace.js';

export interface DispatchPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  schedule(delayMs: number, fn: () => void): void;
  readonly alerts: AlertSink;
  readonly observer: LatencyObserver;
  readonly trace: TraceRecorder;
  /** The jitter stream of a dispatcher generation. */
  jitter(generation: number): Rng;
  /** Watches work no caller awaits: a rejection fails the run (it is a bug, never an outcome). */
  background(work: Promise<unknown>): void;
}

export class Dispatch {
  down = false;
  restarts = 0;
  dlqDepth = 0;
  dlqMaxDepth = 0;
  parkedTotal = 0;
  private current!: PropagationDispatcher;

  constructor(
    private readonly store: InMemoryInventoryStore,
    /** The store the dispatcher itself uses (a pitfall may wrap it). */
    private readonly dispatcherStore: InventoryStore,
    private readonly channels: readonly SimChannel[],
    private readonly keys: KeySpace,
    private readonly ledger: RunLedger,
    private readonly options: { readonly retryPolicy: RetryPolicy; readonly policy: ListingPolicy },
    private readonly ports: DispatchPorts,
  ) {}


  get dispatcher(): PropagationDispatcher {
    return this.current;
  }

  start(): void {
    const ports = this.ports;
    this.current = new PropagationDispatcher({
      store: this.dispatcherStore,
      channels: this.channels,
      clock: ports.clock,
      timers: ports.timers,
      random: ports.jitter(this.restarts),
      alerts: ports.alerts,
      retryPolicy: this.options.retryPolicy,
      observer: ports.observer,
      listingPolicy: this.options.policy,
      // The store's keys, numbered as the simulator numbers them: the dispatcher finds a key's lanes by it.
      skuIndex: { count: this.keys.size, indexOf: (key) => this.keys.find(key) },
      ...(this.keys.partition ? { channelsFor: (key: string) => this.channelsForKey(key), skipEchoToSource: true } : {}),
      onParked: (letter) => this.onParked(letter),
      // A fault the dispatcher latched in work nobody awaits (a pumpSoon) fails the run like a rejected pump.
      onFault: (error) => this.ports.background(Promise.reject(error)),
    });
    this.down = false;
    this.ports.background(this.current.pump());
  }

  /**
   * Pumps the outbox now, unless the dispatcher is down: the hot path (after each commit, for
   * event-driven sync), so with no promise; a failure latches in the dispatcher and reaches the
   * run through `onFault`.
   */
  pump(): void {
    if (!this.down) this.current.pumpSoon();
  }

  crash(downMs: number): void {
    if (this.down) return;
    this.current.stop();
    this.down = true;
    this.ports.trace.record(TRACE.crash, 1, 0, 0, 0, 0, this.ports.clock.nowMs());
    this.ports.schedule(downMs, () => this.restartIfDown());
  }

  restartIfDown(): void {
    if (!this.down) return;
    this.restarts++;
    this.start();
  }

  async redrive(): Promise<void> {
    if (this.down) return;
    await this.current.redrive();
    this.dlqDepth = this.store.deadLetterCount;
  }

  /** Polling: drain the changes since the last poll, then push every listing again (a full sync). */
  async fullSync(): Promise<void> {
    if (this.down) return;
    const dispatcher = this.current;
    await dispatcher.pump();
    const keyNames = this.keys.keyNames;
    const levels = await Promise.all(keyNames.map((key) => this.store.read(key)));
    if (dispatcher !== this.current || this.down) return;
    levels.forEach((level, k) => {
      const key = keyNames[k]!;
      const only = this.keys.keyChannel[k]!;
      for (let c = 0; c < this.channels.length; c++) {
        if (only >= 0 && only !== c) continue;
        const id = this.channels[c]!.id;
        const quantity = listedQuantity(level.quantity, id, this.options.policy);
        dispatcher.submit(id, { sku: key, quantity, version: level.version }, Number.NaN, { resend: true });
      }
    });
  }

  /** Hybrid: compare every listing with the source of truth and correct the ones that drifted. */
  async reconcile(): Promise<void> {
    if (this.down) return;
    const reconciler = new Reconciler({
      store: this.store,
      channels: this.channels,
      dispatcher: this.current,
      clock: this.ports.clock,
      alerts: this.ports.alerts,
      listingPolicy: this.options.policy,
      ...(this.keys.partition ? { channelsFor: (key: string) => this.channelsForKey(key) } : {}),
    });
    try {
      await reconciler.reconcile(this.keys.keyNames);
    } catch {
      // A channel that cannot be read now is audited on the next pass.
    }
  }

  private channelsForKey(key: string): readonly string[] | undefined {
    const c = this.keys.keyChannel[this.keys.indexOf(key)]!;
    return c < 0 ? undefined : [this.channels[c]!.id];
  }

  /** The dispatcher says it parked an update: it must be in the store's DLQ now. */
  private onParked(letter: DeadLetter): void {
    this.parkedTotal++;
    this.ledger.invariants.checkParked(letter.id, this.store.hasDeadLetter(letter.id));
    this.dlqDepth = this.store.deadLetterCount;
    this.dlqMaxDepth = Math.max(this.dlqMaxDepth, this.dlqDepth);
    const c = this.channels.findIndex((ch) => ch.id === letter.channel);
    if (c < 0) throw new RangeError(`unknown channel ${letter.channel}`);
    this.ports.trace.record(TRACE.park, c, this.keys.find(letter.sku) ?? -1, letter.version, letter.quantity, 0, this.ports.clock.nowMs());
  }
}
