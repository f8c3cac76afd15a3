/**
 * The reference inventory service behind `invsim serve`, without its HTTP layer: the real engine
 * on the system's time, a store from a pluggable factory, and the scenario's channels as
 * real-time channel models. `POST /reset` replaces the whole state (a new generation); the HTTP
 * layer (http.ts) only validates, authenticates and translates.
 *
 * Randomness: each generation draws from seeded streams (`--seed`, default 1) named as in the
 * simulator (`channel:<id>`, `engine.jitter`, `dispatcher.jitter`), so the sequence of latency
 * and fault draws is reproducible; real time still interleaves requests differently on each run,
 * so a live run is not byte-reproducible the way a simulated one is.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { consoleAlertSink } from '../adapters/system.js';
import { effectivePreset } from '../scenarios/compile.js';
import type { Alert, AlertSink } from '../engine/ports.js';
import type { Scenario } from '../scenarios/schema.js';
import type { ChannelManifest, IncomingOrder, WebhookIntake } from '../connectors/types.js';
import { InputError } from '../engine/errors.js';
import { buildExternalChannels, catalogSkus, type ConnectorFactories, type ExternalChannel } from './external-channels.js';
import { Generation, StoreFailureError } from './generation.js';
import { IntakeClosedError, IntakeFullError } from './intake.js';
import { ServiceMetrics } from './metrics.js';
import type { AdjustmentBody, AuditBody, InventoryViewBody, MutationResultBody, OrderWebhookBody } from './schemas.js';
import { memoryStoreFactory, type StoreFactory } from './store.js';

export interface InventoryServiceOptions {
  readonly scenario: Scenario;
  /** Where the source of truth lives (default: a fresh in-memory store). The service closes it. */
  readonly store?: StoreFactory;
  /** This instance's name among those sharing a store (default: host, pid and a random suffix). */
  readonly instanceId?: string;
  /** Shared store: how often the channel models are reconciled with the store (default 2 000 ms). */
  readonly reconcileEveryMs?: number;
  /** Operational warnings (store trouble): default stderr, at most one line every 10 s. */
  readonly warn?: (message: string) => void;
  /** Root seed of the channel and jitter streams (default 1). */
  readonly seed?: number;
  /** Scenario seconds per real second: the whole scenario world runs this much faster (default 1; see realtime.ts). */
  readonly speedup?: number;
  /** The channel models act as storefronts: an order its channel's listing cannot show is not taken (default false). */
  readonly storefront?: boolean;
  /** The scenario's faults (5xx, 429, timeouts, spikes, outages) on (default) or off. */
  readonly faults?: boolean;
  /** SKUs the service tracks at most (default: the catalog's size, at least 100 000). */
  readonly maxSkus?: number;
  /** Mutations the audit ledger holds at most (default 1 000 000). */
  readonly maxTrackedMutations?: number;
  /** Mutations waiting for a processor worker at most; more are answered 503 (default 10 000). */
  readonly maxQueueLength?: number;
  /** Where alerts go (default: stderr, at most one line per kind every 10 s). */
  readonly alerts?: AlertSink;
  /** External-channel mode (`--channels FILE`): every scenario channel reached through its connector. */
  readonly channels?: ChannelManifest;
  /** The connectors by dialect (default CONNECTOR_FACTORIES; tests pass fakes). */
  readonly connectorFactories?: ConnectorFactories;
}

const ALERT_LOG_INTERVAL_MS = 10_000;
const DEFAULT_RECONCILE_EVERY_MS = 2_000;

