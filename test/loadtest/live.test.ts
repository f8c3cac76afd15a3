// Proves the live path end to end, as a user runs it: the bundle `invsim k6 --speedup 30` writes,
// run on the k6 stand-in against `invsim serve --speedup 30 --storefront` in its own process,
// schedules one k6 scenario per demand source (the options the planner built), loads the
// simulator's initial stock on every SKU, sends signed orders and redeliveries the service
// acknowledges (each seen once, each redelivery answered duplicate), passes its own thresholds on
// a healthy service, waits for a settled audit and puts it into its gauges, and the live report
// built from the stand-in's --summary-export file compares every measure it can (integrity, DLQ
// and duplicates within the prediction); split over two execution segments at once, the same
// bundle divides the orders between the instances (none twice, none lost), resets and loads the
// stock once, and the two summaries add up. The requests are read off the wire (the stand-in's
// httpDebug), the outcomes off the service's /audit and the script's own checks and metrics.
// (Live-vs-predicted figures for the shipped scenarios: docs/loadtest.md.)
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOptions, ms } from '../../loadtest/lib/options.js';
import { verifySignature } from '../../src/serve/signature.js';
import { SECRETS, liveRun, type LiveRun } from './live-run.js';
import type { GroupData, SummaryData } from './standin/metrics.js';
import type { HttpAnswer, HttpRequestSpec } from './standin/protocol.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const FILE = join(ROOT, 'test/fixtures/loadtest/live.yaml');
const OUT = join(ROOT, 'test-artifacts/loadtest/live');

/** Orders the stand-in sent (first deliveries), per k6 scenario, from the iterations it ran. */
function ordersSent(run: LiveRun): number {
  return run.instances.reduce((n, i) => n + Object.entries(i.iterations).filter(([name]) => name !== 'restock').reduce((t, [, c]) => t + c, 0), 0);
}

/** A check's passes and fails, wherever it ran (setup and teardown checks sit in their own groups). */
function checkCounts(summary: SummaryData, name: string): { passes: number; fails: number } {
  const out = { passes: 0, fails: 0 };
  const visit = (g: GroupData): void => {
    for (const c of g.checks) {
      if (c.name !== name) continue;
      out.passes += c.passes;
      out.fails += c.fails;
    }
    g.groups.forEach(visit);
  };
  visit(summary.root_group);
  return out;
}

interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly status: number;
  readonly answer: { status?: string; reason?: string } | null;
}

function exchangeOf(request: HttpRequestSpec, answer: HttpAnswer): Exchange {
  const last = answer.chain[answer.chain.length - 1];
  const text = typeof last?.body === 'string' ? last.body : null;
  let parsed: Exchange['answer'] = null;
  try {
    parsed = text === null ? null : (JSON.parse(text) as Exchange['answer']);
  } catch {
    parsed = null;
  }
  const body = typeof request.body === 'string' ? request.body : request.body === null ? '' : Buffer.from(request.body).toString('utf8');
  return { method: request.method, url: request.url, headers: request.headers, body, status: last?.status ?? 0, answer: parsed };
}

