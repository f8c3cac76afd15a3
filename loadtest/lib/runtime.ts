/**
 * The k6 side of a generated script: turns a ScriptConfig into k6's `options`, `setup`, the
 * scenario functions, `teardown` and `handleSummary`. Written for k6 v0.48 and later (v1.x
 * included): `k6/crypto`'s `hmac` rather than the global WebCrypto `crypto`, `k6/execution` for
 * iteration numbers, bundled to ES2019.
 *
 * BASE_URL, WEBHOOK_SECRET and ADMIN_TOKEN come from `__ENV`; RESET=1 resets the service in
 * setup (a local try-out); SUMMARY_JSON names the JSON summary file.
 */
import { check, sleep } from 'k6';
import { hmac } from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Gauge } from 'k6/metrics';
import type { Options } from 'k6/options';
import type { ScriptConfig } from './config.js';
import { buildOptions } from './options.js';
import {
  adjustmentRequest,
  auditRequest,
  baseUrlOf,
  inventoryRequest,
  isAcknowledgement,
  mutationIdOf,
  orderRequest,
  pickIndex,
  pickUniform,
  requireEnv,
  resetRequest,
  statusOf,
  stockDelta,
  type HmacSha256Hex,
  type PreparedRequest,
} from './requests.js';
import { renderTextSummary, type SummaryData } from './summary.js';

export interface SetupData {
  readonly runId: string;
  readonly startedAt: string;
  readonly stockLoaded: number;
}

export interface Script {
  readonly options: Options;
  setup(): SetupData;
  orders(data: SetupData): void;
  burst(data: SetupData): void;
  surge(data: SetupData): void;
  restock(data: SetupData): void;
  teardown(data: SetupData): void;
  handleSummary(data: SummaryData): Record<string, string>;
}

/** k6 provides `console`; @types/k6 does not declare it (and the DOM lib would declare too much). */
declare const console: { log(...args: unknown[]): void; error(...args: unknown[]): void };

/** Requests per http.batch call in setup and restocks. */
const BATCH = 50;

const hmacHex: HmacSha256Hex = (secret, message) => hmac('sha256', secret, message, 'hex');

// Custom metrics: the outcome of every webhook, and the service's audit read in teardown.
const applied = new Counter('invsim_orders_applied');
const rejected = new Counter('invsim_orders_rejected');
const duplicates = new Counter('invsim_orders_duplicate');
const redeliveries = new Counter('invsim_redeliveries');
const auditGauges = {
  integrityViolations: new Gauge('invsim_integrity_violations'),
  oversells: new Gauge('invsim_oversells'),
  dlqParked: new Gauge('invsim_dlq_parked'),
  dlqDepth: new Gauge('invsim_dlq_depth'),
  latencyMsP99: new Gauge('invsim_propagation_latency_p99_ms'),
  meanConfidence: new Gauge('invsim_listing_freshness'),
};

