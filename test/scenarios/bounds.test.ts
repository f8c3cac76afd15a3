// Proves the bounds that keep a valid scenario's run finite (issue 11, items 7 and 9): a
// scenario file above the size limit is refused before it is parsed (library and CLI: exit 2,
// no stack trace); `sweep --param` and inline scenarios cannot step around the bounds; runs at
// the bounds (the longest run and heal, a webhook wait of almost a day, stock at the maximum
// level) complete without a kernel or histogram error, and with exact stock levels.
// The per-field and budget refusals, with path and line, are cases in validation.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOverride } from '../../src/analysis/params.js';
import { MAX_STOCK_LEVEL } from '../../src/engine/limits.js';
import { LatencyObserver } from '../../src/engine/latency-observer.js';
import { MAX_DURATION_S, MAX_HEAL_BOUND_S, MAX_SCENARIO_FILE_BYTES, MAX_WAIT_MS } from '../../src/scenarios/bounds.js';
import { getScenario, loadScenarioFile, parseScenarioText, ScenarioError } from '../../src/scenarios/load.js';
import { simulate } from '../../src/sim/world.js';
import { inlineScenario } from '../../src/testing.js';
import { spawnCli } from '../cli/helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'invsim-bounds-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ECONOMICS = 'economics: { averageOrderValue: 80, customerLifetimeValue: 400, churnMultiplier: 0.3 }';

function issuesOf(run: () => unknown): ScenarioError['issues'] {
  try {
    run();
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario files have a size limit, checked before parsing', () => {
  // A valid scenario padded with a comment past the limit: only its size is wrong.
  const small = `scenarios:
  s:
    durationS: 60
    catalog: { skus: 1, initialStockMin: 1, initialStockMax: 1 }
    channels: [{ id: shop, preset: etsy }]
    demand: { ordersPerDay: 1 }
    ${ECONOMICS}
    strategies: { event-driven: { kind: event-driven } }
`;
  const padded = `${small}#${'x'.repeat(MAX_SCENARIO_FILE_BYTES)}\n`;
  const big = join(scratch, 'big.yaml');
  writeFileSync(big, padded);

  it('the limit is 4 MiB, and a file just under it is read', () => {
    expect(MAX_SCENARIO_FILE_BYTES).toBe(4 * 1024 * 1024);
    const fits = join(scratch, 'fits.yaml');
    writeFileSync(fits, `${small}#${'x'.repeat(MAX_SCENARIO_FILE_BYTES - small.length - 3)}\n`);
    expect(loadScenarioFile(fits).scenarios.size).toBe(1);
  });

  it('loadScenarioFile refuses a larger file with its size and the limit', () => {
    const issues = issuesOf(() => loadScenarioFile(big));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '', code: 'file_too_large' });
    expect(issues[0]!.message).toContain(`(${Buffer.byteLength(padded)} bytes); a scenario file may be at most 4 MiB`);
  });

  it('parseScenarioText refuses text above the limit too', () => {
    expect(issuesOf(() => parseScenarioText(padded, 'big.yaml'))[0]?.code).toBe('file_too_large');
  });

  it('the CLI exits 2 with the reason and no stack trace', async () => {
    const r = await spawnCli(['run', big, '--scenario', 's', '--strategy', 'event-driven']);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^invsim: invalid scenario\n/);
    expect(r.err).toContain('a scenario file may be at most 4 MiB [file_too_large]');
    expect(r.err).not.toMatch(/^\s+at /m);
  });
});

describe('the bounds hold for every way a scenario is made', () => {
  const shipped = loadScenarioFile(new URL('../../scenarios.yaml', import.meta.url).pathname);

  it('sweep --param cannot set a value beyond its bound', () => {
    const baseline = getScenario(shipped, 'baseline');
    const issues = issuesOf(() => applyOverride(baseline, { param: 'demand.ordersPerDay', value: 1e12 }, 'scenarios.yaml'));
    expect(issues.map((i) => [i.path, i.code])).toEqual([['scenarios.baseline.demand.ordersPerDay', 'too_big']]);
  });

  it('sweep --param cannot break the run budget either', () => {
    const baseline = getScenario(shipped, 'baseline');
    const issues = issuesOf(() => applyOverride(baseline, { param: 'demand.ordersPerDay', value: 5e8 }, 'scenarios.yaml'));
    expect(issues.map((i) => [i.path, i.code])).toEqual([['scenarios.baseline.demand.ordersPerDay', 'run_budget']]);
    expect(issues[0]!.message).toContain('at most 10,000,000 per run');
  });

  it('an inline scenario (invsim/testing) is held to the same bounds', () => {
    const input = {
      durationS: 60,
      catalog: { skus: 1, initialStockMin: 3e9, initialStockMax: 3e9 },
      channels: [{ id: 'shop', preset: 'etsy' }],
      demand: { ordersPerDay: 1 },
      economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 1 },
      strategies: { 'event-driven': { kind: 'event-driven' as const } },
    };
    const issues = issuesOf(() => inlineScenario(input));
    expect(issues.map((i) => i.path).sort()).toEqual(['catalog.initialStockMax', 'catalog.initialStockMin']);
    expect(issues[0]!.message).toContain(`<=${MAX_STOCK_LEVEL}`);
  });
});

