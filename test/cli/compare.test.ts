// Proves `invsim compare` on the shipped flash-sale scenario: the JSON has the documented shape
// (every metric with a mean inside its 95% interval, seeds as a list, per-run records), paired
// differences agree with the per-seed runs, the terminal table shows mean ± half-width, and bad
// flags exit 2 before anything runs. No number stands for no data: allocation propagates
// nothing, so its latency p99 is null in the JSON, an empty CSV cell and "no propagation" in the
// table; flash-sale declares no frequency, so its money is per run and its daily impact null.
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
    expect(Object.keys(result)).toEqual(['scenario', 'seeds', 'baseline', 'frequency', 'strategies', 'paired']);
    expect(result.baseline).toBe('event-driven');
    expect(result.frequency).toBeNull();
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

  it('has low <= mean <= high for every metric, and the mean of the runs; null where no run has a value', () => {
    for (const s of result.strategies) {
      for (const m of COMPARE_METRICS) {
        const e = s.metrics[m];
        if (e === null) {
          for (const r of s.runs) expect(r.metrics[m], `${s.strategy} ${m}`).toBeNull();
          continue;
        }
        expect(e.ci95[0]).toBeLessThanOrEqual(e.mean);
        expect(e.mean).toBeLessThanOrEqual(e.ci95[1]);
        const runsMean = s.runs.reduce((sum, r) => sum + r.metrics[m]!, 0) / s.runs.length;
        expect(e.mean).toBeCloseTo(runsMean, 5);
      }
    }
  });

  it('pairs per seed: the mean difference is the difference of the means, inside its interval', () => {
    const [base, other] = result.strategies;
    for (const d of result.paired) {
      const a = other!.metrics[d.metric];
      const b = base!.metrics[d.metric];
      if (a === null || b === null) {
        expect(d.meanDiff).toBeNull();
        expect(d.ci95).toBeNull();
        continue;
      }
      expect(d.meanDiff).toBeCloseTo(a.mean - b.mean, 5);
      expect(d.ci95![0]).toBeLessThanOrEqual(d.meanDiff!);
      expect(d.meanDiff!).toBeLessThanOrEqual(d.ci95![1]);
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
    expect(table.out).toMatch(/^impactPerRun +-[\d,]+ ± [\d,]+( ▼ better)?$/m);
  });

  it('gives a strategy that propagated nothing a null p99, never 0 ms: JSON, CSV and table', async () => {
    const allocation = result.strategies.find((s) => s.strategy === 'allocation')!;
    expect(allocation.metrics.latencyMsP99).toBeNull();
    for (const r of allocation.runs) expect(r.metrics.latencyMsP99).toBeNull();
    expect(result.paired.find((d) => d.strategy === 'allocation' && d.metric === 'latencyMsP99')).toMatchObject({ meanDiff: null, ci95: null });
    const csv = readFileSync(join(outDir, 'compare-flash-sale.csv'), 'utf8').trim().split('\n');
    const column = csv[0]!.split(',').indexOf('latencyMsP99');
    for (const line of csv.slice(1).filter((l) => l.includes(',allocation,'))) expect(line.split(',')[column]).toBe('');
    const table = await runCli(ARGS);
    expect(table.out).toMatch(/^latencyMsP99 +[\d.]+ s ± [\d.]+ s +no propagation$/m);
    expect(table.out).not.toMatch(/^latencyMsP99 .* 0 ms ± 0 ms/m);
  });

  it('marks each paired difference by its direction and by whether that is better for the metric', async () => {
    const table = (await runCli(ARGS)).out.split('paired differences')[1]!;
    // Allocation has fewer oversells (down, better), more lost sales (up, worse), higher freshness (up, better).
    expect(table).toMatch(/^oversells +-[\d.,]+ ± [\d.,]+ ▼ better$/m);
    expect(table).toMatch(/^lostSales +\+[\d.,]+ ± [\d.,]+ ▲ worse$/m);
    expect(table).toMatch(/^meanConfidence +\+[\d.]+ ± [\d.]+ ▲ better$/m);
  });

  it('says money is per run when the scenario declares no frequency, with no day or year figure', async () => {
    expect(result.strategies.every((s) => s.metrics.totalDailyImpact === null && s.metrics.impactPerRun !== null)).toBe(true);
    const table = await runCli(ARGS);
    expect(table.out).toMatch(/^totalDailyImpact +no frequency +no frequency$/m);
    expect(table.out).toContain('the scenario declares no economics.occurrencesPerYear, so there is no day or year figure');
    expect(table.out).not.toMatch(/a year|per day/);
  });

  it('exits 2 on bad flags, naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['--strategies', 'event-driven,nope'], /no strategy nope/],
      [['--strategies', 'allocation,allocation'], /names allocation twice/],
      [['--shard', '3/2'], /--shard 3\/2: the index i must be from 1 to n \(2\)/],
      [['--shard', 'half'], /--shard must look like i\/n \(1-based, e.g. 2\/4\) or be k8s/],
      [['--shard', '1/2', '--report', 'r.html'], /mutually exclusive/],
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
