// Proves what the live report predicts: the live world is the scenario with every channel's
// orders reaching the engine at once (no webhook delay, no reordering, no poll interval), the
// k6 script's redeliveries (the channel's webhook rate plus the scenario's, none for polled
// channels, at least 1 s later spread over 1% of the retry window) and none of the scheduled
// crashes the service does not perform; everything else is the scenario's. `invsim run --live`
// simulates exactly that world, and a live world has fewer oversells than the scenario's delayed
// notifications on the flash sale (the reason the prediction must be of the live world). And what a
// k6 summary says of the load's seed and its restocks' length becomes the conditions the
// prediction holds fixed (the catalogue, the restock as a job in scenario time).
import { describe, expect, it } from 'vitest';
import { BATCH_IN_FLIGHT } from '../../loadtest/lib/options.js';
import { LIVE_RESTOCK_BATCH, liveConditioning, liveRedeliveries, liveWorldScenario } from '../../src/loadtest/live-world.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { effectivePreset } from '../../src/scenarios/compile.js';
import { simulate } from '../../src/sim/world.js';
import { runCli } from '../cli/helpers.js';

const file = loadScenarioFile('scenarios.yaml');

describe('liveWorldScenario', () => {
  it('changes how orders reach the engine, and nothing else', () => {
    const scenario = getScenario(file, 'black-friday');
    const world = liveWorldScenario(scenario);
    const rates = liveRedeliveries(scenario);
    world.channels.forEach((c, i) => {
      const note = effectivePreset(c.preset, c.overrides as Record<string, unknown>).orderNotification;
      expect(note).toMatchObject({ mode: 'webhook', delay: { kind: 'fixed', ms: 0 }, reorderWindowMs: 0, duplicateRate: rates[i]!.duplicateRate });
      const declared = effectivePreset(scenario.channels[i]!.preset, scenario.channels[i]!.overrides as Record<string, unknown>);
      // Latency, rate limits and update semantics stay the scenario's.
      expect(effectivePreset(c.preset, c.overrides as Record<string, unknown>).latency).toEqual(declared.latency);
      expect(effectivePreset(c.preset, c.overrides as Record<string, unknown>).rateLimits).toEqual(declared.rateLimits);
      if (declared.orderNotification.mode === 'polling') expect(rates[i]!.duplicateRate).toBe(0);
      else expect(rates[i]!.duplicateRate).toBeCloseTo(declared.orderNotification.duplicateRate + scenario.faults.webhookDuplicateRate, 9);
    });
    expect(world.faults).toEqual({ ...scenario.faults, webhookDuplicateRate: 0, webhookReorderWindowMs: 0, processorCrashes: [], dispatcherCrashes: [] });
    expect({ ...world, channels: [], faults: {} }).toEqual({ ...scenario, channels: [], faults: {} });
  });

  it('is what `invsim run --live` simulates, and predicts fewer oversells than the delayed notifications of the scenario', async () => {
    const scenario = getScenario(file, 'flash-sale');
    const cli = await runCli(['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'event-driven', '--seed', '3', '--live', '--json']);
    expect(cli.code).toBe(0);
    const live = await simulate(liveWorldScenario(scenario), { strategy: 'event-driven', seed: 3 });
    expect((JSON.parse(cli.out) as { traceHash: string }).traceHash).toBe(live.traceHash);
    let declared = 0;
    let world = 0;
    for (let seed = 1; seed <= 5; seed++) {
      declared += (await simulate(scenario, { strategy: 'event-driven', seed })).oversells;
      world += (await simulate(liveWorldScenario(scenario), { strategy: 'event-driven', seed })).oversells;
    }
    expect(world).toBeLessThan(declared);
  });
});

describe('liveConditioning', () => {
  it("holds the load's seed as the catalogue's, and runs a restock as the job it was, in scenario time", () => {
    // 600 real ms of restock, 400 of them reads, at speedup 30: 12 s of reads and 6 s of writes.
    expect(liveConditioning({ loadSeed: 7, restockDurationMsMean: 600, restockReadMsMean: 400 }, 30)).toEqual({
      catalogSeed: 7,
      restockJob: { readSpanMs: 12_000, writeSpanMs: 6_000, batch: 50 },
    });
    // A summary without the reads' length: half reads, half writes.
    expect(liveConditioning({ loadSeed: null, restockDurationMsMean: 600, restockReadMsMean: null }, 10).restockJob).toEqual({ readSpanMs: 3_000, writeSpanMs: 3_000, batch: 50 });
    // Reads reported longer than the whole (rounding in a summary) are the whole.
    expect(liveConditioning({ loadSeed: null, restockDurationMsMean: 100, restockReadMsMean: 120 }, 1).restockJob).toEqual({ readSpanMs: 100, writeSpanMs: 0, batch: 50 });
    // No restock measured, or no time base: instant restocks, as the scenario has them.
    expect(liveConditioning({ loadSeed: 1, restockDurationMsMean: null, restockReadMsMean: null }, 30)).toEqual({ catalogSeed: 1, restockJob: null });
    expect(liveConditioning({ loadSeed: 1, restockDurationMsMean: 600, restockReadMsMean: 400 }, null).restockJob).toBeNull();
  });

  it("batches as the k6 script's restock does", () => {
    expect(LIVE_RESTOCK_BATCH).toBe(BATCH_IN_FLIGHT);
  });
});
