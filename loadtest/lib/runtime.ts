/**
 * The k6 side of a generated script: turns a ScriptConfig into k6's `options`, `setup`, the
 * scenario functions and `teardown`. Written for k6 v0.48 and later (v1.x included) and checked
 * against both versions' type definitions: `k6/crypto`'s `hmac` rather than the global WebCrypto
 * `crypto`, `k6/execution` for iteration numbers and the execution segment, bundled to ES2017
 * (k6 v0.48 compiles with Babel 6).
 *
 * There is no `handleSummary`: k6 prints its own end-of-test summary (checks tree, units,
 * thresholds), and `k6 run --summary-export FILE` writes the JSON the live report reads.
 *
 * Reproducible load: every iteration re-seeds `Math.random` from `--seed`, its stream and its
 * iteration number (`randomSeed`), so it draws the same channel, SKU, quantity and redelivery
 * whichever VU or instance runs it.
 *
 * Split over instances (k6 execution segments, as k6-operator runs a test): every instance runs
 * setup and teardown, but only the first segment resets the service and loads the stock; the
 * others wait until every SKU is loaded. Orders are numbered by `iterationInTest`, unique across
 * the instances, so they are divided, not duplicated.
 *
 * BASE_URL, WEBHOOK_SECRET and ADMIN_TOKEN come from `__ENV`; RESET=1 resets the service in
 * setup (a local try-out against `invsim serve`); SETTLE_TIMEOUT_S bounds the waits for the
 * service to settle.
 */
import { check, randomSeed, sleep } from 'k6';
import { hmac } from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Gauge, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import type { ScriptConfig } from './config.js';
import { BATCH_IN_FLIGHT, buildOptions } from './options.js';
import {
  adjustmentRequest,
  auditRequest,
  baseUrlOf,
  inventoryRequest,
  isAcknowledgement,
  isFirstSegment,
  iterationSeed,
  mutationIdOf,
  orderRequest,
  pickIndex,
  pickUniform,
  reasonOf,
  redeliveryDelayMs,
  requireEnv,
  resetRequest,
  startRequest,
  statusOf,
  stockDelta,
  type HmacSha256Hex,
  type PreparedRequest,
} from './requests.js';

export interface SetupData {
  readonly runId: string;
  readonly startedAt: string;
  /** SKUs whose stock this instance loaded (0 on every instance but the first segment's). */
  readonly stockLoaded: number;
  /** Whether the stock had reached every channel before the load began. */
  readonly settled: boolean;
}

export interface Script {
  readonly options: Options;
  setup(): SetupData;
  orders(data: SetupData): void;
  burst(data: SetupData): void;
  surge(data: SetupData): void;
  restock(data: SetupData): void;
  teardown(data: SetupData): void;
}

