// Proves what the live report predicts: the live world is the scenario with every channel's
// orders reaching the engine at once (no webhook delay, no reordering, no poll interval), the
// k6 script's redeliveries (the channel's webhook rate plus the scenario's, none for polled
// channels, at least 1 s later spread over 1% of the retry window) and none of the scheduled
// crashes the service does not perform; everything else is the scenario's. `invsim run --live`
// simulates exactly that world, and a live world has fewer oversells than the scenario's delayed
// notifications on the flash sale (the reason the prediction must be of the live world). And it
// finds the bursts a live restock, which takes real time, meets in another order than the
// simulator's instant one (pitfalls' burst at its 7 200 s restock), and only those, and the
// restocks that come during an outage (whose updates wait it out).
import { describe, expect, it } from 'vitest';
import { liveRedeliveries, liveWorldScenario, restockBurstOverlaps, restocksInOutages } from '../../src/loadtest/live-world.js';
import type { Scenario } from '../../src/scenarios/schema.js';
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

describe('restockBurstOverlaps', () => {
  const pitfalls = getScenario(file, 'pitfalls');
  const withBursts = (bursts: { atS: number; spreadMs: number }[]): Scenario => ({ ...pitfalls, demand: { ...pitfalls.demand, bursts: bursts.map((b) => ({ ...b, orders: 10, hotSkus: 1 })) } });

  it("finds pitfalls' burst at its restock's moment, with the share of its orders the live restock's span covers", () => {
    // The burst: 120 orders over 1 s from 7 200 s, when the hourly restock comes.
    expect(restockBurstOverlaps(pitfalls, 2_500)).toEqual([{ burst: 'burst_0', burstAtS: 7200, burstSpreadMs: 1000, orders: 120, restockAtS: 7200, share: 1 }]);
    expect(restockBurstOverlaps(pitfalls, 250)).toEqual([expect.objectContaining({ restockAtS: 7200, share: 0.25 })]);
    // An instant restock is the simulator's: nothing to find.
    expect(restockBurstOverlaps(pitfalls, 0)).toEqual([]);
  });

  it('finds a burst that starts within the span or runs across the moment, and no other', () => {
    const found = restockBurstOverlaps(
      withBursts([
        { atS: 3599, spreadMs: 2000 }, // across the 3 600 s restock: its second half follows it
        { atS: 3601, spreadMs: 0 }, // all at once, 1 s after the restock: within a 2 s span
        { atS: 3602, spreadMs: 0 }, // at the span's end
        { atS: 3500, spreadMs: 1000 }, // over before the restock
        { atS: 7200, spreadMs: 0 }, // at the very moment, at once: before the commit on both sides
        { atS: 21600, spreadMs: 1000 }, // at the end of the load: no restock then
      ]),
      2_000,
    );
    expect(found.map((o) => [o.burst, o.restockAtS, o.share])).toEqual([
      ['burst_0', 3600, 0.5],
      ['burst_1', 3600, 1],
    ]);
    expect(restockBurstOverlaps({ ...withBursts([{ atS: 3600, spreadMs: 1000 }]), catalog: { ...pitfalls.catalog, restock: undefined } } as Scenario, 2_000)).toEqual([]);
  });
});

describe('restocksInOutages', () => {
  it("finds the restocks that come while a channel is down, the outage's start included and its end not", () => {
    expect(restocksInOutages(getScenario(file, 'marketplace-outage'))).toEqual([{ channel: 'amazon', restockAtS: 3600, outageFromS: 3600, outageToS: 7200 }]);
    expect(restocksInOutages(getScenario(file, 'pitfalls'))).toEqual([{ channel: 'woo', restockAtS: 10800, outageFromS: 10800, outageToS: 11700 }]);
    expect(restocksInOutages(getScenario(file, 'baseline'))).toEqual([]);
  });
});