describe('a live run on the k6 stand-in against invsim serve', { timeout: 180_000 }, () => {
  it('schedules every demand source, loads the stock, sends acknowledged signed orders and redeliveries, passes its thresholds, settles, audits, and lands within the prediction', async () => {
    const wire: Exchange[] = [];
    const run = await liveRun({ file: FILE, scenario: 'short-sale', speedup: 30, seeds: 10, outDir: join(OUT, 'one'), maxVUs: 64, settleTimeoutS: 100, httpDebug: (q, a) => wire.push(exchangeOf(q, a)) });
    const [k6] = run.instances;
    const config = run.generated.config;
    expect(k6!.exitCode).toBe(0);
    expect(k6!.droppedIterations).toBe(0);

    // k6's options, as the bundle exports them: the planner's, one scenario per demand source, each calling an exported function.
    expect(k6!.options['scenarios']).toEqual(JSON.parse(JSON.stringify(buildOptions(config).scenarios)));
    // SETTLE_TIMEOUT_S=100 bounds setup's and teardown's waits: their timeouts grow with it.
    expect(config.settleTimeoutMs).not.toBe(100_000);
    expect(k6!.options).toMatchObject({ teardownTimeout: ms(60_000 + 100_000), setupTimeout: buildOptions({ ...config, settleTimeoutMs: 100_000 }).setupTimeout });
    const scenarios = k6!.options['scenarios'] as Record<string, { executor: string; exec: string }>;
    expect(Object.fromEntries(Object.entries(scenarios).map(([k, v]) => [k, `${v.executor}:${v.exec}`]))).toEqual({
      orders: 'ramping-arrival-rate:orders',
      burst_0: 'constant-arrival-rate:burst',
    });
    expect(Object.keys(k6!.iterations).sort()).toEqual(Object.keys(scenarios).sort());
    for (const name of Object.keys(scenarios)) expect(k6!.iterations[name], name).toBeGreaterThan(0);

    // setup loaded the simulator's initial stock on every SKU: one adjustment each, the exact quantity, applied.
    const loads = wire.filter((x) => x.method === 'POST' && x.url.endsWith('/adjustments'));
    expect(loads.map((x) => [decodeURIComponent(x.url.split('/inventory/')[1]!.split('/')[0]!), (JSON.parse(x.body) as { quantityDelta: number }).quantityDelta])).toEqual(
      config.skus.map((sku, i) => [sku, config.initialStock[i]]),
    );
    expect(loads.every((x) => x.status === 200 && x.answer?.status === 'applied')).toBe(true);
    expect(checkCounts(k6!.summaryData, 'stock adjustment applied')).toEqual({ passes: config.skus.length, fails: 0 });
    expect(run.audit.adjustments).toMatchObject({ received: config.skus.length, applied: config.skus.length, rejected: 0 });
    expect(k6!.logs.some((l) => l.includes(`stock loaded on ${config.skus.length} SKUs`))).toBe(true);

    // Every webhook was signed so that the signature verifies and acknowledged with 200; redeliveries
    // (the same mutationId once more) happened, and each was answered duplicate.
    const webhooks = wire.filter((x) => x.method === 'POST' && x.url.includes('/webhooks/orders/'));
    const seen = new Set<string>();
    const firsts: Exchange[] = [];
    const redeliveries: Exchange[] = [];
    for (const x of webhooks) {
      const id = (JSON.parse(x.body) as { mutationId: string }).mutationId;
      (seen.has(id) ? redeliveries : firsts).push(x);
      seen.add(id);
    }
    expect(firsts.length).toBe(ordersSent(run));
    expect(redeliveries.length).toBeGreaterThan(0);
    expect(webhooks.filter((x) => x.status !== 200).map((x) => `${x.url} ${x.status}`)).toEqual([]);
    expect(redeliveries.filter((x) => x.answer?.status !== 'duplicate').map((x) => x.body)).toEqual([]);
    for (const x of webhooks) expect(verifySignature(x.headers['X-Invsim-Signature'], Buffer.from(x.body), SECRETS.webhookSecret)).toEqual({ ok: true });
    expect(checkCounts(k6!.summaryData, 'webhook acknowledged (200 applied|duplicate|rejected)')).toEqual({ passes: firsts.length, fails: 0 });
    expect(checkCounts(k6!.summaryData, 'redelivery answered duplicate')).toEqual({ passes: redeliveries.length, fails: 0 });

    // The service saw exactly the orders sent, each once, and every redelivery as a duplicate; its
    // counts are the answers it gave (--storefront: an order its channel's listing could not show
    // is answered rejected(not_listed) and counted apart from `rejected`).
    const answered = (p: (a: Exchange['answer']) => boolean): number => firsts.filter((x) => p(x.answer)).length;
    expect(run.audit.orders.distinct).toBe(firsts.length);
    expect(run.audit.orders.duplicates).toBe(redeliveries.length);
    expect(run.audit.orders.decidedElsewhere).toBe(0);
    expect(run.audit.orders.applied).toBe(answered((a) => a?.status === 'applied'));
    expect(run.audit.orders.notListed).toBe(answered((a) => a?.status === 'rejected' && a.reason === 'not_listed'));
    expect(run.audit.orders.rejected).toBe(answered((a) => a?.status === 'rejected' && a.reason !== 'not_listed'));
    expect(run.audit.orders.applied + run.audit.orders.rejected + run.audit.orders.notListed).toBe(firsts.length);
    expect(run.audit.orders.applied).toBeGreaterThan(0);
    expect(run.audit.orders.pending).toBe(0);
    expect(run.audit.speedup).toBe(30);
    expect(run.audit.settled).toBe(true);
    expect(run.audit.integrityViolations).toBe(0);

    // teardown waited for the service to settle, put the audit into the gauges and logged it.
    const metrics = k6!.summaryData.metrics;
    expect(metrics['invsim_orders_applied']?.values['count']).toBe(run.audit.orders.applied);
    expect(metrics['invsim_redeliveries']?.values['count']).toBe(redeliveries.length);
    expect(metrics['invsim_integrity_violations']?.values['value']).toBe(0);
    expect(k6!.logs.filter((l) => l.startsWith('invsim-audit {'))).toHaveLength(1);
    expect(checkCounts(k6!.summaryData, 'service settled before the audit')).toEqual({ passes: 1, fails: 0 });

    // The freshness window covers the scenario's ten minutes.
    expect(run.audit.freshness.integrated.windowS).toBeGreaterThanOrEqual(599);
    const r = run.report;
    expect(r.live.k6.format).toBe('summary-export');
    expect(r.live.k6.thresholds.length).toBeGreaterThanOrEqual(3);
    expect(r.live.k6.thresholds.every((t) => t.ok)).toBe(true);
    // A healthy service, measured like with like: every measure is comparable.
    expect(r.measures.filter((m) => !m.comparable).map((m) => `${m.id}: ${m.reason}`)).toEqual([]);
    for (const id of ['integrityViolations', 'dlqParked', 'duplicatesPer1000']) expect(r.measures.find((m) => m.id === id)!.withinPrediction, id).toBe(true);
  });

  it('split over two execution segments: orders divided, never duplicated, stock loaded once, summaries added up', async () => {
    const run = await liveRun({ file: FILE, scenario: 'short-sale', speedup: 30, seeds: 3, segments: 2, outDir: join(OUT, 'two'), maxVUs: 48 });
    expect(run.instances.map((i) => i.exitCode)).toEqual([0, 0]);
    expect(run.generated.manifestFile).not.toBeNull();
    // Each order stream's iteration numbers: disjoint between the instances, and together 0..n-1.
    for (const stream of ['orders', 'burst_0']) {
      const ids = run.instances.map((i) => i.iterationIds[stream] ?? []);
      expect(ids[0]!.length, stream).toBeGreaterThan(0);
      expect(ids[1]!.length, stream).toBeGreaterThan(0);
      const all = [...ids[0]!, ...ids[1]!].sort((a, b) => a - b);
      expect(new Set(all).size, stream).toBe(all.length);
      expect(all, stream).toEqual(all.map((_, i) => i));
    }
    expect(run.audit.orders.distinct).toBe(ordersSent(run));
    // The stock was loaded once, by the first segment, after its reset: one adjustment per SKU.
    expect(run.audit.adjustments).toMatchObject({ received: 12, applied: 12 });
    expect(run.audit.integrityViolations).toBe(0);
    expect(run.report.live.k6.instances).toBe(2);
    const sum = run.instances.reduce((n, i) => n + ((i.summary.metrics['http_reqs'] as { count?: number } | undefined)?.count ?? 0), 0);
    expect(run.report.live.k6.httpReqs).toBe(sum);
  });
});
