// Proves `invsim list`: every scenario of the file with its strategies (kind, key parameters,
// pitfall) and every channel preset, as JSON and as text; a missing file exits 2.
import { describe, expect, it } from 'vitest';
import { PRESET_IDS } from '../../src/model/presets.js';
import { FIXTURES, runCli } from './helpers.js';

describe('invsim list', () => {
  it('lists scenarios, strategies and presets as JSON', async () => {
    const r = await runCli(['list', `${FIXTURES}/flash-sale-pitfall.yaml`, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      scenarios: { name: string; durationS: number; assertBlocks: number; strategies: { name: string; kind: string; pitfall: string | null; params: Record<string, unknown> }[] }[];
      presets: { id: string }[];
    };
    expect(doc.scenarios.map((s) => s.name)).toEqual(['flash-sale']);
    const s = doc.scenarios[0]!;
    expect(s.durationS).toBe(3600);
    expect(s.assertBlocks).toBe(3);
    expect(s.strategies.map((x) => [x.name, x.kind, x.pitfall])).toEqual([
      ['event-driven', 'event-driven', null],
      ['allocation', 'event-driven', null],
      ['pitfall-no-idempotency', 'event-driven', 'no-idempotency'],
    ]);
    expect(s.strategies[1]!.params).toEqual({ partitionStock: true, listingPolicy: { allocation: { shopify: { percent: 50 }, amazon: { percent: 30 }, woo: { percent: 20 } } } });
    expect(doc.presets.map((p) => p.id)).toEqual([...PRESET_IDS]);
  });

  it('defaults to scenarios.yaml and prints text with key parameters', async () => {
    const r = await runCli(['list']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^scenarios\.yaml: \d+ scenarios/);
    expect(r.out).toMatch(/^ {2}polling-15m +polling +intervalS=900/m);
    expect(r.out).toMatch(/^ {2}amazon-listings +Amazon/m);
  });

  it('exits 2 on a missing file', async () => {
    const r = await runCli(['list', 'no-such-file.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no-such-file.yaml');
  });
});
