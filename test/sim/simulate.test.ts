// Proves the simulator's core promises on the shipped scenarios: byte-identical reruns, common
// random numbers across strategies, zero integrity violations and convergence for the real
// engine under every fault, the flash-sale ordering of strategies over seeds 1-20, and a
// propagation p99 that matches the closed form of the channel's latency distribution.
import { describe, expect, it } from 'vitest';
import { pairedDifference } from '../../src/analysis/stats.js';
import { latencyQuantileMs } from '../../src/model/latency.js';
import { getScenario, loadScenarioFile, parseScenarioText } from '../../src/scenarios/load.js';
import { simulate, UnknownStrategyError } from '../../src/sim/world.js';

const shipped = loadScenarioFile(new URL('../../scenarios.yaml', import.meta.url).pathname);
const scenarioNames = [...shipped.scenarios.keys()];

describe('determinism', () => {
  for (const name of scenarioNames) {
    const scenario = getScenario(shipped, name);
    for (const strategy of Object.keys(scenario.strategies)) {
      it(`${name} / ${strategy}: the same seed gives byte-identical JSON and trace hash`, async () => {
        const a = await simulate(scenario, { strategy, seed: 11 });
        const b = await simulate(scenario, { strategy, seed: 11 });
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
        expect(a.traceHash).toMatch(/^[0-9a-f]{64}$/);
      });
    }
  }

  it('a different seed gives a different run', async () => {
    const scenario = getScenario(shipped, 'flash-sale');
    const a = await simulate(scenario, { strategy: 'event-driven', seed: 1 });
    const b = await simulate(scenario, { strategy: 'event-driven', seed: 2 });
    expect(b.traceHash).not.toBe(a.traceHash);
  });

  it('switching strategy or adding a channel does not change the customers who arrive', async () => {
    const scenario = getScenario(shipped, 'baseline');
    const runs = await Promise.all(Object.keys(scenario.strategies).map((strategy) => simulate(scenario, { strategy, seed: 5 })));
    const arrivals = runs.map((r) => r.orders.arrivals);
    expect(new Set(arrivals).size).toBe(1);
    const wider = { ...scenario, channels: [...scenario.channels, { id: 'etsy', preset: 'etsy', demandWeight: 1 }] };
    const withEtsy = await simulate(wider, { strategy: 'event-driven', seed: 5 });
    expect(withEtsy.orders.arrivals).toBe(arrivals[0]);
  });

  it('rejects an unknown strategy with the names it has', async () => {
    await expect(simulate(getScenario(shipped, 'baseline'), { strategy: 'nope', seed: 1 })).rejects.toThrow(UnknownStrategyError);
  });
});

describe('the real engine keeps its integrity under every shipped fault', () => {
  for (const name of scenarioNames) {
    const scenario = getScenario(shipped, name);
    const real = Object.entries(scenario.strategies).filter(([, s]) => s.pitfall === undefined);
    for (const [strategy] of real) {
      it(`${name} / ${strategy}: zero violations and convergence on seeds 1-3`, async () => {
        for (let seed = 1; seed <= 3; seed++) {
          const r = await simulate(scenario, { strategy, seed });
          expect(r.violations, `seed ${seed}`).toEqual([]);
          expect(r.integrityViolations).toBe(0);
          expect(r.converged, `seed ${seed} converged`).toBe(true);
        }
      });
    }
  }
});

describe('flash-sale over seeds 1-20', () => {
  const scenario = getScenario(shipped, 'flash-sale');
  const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
  const runAll = (strategy: string) => Promise.all(seeds.map((seed) => simulate(scenario, { strategy, seed })));

  it('polling-15m oversells more than event-driven (paired over the seeds); allocation never oversells but loses more sales', async () => {
    const [polling, eventDriven, allocation] = await Promise.all([runAll('polling-15m'), runAll('event-driven'), runAll('allocation')]);
    // Not on every seed: the sync's phase is drawn per seed, and a sync that lands just after the
    // burst beats event-driven's in-flight propagation now and then. On average it loses clearly.
    const diff = pairedDifference(polling.map((r) => r.oversells), eventDriven.map((r) => r.oversells));
    expect(diff.ci95[0]).toBeGreaterThan(0);
    seeds.forEach((seed, i) => {
      expect(allocation[i]!.oversells, `seed ${seed}`).toBe(0);
      expect(allocation[i]!.lostSales, `seed ${seed}`).toBeGreaterThan(eventDriven[i]!.lostSales);
    });
  });

  it.each(['pitfall-no-locking', 'pitfall-no-idempotency'])('%s shows integrity violations on most seeds', async (strategy) => {
    const runs = await runAll(strategy);
    const broken = runs.filter((r) => r.integrityViolations > 0).length;
    expect(broken).toBeGreaterThan(seeds.length / 2);
    const kinds = new Set(runs.flatMap((r) => r.violations.map((v) => v.invariant)));
    expect(kinds.has(strategy === 'pitfall-no-locking' ? 'lost-update' : 'mutation-applied-twice')).toBe(true);
  });
});

describe('propagation latency', () => {
  it('p99 over 100 000 updates is within 5% of the lognormal closed form (median 200 ms, p99 2 000 ms)', async () => {
    const file = parseScenarioText(`
scenarios:
  lognormal:
    durationS: 10000
    catalog: { skus: 20000, initialStockMin: 1000, initialStockMax: 1000, zipfExponent: 0 }
    channels:
      - id: shop
        preset: woocommerce
        overrides:
          rateLimits: []
          errorRate5xx: 0
          maxConcurrency: 100000
          latency: { kind: lognormal, medianMs: 200, p99Ms: 2000 }
          orderNotification: { mode: webhook, delay: { kind: fixed, ms: 0 }, duplicateRate: 0, reorderWindowMs: 0, maxDeliveryAttempts: 1, retryWindowS: 0 }
    demand: { ordersPerDay: 864000 }
    engine: { processorWorkers: 8, storeLatencyMs: 0 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 1 }
    strategies:
      event-driven: { kind: event-driven }
`);
    const r = await simulate(getScenario(file, 'lognormal'), { strategy: 'event-driven', seed: 1 });
    const updates = r.channels[0]!.latencyMs.count;
    expect(updates).toBeGreaterThanOrEqual(98_000);
    const closedForm = latencyQuantileMs({ kind: 'lognormal', medianMs: 200, p99Ms: 2000 }, 0.99);
    expect(closedForm).toBeCloseTo(2000, 3);
    expect(Math.abs(r.latencyMs.p99! - closedForm) / closedForm).toBeLessThan(0.05);
    expect(Math.abs(r.latencyMs.p50! - 200) / 200).toBeLessThan(0.05);
    expect(r.integrityViolations).toBe(0);
  });
});
