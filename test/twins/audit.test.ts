// Proves the black-box audit's definitions by feeding it events by hand, as the twins would: an
// oversell is counted when two channels sell the last unit, a lost sale when a stale zero turns
// a customer away, propagation latency runs from a sale to each other listing reaching the new
// truth (and only there), freshness integrates the seed's confidence exactly, and the settled
// view tells a listing above the truth from one below it.
import { describe, expect, it } from 'vitest';
import { BlackBoxAudit, type AuditListener } from '../../src/twins/audit.js';

function audit(stock: Record<string, number>, options: { maxPendingPerListing?: number; listener?: AuditListener } = {}): BlackBoxAudit {
  return new BlackBoxAudit({
    channels: ['a', 'b'],
    catalog: Object.entries(stock).map(([sku, quantity]) => ({ sku, quantity })),
    maxStalenessMs: 1_000,
    minConfidence: 0.8,
    ...options,
  });
}

/** A sale as TwinChannel.buy reports it: the purchase, then the listing's drop. */
function sell(x: BlackBoxAudit, channel: string, sku: string, units: number, atMs: number): void {
  const listed = x.listingOf(channel, sku)!;
  const taken = listed >= units;
  x.purchase(channel, sku, units, taken, atMs);
  if (taken) x.listingChanged(channel, sku, listed - units, atMs, 'sale');
}

