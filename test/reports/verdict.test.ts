// Proves how a comparison report picks its winner: the lowest mean revenue impact of oversells,
// pitfall variants left out, ties broken by lost sales; and that the margin over the runner-up is
// the paired per-seed difference (runner-up minus winner), scaled by 365 for a year.
import { describe, expect, it } from 'vitest';
import { aggregate, type CompareRun } from '../../src/analysis/compare.js';
import { COMPARE_METRICS, type CompareMetrics } from '../../src/analysis/metrics.js';
import type { Scenario } from '../../src/scenarios/schema.js';
import { verdict } from '../../src/reports/verdict.js';

function run(seed: number, values: Partial<CompareMetrics>): CompareRun {
  const metrics = Object.fromEntries(COMPARE_METRICS.map((m) => [m, values[m] ?? 0])) as CompareMetrics;
  return { seed, traceHash: `h${seed}`, metrics };
}

const scenario = {
  durationS: 86_400,
  economics: { averageOrderValue: 100, customerLifetimeValue: 1000, churnMultiplier: 0.3 },
  strategies: { slow: { kind: 'polling' }, fast: { kind: 'event-driven' }, tied: { kind: 'event-driven' }, broken: { kind: 'event-driven', pitfall: 'no-locking' } },
} as unknown as Pick<Scenario, 'strategies' | 'durationS' | 'economics'>;

const runs: Record<string, CompareRun[]> = {
  slow: [run(1, { totalDailyImpact: 1000, lostSales: 0 }), run(2, { totalDailyImpact: 1200, lostSales: 0 }), run(3, { totalDailyImpact: 1100, lostSales: 0 })],
  fast: [run(1, { totalDailyImpact: 100, lostSales: 1 }), run(2, { totalDailyImpact: 300, lostSales: 1 }), run(3, { totalDailyImpact: 200, lostSales: 1 })],
  tied: [run(1, { totalDailyImpact: 100, lostSales: 2 }), run(2, { totalDailyImpact: 300, lostSales: 2 }), run(3, { totalDailyImpact: 200, lostSales: 2 })],
  broken: [run(1, { totalDailyImpact: 0 }), run(2, { totalDailyImpact: 0 }), run(3, { totalDailyImpact: 0 })],
};

describe('verdict', () => {
  const result = aggregate({ scenario: 'x', strategies: ['slow', 'fast', 'tied', 'broken'], seeds: [1, 2, 3] }, (s) => runs[s]!);
  const v = verdict(result, scenario);

  it('ranks by impact, then lost sales, and leaves pitfalls out', () => {
    expect(v.ranking).toEqual(['fast', 'tied', 'slow']);
    expect(v.winner.strategy).toBe('fast');
    expect(v.runnerUp?.strategy).toBe('tied');
    expect(v.excluded).toEqual(['broken']);
  });

  it('measures the margin per seed, runner-up minus winner, and a year as 365 days', () => {
    expect(v.impact?.perDay).toEqual({ mean: 0, ci95: [0, 0] });
    expect(v.lostSales).toEqual({ mean: 1, ci95: [1, 1] });
    // One lost sale a day at an average order value of 100.
    expect(v.lostSalesRevenue?.perDay).toEqual({ mean: 100, ci95: [100, 100] });
    expect(v.net?.perYear).toEqual({ mean: 36_500, ci95: [36_500, 36_500] });
  });

  it('with only pitfalls, ranks them all rather than none', () => {
    const only = aggregate({ scenario: 'x', strategies: ['broken'], seeds: [1, 2, 3] }, (s) => runs[s]!);
    expect(verdict(only, scenario).winner.strategy).toBe('broken');
    expect(verdict(only, scenario).runnerUp).toBeUndefined();
  });
});
