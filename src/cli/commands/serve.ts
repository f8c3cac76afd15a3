/**
 * `invsim serve`: the reference service the k6 scripts aim at, running one scenario's channels.
 * With `--store redis://…` or `postgres://…` (or INVSIM_STORE) several instances share one store;
 * the store is opened before the port, so a bad connection string or an unreachable server stops
 * the start with exit 2 and a message saying which.
 */
import type { Argv } from 'yargs';
import { loadChannelManifest } from '../../connectors/manifest.js';
import type { ChannelManifest } from '../../connectors/types.js';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import { engineConfig } from '../../scenarios/compile.js';
import { DEFAULT_SIGNATURE_TOLERANCE_S } from '../../serve/signature.js';
import { DEFAULT_HTTP_LIMITS, startServer, type HttpLimits, type RunningServer } from '../../serve/index.js';
import { DEFAULT_CLAIM_IDLE_MS, openStoreFactory, UnsupportedStoreError, type StoreFactory } from '../../serve/store.js';
import { StoreUnavailableError, StoreUrlError } from '../../stores/errors.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';

export interface ServeArgs {
  file: string;
  scenario: string;
  port: number;
  host: string;
  store: string | undefined;
  claimIdleS: number;
  reconcileEveryS: number;
  instance: string | undefined;
  seed: number;
  speedup: number;
  storefront: boolean;
  faults: boolean;
  insecureDev: boolean;
  drainTimeoutS: number;
  maxSkus: number | undefined;
  maxMutations: number | undefined;
  headersTimeoutS: number;
  requestTimeoutS: number;
  socketTimeoutS: number;
  keepAliveTimeoutS: number;
  maxConnections: number;
  signatureToleranceS: number;
  channels: string | undefined;
  publicUrl: string | undefined;
}

/** Well-known values for --insecure-dev: printed in the warning, never for a shared deployment. */
export const INSECURE_DEV_SECRETS = { webhookSecret: 'insecure-dev-webhook-secret', adminToken: 'insecure-dev-admin-token' } as const;

