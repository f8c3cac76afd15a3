/**
 * The channel twins of one scenario, running: one HTTP server per channel speaking its
 * marketplace's dialect (the protocol modules), every twin backed by the scenario's channel model
 * (TwinChannel), one real-time clock compressed by `speedup` for all of them, a storefront where
 * customers buy, and a control server with the black-box audit, Prometheus metrics, the channels
 * manifest a system under test is configured from, the catalogue and restocks.
 *
 * Reproducibility: the catalogue (SKU names and initial stock) is the simulator's for the same
 * seed (the `catalog.stock` stream, as src/loadtest/plan.ts draws it), so the twins start where
 * `invsim run --seed N` starts; each twin's latency and fault draws come from
 * `RandomStreams(seed).stream('channel:<id>')`, the simulator's name for that channel's stream.
 * Fault windows (outages, latency spikes; scenario seconds from the scenario's start) count from
 * the start of the measured window, the customers' time 0, as the simulator's count from its
 * load's start and `invsim serve`'s from its window's: `beginWindow()`, which the in-process
 * customers call as they start (drive.ts), `POST /twins/start` (a load generator's own time 0),
 * or else the first order at a storefront. Before it no window is open and no outage or spike
 * is in force, so the system under test starts and loads its stock on a quiet channel.
 *
 * Credentials are derived from the seed and the channel id (SHA-256, see `twinCredentials`), so
 * two runs with the same seed hand out the same tokens and a system under test can be configured
 * once. They are test credentials for a local twin, not secrets; `credentials` overrides them.
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { stringify } from 'yaml';
import { RealTimeSource } from '../adapters/realtime.js';
import type { ChannelManifest } from '../connectors/types.js';
import { InputError } from '../engine/errors.js';
import { skuNames } from '../loadtest/plan.js';
import { OrderedTimeSource } from '../serve/ordered-time.js';
import { RandomStreams } from '../model/random.js';
import { effectivePreset, engineConfig, scenarioChannelFaults } from '../scenarios/compile.js';
import type { Scenario } from '../scenarios/schema.js';
import { API_OUTCOMES, BlackBoxAudit, type AuditListener, type AuditReport } from './audit.js';
import { TwinChannel } from './channel.js';
import { DIALECT_OF_PRESET, TWIN_FACTORIES } from './dialects.js';
import type { TwinCredentials, TwinDialect, TwinOrder, TwinProtocol, TwinProtocolFactory, WebhookStats } from './protocol.js';

export interface TwinWorldOptions {
  readonly scenario: Scenario;
  /** Root seed of the catalogue and of every twin's draws (default 1). */
  readonly seed?: number;
  /** Scenario ms per real ms (default 1). */
  readonly speedup?: number;
  /** Inject the scenario's channel faults (default true). */
  readonly faults?: boolean;
  readonly host?: string;
  /** Control server's port (default 7070; 0: any free port). */
  readonly port?: number;
  /** Each channel's port, in scenario order (default: port + 1 + i, or any free port when port is 0; 0: any). */
  readonly channelPorts?: readonly number[];
  /** Where each channel's webhooks go when the system under test has not subscribed through the API. */
  readonly webhookUrls?: Readonly<Record<string, string>>;
  /** The dialects' twins (default TWIN_FACTORIES; tests inject their own). */
  readonly factories?: Readonly<Partial<Record<TwinDialect, TwinProtocolFactory>>>;
  /** Credentials per channel id, replacing the derived ones. */
  readonly credentials?: Readonly<Record<string, TwinCredentials>>;
  /** Operational messages (default: none). */
  readonly log?: (message: string) => void;
}

export interface RunningTwin {
  readonly id: string;
  readonly preset: string;
  readonly dialect: TwinDialect;
  readonly url: string;
  readonly credentials: TwinCredentials;
  readonly channel: TwinChannel;
  readonly protocol: TwinProtocol;
}

export type BuyResult = { readonly taken: true; readonly order: TwinOrder } | { readonly taken: false; readonly reason: 'not_listed' | 'unknown_sku' };

