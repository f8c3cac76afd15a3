// Proves the cross-instance audit (src/serve/cluster.ts) on hand-made audits, with no server:
// the instances' counts are summed, their applied commits and deltas are held against the
// store's versions and quantities (a lost update, or an instance's counts missing, shows as a
// named violation), and audits that cannot be summed are refused.
import { describe, expect, it } from 'vitest';
import { combineAudits } from '../../src/serve/cluster.js';
import type { AuditBody } from '../../src/serve/schemas.js';

function audit(id: string, o: { applied: number; rejected: number; duplicates?: number; commits: number; unitsDelta: number; violations?: number; shared?: boolean }): AuditBody {
  const snapshot = { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    scenario: 's',
    store: 'redis://127.0.0.1:6379/',
    startedAt: '2026-01-01T00:00:00.000Z',
    uptimeS: 1,
    speedup: 1,
    scenarioTimeS: 1,
    storefront: false,
    settled: true,
    orders: {
      received: o.applied + o.rejected + (o.duplicates ?? 0),
      distinct: o.applied + o.rejected,
      applied: o.applied,
      duplicates: o.duplicates ?? 0,
      rejected: o.rejected,
      rejectedByReason: {},
      notListed: 0,
      lostSales: 0,
      lostSalesWhileOrdersWaited: 0,
      decidedElsewhere: 0,
      keyReused: 0,
      pending: 0,
    },
    adjustments: { received: 0, applied: 0, duplicates: 0, rejected: 0, keyReused: 0 },
    outcomesLearned: 0,
    commits: { applied: o.commits, unitsDelta: o.unitsDelta },
    instance: { id, sharedStore: o.shared ?? true, reconciliation: { passes: 0, corrections: 0 } },
    oversells: 0,
    oversellsByChannel: {},
    lostSalesByChannel: {},
    integrityViolations: o.violations ?? 0,
    violations: [],
    dlq: { depth: 0, parked: 0, redriven: 0 },
    latencyMs: snapshot,
    latencyMsByChannel: {},
    orderProcessingMs: { count: 0, p50: 0, p95: 0, p99: 0, max: 0 },
    freshness: {
      listings: 0,
      staleListings: 0,
      meanConfidence: 1,
      integrated: { fromS: null, toS: null, windowS: 0, meanConfidence: null, invisibleFraction: null, belowMinConfidenceFraction: null },
    },
    channels: {},
    alerts: {},
  };
}

describe('combineAudits', () => {
  it('sums the instances and finds the store consistent with their commits', () => {
    // 50 units stocked by a, 30 sold on a, 20 on b: level 0 at version 51.
    const a = audit('a', { applied: 30, rejected: 100, commits: 31, unitsDelta: 50 - 30 });
    const b = audit('b', { applied: 20, rejected: 350, duplicates: 4, commits: 20, unitsDelta: -20 });
    const cluster = combineAudits([a, b], [{ quantity: 0, version: 51 }]);
    expect(cluster.orders).toEqual({ received: 504, applied: 50, rejected: 450, duplicates: 4, decidedElsewhere: 0, pending: 0 });
    expect(cluster.commits).toEqual({ applied: 51, unitsDelta: 0 });
    expect(cluster.store).toEqual({ skus: 1, quantity: 0, version: 51 });
    expect(cluster.violations).toEqual([]);
    expect(cluster.integrityViolations).toBe(0);
  });

  it('names a lost update (two commits, one version) and counts the instances own violations', () => {
    const a = audit('a', { applied: 2, rejected: 0, commits: 3, unitsDelta: 10 - 2, violations: 1 });
    // The store went 10 -> 9 once although two orders were answered applied.
    const cluster = combineAudits([a], [{ quantity: 9, version: 2 }]);
    expect(cluster.violations.map((v) => v.invariant)).toEqual(['cluster-version-mismatch', 'cluster-quantity-mismatch']);
    expect(cluster.violations[0]!.detail).toBe("the instances made 3 applied commits; the store's versions add up to 2");
    expect(cluster.integrityViolations).toBe(3);
  });

  it('refuses audits it cannot sum', () => {
    const a = audit('a', { applied: 0, rejected: 0, commits: 0, unitsDelta: 0 });
    expect(() => combineAudits([], [])).toThrow(/no audits/);
    expect(() => combineAudits([a, a], [])).toThrow(/the same instance twice/);
    expect(() => combineAudits([a, { ...audit('b', { applied: 0, rejected: 0, commits: 0, unitsDelta: 0 }), store: 'postgres://x/db' }], [])).toThrow(/different stores/);
    expect(() => combineAudits([a, audit('m', { applied: 0, rejected: 0, commits: 0, unitsDelta: 0, shared: false })], [])).toThrow(/without a shared store/);
  });
});