/** `host:pid:random`: unique among the instances sharing a store, and says where it runs. */
export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export class InventoryService {
  readonly scenario: Scenario;
  readonly storeName: string;
  readonly instanceId: string;
  readonly channelIds: readonly string[];
  readonly metrics: ServiceMetrics;
  private readonly options: InventoryServiceOptions;
  private readonly alertCounts: Record<string, number> = {};
  private readonly alertSink: AlertSink;
  private readonly warn: (message: string) => void;
  private readonly storeFactory: StoreFactory;
  private generations = 0;
  private generation: Generation | undefined;
  private resetting: Promise<void> | undefined;
  private closed = false;
  /** External-channel mode: one connector per scenario channel, in the scenario's order; built once, they outlive resets. */
  readonly external: readonly ExternalChannel[] | undefined;

  private constructor(options: InventoryServiceOptions) {
    const speedup = options.speedup ?? 1;
    if (!(speedup > 0) || !Number.isFinite(speedup)) throw new RangeError(`speedup must be a finite number > 0, got ${speedup}`);
    const reconcileEveryMs = options.reconcileEveryMs ?? DEFAULT_RECONCILE_EVERY_MS;
    if (!(reconcileEveryMs > 0) || !Number.isFinite(reconcileEveryMs)) throw new RangeError(`reconcileEveryMs must be a finite number > 0, got ${reconcileEveryMs}`);
    this.options = options;
    this.scenario = options.scenario;
    this.storeFactory = options.store ?? memoryStoreFactory;
    this.storeName = this.storeFactory.name;
    this.instanceId = options.instanceId ?? defaultInstanceId();
    this.warn = options.warn ?? throttledLines((line) => process.stderr.write(`invsim serve: ${line}\n`), ALERT_LOG_INTERVAL_MS);
    this.channelIds = options.scenario.channels.map((c) => c.id);
    this.metrics = new ServiceMetrics(() => this.generation, this.channelIds);
    this.alertSink = this.countingAlerts(options.alerts ?? throttledAlerts(consoleAlertSink, ALERT_LOG_INTERVAL_MS));
    // A storefront is the channel model turning a customer away; external channels decide that themselves.
    if (options.channels !== undefined && options.storefront === true) throw InputError.of('--channels', 'cannot be combined with --storefront: the external channels take or refuse orders themselves');
    this.external =
      options.channels === undefined
        ? undefined
        : buildExternalChannels({
            scenarioChannels: this.channelIds,
            manifest: options.channels,
            speedup,
            pollIntervalMs: (id) => {
              const spec = options.scenario.channels.find((c) => c.id === id);
              const notification = spec === undefined ? undefined : effectivePreset(spec.preset, spec.overrides as Record<string, unknown> | undefined).orderNotification;
              return notification?.mode === 'polling' ? (notification.intervalS * 1000) / speedup : undefined;
            },
            ...(options.connectorFactories === undefined ? {} : { factories: options.connectorFactories }),
          });
  }

  /** Starts the first generation on the store as it is (a shared store is not cleared). */
  static async create(options: InventoryServiceOptions): Promise<InventoryService> {
    let service: InventoryService;
    try {
      service = new InventoryService(options);
    } catch (error) {
      // A channels file that does not match the scenario: the service owns the store and closes it.
      await (options.store ?? memoryStoreFactory).close?.();
      throw error;
    }
    try {
      service.generation = await service.newGeneration();
      service.resumePolling();
    } catch (error) {
      await service.storeFactory.close?.();
      throw error;
    }
    return service;
  }


  hasChannel(id: string): boolean {
    return this.channelIds.includes(id);
  }

  receiveOrder(channel: string, order: OrderWebhookBody): Promise<MutationResultBody> {
    return this.current().receiveOrder(channel, order);
  }

  /** External mode: the webhook intake of a channel whose connector has one. */
  webhookIntake(channel: string): WebhookIntake | undefined {
    return this.external?.find((e) => e.channel === channel)?.connector.webhook;
  }

  /** External mode: the channel's dialect. */
  dialectOf(channel: string): string | undefined {
    return this.external?.find((e) => e.channel === channel)?.dialect;
  }

  /**
   * An order as a marketplace reports it, one engine mutation per line. The mutation id is the
   * order id and the line's index: a redelivered order (a webhook retried, a poll overlapping the
   * last) carries the same ids and is answered duplicate, keyed by channel as every order is.
   */
  async receiveIncoming(channel: string, order: IncomingOrder): Promise<MutationResultBody[]> {
    const results: MutationResultBody[] = [];
    for (const [index, line] of order.lines.entries()) {
      results.push(await this.receiveOrder(channel, { mutationId: `${order.orderId}:${index}`, orderId: order.orderId, sku: line.sku, quantity: line.quantity }));
    }
    return results;
  }

  /**
   * Subscribes each webhook dialect's callback (`publicUrl` + its route) at the marketplace. A
   * marketplace's API fails now and then (a 5xx, a throttle): each subscription is tried up to
   * SUBSCRIBE_ATTEMPTS times, waiting twice as long each time, before the error is passed on.
   */
  async subscribeWebhooks(publicUrl: string): Promise<void> {
    const base = publicUrl.replace(/\/+$/, '');
    const subscribe = async (e: ExternalChannel): Promise<void> => {
      const connector = e.connector;
      if (connector.webhook === undefined || connector.subscribe === undefined) return;
      for (let attempt = 1; ; attempt++) {
        try {
          await connector.subscribe(`${base}/webhooks/${e.dialect}/${encodeURIComponent(e.channel)}`);
          return;
        } catch (error) {
          if (attempt >= SUBSCRIBE_ATTEMPTS) throw error;
          this.warn(`subscribing ${e.channel}'s order webhooks failed (attempt ${attempt} of ${SUBSCRIBE_ATTEMPTS}): ${error instanceof Error ? error.message : String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_BACKOFF_MS * 2 ** (attempt - 1)));
        }
      }
    };
    await Promise.all((this.external ?? []).map(subscribe));
  }

  /** Polls failed since the start, by channel (warned, never fatal). */
  readonly pollErrors: Record<string, number> = {};
  /** Polled orders refused by the service (bad input, a reused key): warned and dropped, by channel. */
  readonly polledOrdersDropped: Record<string, number> = {};
  private pollTimers: NodeJS.Timeout[] = [];

  /**
   * One loop per polling channel: the orders kept from earlier polls fed in, then, once none is
   * left, a poll and its orders, the next tick `intervalMs` after this one ended (never two at
   * once on a channel). A failed poll is counted and warned, and the marketplace is polled again
   * next time. An order the service cannot take in now (store or intake unavailable) is kept for
   * the next tick, since the poller's cursor has moved past it; one it refuses is dropped with a
   * warning. Each order line is idempotent, so feeding an order again is safe.
   */
  private startPolling(epoch: number): void {
    for (const e of this.external ?? []) {
      const poller = e.connector.poller;
      if (poller === undefined) continue;
      const intervalMs = Math.max(1, poller.intervalMs);
      // What a poll returned that the service could not take in yet, oldest first (a reset
      // starts a new loop, and the old world's orders go with it).
      const backlog: IncomingOrder[] = [];
      const tick = async (): Promise<void> => {
        if (await this.feedPolled(e.channel, backlog)) {
          try {
            backlog.push(...(await poller.poll()));
          } catch (error) {
            this.pollErrors[e.channel] = (this.pollErrors[e.channel] ?? 0) + 1;
            this.warn(`polling ${e.channel} failed: ${error instanceof Error ? error.message : String(error)}`);
          }
          await this.feedPolled(e.channel, backlog);
        }
        // A poll still in flight across a reset must not start a second loop beside the new one.
        if (epoch === this.pollEpoch) this.schedulePoll(tick, intervalMs);
      };
      this.schedulePoll(tick, intervalMs);
    }
  }

  /** Feeds `backlog`'s orders in, oldest first, removing each taken or refused; whether it is empty. */
  private async feedPolled(channel: string, backlog: IncomingOrder[]): Promise<boolean> {
    while (backlog.length > 0) {
      const order = backlog[0]!;
      try {
        await this.receiveIncoming(channel, order);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (isTransient(error)) {
          this.warn(`polled orders of ${channel}: the service cannot take them in now (${message}); ${backlog.length} kept for the next poll`);
          return false;
        }
        this.polledOrdersDropped[channel] = (this.polledOrdersDropped[channel] ?? 0) + 1;
        this.warn(`polled order ${order.orderId} of ${channel} refused: ${message}`);
      }
      backlog.shift();
    }
    return true;
  }

  /** Odd while polling; +1 at every start and stop, so the loops of an earlier start end. */
  private pollEpoch = 0;

  private schedulePoll(tick: () => Promise<void>, intervalMs: number): void {
    if (this.pollEpoch % 2 === 0) return;
    const timer = setTimeout(() => {
      this.pollTimers = this.pollTimers.filter((t) => t !== timer);
      void tick();
    }, intervalMs);
    this.pollTimers.push(timer);
  }

  private stopPolling(): void {
    if (this.pollEpoch % 2 === 1) this.pollEpoch++;
    for (const timer of this.pollTimers) clearTimeout(timer);
    this.pollTimers = [];
  }

  private resumePolling(): void {
    if (this.pollEpoch % 2 === 1) return;
    this.pollEpoch++;
    this.startPolling(this.pollEpoch);
  }

  adjust(sku: string, body: AdjustmentBody): Promise<MutationResultBody> {
    return this.current().adjust(sku, body);
  }

  async inventory(sku: string): Promise<InventoryViewBody | undefined> {
    const view = await this.current().inventory(sku);
    return view === undefined ? undefined : { sku, ...view };
  }

  async audit(): Promise<AuditBody> {
    const audit = await this.current().audit(this.scenario.name, this.storeName);
    return { ...audit, alerts: { ...this.alertCounts } };
  }

  /** Opens the measured window (the load's time 0) unless it is open; see Generation.startWindow. */
  start(): { windowFromS: number; alreadyOpen: boolean } {
    return this.current().startWindow();
  }

  /** Readiness: serving (not resetting or closing) and the store answers; otherwise the reason. */
  async readiness(): Promise<{ ready: true } | { ready: false; reason: string }> {
    if (this.generation === undefined) return { ready: false, reason: this.closed ? 'the service is shutting down' : 'the service is resetting' };
    try {
      await this.storeFactory.ping?.();
      return { ready: true };
    } catch (error) {
      return { ready: false, reason: `the store does not answer: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  uptimeS(): number {
    return this.generation === undefined ? 0 : Math.round(this.generation.realUptimeMs()) / 1000;
  }

  /**
   * Replaces every piece of state with a fresh generation; answers in flight fail with 503. A
   * shared store is cleared for every instance on it: reset each of them (their own counts and
   * channel models), before sending traffic again.
   */
  async reset(): Promise<void> {
    if (this.resetting !== undefined) return this.resetting;
    this.resetting = (async () => {
      const old = this.generation;
      this.generation = undefined;
      this.stopPolling();
      await old?.stop();
      for (const key of Object.keys(this.alertCounts)) delete this.alertCounts[key];
      this.metrics.reset();
      if (this.closed) return;
      try {
        await this.storeFactory.clear?.();
      } catch (error) {
        throw new StoreFailureError(`could not clear the store: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      } finally {
        // Whatever happened to the store, the service keeps serving (a failed clear is retried by another reset).
        if (!this.closed) {
          this.generation = await this.newGeneration();
          this.resumePolling();
        }
      }
    })();
    try {
      await this.resetting;
    } finally {
      this.resetting = undefined;
    }
  }

  /** Waits (at most `timeoutMs`) until nothing is in flight and every channel has its updates. */
  async settle(timeoutMs: number): Promise<boolean> {
    return this.generation === undefined ? true : this.generation.settle(timeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopPolling();
    await this.resetting?.catch(() => undefined);
    const g = this.generation;
    this.generation = undefined;
    await g?.stop();
    await this.storeFactory.close?.();
  }

  private current(): Generation {
    if (this.generation === undefined) throw new ServiceUnavailableError(this.closed ? 'the service is shutting down' : 'the service is resetting');
    return this.generation;
  }

  private async newGeneration(): Promise<Generation> {
    const o = this.options;
    // The marketplace's own ids for the catalogue must be known before the first push (Shopify inventory items).
    if (this.external !== undefined) {
      const skus = catalogSkus(o.scenario);
      await Promise.all(this.external.map((e) => e.connector.prepare?.(skus)));
    }
    return Generation.start({
      scenario: o.scenario,
      storeFactory: this.storeFactory,
      instanceId: this.instanceId,
      generation: ++this.generations,
      reconcileEveryMs: o.reconcileEveryMs ?? DEFAULT_RECONCILE_EVERY_MS,
      warn: this.warn,
      seed: o.seed ?? 1,
      speedup: o.speedup ?? 1,
      storefront: o.storefront ?? false,
      faults: o.faults ?? true,
      maxSkus: o.maxSkus ?? Math.max(o.scenario.catalog.skus, 100_000),
      maxTrackedMutations: o.maxTrackedMutations ?? 1_000_000,
      maxQueueLength: o.maxQueueLength ?? 10_000,
      alerts: this.alertSink,
      events: this.metrics.events,
      ...(this.external === undefined ? {} : { externalClients: this.external.map((e) => e.connector.client) }),
    });
  }

  private countingAlerts(next: AlertSink): AlertSink {
    return {
      raise: (alert: Alert) => {
        this.alertCounts[alert.kind] = (this.alertCounts[alert.kind] ?? 0) + 1;
        next.raise(alert);
      },
    };
  }
}

export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

/** Passes on at most one alert per kind per interval, saying how many it held back. */
export function throttledAlerts(next: AlertSink, intervalMs: number, now: () => number = () => performance.now()): AlertSink {
  const lastAt = new Map<string, number>();
  const held = new Map<string, number>();
  return {
    raise(alert) {
      const t = now();
      const last = lastAt.get(alert.kind);
      if (last !== undefined && t - last < intervalMs) {
        held.set(alert.kind, (held.get(alert.kind) ?? 0) + 1);
        return;
      }
      lastAt.set(alert.kind, t);
      const skipped = held.get(alert.kind) ?? 0;
      held.delete(alert.kind);
      next.raise(skipped === 0 ? alert : { ...alert, message: `${alert.message} (+${skipped} similar alerts held back)` });
    },
  };
}

/** Passes on at most one line per interval, saying how many it held back. */
export function throttledLines(next: (line: string) => void, intervalMs: number, now: () => number = () => performance.now()): (line: string) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let held = 0;
  return (line) => {
    const t = now();
    if (t - lastAt < intervalMs) {
      held++;
      return;
    }
    lastAt = t;
    next(held === 0 ? line : `${line} (+${held} similar lines held back)`);
    held = 0;
  };
}

/** Tries of one webhook subscription, and the real ms before the second (doubling after). */
const SUBSCRIBE_ATTEMPTS = 5;
const SUBSCRIBE_BACKOFF_MS = 200;

/** A failure that passes (the store or the intake unavailable for now), as opposed to a refusal of the order itself. */
function isTransient(error: unknown): boolean {
  return error instanceof StoreFailureError || error instanceof IntakeFullError || error instanceof IntakeClosedError || error instanceof ServiceUnavailableError;
}
