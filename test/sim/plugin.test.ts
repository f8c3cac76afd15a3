// Proves custom strategies load as TypeScript plugins and run like the shipped ones: the example
// in examples/ replays byte for byte, keeps every invariant and converges; its hooks really
// drive the run (a plugin that never pushes leaves listings stale); and a plugin cannot reach
// past its ports (Math.random, Date, imports) or be malformed without a clear error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getScenario, loadScenarioFile, parseScenarioText, ScenarioError } from '../../src/scenarios/load.js';
import { StrategyPluginError } from '../../src/sim/plugin.js';
import { simulate } from '../../src/sim/world.js';

const EXAMPLE = new URL('../../examples/plugin-strategy.yaml', import.meta.url).pathname;
const example = getScenario(loadScenarioFile(EXAMPLE), 'flash-sale-debounced');

/** A scenario file in a fresh directory with one plugin module beside it. */
function withPlugin(source: string, strategy = '{ module: ./mine.ts }'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'invsim-plugin-'));
  writeFileSync(path.join(dir, 'mine.ts'), source);
  const yaml = `scenarios:
  tiny:
    durationS: 600
    catalog: { skus: 5, initialStockMin: 5, initialStockMax: 10 }
    channels:
      - { id: shopify, preset: shopify-graphql }
      - { id: woo, preset: woocommerce }
    demand: { ordersPerDay: 20000 }
    economics: { averageOrderValue: 50, customerLifetimeValue: 200, churnMultiplier: 0.2 }
    strategies:
      mine: ${strategy}
`;
  const file = path.join(dir, 'scenarios.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('strategy plugins', () => {
  it('the example plugin replays byte for byte, keeps every invariant and converges (seeds 1-3)', async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const a = await simulate(example, { strategy: 'debounced', seed });
      const b = await simulate(example, { strategy: 'debounced', seed });
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      expect(a.violations).toEqual([]);
      expect(a.converged).toBe(true);
      expect(a.orders.placed).toBeGreaterThan(0);
    }
  });

  it('its hooks drive the run: a debounce window batches pushes into fewer API calls than event-driven', async () => {
    const seeds = [1, 2, 3];
    let debounced = 0;
    let eventDriven = 0;
    for (const seed of seeds) {
      debounced += (await simulate(example, { strategy: 'debounced', seed })).api.calls;
      eventDriven += (await simulate(example, { strategy: 'event-driven', seed })).api.calls;
    }
    expect(debounced).toBeLessThan(eventDriven);
  });

  it('a plugin that never pushes leaves listings stale: its onCommit is what propagates', async () => {
    const silent = getScenario(loadScenarioFile(withPlugin('export default { start: () => ({}) };')), 'tiny');
    const pushing = getScenario(loadScenarioFile(withPlugin('export default { start: (_o: unknown, ports: { pump(): void }) => ({ onCommit: () => ports.pump() }) };')), 'tiny');
    const quiet = await simulate(silent, { strategy: 'mine', seed: 1 });
    const live = await simulate(pushing, { strategy: 'mine', seed: 1 });
    expect(live.api.calls).toBeGreaterThan(0);
    expect(quiet.api.calls).toBe(0);
    expect(quiet.freshness.meanConfidence).toBeLessThan(live.freshness.meanConfidence);
  });

  it('its random streams are its own and replay: a plugin drawing from ports.random is deterministic', async () => {
    const source = `export default { start(_o: unknown, ports: any) {
      const rng = ports.random('coin');
      return { onCommit() { if (rng.next() < 0.5) ports.pump(); } };
    } };`;
    const scenario = getScenario(loadScenarioFile(withPlugin(source)), 'tiny');
    const a = await simulate(scenario, { strategy: 'mine', seed: 4 });
    const b = await simulate(scenario, { strategy: 'mine', seed: 4 });
    expect(b.traceHash).toBe(a.traceHash);
  });

  it('cannot read Math.random, Date or import a module at run time', async () => {
    const cases: [string, RegExp][] = [
      ['export default { start: () => ({ onCommit() { Math.random(); } }) };', /Math\.random is not available/],
      ['export default { start: () => { Date.now(); return {}; } };', /Date is not available/],
      ["import { readFileSync } from 'node:fs'; readFileSync; export default { start: () => ({}) };", /cannot import "node:fs"/],
    ];
    for (const [source, message] of cases) {
      const scenario = getScenario(loadScenarioFile(withPlugin(source)), 'tiny');
      await expect(simulate(scenario, { strategy: 'mine', seed: 1 }), source).rejects.toThrow(message);
    }
  });

  it('a module that is not a strategy, or options its validate() refuses, is a StrategyPluginError naming the module', async () => {
    const notStrategy = getScenario(loadScenarioFile(withPlugin('export default { begin() {} };')), 'tiny');
    await expect(simulate(notStrategy, { strategy: 'mine', seed: 1 })).rejects.toThrow(StrategyPluginError);
    await expect(simulate(notStrategy, { strategy: 'mine', seed: 1 })).rejects.toThrow(/default export must be a strategy/);
    const picky = withPlugin("export default { validate: (o: any) => (o.n > 0 ? [] : ['n: must be > 0']), start: () => ({}) };", '{ module: ./mine.ts, options: { n: 0 } }');
    await expect(simulate(getScenario(loadScenarioFile(picky), 'tiny'), { strategy: 'mine', seed: 1 })).rejects.toThrow(/n: must be > 0/);
  });

  it('a missing module is a scenario error at its path, found when the file loads', () => {
    const text = `scenarios:
  tiny:
    durationS: 600
    catalog: { skus: 5, initialStockMin: 5, initialStockMax: 10 }
    channels: [{ id: shopify, preset: shopify-graphql }]
    demand: { ordersPerDay: 100 }
    economics: { averageOrderValue: 50, customerLifetimeValue: 200, churnMultiplier: 0.2 }
    strategies:
      mine: { module: ./no-such-strategy.ts }
`;
    let error: unknown;
    try {
      parseScenarioText(text, path.join(tmpdir(), 'x.yaml'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const issues = (error as ScenarioError).issues;
    expect(issues.map((i) => [i.path, i.code])).toEqual([['scenarios.tiny.strategies.mine.module', 'module_not_found']]);
    expect(issues[0]!.line).toBe(9);
  });
});