export interface TwinAuditBody extends AuditReport {
  readonly scenario: string;
  /** The scenario's length as the twins ran it: less than the file's for a prefix (`--duration-s`). */
  readonly durationS: number;
  readonly seed: number;
  readonly speedup: number;
  /**
   * When the measured window opened, scenario seconds after the twins started (null: not yet);
   * the scenario's fault windows count from it.
   */
  readonly windowFromS: number | null;
  /** Webhook deliveries per channel (null for a polling dialect). */
  readonly webhooks: Readonly<Record<string, WebhookStats | null>>;
}

const DEFAULT_PORT = 7070;
const LATENCY_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Units one storefront order may ask for at most (the scenario schema's bound). */
const MAX_ORDER_UNITS = 1_000_000;
/** How long close() lets requests in flight finish (real ms) before cutting their connections. */
const CLOSE_GRACE_MS = 5_000;

/** Test credentials of one twin, from the seed and the channel id, in each marketplace's token shape. */
export function twinCredentials(seed: number, channelId: string, dialect: TwinDialect): TwinCredentials {
  const h = (what: string): string => createHash('sha256').update(`invsim-twins\u0000${seed}\u0000${channelId}\u0000${what}`).digest('hex');
  const token = h('access-token');
  const secret = h('secret');
  switch (dialect) {
    case 'shopify':
      return { accessToken: `shpat_${token.slice(0, 32)}`, secret: secret.slice(0, 32), account: `invsim-${channelId.toLowerCase().replace(/_/g, '-')}` };
    case 'woocommerce':
      return { accessToken: `ck_${token.slice(0, 40)}`, secret: `cs_${secret.slice(0, 40)}`, account: `invsim-${channelId}` };
    case 'amazon':
      return { accessToken: `Atza|${token}`, secret, account: `A${h('account').slice(0, 13).toUpperCase()}` };
    case 'ebay':
      return { accessToken: `v^1.1#i^1#${token}`, secret, account: `invsim_${channelId}` };
  }
}

/** The initial stock per SKU, as the simulator and the k6 plan draw it for `seed`. */
export function twinCatalog(scenario: Scenario, seed: number): { sku: string; quantity: number }[] {
  const cat = scenario.catalog;
  const rng = new RandomStreams(seed).stream('catalog.stock');
  return skuNames(scenario).map((sku) => ({ sku, quantity: rng.int(cat.initialStockMin, cat.initialStockMax + 1) }));
}

/** The dialect of every channel, or an InputError naming the first channel that has no twin. */
export function twinDialects(scenario: Scenario): TwinDialect[] {
  return scenario.channels.map((c, i) => {
    const dialect = DIALECT_OF_PRESET[c.preset as keyof typeof DIALECT_OF_PRESET];
    if (dialect === undefined) {
      const have = Object.keys(DIALECT_OF_PRESET).join(', ');
      throw InputError.of(`channels[${i}].preset`, `${c.preset} (channel ${c.id}) has no channel twin yet; twins exist for the presets ${have}`);
    }
    return dialect;
  });
}

export class TwinWorld {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly speedup: number;
  readonly time: RealTimeSource;
  /**
   * The twins' channel models' clock: the real-time source with scheduled callbacks run in
   * (time, sequence) order, as in the service (src/serve/ordered-time.ts). A feed channel's FIFO
   * apply queue needs it: Node's timers can run two updates due together in the other order, and
   * a twin would then apply an older quantity over a newer one.
   */
  private readonly channelTime: OrderedTimeSource;
  readonly audit: BlackBoxAudit;
  readonly catalog: readonly { readonly sku: string; readonly quantity: number }[];
  readonly twins: RunningTwin[] = [];
  controlUrl = '';
  private readonly byId = new Map<string, { twin: RunningTwin; orders: number }>();
  private readonly servers: FastifyInstance[] = [];
  /** Every protocol made, listening or not, so a start that fails halfway still stops them. */
  private readonly protocols: TwinProtocol[] = [];
  private readonly registry = new Registry();
  private readonly startedRealMs = performance.now();
  /** Start of the measured window (scenario ms), the fault windows' origin; NaN until it opens. */
  private windowFromMs = Number.NaN;
  private closing: Promise<void> | undefined;

  private constructor(scenario: Scenario, seed: number, speedup: number, listener: AuditListener) {
    this.scenario = scenario;
    this.seed = seed;
    this.speedup = speedup;
    this.time = new RealTimeSource({ speedup });
    this.channelTime = new OrderedTimeSource(this.time);
    this.catalog = twinCatalog(scenario, seed);
    const cfg = engineConfig(scenario);
    this.audit = new BlackBoxAudit({
      channels: scenario.channels.map((c) => c.id),
      catalog: this.catalog,
      maxStalenessMs: cfg.maxStalenessMs,
      minConfidence: cfg.minConfidence,
      startMs: 0,
      listener,
    });
  }

  static async start(options: TwinWorldOptions): Promise<TwinWorld> {
    const { scenario } = options;
    const seed = options.seed ?? 1;
    const speedup = options.speedup ?? 1;
    const port = options.port ?? DEFAULT_PORT;
    const host = options.host ?? '127.0.0.1';
    if (!Number.isSafeInteger(seed) || seed < 0) throw InputError.of('seed', `must be an integer >= 0, got ${seed}`);
    if (!(speedup > 0) || !Number.isFinite(speedup)) throw InputError.of('speedup', `must be a finite number > 0, got ${speedup}`);
    checkPort('port', port);
    const dialects = twinDialects(scenario);
    const ids = scenario.channels.map((c) => c.id);
    for (const [id, url] of Object.entries(options.webhookUrls ?? {})) {
      if (!ids.includes(id)) throw InputError.of(`webhookUrls.${id}`, `names no channel of scenario ${scenario.name} (it has: ${ids.join(', ')})`);
      if (!isHttpUrl(url)) throw InputError.of(`webhookUrls.${id}`, `must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    if (options.channelPorts !== undefined && options.channelPorts.length !== ids.length) {
      throw InputError.of('channelPorts', `must give one port per channel (${ids.length}), got ${options.channelPorts.length}`);
    }
    const channelPorts = ids.map((_, i) => options.channelPorts?.[i] ?? (port === 0 ? 0 : port + 1 + i));
    channelPorts.forEach((p, i) => checkPort(`channelPorts[${i}]`, p));

    const metrics = new TwinMetrics(ids);
    const world = new TwinWorld(scenario, seed, speedup, metrics.listener);
    metrics.attach(world, world.registry);
    const log = options.log ?? (() => undefined);
    const faultsOn = options.faults ?? true;
    const streams = new RandomStreams(seed);
    const factories = { ...TWIN_FACTORIES, ...options.factories };
    try {
      for (const [i, spec] of scenario.channels.entries()) {
        const dialect = dialects[i]!;
        const channel = new TwinChannel({
          id: spec.id,
          preset: effectivePreset(spec.preset, spec.overrides as Record<string, unknown> | undefined),
          time: world.channelTime,
          rng: streams.stream(`channel:${spec.id}`),
          // NaN before the window opens: every fault window test is false, nothing is in force.
          faults: scenarioChannelFaults(scenario.faults, spec.id, () => faultsOn, () => world.windowFromMs),
          observer: world.audit,
          catalog: world.catalog,
        });
        const credentials = options.credentials?.[spec.id] ?? twinCredentials(seed, spec.id, dialect);
        // The notification draws (delays, duplicates) from the simulator's stream name for them.
        const rng = streams.stream(`webhooks:${spec.id}`);
        const protocol = factories[dialect]({ channel, credentials, time: world.time, webhookUrl: options.webhookUrls?.[spec.id], log, rng });
        world.protocols.push(protocol);
        const app = newApp();
        world.servers.push(app);
        world.storefront(app, spec.id);
        // The dialect's routes in a scope of their own: its parsers and hooks stay its own.
        await app.register(async (scope) => protocol.register(scope));
        // Orders are looked up at request time, so the twin is complete (with its URL) before any arrives.
        const url = await listen(app, host, channelPorts[i]!, `channelPorts[${i}]`);
        const twin: RunningTwin = { id: spec.id, preset: spec.preset, dialect, url, credentials, channel, protocol };
        world.byId.set(spec.id, { twin, orders: 0 });
        world.twins.push(twin);
      }
      const control = newApp();
      world.servers.push(control);
      world.control(control, metrics);
      world.controlUrl = await listen(control, host, port, 'port');
    } catch (error) {
      await world.close();
      throw error;
    }
    return world;
  }

  /** Start of the measured window in scenario ms since the twins started; undefined until it opens. */
  get windowStartMs(): number | undefined {
    return Number.isNaN(this.windowFromMs) ? undefined : this.windowFromMs;
  }

  /**
   * Opens the measured window now, unless it is open: the customers' time 0. The audit starts
   * counting afresh (BlackBoxAudit.beginWindow) and the scenario's fault windows count from here.
   */
  beginWindow(): { windowFromMs: number; alreadyOpen: boolean } {
    const alreadyOpen = !Number.isNaN(this.windowFromMs);
    if (!alreadyOpen) {
      this.windowFromMs = this.time.nowMs();
      this.audit.beginWindow(this.windowFromMs);
      for (const { twin } of this.byId.values()) twin.channel.restartLimits(this.windowFromMs);
    }
    return { windowFromMs: this.windowFromMs, alreadyOpen };
  }

  /**
   * A customer at `channel`'s storefront: taken while the listing shows the units, and then
   * passed to the dialect (a webhook, or the Orders API's book). The first customer opens the
   * measured window if nothing has (a load generator that did not say when it started).
   */
  buy(channel: string, sku: string, units: number): BuyResult {
    const entry = this.byId.get(channel);
    if (entry === undefined) throw new RangeError(`no twin ${channel}`);
    this.beginWindow();
    const { twin } = entry;
    if (!twin.channel.has(sku)) return { taken: false, reason: 'unknown_sku' };
    if (!twin.channel.buy(sku, units)) return { taken: false, reason: 'not_listed' };
    entry.orders++;
    const order: TwinOrder = {
      orderId: String(4_000_000_000 + entry.orders),
      number: entry.orders,
      channel,
      sku,
      units,
      placedAtMs: this.time.nowMs(),
    };
    twin.protocol.orderPlaced(order);
    return { taken: true, order };
  }

  /** Stock arrived at the seller: the audit's truth rises (the system under test is told separately). */
  restock(sku: string, units: number): number {
    this.audit.restocked(sku, units, this.time.nowMs());
    return this.audit.truthOf(sku)!;
  }

  auditReport(): TwinAuditBody {
    const webhooks: Record<string, WebhookStats | null> = {};
    for (const t of this.twins) webhooks[t.id] = t.protocol.webhookStats() ?? null;
    const windowFromS = Number.isNaN(this.windowFromMs) ? null : Math.round(this.windowFromMs) / 1000;
    return { scenario: this.scenario.name, durationS: this.scenario.durationS, seed: this.seed, speedup: this.speedup, windowFromS, ...this.audit.report(this.time.nowMs()), webhooks };
  }

  manifest(): ChannelManifest {
    return {
      twins: { scenario: this.scenario.name, seed: this.seed, speedup: this.speedup, controlUrl: this.controlUrl },
      channels: this.twins.map((t) => ({ channel: t.id, dialect: t.dialect, baseUrl: t.url, ...t.credentials })),
    };
  }

  /** Writes the manifest as YAML, atomically: a reader sees the old file or the new one, never half. */
  async writeManifest(path: string): Promise<void> {
    const tmp = `${path}.${process.pid}.tmp`;
    const header = `# invsim twins: scenario ${this.scenario.name}, seed ${this.seed}, speedup ${this.speedup}; for invsim serve --channels FILE\n`;
    await writeFile(tmp, header + stringify(this.manifest()), 'utf8');
    await rename(tmp, path);
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops the deliveries, then the servers (requests in flight get CLOSE_GRACE_MS), then every timer. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled(this.protocols.map((p) => p.close()));
      await Promise.allSettled(this.servers.map((app) => closeApp(app)));
      this.channelTime.dispose();
      this.time.dispose();
    })();
    return this.closing;
  }

  private storefront(app: FastifyInstance, channel: string): void {
    app.post('/storefront/orders', async (request, reply) => {
      const parsed = parseOrderBody(request.body);
      if (!parsed.ok) return reply.code(400).send({ error: 'invalid_body', field: parsed.field, message: parsed.message });
      const result = this.buy(channel, parsed.sku, parsed.quantity);
      if (result.taken) return reply.code(201).send({ orderId: result.order.orderId, number: result.order.number });
      if (result.reason === 'unknown_sku') return reply.code(404).send({ error: 'unknown_sku', sku: parsed.sku });
      return reply.code(409).send({ reason: 'not_listed' });
    });
  }

  private control(app: FastifyInstance, metrics: TwinMetrics): void {
    app.get('/healthz', async () => ({ status: 'ok', uptimeS: Math.round(performance.now() - this.startedRealMs) / 1000, channels: this.twins.length }));
    app.get('/twins/audit', async () => this.auditReport());
    // A load generator's time 0 (as invsim serve's POST /start): the window and the fault windows start now.
    app.post('/twins/start', async () => {
      const { windowFromMs, alreadyOpen } = this.beginWindow();
      return { status: 'started', windowFromS: Math.round(windowFromMs) / 1000, alreadyOpen };
    });
    app.get('/twins/manifest', async () => this.manifest());
    app.get('/twins/catalog', async () => ({
      skus: this.catalog.map((c) => ({
        sku: c.sku,
        initialStock: c.quantity,
        truth: this.audit.truthOf(c.sku),
        listings: Object.fromEntries(this.twins.map((t) => [t.id, t.channel.quantityOf(c.sku)])),
      })),
    }));
    app.get('/metrics', async (_request, reply) => reply.header('content-type', metrics.contentType(this.registry)).send(await this.metricsText()));
    app.post('/twins/restocks', async (request, reply) => {
      const body = request.body as Record<string, unknown> | null | undefined;
      const sku = typeof body === 'object' && body !== null ? body['sku'] : undefined;
      const units = typeof body === 'object' && body !== null ? body['units'] : undefined;
      if (typeof sku !== 'string' || sku === '') return reply.code(400).send({ error: 'invalid_body', field: 'sku', message: 'must be a non-empty string' });
      if (typeof units !== 'number' || !Number.isSafeInteger(units) || units < 1 || units > MAX_ORDER_UNITS) {
        return reply.code(400).send({ error: 'invalid_body', field: 'units', message: `must be an integer within 1..${MAX_ORDER_UNITS}` });
      }
      if (this.audit.truthOf(sku) === undefined) return reply.code(404).send({ error: 'unknown_sku', sku });
      return reply.code(200).send({ sku, truth: this.restock(sku, units) });
    });
  }
}

type OrderBody = { ok: true; sku: string; quantity: number } | { ok: false; field: string; message: string };

function parseOrderBody(body: unknown): OrderBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, field: '(body)', message: 'must be a JSON object {sku, quantity}' };
  const { sku, quantity } = body as Record<string, unknown>;
  if (typeof sku !== 'string' || sku === '') return { ok: false, field: 'sku', message: 'must be a non-empty string' };
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_ORDER_UNITS) {
    return { ok: false, field: 'quantity', message: `must be an integer within 1..${MAX_ORDER_UNITS}` };
  }
  return { ok: true, sku, quantity };
}