describe('BlackBoxAudit', () => {
  it('starts settled, fresh and empty', () => {
    const r = audit({ s1: 3 }).report(0);
    expect(r).toMatchObject({ oversells: 0, lostSales: 0, settled: true, settledAtOrBelowTruth: true, truth: { units: 3, restocks: 0 } });
    expect(r.freshness.meanConfidence).toBe(1);
    expect(r.propagation.latencyMs).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null });
  });

  it('counts an oversell when two channels sell the last unit, and the oversold order takes nothing from the truth', () => {
    const x = audit({ s1: 1 });
    sell(x, 'a', 's1', 1, 10);
    sell(x, 'b', 's1', 1, 20);
    const r = x.report(30);
    expect(r.oversells).toBe(1);
    expect(r.orders).toMatchObject({ attempts: 2, taken: 2, unitsTaken: 2, oversells: 1, oversoldUnits: 1, lostSales: 0 });
    expect(r.channels.map((c) => c.orders.oversells)).toEqual([0, 1]);
    expect(x.truthOf('s1')).toBe(0);
  });

  it('counts a multi-unit order beyond the truth as one oversell of all its units', () => {
    const x = audit({ s1: 2 });
    x.listingChanged('b', 's1', 5, 1, 'update');
    sell(x, 'b', 's1', 3, 2);
    expect(x.report(2).orders).toMatchObject({ oversells: 1, oversoldUnits: 3 });
    expect(x.truthOf('s1')).toBe(2);
  });

  it('counts a lost sale only when the truth had the units', () => {
    const x = audit({ s1: 2, s2: 0 });
    x.listingChanged('a', 's1', 0, 5, 'update');
    sell(x, 'a', 's1', 1, 6); // listed 0, truth 2: lost
    sell(x, 'a', 's2', 1, 7); // listed 0, truth 0: turned away, not lost
    sell(x, 'b', 's1', 3, 8); // listed 2 < 3, truth 2 < 3: not lost
    const r = x.report(10);
    expect(r.orders).toMatchObject({ attempts: 3, turnedAway: 3, lostSales: 1, lostSaleUnits: 1, taken: 0 });
    expect(r.channels[0]!.orders.lostSales).toBe(1);
  });

  it('measures propagation from a sale to the other listing reaching the new truth, not before', () => {
    const x = audit({ s1: 5 });
    sell(x, 'a', 's1', 1, 100); // truth 4; b lists 5: pending
    expect(x.report(100).channels[1]!.propagation.pending).toBe(1);
    x.listingChanged('b', 's1', 6, 150, 'update'); // moved, but not to <= 4
    expect(x.report(150).propagation.pending).toBe(1);
    x.listingChanged('b', 's1', 4, 350, 'update');
    const r = x.report(400);
    expect(r.channels[1]!.propagation).toMatchObject({ pending: 0, latencyMs: { count: 1, p50: 250, max: 250 } });
    // The selling channel owes nothing to itself.
    expect(r.channels[0]!.propagation.latencyMs.count).toBe(0);
    expect(r.settled).toBe(true);
  });

  it('has nothing to propagate to a channel already at or below the new truth', () => {
    const x = audit({ s1: 5 });
    x.listingChanged('b', 's1', 2, 1, 'update');
    sell(x, 'a', 's1', 1, 2);
    expect(x.report(3).propagation.pending).toBe(0);
  });

  it("lowers a pending sale's target by the other channel's own sales, so its customers do not count as propagation", () => {
    const x = audit({ s1: 5 });
    sell(x, 'a', 's1', 1, 10); // truth 4, b owes <= 4
    sell(x, 'b', 's1', 1, 20); // b lists 4 by itself: truth 3; b now owes <= 3
    expect(x.report(20).channels[1]!.propagation.pending).toBe(1);
    x.listingChanged('b', 's1', 3, 70, 'update');
    const b = x.report(70).channels[1]!.propagation;
    expect(b).toMatchObject({ pending: 0, latencyMs: { count: 1, max: 60 } });
    // a owes b's sale (truth 3): still pending while a lists 4.
    expect(x.report(70).channels[0]!.propagation).toMatchObject({ pending: 1, oldestPendingAgeMs: 50 });
  });

  it('ends sales pending on a SKU as superseded at a restock', () => {
    const x = audit({ s1: 5 });
    sell(x, 'a', 's1', 1, 10);
    x.restocked('s1', 6, 20);
    const r = x.report(30);
    expect(x.truthOf('s1')).toBe(10);
    expect(r.truth).toMatchObject({ units: 10, restocks: 1, restockedUnits: 6 });
    expect(r.propagation).toMatchObject({ pending: 0, superseded: 1 });
  });

  it('bounds the pending queue per listing, dropping the oldest and counting it', () => {
    const x = audit({ s1: 10 }, { maxPendingPerListing: 2 });
    for (let t = 1; t <= 4; t++) sell(x, 'a', 's1', 1, t);
    const b = x.report(5).channels[1]!.propagation;
    expect(b).toMatchObject({ pending: 2, dropped: 2, oldestPendingAgeMs: 2 });
  });

  it('integrates the confidence exactly: stale from the moment a listing stops matching', () => {
    const x = audit({ s1: 5 });
    sell(x, 'a', 's1', 1, 0); // b stale from 0 (lists 5, truth 4)
    const r = x.report(2_000);
    // b's listing: confidence 1 - t/1000 on [0, 1000], 0 after: integral 500 of 2000 ms.
    expect(r.channels[1]!.freshness).toMatchObject({ meanConfidence: 0.25, invisibleFraction: 0.5, staleListings: 1 });
    // Below 0.8 from staleness 200 ms on: 1 800 ms.
    expect(r.channels[1]!.freshness.belowMinConfidenceListingMs).toBe(1_800);
    expect(r.channels[0]!.freshness.meanConfidence).toBe(1);
    expect(r.freshness.meanConfidence).toBe(0.625);
    expect(r.freshness.staleListings).toBe(1);
    // A later, still-wrong value keeps the original stale start.
    x.listingChanged('b', 's1', 7, 2_000, 'update');
    expect(x.report(2_000).channels[1]!.freshness.invisibleFraction).toBe(0.5);
  });

  it('tells a listing above the truth from one below it in the settled view', () => {
    const x = audit({ s1: 5, s2: 5 });
    x.listingChanged('a', 's1', 3, 1, 'update'); // under
    let r = x.report(1);
    expect(r).toMatchObject({ settled: false, settledAtOrBelowTruth: true, divergentListings: { total: 1, over: 0, under: 1 } });
    x.listingChanged('b', 's2', 9, 2, 'update'); // over
    r = x.report(2);
    expect(r).toMatchObject({ settled: false, settledAtOrBelowTruth: false, divergentListings: { total: 2, over: 1, under: 1 } });
    expect(r.divergentListings.examples).toContainEqual({ channel: 'b', sku: 's2', listed: 9, truth: 5 });
  });

  it('shows a service that double-counts a sale as a listing under the truth', () => {
    const x = audit({ s1: 5 });
    sell(x, 'a', 's1', 1, 1);
    x.listingChanged('b', 's1', 3, 2, 'update'); // applied the sale twice
    const r = x.report(3);
    expect(r.divergentListings).toMatchObject({ under: 1, over: 0 });
    expect(r.channels[1]!.propagation.latencyMs.count).toBe(1);
  });

  it('counts API calls by outcome, with items', () => {
    const x = audit({ s1: 1 });
    x.apiCall('a', 'ok', 3);
    x.apiCall('a', 'throttled', 1);
    x.apiCall('a', 'server_error', 1);
    x.apiCall('b', 'timeout', 2);
    x.apiCall('b', 'listing_quota', 1);
    const r = x.report(0);
    expect(r.api).toMatchObject({ calls: 5, ok: 1, throttled: 1, failed: 3, items: 8 });
    expect(r.channels[0]!.api).toMatchObject({ calls: 3, ok: 1, throttled: 1, failed: 1, items: 5 });
    expect(r.channels[1]!.api.byOutcome).toMatchObject({ timeout: 1, listing_quota: 1 });
  });

  it('tells its listener what it concluded', () => {
    const seen: string[] = [];
    const x = audit({ s1: 1 }, {
      listener: {
        purchase: (c, taken) => seen.push(`purchase ${c} ${taken}`),
        oversell: (c, u) => seen.push(`oversell ${c} ${u}`),
        lostSale: (c, u) => seen.push(`lost ${c} ${u}`),
        apiCall: (c, o) => seen.push(`api ${c} ${o}`),
        propagated: (c, ms) => seen.push(`propagated ${c} ${ms}`),
      },
    });
    sell(x, 'a', 's1', 1, 1);
    sell(x, 'b', 's1', 1, 2);
    x.listingChanged('b', 's1', 0, 3, 'update');
    x.apiCall('b', 'ok', 1);
    x.listingChanged('a', 's1', 1, 4, 'update');
    x.purchase('a', 's1', 1, true, 5);
    expect(seen).toEqual(['purchase a true', 'purchase b true', 'oversell b 1', 'propagated b 1', 'api b ok', 'purchase a true', 'oversell a 1']);
  });

  it('refuses events out of time order, unknown names and bad units (caller bugs)', () => {
    const x = audit({ s1: 1 });
    x.listingChanged('a', 's1', 1, 10, 'update');
    expect(() => x.listingChanged('a', 's1', 1, 9, 'update')).toThrow(/time order/);
    expect(() => x.purchase('zz', 's1', 1, true, 10)).toThrow(/no channel zz/);
    expect(() => x.purchase('a', 'nope', 1, true, 10)).toThrow(/no SKU nope/);
    expect(() => x.purchase('a', 's1', 0, true, 10)).toThrow(/units/);
    expect(() => x.restocked('s1', -1, 10)).toThrow(/units/);
    expect(() => x.report(5)).toThrow(/before the last event/);
    expect(() => new BlackBoxAudit({ channels: ['a', 'a'], catalog: [], maxStalenessMs: 1, minConfidence: 0 })).toThrow(/twice/);
    expect(() => new BlackBoxAudit({ channels: ['a'], catalog: [], maxStalenessMs: 0, minConfidence: 0 })).toThrow(/maxStalenessMs/);
  });

  it('returns plain JSON', () => {
    const x = audit({ s1: 2 });
    sell(x, 'a', 's1', 1, 1);
    const r = x.report(5);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
  it('measures from beginWindow: counts and freshness start again, a listing stale before stays stale', () => {
    const x = audit({ s1: 3 });
    sell(x, 'a', 's1', 1, 100); // b still lists 3 of the 2 that exist: stale from 100 ms
    x.apiCall('a', 'ok', 1);
    x.beginWindow(600);
    const r0 = x.report(600);
    expect(r0).toMatchObject({ observedMs: 0, orders: { attempts: 0, taken: 0 }, api: { calls: 0 } });
    const r = x.report(1_100);
    expect(r.observedMs).toBe(500);
    // b: stale since 100 ms, so its confidence over 600..1100 falls from 0.5 to 0; a is fresh.
    expect(r.channels.find((c) => c.id === 'b')!.freshness.meanConfidence).toBeCloseTo(0.25, 6);
    expect(r.channels.find((c) => c.id === 'a')!.freshness.meanConfidence).toBe(1);
    expect(() => x.beginWindow(1_000)).not.toThrow();
    expect(() => x.beginWindow(900)).toThrow(/before the last event/);
  });
});
