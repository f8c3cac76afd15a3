// Proves how a comparison report picks its winner and measures it: the lowest mean revenue impact
// of oversells per run, pitfall variants left out, ties broken by lost sales; the margin is the
// paired per-seed difference, per run first; a year figure exists only when the scenario says how
// often it happens (per run × occurrencesPerYear, or 365 for a day-long scenario), never otherwise;
// and with a `reference` strategy the winner is measured against it, and so is every other one.
import { describe, expect, it } from 'vitest';
import { aggregate, type CompareRun } from '../../src/analysis/compare.js';
import { COMPARE_METRICS, type CompareMetrics } from '../../src/analysis/metrics.js';
import { verdict } from '../../src/reports/verdict.js';

function run(seed: number, values: Partial<Record<keyof CompareMetrics, number>>): CompareRun {
  const metrics = Object.fromEntries(COMPARE_METRICS.map((m) => [m, values[m] ?? 0])) as CompareMetrics;
  return { seed, traceHash: `h${seed}`, metrics };
}

type VerdictScenario = Parameters<typeof verdict>[1];

const strategies = { slow: { kind: 'polling' }, fast: { kind: 'event-driven' }, tied: { kind: 'event-driven' }, broken: { kind: 'event-driven', pitfall: 'no-locking' } };
const economics = { averageOrderValue: 100, customerLifetimeValue: 1000, churnMultiplier: 0.3 };
const dayLong = { durationS: 86_400, economics, strategies } as unknown as VerdictScenario;
const twoHours = { durationS: 7_200, economics, strategies } as unknown as VerdictScenario;
const twoHoursTwelveAYear = { durationS: 7_200, economics: { ...economics, occurrencesPerYear: 12 }, strategies } as unknown as VerdictScenario;

const runs: Record<string, CompareRun[]> = {
  slow: [run(1, { impactPerRun: 1000, lostSales: 0 }), run(2, { impactPerRun: 1200, lostSales: 0 }), run(3, { impactPerRun: 1100, lostSales: 0 })],
  fast: [run(1, { impactPerRun: 100, lostSales: 1 }), run(2, { impactPerRun: 300, lostSales: 1 }), run(3, { impactPerRun: 200, lostSales: 1 })],
  tied: [run(1, { impactPerRun: 100, lostSales: 2 }), run(2, { impactPerRun: 300, lostSales: 2 }), run(3, { impactPerRun: 200, lostSales: 2 })],
  broken: [run(1, { impactPerRun: 0 }), run(2, { impactPerRun: 0 }), run(3, { impactPerRun: 0 })],
};

const result = aggregate({ scenario: 'x', strategies: ['slow', 'fast', 'tied', 'broken'], seeds: [1, 2, 3], frequency: null }, (s) => runs[s]!);

describe('verdict', () => {
  const v = verdict(result, dayLong);

  it('ranks by impact per run, then lost sales, and leaves pitfalls out', () => {
    expect(v.ranking).toEqual(['fast', 'tied', 'slow']);
    expect(v.winner.strategy).toBe('fast');
    expect(v.runnerUp?.strategy).toBe('tied');
    expect(v.excluded).toEqual(['broken']);
  });

  it('without a reference, measures the winner against the runner-up, per seed, and says so', () => {
    expect(v.reference).toBeUndefined();
    expect(v.comparedWith).toBe('runner-up');
    expect(v.headline?.against.strategy).toBe('tied');
    expect(v.headline?.impact.perRun).toEqual({ mean: 0, ci95: [0, 0] });
    expect(v.headline?.lostSales).toEqual({ mean: 1, ci95: [1, 1] });
    // One lost sale per run at an average order value of 100.
    expect(v.headline?.lostSalesRevenue.perRun).toEqual({ mean: 100, ci95: [100, 100] });
    expect(v.againstReference).toEqual([]);
  });

  it('for a day-long scenario, a year is 365 runs and a day is the run', () => {
    expect(v.frequency).toEqual({ occurrencesPerYear: 365, basis: 'whole-days' });
    expect(v.headline?.net.perYear).toEqual({ mean: 36_500, ci95: [36_500, 36_500] });
    expect(v.headline?.lostSalesRevenue.perDay).toEqual({ mean: 100, ci95: [100, 100] });
  });

  it('for a two-hour scenario without a declared frequency, has no day or year figure at all', () => {
    const short = verdict(result, twoHours);
    expect(short.frequency).toBeNull();
    expect(short.headline?.net.perRun).toEqual({ mean: 100, ci95: [100, 100] });
    expect(short.headline?.net.perYear).toBeNull();
    expect(short.headline?.net.perDay).toBeNull();
    expect(short.headline?.impact.perYear).toBeNull();
  });

  it('with a declared frequency, a year is per run × occurrencesPerYear', () => {
    const declared = verdict(result, twoHoursTwelveAYear);
    expect(declared.frequency).toEqual({ occurrencesPerYear: 12, basis: 'declared' });
    expect(declared.headline?.net.perYear).toEqual({ mean: 1_200, ci95: [1_200, 1_200] });
    expect(declared.headline?.net.perDay?.mean).toBeCloseTo(1_200 / 365, 5);
  });

  it('with a reference, measures the winner and every other strategy against it', () => {
    const withReference = verdict(result, { ...dayLong, reference: 'slow' } as VerdictScenario);
    expect(withReference.winner.strategy).toBe('fast');
    expect(withReference.comparedWith).toBe('reference');
    expect(withReference.headline?.against.strategy).toBe('slow');
    // slow minus fast per seed: 900, 900, 900.
    expect(withReference.headline?.impact.perRun).toEqual({ mean: 900, ci95: [900, 900] });
    expect(withReference.againstReference.map((p) => [p.strategy.strategy, p.impact.perRun.mean])).toEqual([
      ['fast', 900],
      ['tied', 900],
      ['broken', 1100],
    ]);
  });

  it('when the reference itself wins, measures it against the runner-up', () => {
    const referenceWins = verdict(result, { ...dayLong, reference: 'fast' } as VerdictScenario);
    expect(referenceWins.comparedWith).toBe('runner-up');
    expect(referenceWins.headline?.against.strategy).toBe('tied');
    expect(referenceWins.againstReference.map((p) => p.strategy.strategy)).toEqual(['slow', 'tied', 'broken']);
  });

  it('with only pitfalls, ranks them all rather than none', () => {
    const only = aggregate({ scenario: 'x', strategies: ['broken'], seeds: [1, 2, 3], frequency: null }, (s) => runs[s]!);
    expect(verdict(only, dayLong).winner.strategy).toBe('broken');
    expect(verdict(only, dayLong).runnerUp).toBeUndefined();
    expect(verdict(only, dayLong).headline).toBeUndefined();
  });
});
