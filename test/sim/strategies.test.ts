// Proves the strategy registry's listing-policy step cannot go silently inert: every field of
// a scenario's listing policy, set alone, makes a policy (not the identity) and changes the run
// end to end, through the dispatcher and the simulator alike.
import { describe, expect, it } from 'vitest';
import { isIdentityPolicy } from '../../src/engine/listing-policy.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { listingPolicyShape, type Scenario } from '../../src/scenarios/schema.js';
import { listingPolicies } from '../../src/sim/strategies.js';
import { simulate } from '../../src/sim/world.js';

const baseline = getScenario(loadScenarioFile(new URL('../../scenarios.yaml', import.meta.url).pathname), 'baseline');
const SAMPLE: Record<string, unknown> = {
  bufferUnits: 3,
  outOfStockThreshold: 4,
  allocation: Object.fromEntries(baseline.channels.map((c, i) => [c.id, { percent: i === 0 ? 40 : 100 }])),
  maxListed: 5,
};

describe('listing policies', () => {
  it('every field of the schema has a sample here', () => {
    expect(Object.keys(listingPolicyShape.shape).sort()).toEqual(Object.keys(SAMPLE).sort());
  });

  for (const field of Object.keys(listingPolicyShape.shape)) {
    it(`${field}, set alone, makes a policy and changes the run`, async () => {
      const policy = listingPolicyShape.parse({ [field]: SAMPLE[field] });
      const decided = listingPolicies({ listingPolicy: policy, partitionStock: false });
      expect(decided.identity).toBe(false);
      expect(isIdentityPolicy(decided.dispatchPolicy)).toBe(false);
      const plain = baseline.strategies['event-driven']!;
      const scenario: Scenario = { ...baseline, strategies: { plain, policy: { ...plain, listingPolicy: policy } } };
      const a = await simulate(scenario, { strategy: 'plain', seed: 3 });
      const b = await simulate(scenario, { strategy: 'policy', seed: 3 });
      expect(b.traceHash).not.toBe(a.traceHash);
      expect(b.violations).toEqual([]);
    });
  }

  it('with partitioned stock the listing shows its pool whole: the allocation made the pools', () => {
    const policy = listingPolicyShape.parse({ allocation: SAMPLE['allocation'] });
    const decided = listingPolicies({ listingPolicy: policy, partitionStock: true });
    expect(decided.policy.allocation).toBeDefined();
    expect(decided.dispatchPolicy.allocation).toBeUndefined();
    expect(decided.identity).toBe(true);
  });
});
