// Proves the simulator's prediction and the channel twins' black-box figures agree on the shipped
// scenarios whose channels all have twins: each runs a prefix of the scenario (src/scenarios/
// prefix.ts) with its faults on, invsim's engine syncing through the real connectors
// (test/helpers/engine-against-twins.ts), and judges what the twins measured against the 95%
// prediction interval of the same prefix simulated on seeds 1–10 on the twins' catalogue
// (src/reports/twins.ts). Of the twins comparison's measures only oversells and lost sales are
// the simulator's quantities here: every one of these scenarios polls Amazon's and eBay's orders,
// so freshness is not (the twins count staleness from the sale, the simulator from the poll), and
// the sale-to-listing latency never is; nor does it offer a DLQ measure (the twins see only the
// marketplaces), so the outage's parked updates are checked on the service's own audit. Each
// prefix is as long as about 100 real seconds allow at the highest speedup the load plan honours
// for the scenario (src/loadtest/plan.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { scenarioPrefix } from '../../src/scenarios/prefix.js';
import { maxSpeedup, speedupLimits } from '../../src/loadtest/plan.js';
import { engineAgainstTwins, expectWithinPrediction, judged, Started } from '../helpers/engine-against-twins.js';

const shipped = loadScenarioFile('scenarios.yaml');
const started = new Started();
afterEach(() => started.closeAll());

describe('the shipped scenarios through the twins, within the prediction', () => {
  it("the flash sale's first 40 minutes, its burst and faults included", async () => {
    // The burst (150 orders on 3 hot SKUs within 1.5 s) at 1 800 s and the surge after it, at the
    // highest speedup the load plan allows the scenario (30): 80 real seconds.
    const flash = scenarioPrefix(getScenario(shipped, 'flash-sale'), 2_400);
    const { drive, measured, after, service } = await engineAgainstTwins(started, { scenario: flash, speedup: 30, faults: true });
    expect(drive.orders).toBeGreaterThan(150);
    expect(service.integrityViolations).toBe(0);
    expect(after.divergentListings, JSON.stringify(after.divergentListings)).toMatchObject({ total: 0 });
    const comparison = await judged(flash, measured, after);
    expectWithinPrediction(comparison, ['oversellsPer1000', 'lostSalesPer1000']);
  }, 240_000);

  it("the marketplace outage's first 70 minutes: Amazon down for the last 10, restocked as it went down", async () => {
    // At 3 600 s Amazon's API (listings and orders alike) goes down as the hourly restock brings
    // every SKU back up. Lost sales are the outage's: the restocked levels cannot reach Amazon,
    // whose sold-out listings turn customers away, and the prediction's seeds lose 0–4 sales there.
    // Oversells all come in the hour before it (0–3 a seed, none predicted in the outage's first
    // minutes), the ordinary trading the outage interrupts. 4 200 s at the plan's highest speedup
    // (60) is 70 real seconds, about 100 with the set-up and the settle.
    const outage = scenarioPrefix(getScenario(shipped, 'marketplace-outage'), 4_200);
    const speedup = maxSpeedup(speedupLimits(outage));
    // The cut outage ends with the prefix; the redrive at 4 500 s and Amazon's apply delay (p99
    // 15 minutes) bring its listings back during the settle.
    const { drive, measured, after, service } = await engineAgainstTwins(started, { scenario: outage, speedup, faults: true, settleBoundMs: 60_000 });
    expect(drive.restocks).toBeGreaterThan(0);
    expect(drive.restockHookFailures).toBe(0);
    // The outage was in force at the twins, and the service parked what it could not deliver (the scenario asserts dlqParked > 0).
    expect(measured.channels.find((c) => c.id === 'amazon')?.api.byOutcome.unavailable).toBeGreaterThan(0);
    expect(service.dlq.parked).toBeGreaterThan(0);
    expect(service.integrityViolations).toBe(0);
    expect(after.divergentListings, JSON.stringify(after.divergentListings)).toMatchObject({ total: 0 });
    const comparison = await judged(outage, measured, after);
    expectWithinPrediction(comparison, ['oversellsPer1000', 'lostSalesPer1000']);
  }, 240_000);

  it("the baseline day's first 90 minutes: nothing oversold or lost, as predicted", async () => {
    // The baseline trades 500 orders a day, fewest at night. Its first 90 minutes, what about 100
    // real seconds hold at the plan's highest speedup (60, bound by timer resolution against
    // Shopify's 1.2 s p99 latency), bring about 7 orders on 120 SKUs of 2–12 units, and every
    // simulated seed predicts no oversell and no lost sale in them (the first come after 6 hours).
    // The band is [0, 0]: the check is that the engine through the twins and faults adds none of
    // its own (a sale that never reaches a listing, a listing pushed below the truth), not that
    // the rates agree, which would take half the day (720 real seconds at 60).
    const baseline = scenarioPrefix(getScenario(shipped, 'baseline'), 5_400);
    const speedup = maxSpeedup(speedupLimits(baseline));
    const { drive, measured, after, service } = await engineAgainstTwins(started, { scenario: baseline, speedup, faults: true });
    expect(drive.orders).toBeGreaterThan(0);
    expect(service.integrityViolations).toBe(0);
    expect(after.divergentListings, JSON.stringify(after.divergentListings)).toMatchObject({ total: 0 });
    const comparison = await judged(baseline, measured, after);
    expectWithinPrediction(comparison, ['oversellsPer1000', 'lostSalesPer1000']);
  }, 240_000);
});