export function serveBuilder(y: Argv): Argv<ServeArgs> {
  return y
    .positional('file', { type: 'string', describe: 'scenario file (YAML)', demandOption: true })
    .option('scenario', { type: 'string', describe: "scenario whose channels, faults and engine settings the service runs", demandOption: true })
    .option('port', { type: 'number', default: 8080, describe: 'TCP port (0: any free port)' })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
    .option('store', {
      type: 'string',
      describe: 'source-of-truth store: memory, redis://host:6379[/db][?namespace=NAME] or postgres://user@host:5432/db[?schema=NAME&pool=N]; instances on one Redis or PostgreSQL store share it',
      defaultDescription: '$INVSIM_STORE, else memory',
    })
    .option('claim-idle-s', {
      type: 'number',
      default: DEFAULT_CLAIM_IDLE_MS / 1000,
      describe: 'shared store: an outbox entry another instance claimed and left unacknowledged this long (it died) is taken over',
    })
    .option('reconcile-every-s', { type: 'number', default: 2, describe: "shared store: how often this instance's channel models are reconciled with the store" })
    .option('instance', { type: 'string', describe: 'this instance\'s name among those sharing the store (default: host:pid:random)' })
    .option('seed', { type: 'number', default: 1, describe: "root seed of the channels' latency and fault draws" })
    .option('speedup', {
      type: 'number',
      default: 1,
      describe:
        'scenario seconds per real second: channel latencies, feed delays, rate-limit refill, fault windows, retry backoff, DLQ redrives and store latency all run N times faster, and /audit reports scenario time (use the k6 script\'s value)',
    })
    .option('storefront', {
      type: 'boolean',
      default: false,
      describe: "the channel models act as storefronts, as in the simulator: an order its channel's listing cannot show is answered rejected (not_listed), never reaches the engine, and counts as a lost sale when the source of truth had the units",
    })
    .option('channels', {
      type: 'string',
      describe: "channels file (YAML, as `invsim twins` writes it): the scenario's channels are external, reached through their connectors (Shopify, WooCommerce, SP-API, eBay) instead of the in-process channel models; not with --storefront",
    })
    .option('public-url', {
      type: 'string',
      describe: 'with --channels: the URL the webhook channels reach this service at (their order webhooks are subscribed to <url>/webhooks/<dialect>/<channel>)',
      defaultDescription: 'http://<host>:<port>',
    })
    .option('faults', { type: 'boolean', default: true, describe: "inject the scenario's channel faults (--no-faults: none)" })
    .option('insecure-dev', {
      type: 'boolean',
      default: false,
      describe: 'start without INVSIM_WEBHOOK_SECRET / INVSIM_ADMIN_TOKEN, using well-known development values (prints a warning)',
    })
    .option('drain-timeout-s', { type: 'number', default: 10, describe: 'on SIGTERM/SIGINT: how long in-flight requests and propagation may take to finish' })
    .option('max-skus', { type: 'number', describe: 'SKUs tracked at most (default: the catalog size, at least 100000)' })
    .option('max-mutations', { type: 'number', describe: 'mutations the audit ledger tracks at most (default 1000000)' })
    .option('headers-timeout-s', { type: 'number', default: DEFAULT_HTTP_LIMITS.headersTimeoutMs / 1000, describe: "a request's headers must arrive within this (else 408, connection closed)" })
    .option('request-timeout-s', { type: 'number', default: DEFAULT_HTTP_LIMITS.requestTimeoutMs / 1000, describe: 'a whole request, body included, must arrive within this (else 408, connection closed)' })
    .option('socket-timeout-s', { type: 'number', default: DEFAULT_HTTP_LIMITS.socketTimeoutMs / 1000, describe: 'a connection with no traffic for this long is closed' })
    .option('keep-alive-timeout-s', { type: 'number', default: DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs / 1000, describe: 'a keep-alive connection idle between requests this long is closed' })
    .option('signature-tolerance-s', {
      type: 'number',
      default: DEFAULT_SIGNATURE_TOLERANCE_S,
      describe: "a webhook's signed time (X-Invsim-Signature t=…) may be this far from this server's clock, either way; older ones are refused as replays",
    })
    .option('max-connections', { type: 'number', default: DEFAULT_HTTP_LIMITS.maxConnections, describe: 'connections open at once at most; more are closed as they arrive' })
    .example('INVSIM_WEBHOOK_SECRET=… INVSIM_ADMIN_TOKEN=… $0 serve scenarios.yaml --scenario flash-sale', 'serve on 127.0.0.1:8080')
    .example('$0 serve scenarios.yaml --scenario flash-sale --insecure-dev --speedup 60 --storefront', 'a local try-out of the k6 script, the scenario 60x faster, as the simulator predicts it')
    .example("$0 serve scenarios.yaml --scenario flash-sale --port 8081 --store 'redis://127.0.0.1:6379?namespace=staging'", 'one of several instances sharing a Redis store') as unknown as Argv<ServeArgs>;
}