/** Prometheus counters fed by the audit's conclusions; levels read from the audit at scrape time. */
class TwinMetrics {
  readonly listener: AuditListener;
  private readonly orders: Counter;
  private readonly channelIds: readonly string[];
  private readonly metrics: (Counter | Histogram)[];

  constructor(channelIds: readonly string[]) {
    this.channelIds = channelIds;
    // Registered in attach(), once the world's registry exists.
    this.orders = new Counter({ name: 'invsim_twin_orders_total', help: "Customers at a twin's storefront, by result: taken (the listing showed the units) or turned_away.", labelNames: ['channel', 'result'], registers: [] });
    const oversells = new Counter({ name: 'invsim_twin_oversells_total', help: 'Orders a twin took beyond the black-box truth (they must be cancelled).', labelNames: ['channel'], registers: [] });
    const lost = new Counter({ name: 'invsim_twin_lost_sales_total', help: 'Customers turned away while the black-box truth had the units.', labelNames: ['channel'], registers: [] });
    const api = new Counter({ name: 'invsim_twin_api_requests_total', help: "API calls a twin answered, by outcome (ok or the channel model's refusal).", labelNames: ['channel', 'outcome'], registers: [] });
    const latency = new Histogram({
      name: 'invsim_twin_propagation_latency_seconds',
      help: "From a sale on one twin to another twin's listing showing the truth after it (scenario seconds).",
      labelNames: ['channel'],
      buckets: LATENCY_BUCKETS_S,
      registers: [],
    });
    this.metrics = [this.orders, oversells, lost, api, latency];
    for (const channel of channelIds) {
      this.orders.inc({ channel, result: 'taken' }, 0);
      this.orders.inc({ channel, result: 'turned_away' }, 0);
      oversells.inc({ channel }, 0);
      lost.inc({ channel }, 0);
      latency.zero({ channel });
      for (const outcome of API_OUTCOMES) api.inc({ channel, outcome }, 0);
    }
    this.listener = {
      purchase: (channel, taken) => this.orders.inc({ channel, result: taken ? 'taken' : 'turned_away' }),
      oversell: (channel) => oversells.inc({ channel }),
      lostSale: (channel) => lost.inc({ channel }),
      apiCall: (channel, outcome) => api.inc({ channel, outcome }),
      propagated: (channel, latencyMs) => latency.observe({ channel }, latencyMs / 1000),
    };
  }

