// Proves the twins' wire values are real time at any speedup: a scenario rate r is r·N per real
// second, a scenario wait w is Retry-After ceil(w/N) whole real seconds (never 0 on a refusal)
// with the exact w/N in retry-after-ms, and the connectors' conversion undoes it, so invsim's
// engine gets back the scenario-time wait the channel model asked for.
import { describe, expect, it } from 'vitest';
import { retryAfterScenarioMs } from '../../src/connectors/wire-time.js';
import { realRatePerS, retryAfterHeaders } from '../../src/twins/wire-time.js';

describe('twins wire time', () => {
  it('sends a rate per real second: the scenario rate times the speedup, without float noise', () => {
    expect(realRatePerS(50, 1)).toBe(50);
    expect(realRatePerS(50, 30)).toBe(1500);
    expect(realRatePerS(0.0167, 30)).toBe(0.501);
    expect(realRatePerS(0.5, 0.5)).toBe(0.25);
  });

  it('sends Retry-After as whole real seconds rounded up, at least 1, and the exact real ms beside it', () => {
    // 2 scenario s at speedup 30: 66.7 real ms.
    expect(retryAfterHeaders(2_000, 30)).toEqual({ 'retry-after': '1', 'retry-after-ms': '67' });
    // 90 scenario s at speedup 30: 3 real s exactly.
    expect(retryAfterHeaders(90_000, 30)).toEqual({ 'retry-after': '3', 'retry-after-ms': '3000' });
    expect(retryAfterHeaders(90_001, 30)).toEqual({ 'retry-after': '4', 'retry-after-ms': '3001' });
    // Speedup 1 is the marketplace's own clock.
    expect(retryAfterHeaders(2_500, 1)).toEqual({ 'retry-after': '3', 'retry-after-ms': '2500' });
    // A refusal always asks for some wait.
    expect(retryAfterHeaders(0, 100)).toEqual({ 'retry-after': '1', 'retry-after-ms': '1' });
  });

  it('round-trips through the connectors: the engine at the same speedup reads the scenario wait', () => {
    for (const [waitMs, speedup] of [[2_000, 30], [90_000, 30], [12_345, 7], [1_000, 1]] as const) {
      const headers = new Headers(retryAfterHeaders(waitMs, speedup));
      const back = retryAfterScenarioMs(headers, speedup)!;
      // retry-after-ms rounds up to a real ms: at most one real ms (speedup scenario ms) over.
      expect(back).toBeGreaterThanOrEqual(waitMs);
      expect(back).toBeLessThan(waitMs + speedup);
    }
  });
});
