/**
 * `invsim twins`: one scenario's channels as marketplace twins (src/twins), for testing any sync
 * service black-box. Writes the channels manifest (where each twin listens, its dialect and
 * credentials) to `--manifest` (default `twins.yaml` in the working directory) for the service
 * under test (`invsim serve --channels FILE`), then either serves until SIGINT/SIGTERM, or with
 * `--drive` runs the scenario's customers at the twins, waits `--settle-s` for the service to
 * propagate, and prints the black-box audit.
 *
 * `--restock-url URL` tells the service of each restock through invsim's adjustment contract
 * (POST URL/inventory/{sku}/adjustments, or URL itself when it holds `{sku}`), with the bearer
 * token from INVSIM_ADMIN_TOKEN when it is set (never a flag: it would show in `ps`).
 */
import type { Argv } from 'yargs';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import { scenarioPrefix } from '../../scenarios/prefix.js';
import { adjustmentPoster, driveCustomers, twinLoadPlan } from '../../twins/drive.js';
import { isHttpUrl, TwinWorld, type TwinAuditBody, type TwinWorldOptions } from '../../twins/world.js';
import { table } from '../format.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { SignalSource } from './serve.js';

export interface TwinsArgs {
  file: string;
  scenario: string;
  seed: number;
  speedup: number;
  durationS?: number | undefined;
  host: string;
  port: number;
  faults: boolean;
  webhook: string[] | string | undefined;
  manifest: string;
  drive: boolean;
  restockUrl: string | undefined;
  waitFor?: string | undefined;
  waitForS?: number;
  settleS: number;
  json: boolean;
}

export function twinsBuilder(y: Argv): Argv<TwinsArgs> {
  return y
    .positional('file', { type: 'string', describe: 'scenario file (YAML)', demandOption: true })
    .option('scenario', { type: 'string', describe: 'scenario whose channels the twins serve', demandOption: true })
    .option('seed', { type: 'number', default: 1, describe: "root seed: the catalogue's initial stock (as invsim run --seed), the twins' draws, the customers, the credentials" })
    .option('speedup', { type: 'number', default: 1, describe: 'scenario seconds per real second (the k6 script\'s value; the scenario bounds it)' })
    .option('duration-s', {
      type: 'number',
      describe: "run only the scenario's first N scenario seconds (what starts later is left out, windows are cut); the audit says so and live-report predicts the same prefix",
    })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'address the twins listen on' })
    .option('port', { type: 'number', default: 7070, describe: 'control server port (audit, metrics, manifest); channel i listens on port+1+i (0: any free ports)' })
    .option('faults', { type: 'boolean', default: true, describe: "inject the scenario's channel faults (--no-faults: none)" })
    .option('webhook', { type: 'string', array: true, describe: 'channel=URL: where that channel delivers its order webhooks when the service has not subscribed through the API (repeatable)' })
    .option('manifest', { type: 'string', default: 'twins.yaml', describe: 'where to write the channels manifest (YAML) for the service under test' })
    .option('drive', { type: 'boolean', default: false, describe: "run the scenario's customers at the twins, then print the audit and exit" })
    .option('restock-url', { type: 'string', describe: "with --drive: the service's base URL, told of the initial stock and of each restock by POST URL/inventory/{sku}/adjustments (token: $INVSIM_ADMIN_TOKEN)" })
    .option('wait-for', {
      type: 'string',
      describe: 'with --drive: an http(s) URL (the service\'s readiness probe) that must answer 2xx before the customers start, so the service can start after the twins have written the manifest',
    })
    .option('wait-for-s', { type: 'number', default: 120, describe: 'with --wait-for: real seconds to wait at most' })
    .option('settle-s', { type: 'number', default: 10, describe: 'with --drive: real seconds to wait at most after the last customer for every listing to reach the truth before the audit' })
    .option('json', { type: 'boolean', default: false, describe: 'with --drive: print the audit as JSON on stdout' })
    .example('$0 twins scenarios.yaml --scenario baseline --speedup 10', 'serve the twins; configure the service from twins.yaml')
    .example('$0 twins scenarios.yaml --scenario baseline --speedup 10 --drive --restock-url http://127.0.0.1:8080 --json', 'customers, then the audit')
    .example('$0 twins scenarios.yaml --scenario flash-sale --duration-s 2400 --speedup 30 --drive --json', "the flash sale's first 40 minutes, its burst included") as unknown as Argv<TwinsArgs>;
}

export interface TwinsContext {
  readonly env?: NodeJS.ProcessEnv;
  readonly signals?: SignalSource;
  /** Dialect twins in place of TWIN_FACTORIES (tests). */
  readonly factories?: TwinWorldOptions['factories'];
  /** Called once every twin listens (tests). */
  readonly onListening?: (world: TwinWorld) => void;
}