describe('runs at the bounds complete', () => {
  it('the longest run and heal phase fit the staleness histogram', async () => {
    // The world's histogram tracks durationS + healBoundS + one day; hdr-histogram's ceiling is 2^53 ns.
    expect(() => new LatencyObserver({ alertThresholdMs: 1, highestTrackableMs: (MAX_DURATION_S + MAX_HEAL_BOUND_S + 86_400) * 1000 })).not.toThrow();
    const file = parseScenarioText(`scenarios:
  long:
    durationS: ${MAX_DURATION_S}
    healBoundS: ${MAX_HEAL_BOUND_S}
    catalog: { skus: 1, initialStockMin: 5, initialStockMax: 5 }
    channels: [{ id: shop, preset: etsy }]
    demand: { ordersPerDay: 0 }
    ${ECONOMICS}
    strategies: { event-driven: { kind: event-driven } }
`);
    const r = await simulate(getScenario(file, 'long'), { strategy: 'event-driven', seed: 1 });
    expect(r.simulatedSeconds).toBeGreaterThanOrEqual(MAX_DURATION_S);
    expect(r.integrityViolations).toBe(0);
  });

  it('a webhook wait just under a day runs without reaching the kernel time limit', async () => {
    const delayMs = MAX_WAIT_MS - 1_000;
    const file = parseScenarioText(`scenarios:
  slow:
    durationS: 600
    healBoundS: 60
    catalog: { skus: 2, initialStockMin: 50, initialStockMax: 50 }
    channels:
      - id: woo
        preset: woocommerce
        overrides:
          orderNotification: { mode: webhook, delay: { kind: fixed, ms: ${delayMs} }, duplicateRate: 0, reorderWindowMs: 0, maxDeliveryAttempts: 1, retryWindowS: 0 }
    demand: { ordersPerDay: 5000 }
    ${ECONOMICS}
    strategies: { event-driven: { kind: event-driven } }
`);
    const r = await simulate(getScenario(file, 'slow'), { strategy: 'event-driven', seed: 1 });
    // The webhooks land long after the heal bound: not converged, but no KernelLimitError.
    expect(r.orders.placed).toBeGreaterThan(0);
    expect(r.converged).toBe(false);
  });
});

describe('stock at the maximum level (issue 11, item 7)', () => {
  it('a run from MAX_STOCK_LEVEL keeps exact levels: every listing and commit in range, the final level exact', async () => {
    expect(MAX_STOCK_LEVEL).toBe(2 ** 31 - 1);
    const file = parseScenarioText(`scenarios:
  big:
    durationS: 3600
    catalog: { skus: 3, initialStockMin: ${MAX_STOCK_LEVEL}, initialStockMax: ${MAX_STOCK_LEVEL} }
    channels: [{ id: shopify, preset: shopify-graphql }, { id: amazon, preset: amazon-listings }]
    demand: { ordersPerDay: 20000, unitsPerOrderMax: 3 }
    ${ECONOMICS}
    strategies: { event-driven: { kind: event-driven } }
`);
    let trace = '';
    const r = await simulate(getScenario(file, 'big'), { strategy: 'event-driven', seed: 3, traceSink: (chunk) => void (trace += chunk) });
    expect(r.orders.placed).toBeGreaterThan(500);
    expect(r.orders.fulfilled).toBe(r.orders.placed);
    expect(r.lostSales).toBe(0);
    expect(r.oversells).toBe(0);
    expect(r.integrityViolations).toBe(0);
    expect(r.converged).toBe(true);

    const lines = trace.split('\n').map((l) => l.split(' '));
    // O <order> <channel> <sku> <units> <shown> <t>: the listing a customer saw.
    const orders = lines.filter((f) => f[0] === 'O').map((f) => ({ sku: Number(f[3]), units: Number(f[4]), shown: Number(f[5]) }));
    // C <key> <quantity> <version> <kind> <n> <t>: a level the store committed.
    const commits = lines.filter((f) => f[0] === 'C').map((f) => ({ sku: Number(f[1]), quantity: Number(f[2]) }));
    expect(orders).toHaveLength(r.orders.placed);
    const sold = orders.reduce((n, o) => n + o.units, 0);
    for (const o of orders) expect(o.shown).toBeGreaterThanOrEqual(MAX_STOCK_LEVEL - sold);
    for (const o of orders) expect(o.shown).toBeLessThanOrEqual(MAX_STOCK_LEVEL);
    for (const c of commits) expect(c.quantity).toBeGreaterThanOrEqual(MAX_STOCK_LEVEL - sold);
    for (const c of commits) expect(c.quantity).toBeLessThanOrEqual(MAX_STOCK_LEVEL);
    for (let sku = 0; sku < 3; sku++) {
      const unitsSold = orders.filter((o) => o.sku === sku).reduce((n, o) => n + o.units, 0);
      const last = commits.filter((c) => c.sku === sku).at(-1);
      expect(last?.quantity ?? MAX_STOCK_LEVEL, `SKU ${sku}`).toBe(MAX_STOCK_LEVEL - unitsSold);
    }
  });
});