  attach(world: TwinWorld, registry: Registry): void {
    for (const m of this.metrics) registry.registerMetric(m);
    const ids = this.channelIds;
    new Gauge({
      name: 'invsim_twin_listings_divergent',
      help: 'Listings that differ from the black-box truth now, by direction (over: above it, under: below it).',
      labelNames: ['channel', 'direction'],
      registers: [registry],
      collect() {
        const r = world.audit.report(world.time.nowMs());
        r.channels.forEach((c, i) => {
          this.set({ channel: ids[i]!, direction: 'over' }, c.divergentListings.over);
          this.set({ channel: ids[i]!, direction: 'under' }, c.divergentListings.under);
        });
      },
    });
    new Gauge({
      name: 'invsim_twin_listing_freshness',
      help: "Time-weighted mean confidence of a twin's listings so far (the seed's 1 - staleness/max_staleness).",
      labelNames: ['channel'],
      registers: [registry],
      collect() {
        const r = world.audit.report(world.time.nowMs());
        r.channels.forEach((c, i) => this.set({ channel: ids[i]! }, c.freshness.meanConfidence));
      },
    });
  }

  contentType(registry: Registry): string {
    return registry.contentType;
  }
}

function newApp(): FastifyInstance {
  return Fastify({ logger: false, bodyLimit: 1_048_576, forceCloseConnections: 'idle', return503OnClosing: true });
}

async function listen(app: FastifyInstance, host: string, port: number, field: string): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') throw InputError.of(field, `cannot listen on ${host}:${port}: ${code}`);
    throw error;
  }
  const address = app.server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
}

async function closeApp(app: FastifyInstance): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS);
  });
  const closed = await Promise.race([app.close().then(() => true as const), grace]);
  clearTimeout(timer);
  if (!closed) app.server.closeAllConnections();
}

function checkPort(field: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw InputError.of(field, `must be an integer 0..65535, got ${port}`);
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
