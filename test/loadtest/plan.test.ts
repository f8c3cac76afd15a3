// Proves how a scenario becomes a k6 load: hourly rates follow the daily profile and are
// compressed by --speedup (same orders, sooner), bursts start at their compressed moment and
// spread, redeliveries wait the simulator's delay compressed, the catalog is the simulator's, the
// assert block maps onto k6 thresholds (or is listed as not mirrored), the k6 options schedule
// exactly that, and a speedup the live path cannot honour is refused with its reason.
import { describe, expect, it } from 'vitest';
import { buildOptions, stagesOf } from '../../loadtest/lib/options.js';
import { maxSpeedup, planScript, speedupLimits, thresholdExpression } from '../../src/loadtest/plan.js';
import { getScenario, parseScenarioText } from '../../src/scenarios/load.js';
import { RandomStreams } from '../../src/model/random.js';

const file = parseScenarioText(`
scenarios:
  day:
    durationS: 10800
    catalog: { skus: 12, initialStockMin: 3, initialStockMax: 9, zipfExponent: 1, restock: { everyS: 3600, upToUnits: 8 } }
    channels:
      - { id: shop, preset: shopify-graphql, demandWeight: 3 }
      - { id: amz, preset: amazon-listings, demandWeight: 1 }
    demand:
      ordersPerDay: 2400
      dailyProfile: [2, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
      bursts: [{ atS: 5400, orders: 80, hotSkus: 20, spreadMs: 500, channels: [amz] }]
    faults: { webhookDuplicateRate: 0.1 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies:
      event-driven: { kind: event-driven }
      polling: { kind: polling, intervalS: 60 }
    assert:
      - { strategies: [event-driven], latencyMsP99: "< 500", oversells: 0, converged: true, lostSales: "<= 3" }
      - { strategies: [polling], oversells: "< 10" }
`);
const scenario = getScenario(file, 'day');
const plan = (speedup: number, strategy?: string) =>
  planScript(scenario, { speedup, seed: 3, httpP99Ms: 750, generatedBy: 'test', ...(strategy === undefined ? {} : { strategy }) });

