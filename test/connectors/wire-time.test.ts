// Proves the connectors turn the real-time waits and rates a channel sends into the engine's
// scenario time at the service's speedup: retry-after-ms before Retry-After, a missing or
// non-positive header is no wait, a rate's refill wait scales with the speedup, and each
// dialect's result mapping (Amazon's rate header, eBay's Retry-After) uses it.
import { describe, expect, it } from 'vitest';
import { amazonResultOf } from '../../src/connectors/amazon.js';
import { ebayResultOf } from '../../src/connectors/ebay.js';
import { checkedSpeedup, restoreWaitScenarioMs, retryAfterScenarioMs } from '../../src/connectors/wire-time.js';

describe('connector wire time', () => {
  it('reads retry-after-ms first, then Retry-After, both real, times the speedup', () => {
    expect(retryAfterScenarioMs(new Headers({ 'retry-after': '2', 'retry-after-ms': '1500' }), 30)).toBe(45_000);
    expect(retryAfterScenarioMs(new Headers({ 'retry-after': '2' }), 30)).toBe(60_000);
    expect(retryAfterScenarioMs(new Headers({ 'retry-after': '2' }), 1)).toBe(2_000);
    expect(retryAfterScenarioMs(new Headers({ 'retry-after': '0' }), 30)).toBeUndefined();
    expect(retryAfterScenarioMs(new Headers({ 'retry-after': 'soon' }), 30)).toBeUndefined();
    expect(retryAfterScenarioMs(new Headers(), 30)).toBeUndefined();
  });

  it('waits for points at a real restore rate in scenario ms', () => {
    // 10 points at 1 500 points per real second (50/s at speedup 30): 6.67 real ms, 200 scenario ms.
    expect(restoreWaitScenarioMs(10, 1_500, 30)).toBe(200);
    expect(restoreWaitScenarioMs(10, 50, 1)).toBe(200);
    expect(restoreWaitScenarioMs(-3, 50, 1)).toBe(1);
  });

  it('refuses a speedup that is not a finite number > 0, naming the channel', () => {
    expect(checkedSpeedup('shop', undefined)).toBe(1);
    expect(() => checkedSpeedup('shop', 0)).toThrow(/connector shop: speedup/);
    expect(() => checkedSpeedup('shop', Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('maps an SP-API 429 by its real rate header, and an eBay 429 by Retry-After, to scenario waits', () => {
    // 15 requests per real second is 0.5/s at speedup 30: one token every 2 scenario s.
    const amazon = new Response('{}', { status: 429, headers: { 'x-amzn-ratelimit-limit': '15' } });
    expect(amazonResultOf(amazon, 'm', 30)).toEqual({ ok: false, error: 'throttled', retryAfterMs: 2_000, message: 'm' });
    expect(amazonResultOf(new Response('{}', { status: 429, headers: { 'x-amzn-ratelimit-limit': '15' } }), 'm')).toMatchObject({ retryAfterMs: 67 });
    const ebay = new Headers({ 'retry-after': '1', 'retry-after-ms': '67' });
    expect(ebayResultOf(429, ebay, 'm', 30)).toEqual({ ok: false, error: 'throttled', retryAfterMs: 2_010, message: 'm' });
    expect(ebayResultOf(429, null, 'm', 30)).toEqual({ ok: false, error: 'throttled', message: 'm' });
  });
});
