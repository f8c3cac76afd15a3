// Proves `invsim sweep`: each value of the parameter gets its own aggregated comparison (the
// parameter really changes the runs), a path that does not exist or a value the schema refuses
// exits 2 naming it before anything runs (a shard too), --shard refuses bad slices and the
// outputs a shard cannot give, and --csv prints one row per (value, strategy, metric).
import { describe, expect, it } from 'vitest';
import { COMPARE_METRICS } from '../../src/analysis/metrics.js';
import type { SweepResult } from '../../src/analysis/sweep.js';
import { runCli } from './helpers.js';

const SWEEP = ['sweep', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '2', '--workers', '1'];

describe('invsim sweep', () => {
  it('aggregates each of two values, on the strategy the parameter belongs to', async () => {
    const r = await runCli([...SWEEP, '--param', 'strategies.polling-15m.intervalS', '--values', '60,900', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as SweepResult;
    expect(result.param).toBe('strategies.polling-15m.intervalS');
    expect(result.seeds).toEqual([1, 2]);
    expect(result.points.map((p) => p.value)).toEqual([60, 900]);
    for (const p of result.points) {
      expect(p.strategies.map((s) => s.strategy)).toEqual(['polling-15m']);
      const m = p.strategies[0]!.metrics;
      expect(Object.keys(m)).toEqual([...COMPARE_METRICS]);
      for (const k of COMPARE_METRICS) {
        const e = m[k];
        // flash-sale declares no frequency: its daily impact has no data (null), never a made-up 0.
        if (k === 'totalDailyImpact') expect(e).toBeNull();
        else expect(e!.ci95[0]).toBeLessThanOrEqual(e!.ci95[1]);
      }
    }
    // Polling every minute calls the channels far more often than every 15 minutes, on the same seeds.
    const calls = result.points.map((p) => p.strategies[0]!.metrics.apiCalls.mean);
    expect(calls[0]).toBeGreaterThan(calls[1]! * 2);
  });

  it('prints CSV in long format with --csv', async () => {
    const r = await runCli([...SWEEP, '--param', 'demand.ordersPerDay', '--values', '1000,2000', '--strategy', 'allocation', '--csv']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('param,value,strategy,metric,mean,ci95Low,ci95High');
    expect(lines).toHaveLength(1 + 2 * COMPARE_METRICS.length);
    expect(lines[1]).toMatch(/^demand\.ordersPerDay,1000,allocation,oversells,0,0,0$/);
  });

  it('exits 2 naming an invalid path or a value the schema refuses', async () => {
    const badPath = await runCli([...SWEEP, '--param', 'demand.orderPerDay', '--values', '10']);
    expect(badPath.code).toBe(2);
    expect(badPath.err).toContain('--param demand.orderPerDay: demand has no key "orderPerDay"');
    const badValue = await runCli([...SWEEP, '--param', 'demand.ordersPerDay', '--values', '100,-5']);
    expect(badValue.code).toBe(2);
    expect(badValue.err).toContain('scenarios.flash-sale.demand.ordersPerDay');
    expect(badValue.out).toBe('');
    const both = await runCli([...SWEEP, '--param', 'demand.ordersPerDay', '--values', '100', '--json', '--csv']);
    expect(both.code).toBe(2);
  });

  it('exits 2 on a bad --shard, and on --shard with --csv or --report (a shard prints its shard document)', async () => {
    const base = [...SWEEP, '--param', 'demand.ordersPerDay', '--values', '100'];
    for (const [extra, message] of [
      [['--shard', '4/3'], /--shard 4\/3: the index i must be from 1 to n \(3\)/],
      [['--shard', '1/2', '--csv'], /mutually exclusive/],
      [['--shard', '1/2', '--report', 'r.html'], /mutually exclusive/],
      [['--shard-count', '2'], /--shard-count goes with --shard k8s/],
    ] as const) {
      const r = await runCli([...base, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
    // A bad value fails a shard as it fails the whole sweep: every value is checked first.
    const badValue = await runCli([...SWEEP, '--param', 'demand.ordersPerDay', '--values', '100,-5', '--shard', '1/2']);
    expect(badValue.code).toBe(2);
    expect(badValue.err).toContain('scenarios.flash-sale.demand.ordersPerDay');
  });
});