describe('planScript', () => {
  it('follows the daily profile hour by hour, compressed by speedup', () => {
    const c = plan(30);
    expect(c.durationMs).toBe(360_000);
    // 2400/day with mean profile 1 is 100/h; hours 0..2 at 2x, 1x, 0x; 30x faster: 6 000/h, 3 000/h, 0.
    expect(c.demand).toMatchObject({ timeUnit: '1h', steps: [{ durationMs: 120_000, target: 6000 }, { durationMs: 120_000, target: 3000 }, { durationMs: 120_000, target: 0 }] });
    const total = c.demand!.steps.reduce((n, s) => n + (s.target * s.durationMs) / 3_600_000, 0);
    expect(total).toBe(300); // the scenario's 3 hours of orders, in 6 minutes
    const slow = plan(1);
    expect(slow.demand).toMatchObject({ timeUnit: '1h', steps: [{ durationMs: 3_600_000, target: 200 }, { durationMs: 3_600_000, target: 100 }, { durationMs: 3_600_000, target: 0 }] });
  });

  it('starts bursts and restocks at their compressed moment, on their channels and hot SKUs, spread compressed too', () => {
    const c = plan(30);
    expect(c.bursts).toEqual([{ name: 'burst_0', startTimeMs: 180_000, orders: 80, hotSkus: 12, spreadMs: 16.667, channels: [1], channelCdf: [1] }]);
    expect(c.restock).toEqual({ everyMs: 120_000, upToUnits: 8 });
    expect(c.channelCdf).toEqual([0.75, 1]);
    // Duplicates: Shopify's webhook rate (0.01) plus the fault's; Amazon notifies by polling, never twice.
    expect(c.channels[0]!.duplicateRate).toBe(0.11);
    expect(c.channels[1]!.duplicateRate).toBe(0);
    // The simulator's redelivery: at least 1 s, spread over 1% of Shopify's 4-hour retry window; 30x faster.
    expect(c.channels[0]).toMatchObject({ redeliveryMinMs: 33.333, redeliverySpreadMs: 4_800 });
    expect(c.seed).toBe(3);
  });

  it('refuses a speedup above what the scenario allows live, with each limit and its reason', () => {
    const limits = speedupLimits(scenario);
    expect(limits.map((l) => l.constraint)).toEqual(['timer-resolution', 'peak-rate', 'burst-backlog']);
    // 5% of Shopify GraphQL's 1 200 ms p99 over 1 ms of resolution; 80 orders at 3 000/s against 1 000 ms.
    expect(limits.find((l) => l.constraint === 'timer-resolution')!.maxSpeedup).toBe(60);
    expect(limits.find((l) => l.constraint === 'burst-backlog')!.maxSpeedup).toBe(37.5);
    expect(maxSpeedup(limits)).toBe(37.5);
    expect(() => plan(37.5)).not.toThrow();
    expect(() => plan(38)).toThrow(/--speedup 38: scenario day cannot be honoured live above --speedup 37.5:\n {2}burst-backlog \(at most 37.5\)/);
    // A faster target moves the capacity limits, not the timer resolution.
    expect(maxSpeedup(speedupLimits(scenario, 1e6))).toBe(60);
    expect(() => planScript(scenario, { speedup: 45, seed: 3, httpP99Ms: 750, generatedBy: 'test', targetCapacityPerS: 1e6 })).not.toThrow();
  });

  it("uses the simulator's catalog: names, Zipf popularity, initial stock from the same stream", () => {
    const c = plan(30);
    expect(c.skus).toEqual(['SKU-01', 'SKU-02', 'SKU-03', 'SKU-04', 'SKU-05', 'SKU-06', 'SKU-07', 'SKU-08', 'SKU-09', 'SKU-10', 'SKU-11', 'SKU-12']);
    const rng = new RandomStreams(3).stream('catalog.stock');
    expect(c.initialStock).toEqual(Array.from({ length: 12 }, () => rng.int(3, 10)));
    expect(c.skuCdf[c.skuCdf.length - 1]).toBe(1);
    expect(c.skuCdf[0]! - 0).toBeCloseTo(1 / [...Array(12).keys()].reduce((s, k) => s + 1 / (k + 1), 0), 6);
  });

  it("maps the strategy's assert block onto thresholds, and lists what a live run cannot measure", () => {
    const c = plan(30);
    expect(c.strategy).toBe('event-driven');
    expect(c.thresholds).toEqual({
      'http_req_duration{kind:webhook}': ['p(99)<750'],
      checks: ['rate>0.99'],
      invsim_propagation_latency_p99_ms: ['value<500'],
      invsim_oversells: ['value==0'],
      invsim_integrity_violations: ['value==0'],
    });
    expect(c.notMirrored.map((n) => n.split(' ')[0]).sort()).toEqual(['converged', 'lostSales']);
    expect(plan(30, 'polling').thresholds['invsim_oversells']).toEqual(['value<10']);
    expect(() => plan(30, 'nope')).toThrow(/has no strategy nope/);
    expect(thresholdExpression(' >= 0.9 ')).toBe('value>=0.9');
    expect(thresholdExpression(true)).toBeUndefined();
  });
});

describe('buildOptions', () => {
  it('schedules one k6 scenario per demand source, piecewise-constant with short ramps', () => {
    const o = buildOptions(plan(30));
    expect(Object.keys(o.scenarios).sort()).toEqual(['burst_0', 'orders', 'restock']);
    expect(o.scenarios['orders']).toMatchObject({ executor: 'ramping-arrival-rate', exec: 'orders', startRate: 6000, timeUnit: '1h' });
    expect(stagesOf([{ durationMs: 60_000, target: 200 }, { durationMs: 60_000, target: 100 }, { durationMs: 60_000, target: 100 }])).toEqual([
      { duration: '60000ms', target: 200 },
      { duration: '1000ms', target: 100 },
      { duration: '59000ms', target: 100 },
      { duration: '60000ms', target: 100 },
    ]);
    expect(o.scenarios['burst_0']).toMatchObject({ executor: 'constant-arrival-rate', exec: 'burst', startTime: '180000ms', rate: 80, timeUnit: '17ms', duration: '17ms' });
    expect(o.scenarios['restock']).toMatchObject({ exec: 'restock', startTime: '120000ms', rate: 1, timeUnit: '120000ms', duration: '240000ms' });
    // An iteration may outlive its scenario by its longest redelivery wait (4.8 s here) plus 10 s.
    expect(o.scenarios['orders']!.gracefulStop).toBe('14800ms');
    expect(o.thresholds['invsim_oversells']).toEqual(['value==0']);
    expect(o.summaryTrendStats).toContain('p(99)');
  });
});