/** `channel=URL` pairs, each channel once. */
export function parseWebhooks(raw: string[] | string | undefined): Record<string, string> {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--webhook must be channel=URL, got ${JSON.stringify(item)}`);
    const channel = item.slice(0, eq);
    const url = item.slice(eq + 1);
    if (out[channel] !== undefined) throw new UsageError(`--webhook names channel ${channel} twice`);
    if (!isHttpUrl(url)) throw new UsageError(`--webhook ${channel}: not an http(s) URL: ${JSON.stringify(url)}`);
    out[channel] = url;
  }
  return out;
}

export async function twinsCommand(args: TwinsArgs, io: Io, context: TwinsContext = {}): Promise<number> {
  const env = context.env ?? process.env;
  check('--speedup', Number.isFinite(args.speedup) && args.speedup > 0, 'a number > 0', args.speedup);
  check('--seed', Number.isSafeInteger(args.seed) && args.seed >= 0, 'an integer >= 0', args.seed);
  check('--port', Number.isInteger(args.port) && args.port >= 0 && args.port <= 65_535, 'an integer 0..65535', args.port);
  check('--settle-s', Number.isFinite(args.settleS) && args.settleS >= 0, 'a number >= 0', args.settleS);
  if (args.manifest.trim() === '') throw new UsageError('--manifest must name a file');
  if (args.restockUrl !== undefined && !isHttpUrl(args.restockUrl.replaceAll('{sku}', 'x'))) throw new UsageError(`--restock-url: not an http(s) URL: ${JSON.stringify(args.restockUrl)}`);
  if (args.waitFor !== undefined && !isHttpUrl(args.waitFor)) throw new UsageError(`--wait-for: not an http(s) URL: ${JSON.stringify(args.waitFor)}`);
  check('--wait-for-s', Number.isFinite(args.waitForS ?? 120) && (args.waitForS ?? 120) > 0, 'a number > 0', args.waitForS ?? 120);
  if (!args.drive && args.waitFor !== undefined) throw new UsageError('--wait-for needs --drive');
  if (!args.drive && (args.restockUrl !== undefined || args.json)) throw new UsageError(`${args.json ? '--json' : '--restock-url'} needs --drive`);
  const webhookUrls = parseWebhooks(args.webhook);
  const declared = getScenario(loadScenarioFile(args.file), args.scenario);
  if (args.durationS !== undefined && !(args.durationS > 0 && args.durationS <= declared.durationS)) {
    throw new UsageError(`--duration-s must be > 0 and at most scenario ${declared.name}'s ${declared.durationS} s, got ${args.durationS}`, { field: '--duration-s', reason: `must be > 0 and at most ${declared.durationS}` });
  }
  const scenario = args.durationS === undefined ? declared : scenarioPrefix(declared, args.durationS);
  const ids = scenario.channels.map((c) => c.id);
  for (const channel of Object.keys(webhookUrls)) {
    if (!ids.includes(channel)) throw new UsageError(`--webhook: scenario ${scenario.name} has no channel ${channel} (it has: ${ids.join(', ')})`);
  }
  // The plan first: a speedup the scenario cannot honour is refused before anything listens.
  const plan = args.drive ? twinLoadPlan(scenario, { speedup: args.speedup, seed: args.seed }) : undefined;

  const world = await TwinWorld.start({ scenario, seed: args.seed, speedup: args.speedup, faults: args.faults, host: args.host, port: args.port, webhookUrls,
    ...(context.factories === undefined ? {} : { factories: context.factories }),
    log: (m) => io.err(`invsim twins: ${m}\n`),
  });
  try {
    await world.writeManifest(args.manifest);
    io.err(
      `invsim twins: scenario ${scenario.name}, seed ${args.seed}, speedup ${args.speedup}, faults ${args.faults ? 'on' : 'off'}; manifest ${args.manifest}\n` +
        `  control ${world.controlUrl}: GET /twins/audit, /metrics, /twins/manifest, /twins/catalog, /healthz; POST /twins/restocks, /twins/start\n` +
        world.twins.map((t) => `  ${t.id} (${t.preset}): ${t.dialect} at ${t.url}; storefront POST ${t.url}/storefront/orders\n`).join(''),
    );
    context.onListening?.(world);
    if (plan === undefined) {
      const signal = await untilSignal(context.signals ?? process);
      io.err(`invsim twins: ${signal}: stopping\n`);
      return EXIT.ok;
    }
    const token = env['INVSIM_ADMIN_TOKEN'];
    const onRestock = args.restockUrl === undefined ? undefined : adjustmentPoster(args.restockUrl, { runId: `twins${Date.now().toString(36)}`, ...(token === undefined || token === '' ? {} : { adminToken: token }) });
    let reported = false;
    // A signal during the run stops the customers; the audit of what happened is still printed.
    const stop = new AbortController();
    void untilSignal(context.signals ?? process, stop.signal).then((name) => {
      io.err(`invsim twins: ${name}: stopping the customers\n`);
      stop.abort();
    });
    if (args.waitFor !== undefined) await waitFor(args.waitFor, (args.waitForS ?? 120) * 1000, stop.signal, io);
    if (onRestock !== undefined) {
      // The service starts empty: it is told of the catalogue's initial stock as of a restock,
      // then given the time to push it (the twins list it already, so nothing should change).
      for (const { sku, quantity } of world.catalog) if (quantity > 0) await onRestock(sku, quantity);
      io.err(`invsim twins: told the service of the initial stock of ${world.catalog.length} SKUs\n`);
      await settle(world, args.settleS * 1000, stop.signal);
    }
    const summary = await driveCustomers({
      target: world,
      plan,
      signal: stop.signal,
      ...(onRestock === undefined ? {} : { onRestock }),
      onRestockError: (sku, error) => {
        if (reported) return;
        reported = true;
        io.err(`invsim twins: telling the service of a restock of ${sku} failed: ${error instanceof Error ? error.message : String(error)} (further failures are only counted)\n`);
      },
      onProgress: (p) => io.err(`invsim twins: ${Math.round(p.elapsedMs / 1000)}/${Math.round(p.durationMs / 1000)} s, ${p.orders} orders (${p.taken} taken), ${p.restocks} restocks\n`),
      progressEveryMs: 5_000,
    });
    // The audit when the load ends is the measured window, the simulator's (freshness integrated
    // over the scenario, not over the quiet settle period); the one after settling says whether
    // every listing reached the truth.
    // The last customer may come a little before the scenario's end: the window is the scenario's.
    const leftMs = (scenario.durationS * 1000 - (world.time.nowMs() - world.audit.startMs)) / args.speedup;
    if (leftMs > 0 && !stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, leftMs));
    const audit = world.auditReport();
    await settle(world, args.settleS * 1000, stop.signal);
    stop.abort();
    const afterSettle = world.auditReport();
    if (args.json) io.out(`${JSON.stringify({ drive: summary, audit, afterSettle }, null, 2)}\n`);
    else io.out(auditTable(afterSettle));
    return EXIT.ok;
  } finally {
    await world.close();
  }
}

