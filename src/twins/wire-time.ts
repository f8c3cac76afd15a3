/**
 * Durations and rates the twins put on the wire, in real time. The twins' channel models run in
 * scenario time compressed by `--speedup` N (N scenario ms pass in each real ms), but a client of
 * a twin is any service, most of them running on the wall clock: a rate of r per scenario second
 * is r·N per real second, a wait of w scenario ms is w/N real ms. invsim's own connectors turn
 * the values back into scenario time (src/connectors/wire-time.ts) with the speedup of
 * `invsim serve`. Timestamps are already wall clock (`RealTimeSource.wallClockMs`).
 *
 * Retry-After is whole seconds in HTTP (RFC 9110 §10.2.3: `delay-seconds = 1*DIGIT`; a fraction
 * breaks common parsers), so it is the real wait rounded up, and never 0 on a refusal that asks
 * for a wait. At a speedup of 30 a scenario wait of 2 s is 67 real ms, sent as 1 s: a client
 * reading only Retry-After waits up to a real second too long. The exact wait goes beside it as
 * `retry-after-ms` (integer real ms, at least 1), a header Azure's services send and that the
 * Azure SDK's throttling policy and the OpenAI and Anthropic SDKs read before Retry-After; it is
 * no marketplace's, and invsim's connectors prefer it too.
 */

/** A rate per scenario second as the rate per real second a client sees. */
export function realRatePerS(scenarioPerS: number, speedup: number): number {
  // Twelve significant digits: 0.0167 × 30 reads 0.501, not 0.5009999999999999.
  return Number((scenarioPerS * speedup).toPrecision(12));
}

/** A refusal's wait (scenario ms) as the Retry-After and retry-after-ms headers, in real time. */
export function retryAfterHeaders(scenarioWaitMs: number, speedup: number): { 'retry-after': string; 'retry-after-ms': string } {
  const realMs = Math.max(0, scenarioWaitMs) / speedup;
  return {
    'retry-after': String(Math.max(1, Math.ceil(realMs / 1000))),
    'retry-after-ms': String(Math.max(1, Math.ceil(realMs))),
  };
}
