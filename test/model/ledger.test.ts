// Proves each of the ledger's checks fires exactly its own invariant when the thing it guards
// goes wrong, and stays silent when it holds: the simulator and the service both judge through
// these checks, so a check that could not fire would blind both.
import { describe, expect, it } from 'vitest';
import { INVARIANTS, InvariantLedger, type InvariantName } from '../../src/model/ledger.js';

function ledger(): { l: InvariantLedger; heard: InvariantName[] } {
  const heard: InvariantName[] = [];
  return { l: new InvariantLedger({ nowMs: () => 42, maxListed: 3, onViolation: (i) => heard.push(i) }), heard };
}

const CASES: { invariant: InvariantName; fire: (l: InvariantLedger) => void; hold: (l: InvariantLedger) => void }[] = [
  { invariant: 'negative-stock', fire: (l) => l.checkStockLevel('A', -1), hold: (l) => l.checkStockLevel('A', 0) },
  { invariant: 'mutation-applied-twice', fire: (l) => l.checkApplyCount('order o1', 'A', 2), hold: (l) => l.checkApplyCount('order o1', 'A', 1) },
  { invariant: 'lost-update', fire: (l) => void l.checkLevelSum('A', { quantity: 4 }, { quantity: 5 }), hold: (l) => void l.checkLevelSum('A', { quantity: 5 }, { quantity: 5 }) },
  { invariant: 'mutation-without-outcome', fire: (l) => l.checkOutcome('order o1', false), hold: (l) => l.checkOutcome('order o1', true) },
  { invariant: 'update-lost-without-dlq', fire: (l) => l.checkParked('dl-1', false), hold: (l) => l.checkParked('dl-1', true) },
  { invariant: 'version-regression', fire: (l) => l.checkListingChange('shopify', 'A', 3, 4, 9), hold: (l) => l.checkListingChange('shopify', 'A', 4, 4, 9) },
  { invariant: 'update-ahead-of-source', fire: (l) => l.checkListingChange('shopify', 'A', 10, 4, 9), hold: (l) => l.checkListingChange('shopify', 'A', 9, 4, 9) },
];

describe('InvariantLedger', () => {
  it('has a check for every invariant', () => {
    expect(CASES.map((c) => c.invariant).sort()).toEqual([...INVARIANTS].sort());
  });

  for (const c of CASES) {
    it(`${c.invariant}: fires exactly it when broken, nothing when it holds`, () => {
      const { l, heard } = ledger();
      c.hold(l);
      expect(l.count).toBe(0);
      c.fire(l);
      expect(heard).toEqual([c.invariant]);
      expect(l.byInvariant[c.invariant]).toBe(1);
      expect(l.listed).toEqual([{ invariant: c.invariant, atMs: 42, detail: expect.any(String) }]);
    });
  }

  it('lost-update compares versions too when both sides count commits', () => {
    const { l } = ledger();
    expect(l.checkLevelSum('A', { quantity: 5, version: 3 }, { quantity: 5, version: 4 })).toBe(false);
    expect(l.listed[0]!.detail).toBe('A holds 5 (v3) but applied mutations give 5 (v4)');
  });

  it('keeps counting past the listed limit', () => {
    const { l } = ledger();
    for (let n = 0; n < 5; n++) l.checkStockLevel('A', -n - 1);
    expect(l.count).toBe(5);
    expect(l.listed).toHaveLength(3);
  });
});