function auditTable(a: TwinAuditBody): string {
  const ms = (x: number | null): string => (x === null ? '-' : String(Math.round(x)));
  const rows = a.channels.map((c) => [
    c.id,
    String(c.orders.taken),
    String(c.orders.oversells),
    String(c.orders.lostSales),
    ms(c.propagation.latencyMs.p99),
    String(c.propagation.pending),
    c.freshness.meanConfidence.toFixed(3),
    `${c.divergentListings.over}/${c.divergentListings.under}`,
    `${c.api.calls}/${c.api.throttled}/${c.api.failed}`,
  ]);
  return (
    `twins audit: ${a.scenario}, seed ${a.seed}, speedup ${a.speedup}: ${a.orders.taken} orders taken, ${a.oversells} oversells, ${a.lostSales} lost sales; ` +
    `${a.settled ? 'settled' : a.settledAtOrBelowTruth ? 'at or below the truth (not equal)' : 'NOT settled'}\n\n` +
    table(['channel', 'taken', 'oversells', 'lost', 'p99 ms', 'pending', 'confidence', 'over/under', 'api calls/429/failed'], rows) +
    '\n'
  );
}

/** Waits until every listing equals the truth with no sale pending, at most `timeoutMs` real ms. */
async function settle(world: TwinWorld, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!signal.aborted && performance.now() < deadline) {
    const a = world.audit.report(world.time.nowMs());
    if (a.settled && a.propagation.pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, deadline - performance.now()))));
  }
}

/** The first SIGINT or SIGTERM; with `cancel`, the listeners go when it aborts (and the promise never resolves). */
function untilSignal(signals: SignalSource, cancel?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const off = (): void => {
      signals.removeListener('SIGTERM', onTerm);
      signals.removeListener('SIGINT', onInt);
    };
    const on = (name: string) => () => {
      off();
      resolve(name);
    };
    const onTerm = on('SIGTERM');
    const onInt = on('SIGINT');
    signals.once('SIGTERM', onTerm);
    signals.once('SIGINT', onInt);
    cancel?.addEventListener('abort', off, { once: true });
  });
}

function check(option: string, ok: boolean, what: string, value: number): void {
  if (!ok) throw new UsageError(`${option} must be ${what}, got ${value}`);
}

/** Polls `url` until it answers 2xx; gives up (a usage error naming --wait-for) after `boundMs`. */
async function waitFor(url: string, boundMs: number, signal: AbortSignal, io: Io): Promise<void> {
  const until = performance.now() + boundMs;
  io.err(`invsim twins: waiting for ${url}\n`);
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (signal.aborted || performance.now() >= until) throw new UsageError(`--wait-for: ${url} did not answer 2xx within ${Math.round(boundMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
