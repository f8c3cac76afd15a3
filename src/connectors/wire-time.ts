/**
 * What a marketplace says about time, turned into the engine's time. Waits and rates on the wire
 * are real time (a marketplace's, and the channel twins' at any `--speedup`:
 * src/twins/wire-time.ts); the engine of `invsim serve --speedup N` runs in scenario time, N
 * scenario ms in each real ms. So a wait of w real ms is w·N scenario ms, and a rate of r per
 * real second allows one call every 1000·N/r scenario ms. At speedup 1 (a real marketplace)
 * nothing changes.
 */

/** A connector's speedup: a finite number > 0 (default 1), or a RangeError naming the channel. */
export function checkedSpeedup(channel: string, speedup: number | undefined): number {
  const s = speedup ?? 1;
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`connector ${channel}: speedup must be a finite number > 0, got ${s}`);
  return s;
}

/**
 * The wait a throttled answer asks for, in scenario ms: `retry-after-ms` (real ms) when present,
 * else Retry-After (real seconds; the HTTP-date form is not used by the marketplaces modelled);
 * undefined when neither is a number > 0.
 */
export function retryAfterScenarioMs(headers: Headers, speedup: number): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (ms > 0 && Number.isFinite(ms)) return ms * speedup;
  const s = Number(headers.get('retry-after') ?? Number.NaN);
  if (s > 0 && Number.isFinite(s)) return s * 1000 * speedup;
  return undefined;
}

/** Scenario ms until `points` more are restored at `realPerS` points per real second. */
export function restoreWaitScenarioMs(points: number, realPerS: number, speedup: number): number {
  return Math.max(1, Math.ceil((Math.max(0, points) * 1000 * speedup) / realPerS));
}
