// Proves a channel's limits pass a call through the channel-wide models, then the per-listing
// quotas, and that `restart` starts them afresh from a later origin, as the simulator's start
// them at time 0: full buckets, and quota windows counted from the origin, not from time 0.
import { describe, expect, it } from 'vitest';
import { ChannelLimits } from '../../src/model/channel-limits.js';

describe('ChannelLimits', () => {
  it('counts quota windows from the origin restart gives, with nothing used', () => {
    // Walmart-like: 10 feeds per hour, in fixed windows.
    const limits = new ChannelLimits([{ kind: 'quota', limit: 10, periodS: 3600 }]);
    for (let i = 0; i < 10; i++) expect(limits.admit(1_000_000 + i, { items: 1 }).ok).toBe(true);
    // The window of [0, 3 600 s) is used up: the next call waits for 3 600 s.
    expect(limits.admit(1_000_100, { items: 1 })).toEqual({ ok: false, retryAfterMs: 3_600_000 - 1_000_100 });
    // The load's time 0 at 1 800 s: a fresh quota, whose window ends an hour later, at 5 400 s.
    limits.restart(1_800_000);
    for (let i = 0; i < 10; i++) expect(limits.admit(1_800_000 + i, { items: 1 }).ok, `call ${i}`).toBe(true);
    expect(limits.admit(3_700_000, { items: 1 })).toEqual({ ok: false, retryAfterMs: 5_400_000 - 3_700_000 });
    expect(limits.admit(5_400_000, { items: 1 }).ok).toBe(true);
  });

  it('refills a bucket to full at restart', () => {
    const limits = new ChannelLimits([{ kind: 'token-bucket', ratePerS: 1, burst: 2 }]);
    expect(limits.admit(0, { items: 1 }).ok).toBe(true);
    expect(limits.admit(0, { items: 1 }).ok).toBe(true);
    expect(limits.peek(10, { items: 1 })).toEqual({ ok: false, retryAfterMs: 990 });
    limits.restart(10);
    expect(limits.admit(10, { items: 1 }).ok).toBe(true);
    expect(limits.admit(10, { items: 1 }).ok).toBe(true);
    expect(limits.admit(10, { items: 1 }).ok).toBe(false);
    expect(() => limits.restart(Number.NaN)).toThrow(/originMs must be finite/);
  });

  it('passes a call through the per-listing quotas after the channel-wide limits', () => {
    // eBay-like: 250 revisions per listing per day, a channel-wide bucket beside it.
    const limits = new ChannelLimits([
      { kind: 'token-bucket', ratePerS: 100, burst: 100 },
      { kind: 'quota', limit: 2, periodS: 86_400, scope: 'listing' },
    ]);
    expect(limits.perListing).toBe(true);
    const call = { items: 1, keys: ['SKU-1'] };
    for (let i = 0; i < 2; i++) {
      expect(limits.admit(i, call).ok).toBe(true);
      expect(limits.admitListings(i, call).ok).toBe(true);
    }
    expect(limits.admit(5, call).ok).toBe(true);
    expect(limits.admitListings(5, call)).toEqual({ ok: false, retryAfterMs: 86_400_000 - 5 });
    expect(limits.admitListings(5, { items: 1, keys: ['SKU-2'] }).ok).toBe(true);
    expect(new ChannelLimits([{ kind: 'token-bucket', ratePerS: 1, burst: 1 }]).admitListings(0, call)).toEqual({ ok: true });
  });
});