/** The HTTP limits from the command line, each a positive number of seconds (ms resolution). */
function httpLimits(args: ServeArgs): HttpLimits {
  const seconds = (flag: string, value: number): number => {
    checkNumber(flag, value, (v) => Number.isFinite(v) && v >= 0.001 && v <= 3_600, 'a number of seconds within 0.001..3600');
    return Math.round(value * 1000);
  };
  checkNumber('--max-connections', args.maxConnections, (n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000, 'an integer within 1..1000000');
  const limits: HttpLimits = {
    headersTimeoutMs: seconds('--headers-timeout-s', args.headersTimeoutS),
    requestTimeoutMs: seconds('--request-timeout-s', args.requestTimeoutS),
    socketTimeoutMs: seconds('--socket-timeout-s', args.socketTimeoutS),
    keepAliveTimeoutMs: seconds('--keep-alive-timeout-s', args.keepAliveTimeoutS),
    maxConnections: args.maxConnections,
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) throw new UsageError(`--headers-timeout-s (${args.headersTimeoutS}) must not exceed --request-timeout-s (${args.requestTimeoutS})`);
  return limits;
}

export interface SignalSource {
  once(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  removeListener(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export interface ServeContext {
  readonly env?: NodeJS.ProcessEnv;
  /** Where SIGTERM and SIGINT come from (tests pass an EventEmitter). */
  readonly signals?: SignalSource;
  /** Called once the server listens (tests use it to learn the port). */
  readonly onListening?: (server: RunningServer) => void;
}

export async function serveCommand(args: ServeArgs, io: Io, context: ServeContext = {}): Promise<number> {
  const env = context.env ?? process.env;
  const signals: SignalSource = context.signals ?? process;
  const secrets = resolveSecrets(env, args.insecureDev, io);
  checkNumber('--port', args.port, (p) => Number.isInteger(p) && p >= 0 && p <= 65_535, 'an integer 0..65535');
  checkNumber('--seed', args.seed, (s) => Number.isSafeInteger(s) && s >= 0, 'an integer >= 0');
  checkNumber('--speedup', args.speedup, (s) => Number.isFinite(s) && s > 0, 'a number > 0');
  checkNumber('--drain-timeout-s', args.drainTimeoutS, (s) => Number.isFinite(s) && s >= 0, 'a number >= 0');
  if (args.maxSkus !== undefined) checkNumber('--max-skus', args.maxSkus, (n) => Number.isSafeInteger(n) && n >= 1, 'an integer >= 1');
  if (args.maxMutations !== undefined) checkNumber('--max-mutations', args.maxMutations, (n) => Number.isSafeInteger(n) && n >= 1, 'an integer >= 1');
  checkNumber('--claim-idle-s', args.claimIdleS, (s) => Number.isFinite(s) && s > 0, 'a number > 0');
  checkNumber('--reconcile-every-s', args.reconcileEveryS, (s) => Number.isFinite(s) && s > 0, 'a number > 0');
  if (args.instance !== undefined && args.instance.trim() === '') throw new UsageError('--instance must not be empty');
  const limits = httpLimits(args);
  // The storefront is the channel model turning a customer away; external channels decide that themselves.
  if (args.channels !== undefined && args.storefront) throw new UsageError('--channels cannot be combined with --storefront: the external channels take or refuse orders themselves');
  if (args.publicUrl !== undefined && (args.channels === undefined || !URL.canParse(args.publicUrl))) throw new UsageError('--public-url must be an http(s) URL, given with --channels');
  const manifest: ChannelManifest | undefined = args.channels === undefined ? undefined : await loadChannelManifest(args.channels);
  const scenario = getScenario(loadScenarioFile(args.file), args.scenario);
  checkNumber('--signature-tolerance-s', args.signatureToleranceS, (v) => Number.isInteger(v) && v >= 1 && v <= 86_400, 'an integer number of seconds within 1..86400');
  // Within the tolerance a replay is answered from its idempotency record: that must outlive it.
  const ttlRealS = engineConfig(scenario).idempotencyTtlMs / 1000 / args.speedup;
  if (ttlRealS < args.signatureToleranceS) {
    throw new UsageError(
      `--signature-tolerance-s ${args.signatureToleranceS} exceeds the idempotency TTL (${ttlRealS} real s at --speedup ${args.speedup}): a webhook replayed after its record expired would apply again; lower the tolerance or raise tuning.idempotency.ttl_seconds`,
    );
  }
  const store = await openStore(nonEmpty(args.store) ?? nonEmpty(env['INVSIM_STORE']) ?? 'memory', args.claimIdleS * 1000);

  let server: RunningServer;
  try {
    server = await startServer({
      scenario,
      host: args.host,
      port: args.port,
      secrets,
      store,
      reconcileEveryMs: args.reconcileEveryS * 1000,
      ...(args.instance === undefined ? {} : { instanceId: args.instance }),
      seed: args.seed,
      speedup: args.speedup,
      storefront: args.storefront,
      faults: args.faults,
      ...(args.maxSkus === undefined ? {} : { maxSkus: args.maxSkus }),
      ...(args.maxMutations === undefined ? {} : { maxTrackedMutations: args.maxMutations }),
      limits,
      signatureToleranceS: args.signatureToleranceS,
      ...(manifest === undefined ? {} : { channels: manifest }),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new UsageError(`cannot listen on ${args.host}:${args.port}: ${code} (${(error as Error).message})`);
    }
    throw error;
  }
  if (manifest !== undefined) {
    try {
      await server.service.subscribeWebhooks(args.publicUrl ?? server.url);
    } catch (error) {
      // Without its subscriptions a webhook channel would never send an order: stop rather than serve half.
      await server.close({ drainTimeoutMs: 0 });
      throw new UsageError(`--channels: subscribing the order webhooks failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const channels = scenario.channels.map((c) => `${c.id} (${c.preset})`).join(', ');
  io.err(
    `invsim serve: listening on ${server.url}\n` +
      `  scenario ${scenario.name}: ${channels}; store ${store.name}${store.shared ? ` (shared; this instance: ${server.service.instanceId})` : ''}; faults ${args.faults ? 'on' : 'off'}; speedup ${args.speedup}${args.storefront ? '; storefront' : ''}${args.channels === undefined ? '' : `; channels external (${args.channels})`}; seed ${args.seed}\n` +
      `  POST /webhooks/orders/{channel}, GET /inventory/{sku}, GET /metrics, GET /healthz, GET /readyz; admin: POST /inventory/{sku}/adjustments, GET /audit, POST /reset\n`,
  );
  context.onListening?.(server);

  const signal = await new Promise<string>((resolve) => {
    const on = (name: string) => () => {
      signals.removeListener('SIGTERM', onTerm);
      signals.removeListener('SIGINT', onInt);
      resolve(name);
    };
    const onTerm = on('SIGTERM');
    const onInt = on('SIGINT');
    signals.once('SIGTERM', onTerm);
    signals.once('SIGINT', onInt);
  });
  io.err(`invsim serve: ${signal}: draining (at most ${args.drainTimeoutS} s)\n`);
  const { drained, settled, audit } = await server.close({ drainTimeoutMs: args.drainTimeoutS * 1000 });
  const totals =
    audit === undefined
      ? ''
      : `; orders ${audit.orders.distinct} (applied ${audit.orders.applied}, rejected ${audit.orders.rejected}, duplicates ${audit.orders.duplicates}), ` +
        `oversells ${audit.oversells}, integrity violations ${audit.integrityViolations}`;
  io.err(`invsim serve: stopped (${drained ? 'every request answered' : 'drain timed out: connections closed'}; ${settled ? 'propagation settled' : 'propagation still pending'})${totals}\n`);
  return drained ? EXIT.ok : EXIT.failed;
}

/** Opens the store now: a bad string or an unreachable server is bad usage (exit 2), said plainly. */
async function openStore(spec: string, claimIdleMs: number): Promise<StoreFactory> {
  try {
    return await openStoreFactory(spec, { claimIdleMs });
  } catch (error) {
    if (error instanceof StoreUrlError || error instanceof UnsupportedStoreError) throw new UsageError(`--store: ${error.message}`);
    if (error instanceof StoreUnavailableError) throw new UsageError(`--store: the store is not usable, not starting: ${error.message}`);
    throw error;
  }
}

function resolveSecrets(env: NodeJS.ProcessEnv, insecureDev: boolean, io: Io): { webhookSecret: string; adminToken: string } {
  const webhookSecret = nonEmpty(env['INVSIM_WEBHOOK_SECRET']);
  const adminToken = nonEmpty(env['INVSIM_ADMIN_TOKEN']);
  if (webhookSecret !== undefined && adminToken !== undefined) return { webhookSecret, adminToken };
  const missing = [webhookSecret === undefined ? 'INVSIM_WEBHOOK_SECRET' : undefined, adminToken === undefined ? 'INVSIM_ADMIN_TOKEN' : undefined].filter((m) => m !== undefined);
  if (!insecureDev) {
    throw new UsageError(`${missing.join(' and ')} not set: the service will not start without its webhook secret and admin token (or pass --insecure-dev for a local try-out)`);
  }
  const resolved = { webhookSecret: webhookSecret ?? INSECURE_DEV_SECRETS.webhookSecret, adminToken: adminToken ?? INSECURE_DEV_SECRETS.adminToken };
  io.err(
    `invsim serve: WARNING --insecure-dev: ${missing.join(' and ')} not set; using the well-known development values` +
      `${webhookSecret === undefined ? ` WEBHOOK_SECRET=${INSECURE_DEV_SECRETS.webhookSecret}` : ''}` +
      `${adminToken === undefined ? ` ADMIN_TOKEN=${INSECURE_DEV_SECRETS.adminToken}` : ''}. Anyone who can reach this port can forge orders and reset the state.\n`,
  );
  return resolved;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function checkNumber(option: string, value: number, ok: (n: number) => boolean, what: string): void {
  if (!ok(value)) throw new UsageError(`${option} must be ${what}, got ${value}`);
}