/** k6 provides `console`; @types/k6 does not declare it (and the DOM lib would declare too much). */
declare const console: { log(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };

/** Requests per http.batch call in setup and restocks (all in flight at once: options.batch). */
const BATCH = BATCH_IN_FLIGHT;
/** A split test's runners start within this of each other (real ms): a reset older than that is not this run's. */
const RESET_GRACE_MS = 30_000;

const hmacHex: HmacSha256Hex = (secret, message) => hmac('sha256', secret, message, 'hex');

// Custom metrics: the outcome of every webhook, and the service's audit read in teardown.
const applied = new Counter('invsim_orders_applied');
const rejected = new Counter('invsim_orders_rejected');
const duplicates = new Counter('invsim_orders_duplicate');
const redeliveries = new Counter('invsim_redeliveries');
/**
 * What the live report conditions its prediction on: the seed the load (and so the catalogue) was
 * drawn from, and how long a restock's reads took (its writes took the rest of its iteration).
 */
const loadSeed = new Gauge('invsim_load_seed');
const restockReadDuration = new Trend('invsim_restock_read_duration', true);
const auditGauges = {
  integrityViolations: new Gauge('invsim_integrity_violations'),
  oversells: new Gauge('invsim_oversells'),
  dlqParked: new Gauge('invsim_dlq_parked'),
  dlqDepth: new Gauge('invsim_dlq_depth'),
  latencyMsP99: new Gauge('invsim_propagation_latency_p99_ms'),
  meanConfidence: new Gauge('invsim_listing_freshness'),
};

interface AuditView {
  settled: boolean;
  integrityViolations: number;
  oversells: number;
  dlq: { parked: number; depth: number };
  latencyMs: { p99: number };
  freshness: { meanConfidence: number; staleListings?: number; integrated?: { meanConfidence: number | null } };
}

function send(request: PreparedRequest, tags: Record<string, string>, expected?: readonly number[]): { status: number; body: string | null } {
  const params = {
    headers: request.headers,
    tags,
    ...(expected === undefined ? {} : { responseCallback: http.expectedStatuses(...expected) }),
  };
  const res = request.method === 'GET' ? http.get(request.url, params) : http.post(request.url, request.body, params);
  return { status: res.status, body: typeof res.body === 'string' ? res.body : null };
}

export function createScript(config: ScriptConfig): Script {
  const settleTimeoutMs = settleTimeoutOf(__ENV['SETTLE_TIMEOUT_S'], config.settleTimeoutMs);
  // SETTLE_TIMEOUT_S lengthens setup's and teardown's timeouts with the waits it bounds, else k6
  // would stop a teardown still waiting for the service (exit 101) before the audit is read.
  const options: Options = buildOptions({ ...config, settleTimeoutMs });
  const baseUrl = baseUrlOf(requireEnv(__ENV, 'BASE_URL', 'the service under test'));
  const secret = requireEnv(__ENV, 'WEBHOOK_SECRET', "the service's INVSIM_WEBHOOK_SECRET");
  const adminToken = requireEnv(__ENV, 'ADMIN_TOKEN', "the service's INVSIM_ADMIN_TOKEN");

  /** Re-seeds Math.random for this iteration of `stream` (see the file comment). */
  function seedIteration(stream: string): void {
    randomSeed(iterationSeed(config.seed, stream, exec.scenario.iterationInTest));
  }

  /** One order delivered by webhook, and at the scenario's duplicate rate delivered once more. */
  function deliver(data: SetupData, stream: string, channelIndex: number, skuIndex: number, quantity: number): void {
    const channel = config.channels[channelIndex]!;
    const mutationId = mutationIdOf(data.runId, stream, exec.scenario.iterationInTest);
    const order = { mutationId, orderId: mutationId, sku: config.skus[skuIndex]!, quantity };
    const request = orderRequest(baseUrl, channel.id, order, secret, hmacHex);
    const tags = { kind: 'webhook', channel: channel.id, name: 'POST /webhooks/orders/{channel}' };
    const first = send(request, tags);
    check(first, { 'webhook acknowledged (200 applied|duplicate|rejected)': (r) => isAcknowledgement(r.status, r.body) });
    const status = statusOf(first.body);
    if (status === 'applied') applied.add(1, { channel: channel.id });
    else if (status === 'rejected') rejected.add(1, { channel: channel.id });
    else if (status === 'duplicate') duplicates.add(1, { channel: channel.id });
    // Drawn whatever the answer, so an iteration's draws do not depend on the service.
    const redeliver = Math.random() < channel.duplicateRate;
    const waitMs = redeliveryDelayMs(channel.redeliveryMinMs, channel.redeliverySpreadMs, Math.random());
    // A channel whose listing could not show the units took no order, so it sends nothing again.
    if (!redeliver || reasonOf(first.body) === 'not_listed') return;
    sleep(waitMs / 1000);
    const again = send(request, { ...tags, redelivery: 'true' });
    redeliveries.add(1, { channel: channel.id });
    check(again, { 'redelivery answered duplicate': (r) => r.status === 200 && statusOf(r.body) === 'duplicate' });
  }

  function units(): number {
    return 1 + pickUniform(config.unitsPerOrderMax, Math.random());
  }

  /** Reads every SKU's level, `BATCH` at a time. */
  function readLevels(): ({ quantity: number; version: number } | null)[] {
    const levels: ({ quantity: number; version: number } | null)[] = [];
    for (let from = 0; from < config.skus.length; from += BATCH) {
      const reads = http.batch(
        config.skus.slice(from, from + BATCH).map((sku) => {
          const r = inventoryRequest(baseUrl, sku);
          return { method: 'GET', url: r.url, params: { tags: { kind: 'admin', name: 'GET /inventory/{sku}' }, responseCallback: http.expectedStatuses(200, 404) } };
        }),
      );
      for (const res of reads) levels.push(res.status === 200 ? (JSON.parse(res.body as string) as { quantity: number; version: number }) : null);
    }
    return levels;
  }

  /** Brings every SKU below `target(i)` (or every SKU, when `exact`) to it through the admin API. */
  function loadStock(runId: string, tag: string, target: (i: number) => number, exact: boolean, afterRead?: () => void): number {
    const levels = readLevels();
    afterRead?.();
    let adjusted = 0;
    for (let from = 0; from < config.skus.length; from += BATCH) {
      const writes: { method: string; url: string; body: string; params: object }[] = [];
      for (let i = from; i < Math.min(config.skus.length, from + BATCH); i++) {
        const delta = stockDelta(levels[i]?.quantity ?? 0, target(i));
        if (delta === null || (!exact && delta < 0)) continue;
        const r = adjustmentRequest(baseUrl, config.skus[i]!, `${runId}-${tag}-${config.skus[i]!}`, delta, adminToken);
        writes.push({ method: 'POST', url: r.url, body: r.body!, params: { headers: r.headers, tags: { kind: 'admin', name: 'POST /inventory/{sku}/adjustments' } } });
      }
      if (writes.length === 0) continue;
      const answers = http.batch(writes);
      for (const res of answers) {
        check(res, { 'stock adjustment applied': (r) => r.status === 200 && statusOf(typeof r.body === 'string' ? r.body : null) === 'applied' });
      }
      adjusted += writes.length;
    }
    return adjusted;
  }

  /**
   * Reads /audit until it says `settled` (and, with `listed`, that no listing differs from the
   * source of truth: a feed channel applies minutes after it accepted) or `timeoutMs` passed;
   * null when it cannot be read.
   */
  function settledAudit(timeoutMs: number, listed = false): { audit: AuditView; body: string; waitedMs: number; done: boolean } | null {
    const started = Date.now();
    for (;;) {
      const res = send(auditRequest(baseUrl, adminToken), { kind: 'admin', name: 'GET /audit' });
      if (res.status !== 200 || res.body === null) return null;
      const audit = JSON.parse(res.body) as AuditView;
      const waitedMs = Date.now() - started;
      const done = audit.settled && (!listed || (audit.freshness.staleListings ?? 0) === 0);
      if (done || waitedMs >= timeoutMs) return { audit, body: res.body, waitedMs, done };
      sleep(Math.min(0.5, (timeoutMs - waitedMs) / 1000));
    }
  }

  /** Non-first instances: wait (bounded) until the first one's reset and stock load are visible. */
  function awaitStock(setupStartedMs: number): boolean {
    for (;;) {
      const health = http.get(`${baseUrl}/healthz`, { tags: { kind: 'admin', name: 'GET /healthz' } });
      const uptimeS = health.status === 200 ? (JSON.parse(health.body as string) as { uptimeS?: number }).uptimeS : undefined;
      // With RESET=1 the first instance resets the service: its uptime restarts, at most
      // RESET_GRACE_MS before this instance began (the runners of one test start together).
      const resetSeen = __ENV['RESET'] !== '1' || (typeof uptimeS === 'number' && uptimeS * 1000 < Date.now() - setupStartedMs + RESET_GRACE_MS);
      if (resetSeen && readLevels().every((l) => l !== null && l.version > 0)) return true;
      if (Date.now() - setupStartedMs >= settleTimeoutMs) return false;
      sleep(0.25);
    }
  }

  return {
    options,

    setup(): SetupData {
      const setupStartedMs = Date.now();
      const health = http.get(`${baseUrl}/healthz`, { tags: { kind: 'admin', name: 'GET /healthz' } });
      if (health.status !== 200) throw new Error(`${baseUrl}/healthz answered ${health.status}: is the service up?`);
      const segment = (exec.test.options as { executionSegment?: string | null }).executionSegment;
      const first = isFirstSegment(segment);
      const runId = `k6${Date.now().toString(36)}${first ? '' : `s${String(segment).replace(/[^0-9]+/g, '_')}`}`;
      let stockLoaded = 0;
      if (first) {
        if (__ENV['RESET'] === '1') {
          const res = send(resetRequest(baseUrl, adminToken), { kind: 'admin', name: 'POST /reset' });
          if (res.status !== 200) throw new Error(`POST /reset answered ${res.status}: check ADMIN_TOKEN`);
        }
        stockLoaded = loadStock(runId, 'stock', (i) => config.initialStock[i]!, true);
      } else if (!awaitStock(setupStartedMs)) {
        console.warn(`invsim: segment ${String(segment)}: the first instance's stock load was not visible within ${settleTimeoutMs / 1000} s; starting anyway`);
      }
      // The simulation starts with every listing showing its stock: so does the load.
      const audit = settledAudit(Math.max(0, settleTimeoutMs - (Date.now() - setupStartedMs)), true);
      const settled = audit !== null && audit.done;
      if (audit !== null && !settled) console.warn(`invsim: the stock had not reached every channel's listing after ${audit.waitedMs} ms (SETTLE_TIMEOUT_S); starting anyway`);
      console.log(
        `invsim: ${config.scenario} (${config.strategy}), speedup ${config.speedup}, seed ${config.seed}${segment === null || segment === undefined ? '' : `, segment ${segment}`}: ` +
          `${first ? `stock loaded on ${stockLoaded} SKUs` : 'stock loaded by the first segment'}; run ${runId}; ${config.generatedBy}`,
      );
      if (config.notMirrored.length > 0) console.log(`invsim: not mirrored by a k6 threshold: ${config.notMirrored.join('; ')}`);
      // The scenarios (orders, restocks, bursts) start as setup returns: the simulator's time 0,
      // which the service's fault windows and redrives must count from. The first order comes one
      // inter-arrival later, so it is not the origin.
      if (first) {
        const started = send(startRequest(baseUrl, adminToken), { kind: 'admin', name: 'POST /start' });
        if (started.status !== 200) throw new Error(`POST /start answered ${started.status}: check ADMIN_TOKEN`);
      }
      return { runId, startedAt: new Date().toISOString(), stockLoaded, settled };
    },

    orders(data: SetupData): void {
      seedIteration('o');
      deliver(data, 'o', pickIndex(config.channelCdf, Math.random()), pickIndex(config.skuCdf, Math.random()), units());
    },

    burst(data: SetupData): void {
      const b = config.bursts.find((x) => x.name === exec.scenario.name) ?? config.bursts[0]!;
      seedIteration(b.name);
      const channel = b.channels[pickIndex(b.channelCdf, Math.random())]!;
      deliver(data, b.name, channel, pickUniform(b.hotSkus, Math.random()), 1);
    },

    surge(data: SetupData): void {
      seedIteration('s');
      const hot = config.surge === null ? 1 : config.surge.hotSkus;
      deliver(data, 's', pickIndex(config.channelCdf, Math.random()), pickUniform(hot, Math.random()), 1);
    },

    restock(data: SetupData): void {
      const r = config.restock;
      if (r === null) return;
      const startedMs = Date.now();
      loadStock(`${data.runId}-r${exec.scenario.iterationInTest}`, 'restock', () => r.upToUnits, false, () => restockReadDuration.add(Date.now() - startedMs));
    },

    teardown(): void {
      loadSeed.add(config.seed);
      // The integrity thresholds are judged on a settled audit: wait for the service, bounded.
      const read = settledAudit(settleTimeoutMs);
      const ok = check(read, { 'audit read': (r) => r !== null });
      if (!ok || read === null) {
        console.error('invsim: GET /audit could not be read; the audit thresholds have no value');
        return;
      }
      const { audit, body, waitedMs } = read;
      check(audit, { 'service settled before the audit': (a) => a.settled });
      if (!audit.settled) console.warn(`invsim: the service had not settled after ${waitedMs} ms (SETTLE_TIMEOUT_S=${settleTimeoutMs / 1000}); judging the audit as it is`);
      auditGauges.integrityViolations.add(audit.integrityViolations);
      auditGauges.oversells.add(audit.oversells);
      auditGauges.dlqParked.add(audit.dlq.parked);
      auditGauges.dlqDepth.add(audit.dlq.depth);
      auditGauges.latencyMsP99.add(audit.latencyMs.p99);
      auditGauges.meanConfidence.add(audit.freshness.integrated?.meanConfidence ?? audit.freshness.meanConfidence);
      console.log(`invsim-audit ${body}`);
    },
  };
}

/** SETTLE_TIMEOUT_S in real ms, or the configured default. */
function settleTimeoutOf(raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined || raw.trim() === '') return fallbackMs;
  const s = Number(raw);
  if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`SETTLE_TIMEOUT_S must be a number of seconds >= 0, got "${raw}"`);
  return s * 1000;
}
