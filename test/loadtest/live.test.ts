// Proves the live path end to end, as a user runs it: the bundle `invsim k6 --speedup 30` writes,
// run on the k6 stand-in against `invsim serve --speedup 30 --storefront` in its own process,
// passes its own thresholds on a healthy service, waits for a settled audit, and the live report built from the stand-in's
// --summary-export file compares every measure it can (integrity, DLQ and duplicates within the
// prediction); split over two execution segments at once, the same bundle divides the orders
// between the instances (none twice, none lost), resets and loads the stock once, and the two
// summaries add up. (Live-vs-predicted figures for the shipped scenarios: docs/loadtest.md.)
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveRun, type LiveRun } from './live-run.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const FILE = join(ROOT, 'test/fixtures/loadtest/live.yaml');
const OUT = join(ROOT, 'test-artifacts/loadtest/live');

/** Orders the stand-in sent (first deliveries), per k6 scenario, from the iterations it ran. */
function ordersSent(run: LiveRun): number {
  return run.instances.reduce((n, i) => n + Object.entries(i.iterations).filter(([name]) => name !== 'restock').reduce((t, [, c]) => t + c, 0), 0);
}

describe('a live run on the k6 stand-in against invsim serve', { timeout: 180_000 }, () => {
  it('passes its thresholds, settles, and lands within the prediction where it compares', async () => {
    const run = await liveRun({ file: FILE, scenario: 'short-sale', speedup: 30, seeds: 10, outDir: join(OUT, 'one'), maxVUs: 64 });
    const [k6] = run.instances;
    expect(k6!.exitCode).toBe(0);
    expect(k6!.droppedIterations).toBe(0);
    expect(run.audit.speedup).toBe(30);
    expect(run.audit.settled).toBe(true);
    expect(run.audit.integrityViolations).toBe(0);
    // Every order the stand-in sent reached the service once (redeliveries answered duplicate).
    expect(run.audit.orders.distinct).toBe(ordersSent(run));
    expect(run.audit.orders.pending).toBe(0);
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
