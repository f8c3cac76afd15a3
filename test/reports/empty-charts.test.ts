// Proves that a report draws no chart with nothing to show: a comparison in which no strategy
// oversold, turned a customer away or lost money prints a line for each seed chart instead of
// empty bars.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/helpers.js';
import { chartIds } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'invsim-empty-charts-'));
const file = join(dir, 'quiet.yaml');
writeFileSync(
  file,
  `
scenarios:
  quiet:
    description: Plenty of stock, few orders, no faults.
    durationS: 3600
    catalog: { skus: 5, initialStockMin: 1000, initialStockMax: 1000 }
    channels:
      - { id: shopify, preset: shopify-graphql }
      - { id: woo, preset: woocommerce }
    demand: { ordersPerDay: 200 }
    economics: { averageOrderValue: 10, customerLifetimeValue: 50, churnMultiplier: 0.3 }
    strategies:
      event-driven: { kind: event-driven }
      polling-5m: { kind: polling, intervalS: 300 }
`,
);

describe('compare --report on a run where nothing went wrong', () => {
  it('draws no seed chart of zeros: each is replaced by a line saying why', async () => {
    const report = join(dir, 'quiet.html');
    const r = await runCli(['compare', file, '--scenario', 'quiet', '--seeds', '3', '--report', report, '--json']);
    expect(r.code, r.err).toBe(0);
    const html = readFileSync(report, 'utf8');
    expect(chartIds(html)).not.toContain('oversells-lost-sales');
    expect(chartIds(html)).not.toContain('impact');
    expect(html).toMatch(/data-chart-skipped="oversells-lost-sales"><strong>[^<]*<\/strong> not drawn\. No strategy oversold or turned a customer away on any of the 3 seeds\./);
    expect(html).toContain('data-chart-skipped="impact"');
  }, 60_000);
});
