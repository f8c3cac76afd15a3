// Proves the black-box comparison judges what the channel twins measured against the
// simulator's prediction: an audit built from one more simulated run of the same scenario lands
// within every comparable band, a tenfold oversell count does not, a window that does not cover
// the scenario leaves freshness uncompared with the reason, latency is never judged (different
// quantities), and a wrong file is refused with the path of every problem.
import { describe, expect, it } from 'vitest';
import { twinsPrediction } from '../../src/analysis/report-inputs.js';
import { AnalysisInputError } from '../../src/analysis/errors.js';
import type { SimulationResult } from '../../src/model/result.js';
import { liveStrategy } from '../../src/reports/live.js';
import { parseTwinsAudit, twinsComparison } from '../../src/reports/twins.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';

const declared = getScenario(loadScenarioFile('scenarios.yaml'), 'baseline');
const { scenario, strategy } = liveStrategy(declared);

/** A twins audit body carrying a simulated run's figures, as the twins would report them. */
function auditOf(r: SimulationResult, overrides: { oversells?: number; observedMs?: number } = {}): unknown {
  const api = { calls: 0, throttled: 0, failed: 0 };
  return {
    scenario: scenario.name,
    observedMs: overrides.observedMs ?? scenario.durationS * 1000,
    orders: { attempts: r.orders.arrivals, taken: r.orders.placed, oversells: overrides.oversells ?? r.oversells, lostSales: r.lostSales },
    oversells: overrides.oversells ?? r.oversells,
    lostSales: r.lostSales,
    propagation: { latencyMs: { count: 10, p99: 1234 }, pending: 0 },
    freshness: { meanConfidence: r.freshness.meanConfidence, invisibleFraction: r.freshness.invisibleFraction },
    settled: true,
    api,
    channels: r.channels.map((c) => ({ id: c.id, api: { ...api, calls: c.api.calls }, propagation: { latencyMs: { count: 0, p99: null } } })),
  };
}

describe('twinsComparison', () => {
  it('puts one more run of the same world within the bands, and a tenfold oversell count outside', async () => {
    const predicted = await twinsPrediction(scenario, strategy, [1, 2, 3, 4, 5]);
    const [extra] = await twinsPrediction(scenario, strategy, [6]);
    const same = twinsComparison({ scenario, strategy, audit: parseTwinsAudit(auditOf(extra!), 'a.json'), predicted });
    const judged = same.measures.filter((m) => m.comparable);
    expect(judged.map((m) => m.id).sort()).toEqual(['lostSalesPer1000', 'oversellsPer1000']);
    // Amazon's and eBay's orders are polled: staleness against what exists is not against the source of truth.
    expect(same.measures.find((m) => m.id === 'meanConfidence')!.reason).toMatch(/amazon, ebay.*only when it polls/);
    for (const m of judged) expect(m.withinPrediction, m.id).toBe(true);
    expect(same.measures.find((m) => m.id === 'saleToListingMsP99')!.reason).toMatch(/different quantities/);
    expect(same.apiCalls.map((c) => c.channel)).toEqual(scenario.channels.map((c) => c.id));

    const tenfold = Math.max(50, extra!.oversells * 10);
    const bad = twinsComparison({ scenario, strategy, audit: parseTwinsAudit(auditOf(extra!, { oversells: tenfold }), 'a.json'), predicted });
    expect(bad.measures.find((m) => m.id === 'oversellsPer1000')!.withinPrediction).toBe(false);

    // With webhook channels only, freshness compares, unless the audit's window is not the scenario's.
    const webhooks = { ...scenario, channels: scenario.channels.filter((c) => c.id === 'shopify') };
    const onlyShopify = await twinsPrediction(webhooks, strategy, [1, 2, 3, 4, 5]);
    const [next] = await twinsPrediction(webhooks, strategy, [6]);
    const whole = twinsComparison({ scenario: webhooks, strategy, audit: parseTwinsAudit(auditOf(next!), 'a.json'), predicted: onlyShopify });
    expect(whole.measures.find((m) => m.id === 'meanConfidence')!.withinPrediction).toBe(true);
    const early = twinsComparison({ scenario: webhooks, strategy, audit: parseTwinsAudit(auditOf(next!, { observedMs: scenario.durationS * 500 }), 'a.json'), predicted: onlyShopify });
    const fresh = early.measures.find((m) => m.id === 'meanConfidence')!;
    expect(fresh.comparable).toBe(false);
    expect(fresh.reason).toMatch(/covers .* of scenario time/);
  }, 120_000);

  it('refuses a file that is not a twins audit, naming each missing field', () => {
    let error: unknown;
    try {
      parseTwinsAudit({ orders: { attempts: 1 } }, 'wrong.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AnalysisInputError);
    expect(String((error as Error).message)).toMatch(/wrong\.json is not a channel twins audit/);
    expect(String((error as Error).message)).toMatch(/orders\.taken/);
    expect(String((error as Error).message)).toMatch(/freshness/);
  });
});
