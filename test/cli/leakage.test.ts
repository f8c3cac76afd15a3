// Proves the leakage command prints the seed article's baseline, 39 000 a day, as JSON and as text.
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const BASELINE = ['leakage', '--daily-orders', '500', '--sync-window-s', '900', '--aov', '1500', '--oversell-probability', '0.02', '--clv', '8000', '--churn-multiplier', '0.3'];

describe('invsim leakage', () => {
  it("prints the seed's baseline total of 39000", async () => {
    const json = await runCli([...BASELINE, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(expect.objectContaining({ estimatedOversellsPerDay: 10, totalDailyImpact: 39000 }));
    const text = await runCli(BASELINE);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/total daily impact +39,000\.00/);
  });

  it('exits 2 when a parameter is missing', async () => {
    const r = await runCli(BASELINE.slice(0, -2));
    expect(r.code).toBe(2);
    expect(r.err).toContain('churn-multiplier');
  });
});