interface AuditView {
  integrityViolations: number;
  oversells: number;
  dlq: { parked: number; depth: number };
  latencyMs: { p99: number };
  freshness: { meanConfidence: number };
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
  const options: Options = buildOptions(config);
  const baseUrl = baseUrlOf(requireEnv(__ENV, 'BASE_URL', 'the service under test'));
  const secret = requireEnv(__ENV, 'WEBHOOK_SECRET', "the service's INVSIM_WEBHOOK_SECRET");
  const adminToken = requireEnv(__ENV, 'ADMIN_TOKEN', "the service's INVSIM_ADMIN_TOKEN");

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
    if (Math.random() >= channel.duplicateRate) return;
    sleep((Math.random() * config.duplicateDelayMaxMs) / 1000);
    const again = send(request, { ...tags, redelivery: 'true' });
    redeliveries.add(1, { channel: channel.id });
    check(again, { 'redelivery answered duplicate': (r) => r.status === 200 && statusOf(r.body) === 'duplicate' });
  }

  function units(): number {
    return 1 + pickUniform(config.unitsPerOrderMax, Math.random());
  }

  /** Brings every SKU below `target(i)` (or every SKU, when `exact`) to it through the admin API. */
  function loadStock(data: { runId: string }, tag: string, target: (i: number) => number, exact: boolean): number {
    let adjusted = 0;
    for (let from = 0; from < config.skus.length; from += BATCH) {
      const indices: number[] = [];
      for (let i = from; i < Math.min(config.skus.length, from + BATCH); i++) indices.push(i);
      const reads = http.batch(
        indices.map((i) => {
          const r = inventoryRequest(baseUrl, config.skus[i]!);
          return { method: 'GET', url: r.url, params: { tags: { kind: 'admin', name: 'GET /inventory/{sku}' }, responseCallback: http.expectedStatuses(200, 404) } };
        }),
      );
      const writes: { method: string; url: string; body: string; params: object }[] = [];
      indices.forEach((i, k) => {
        const res = reads[k]!;
        const current = res.status === 200 ? (JSON.parse(res.body as string) as { quantity: number }).quantity : 0;
        const delta = stockDelta(current, target(i));
        if (delta === null || (!exact && delta < 0)) return;
        const r = adjustmentRequest(baseUrl, config.skus[i]!, `${data.runId}-${tag}-${config.skus[i]!}`, delta, adminToken);
        writes.push({ method: 'POST', url: r.url, body: r.body!, params: { headers: r.headers, tags: { kind: 'admin', name: 'POST /inventory/{sku}/adjustments' } } });
      });
      if (writes.length === 0) continue;
      const answers = http.batch(writes);
      for (const res of answers) {
        check(res, { 'stock adjustment applied': (r) => r.status === 200 && statusOf(typeof r.body === 'string' ? r.body : null) === 'applied' });
      }
      adjusted += writes.length;
    }
    return adjusted;
  }

  return {
    options,

    setup(): SetupData {
      const health = http.get(`${baseUrl}/healthz`, { tags: { kind: 'admin', name: 'GET /healthz' } });
      if (health.status !== 200) throw new Error(`${baseUrl}/healthz answered ${health.status}: is the service up?`);
      if (__ENV['RESET'] === '1') {
        const r = resetRequest(baseUrl, adminToken);
        const res = send(r, { kind: 'admin', name: 'POST /reset' });
        if (res.status !== 200) throw new Error(`POST /reset answered ${res.status}: check ADMIN_TOKEN`);
      }
      const runId = `k6${Date.now().toString(36)}`;
      const stockLoaded = loadStock({ runId }, 'stock', (i) => config.initialStock[i]!, true);
      console.log(`invsim: ${config.scenario} (${config.strategy}): stock loaded on ${stockLoaded} SKUs; run ${runId}; ${config.generatedBy}`);
      return { runId, startedAt: new Date().toISOString(), stockLoaded };
    },

    orders(data: SetupData): void {
      deliver(data, 'o', pickIndex(config.channelCdf, Math.random()), pickIndex(config.skuCdf, Math.random()), units());
    },

    burst(data: SetupData): void {
      const b = config.bursts.find((x) => x.name === exec.scenario.name) ?? config.bursts[0]!;
      const channel = b.channels[pickUniform(b.channels.length, Math.random())]!;
      deliver(data, b.name, channel, pickUniform(b.hotSkus, Math.random()), 1);
    },

    surge(data: SetupData): void {
      const hot = config.surge === null ? 1 : config.surge.hotSkus;
      deliver(data, 's', pickIndex(config.channelCdf, Math.random()), pickUniform(hot, Math.random()), 1);
    },

    restock(data: SetupData): void {
      const r = config.restock;
      if (r === null) return;
      loadStock({ runId: `${data.runId}-r${exec.scenario.iterationInTest}` }, 'restock', () => r.upToUnits, false);
    },

    teardown(): void {
      const res = send(auditRequest(baseUrl, adminToken), { kind: 'admin', name: 'GET /audit' });
      const ok = check(res, { 'audit read': (r) => r.status === 200 });
      if (!ok || res.body === null) {
        console.error(`invsim: GET /audit answered ${res.status}; the audit thresholds have no value`);
        return;
      }
      const audit = JSON.parse(res.body) as AuditView;
      auditGauges.integrityViolations.add(audit.integrityViolations);
      auditGauges.oversells.add(audit.oversells);
      auditGauges.dlqParked.add(audit.dlq.parked);
      auditGauges.dlqDepth.add(audit.dlq.depth);
      auditGauges.latencyMsP99.add(audit.latencyMs.p99);
      auditGauges.meanConfidence.add(audit.freshness.meanConfidence);
      console.log(`invsim-audit ${res.body}`);
    },

    handleSummary(data: SummaryData): Record<string, string> {
      const file = __ENV['SUMMARY_JSON'] !== undefined && __ENV['SUMMARY_JSON'] !== '' ? __ENV['SUMMARY_JSON'] : config.summaryFile;
      const text = renderTextSummary(data, `invsim k6: ${config.scenario} (thresholds from strategy ${config.strategy}, speedup ${config.speedup})`);
      const notMirrored = config.notMirrored.length === 0 ? '' : `  not mirrored (no live equivalent): ${config.notMirrored.join('; ')}\n`;
      return { stdout: `${text}${notMirrored}  JSON summary: ${file}\n`, [file]: JSON.stringify(data, null, 2) };
    },
  };
}
