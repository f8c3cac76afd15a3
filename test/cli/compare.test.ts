// Proves `invsim compare` on the shipped flash-sale scenario: the JSON has the documented shape
// (every metric with a mean inside its 95% interval, seeds as a list, per-run records), paired
// differences agree with the per-seed runs, the terminal table shows mean ± half-width, and bad
// flags exit 2 before anything runs.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareResult } from '../../src/analysis/compare.js';
import { COMPARE_METRICS } from '../../src/analysis/metrics.js';
import { runCli } from './helpers.js';

const ARGS = ['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategies', 'event-driven,allocation', '--seeds', '3', '--seed-start', '5', '--workers', '1'];

describe('invsim compare', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'invsim-compare-'));
  const run = await runCli([...ARGS, '--json', '--out', outDir]);
  const result = JSON.parse(run.out) as CompareResult;

  it('prints the documented JSON shape', () => {
    expect(run.code).toBe(0);
    expect(Object.keys(result)).toEqual(['scenario', 'seeds', 'strategies', 'paired']);
    expect(result.scenario).toBe('flash-sale');
    expect(result.seeds).toEqual([5, 6, 7]);
    expect(result.strategies.map((s) => s.strategy)).toEqual(['event-driven', 'allocation']);
    for (const s of result.strategies) {
      expect(Object.keys(s)).toEqual(['strategy', 'runs', 'metrics']);
      expect(Object.keys(s.metrics)).toEqual([...COMPARE_METRICS]);
      expect(s.runs.map((r) => r.seed)).toEqual([5, 6, 7]);
      for (const r of s.runs) expect(r.traceHash).toMatch(/^[0-9a-f]{16,}$/);
    }
    expect(result.paired).toHaveLength(COMPARE_METRICS.length);
    expect(result.paired[0]).toEqual(expect.objectContaining({ strategy: 'allocation', baseline: 'event-driven', metric: 'oversells' }));
  });

  it('has low <= mean <= high for every metric, and the mean of the runs', () => {
    for (const s of result.strategies) {
      for (const m of COMPARE_METRICS) {
        const { mean, ci95 } = s.metrics[m];
        expect(ci95[0]).toBeLessThanOrEqual(mean);
        expect(mean).toBeLessThanOrEqual(ci95[1]);
        const runsMean = s.runs.reduce((sum, r) => sum + r.metrics[m], 0) / s.runs.length;
        expect(mean).toBeCloseTo(runsMean, 5);
      }
    }
  });

  it('pairs per seed: the mean difference is the difference of the means, inside its interval', () => {
    const [base, other] = result.strategies;
    for (const d of result.paired) {
      expect(d.meanDiff).toBeCloseTo(other!.metrics[d.metric].mean - base!.metrics[d.metric].mean, 5);
      expect(d.ci95[0]).toBeLessThanOrEqual(d.meanDiff);
      expect(d.meanDiff).toBeLessThanOrEqual(d.ci95[1]);
    }
    // Allocation partitions stock, so it never oversells; event-driven does in a flash sale.
    expect(result.strategies[1]!.metrics.oversells).toEqual({ mean: 0, ci95: [0, 0] });
  });

  it('writes the same JSON and one CSV row per run with --out', () => {
    expect(readFileSync(join(outDir, 'compare-flash-sale.json'), 'utf8')).toBe(run.out);
    const csv = readFileSync(join(outDir, 'compare-flash-sale.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(['scenario', 'strategy', 'seed', 'traceHash', ...COMPARE_METRICS].join(','));
    expect(csv).toHaveLength(1 + 2 * 3);
    expect(run.err).toContain('compare-flash-sale.csv');
  });

  it('prints a table of mean ± half-width and the paired differences', async () => {
    const table = await runCli(ARGS);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^oversells +[\d.,]+ ± [\d.,]+ +0\.0 ± 0\.0$/m);
    expect(table.out).toContain('paired differences against event-driven');
    expect(table.out).toMatch(/^totalDailyImpact +-[\d,]+ ± [\d,]+ [* ]$/m);
  });

  it('exits 2 on bad flags, naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['--strategies', 'event-driven,nope'], /no strategy nope/],
      [['--strategies', 'allocation,allocation'], /names allocation twice/],
      [['--shard', '3/2'], /--shard must look like i\/n/],
      [['--workers', '0'], /--workers must be an integer/],
    ];
    for (const [extra, message] of cases) {
      const r = await runCli(['compare', 'scenarios.yaml', '--scenario', 'flash-sale', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const oneSeed = await runCli(['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '1']);
    expect(oneSeed.code).toBe(2);
    expect(oneSeed.err).toMatch(/--seeds must be at least 2/);
    const unknown = await runCli(['compare', 'scenarios.yaml', '--scenario', 'no-such-scenario']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no scenario named \W?no-such-scenario/);
  });
});
