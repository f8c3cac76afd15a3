// Proves the outcome checker on a crash that lands between a commit and its answer: one order,
// one worker, a 10 ms store, and a processor crash 5 ms into the commit. The commit applies, the
// answer is lost with the crashed worker, and the redelivery is answered `duplicate`; the store's
// record under the order's id is then its outcome (applied, or rejected when stock ran out), so
// the run has no violation and converges. The same crash without idempotency still shows the
// order applied twice, and a crash-heavy webhook storm stays clean over many seeds.
import { describe, expect, it } from 'vitest';
import { getScenario, loadScenarioFile, parseScenarioText } from '../../src/scenarios/load.js';
import type { SimulationResult } from '../../src/model/result.js';
import { simulate } from '../../src/sim/world.js';

const CHANNEL_OVERRIDES = `
        overrides:
          rateLimits: []
          errorRate5xx: 0
          latency: { kind: fixed, ms: 50 }
          orderNotification: { mode: webhook, delay: { kind: fixed, ms: 0 }, duplicateRate: 0, reorderWindowMs: 0, maxDeliveryAttempts: 1, retryWindowS: 0 }`;

/**
 * One SKU, one order per entry of `ordersAtS`, each on a channel of its own and delivered at
 * once, to `workers` processor workers against a store that takes 10 ms per call (a read, then
 * a commit). With one worker and orders at 10 s, order i's commit is in flight from
 * 10 s + 20 ms × i + 10 ms to + 20 ms. The processor crashes at `crashAtS` for one second.
 */
function world(options: { stock: number; ordersAtS: number[]; workers?: number; crashAtS?: number }): string {
  const channels = options.ordersAtS.map((_, c) => `      - id: shop${c}\n        preset: woocommerce\n        demandWeight: 1${CHANNEL_OVERRIDES}`).join('\n');
  const bursts = options.ordersAtS.map((atS, c) => `{ atS: ${atS}, orders: 1, hotSkus: 1, spreadMs: 0, channels: [shop${c}] }`).join(', ');
  const crashes = options.crashAtS === undefined ? '' : `{ atS: ${options.crashAtS}, downS: 1 }`;
  return `
scenarios:
  w:
    durationS: 60
    catalog: { skus: 1, initialStockMin: ${options.stock}, initialStockMax: ${options.stock}, zipfExponent: 0 }
    channels:
${channels}
    demand: { ordersPerDay: 0, bursts: [${bursts}] }
    faults: { processorCrashes: [${crashes}] }
    engine: { processorWorkers: ${options.workers ?? 1}, storeLatencyMs: 10 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 1 }
    strategies:
      event-driven: { kind: event-driven }
      pitfall-no-idempotency: { kind: event-driven, pitfall: no-idempotency }
      pitfall-broadcast-before-persist: { kind: event-driven, pitfall: broadcast-before-persist }
`;
}

function run(text: string, strategy: string): Promise<SimulationResult> {
  return simulate(getScenario(parseScenarioText(text), 'w'), { strategy, seed: 1 });
}

describe('a crash between a commit and its answer', () => {
  it('the redelivery answered duplicate settles an applied order: no violation, converged', async () => {
    const r = await run(world({ stock: 5, ordersAtS: [10], crashAtS: 10.015 }), 'event-driven');
    // The only delivery was answered twice: lost with the crash, then `duplicate`.
    expect(r.engine.processorRestarts).toBe(1);
    expect(r.orders).toMatchObject({ placed: 1, fulfilled: 1, oversold: 0, duplicatesIgnored: 1 });
    expect(r.violations).toEqual([]);
    expect(r.integrityViolations).toBe(0);
    expect(r.converged).toBe(true);
  });

  it('settles a rejected order the same way: the rejection recorded at the store is its outcome', async () => {
    // One unit, two channels both showing it: the first order takes it, the second is rejected
    // by a commit in flight from 10.030 s to 10.040 s, when the crash hits.
    const r = await run(world({ stock: 1, ordersAtS: [10, 10], crashAtS: 10.035 }), 'event-driven');
    expect(r.engine.processorRestarts).toBe(1);
    expect(r.orders).toMatchObject({ placed: 2, fulfilled: 1, oversold: 1, duplicatesIgnored: 1 });
    expect(r.violations).toEqual([]);
    expect(r.converged).toBe(true);
  });

  it('without idempotency the same crash still shows the order applied twice', async () => {
    const r = await run(world({ stock: 5, ordersAtS: [10], crashAtS: 10.015 }), 'pitfall-no-idempotency');
    expect(r.engine.processorRestarts).toBe(1);
    expect(r.orders.duplicatesIgnored).toBe(0);
    expect(r.violations.map((v) => v.invariant)).toContain('mutation-applied-twice');
    expect(r.integrityViolations).toBeGreaterThan(0);
  });

  it('a duplicate answer with nothing committed under the order id is still a missing outcome', async () => {
    // The seed's handler marks o1 seen, loses the race for version 1 to o0 and throws; o1 comes
    // back a second later to the same worker (the other is busy with o2) and is skipped as a
    // duplicate. Nothing was ever committed for it.
    const r = await run(world({ stock: 5, ordersAtS: [10, 10, 11.015], workers: 2 }), 'pitfall-broadcast-before-persist');
    expect(r.orders).toMatchObject({ placed: 3, fulfilled: 2, duplicatesIgnored: 1 });
    expect(r.violations).toContainEqual(expect.objectContaining({ invariant: 'mutation-without-outcome', detail: 'order o1 never reached an outcome' }));
    expect(r.converged).toBe(false);
  });
});

describe('a crash-heavy webhook storm (a processor crash every minute)', () => {
  const scenario = getScenario(loadScenarioFile(new URL('../fixtures/sim/crash-storm.yaml', import.meta.url).pathname), 'webhook-storm-crashes');

  it('has no violation and converges on seeds that lost an answer to a crash (9, 27, 33)', async () => {
    for (const seed of [9, 27, 33]) {
      const r = await simulate(scenario, { strategy: 'event-driven', seed });
      expect(r.violations, `seed ${seed}`).toEqual([]);
      expect(r.converged, `seed ${seed} converged`).toBe(true);
    }
  });
});
