// Proves every pitfall of the seed's Pitfall Guide has behaviour: each variant, run on the
// shipped `pitfalls` scenario (or a scenario built to show its cost), breaks the invariant it
// is named for, or costs what the guide says, while the correct engine on the same seeds breaks
// nothing. The list is the schema's, so a pitfall added without a test here fails.
import { describe, expect, it } from 'vitest';
import type { InvariantName } from '../../src/model/ledger.js';
import type { SimulationResult } from '../../src/model/result.js';
import { getScenario, loadScenarioFile, parseScenarioText } from '../../src/scenarios/load.js';
import { PITFALLS, type Pitfall, type Scenario } from '../../src/scenarios/schema.js';
import { simulate } from '../../src/sim/world.js';

const shipped = getScenario(loadScenarioFile(new URL('../../scenarios.yaml', import.meta.url).pathname), 'pitfalls');
const SEEDS = [1, 2];

async function runs(scenario: Scenario, strategy: string): Promise<SimulationResult[]> {
  return Promise.all(SEEDS.map((seed) => simulate(scenario, { strategy, seed })));
}

function fired(results: readonly SimulationResult[], invariant: InvariantName): number {
  return results.reduce((n, r) => n + r.violations.filter((v) => v.invariant === invariant).length, 0);
}

/** The shipped scenario's strategy for `pitfall`, and the same strategy without it. */
function withAndWithout(pitfall: Pitfall): Scenario {
  const name = Object.keys(shipped.strategies).find((s) => shipped.strategies[s]!.pitfall === pitfall);
  if (name === undefined) throw new Error(`the pitfalls scenario has no strategy for ${pitfall}`);
  const { pitfall: _dropped, ...plain } = shipped.strategies[name]!;
  return { ...shipped, strategies: { with: shipped.strategies[name]!, without: plain as Scenario['strategies'][string] } };
}

const BREAKS: Partial<Record<Pitfall, InvariantName>> = {
  'no-idempotency': 'mutation-applied-twice',
  'no-locking': 'lost-update',
  'silent-dlq-drop': 'update-lost-without-dlq',
  'broadcast-before-persist': 'update-ahead-of-source',
  'overwriting-reconciliation': 'version-regression',
  'fast-polling': 'version-regression',
};

describe('every pitfall has behaviour', () => {
  it('covers every pitfall: an invariant it breaks, or (pessimistic-locking) the cost it has', () => {
    expect(PITFALLS.filter((p) => BREAKS[p] === undefined)).toEqual(['pessimistic-locking']);
  });

  it('the correct engine breaks nothing on the same seeds', async () => {
    for (const r of await runs(shipped, 'correct')) expect(r.violations).toEqual([]);
  });

  for (const pitfall of PITFALLS) {
    const invariant = BREAKS[pitfall];
    if (invariant === undefined) continue;
    it(`${pitfall} breaks ${invariant}, and the same strategy without it does not`, async () => {
      const scenario = withAndWithout(pitfall);
      expect(fired(await runs(scenario, 'with'), invariant)).toBeGreaterThan(0);
      expect(fired(await runs(scenario, 'without'), invariant)).toBe(0);
    }, 60_000);
  }

  it('fast-polling also spends the API budget on refused calls: the rate-limited catalogue for an hour, against the plain poller at the same interval', async () => {
    const catalogue = getScenario(loadScenarioFile(new URL('../../scenarios.yaml', import.meta.url).pathname), 'rate-limited-catalog');
    const name = Object.keys(catalogue.strategies).find((s) => catalogue.strategies[s]!.pitfall === 'fast-polling')!;
    const { pitfall: _dropped, ...plain } = catalogue.strategies[name]!;
    const hour = { ...catalogue, durationS: 3600, strategies: { with: catalogue.strategies[name]!, without: plain as Scenario['strategies'][string] } };
    const trap = await simulate(hour, { strategy: 'with', seed: 1 });
    const poller = await simulate(hour, { strategy: 'without', seed: 1 });
    // The plain poller's dispatcher keeps one lane per listing and backs off on a 429; the trap
    // pushes every listing every tick and retries nothing, so most of its calls are refused.
    expect(trap.api.calls).toBeGreaterThan(10 * poller.api.calls);
    expect(trap.api.throttled / trap.api.calls).toBeGreaterThan(0.5);
    expect(poller.api.throttled / poller.api.calls).toBeLessThan(0.5);
  }, 60_000);

  it('pessimistic-locking costs throughput: a hot SKU under a burst waits on its row lock, so the channels learn later and oversell more', async () => {
    const text = `scenarios:
  hot:
    durationS: 600
    catalog: { skus: 1, initialStockMin: 150, initialStockMax: 150 }
    channels:
      - { id: shopify, preset: shopify-graphql }
      - { id: woo, preset: woocommerce }
    demand: { ordersPerDay: 0, bursts: [{ atS: 60, orders: 300, hotSkus: 1, spreadMs: 20000 }] }
    engine: { processorWorkers: 8, storeLatencyMs: 20 }
    economics: { averageOrderValue: 50, customerLifetimeValue: 200, churnMultiplier: 0.2 }
    strategies:
      optimistic: { kind: event-driven }
      locked: { kind: event-driven, pitfall: pessimistic-locking }
`;
    const scenario = getScenario(parseScenarioText(text), 'hot');
    const total = async (s: string, of: (r: SimulationResult) => number): Promise<number> => (await runs(scenario, s)).reduce((n, r) => n + of(r), 0);
    // No version conflicts is what the lock buys; the price is a queue on the hot row: the other
    // channel hears of each sale later, and sells more of the units that are gone meanwhile.
    expect(await total('locked', (r) => r.engine.versionConflicts)).toBe(0);
    expect(await total('optimistic', (r) => r.engine.versionConflicts)).toBeGreaterThan(0);
    expect(await total('locked', (r) => r.oversells)).toBeGreaterThan(await total('optimistic', (r) => r.oversells));
  }, 60_000);
});
