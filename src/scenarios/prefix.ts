/**
 * A scenario over its first `durationS` seconds: what starts after the end goes (bursts, a surge,
 * crashes, fault windows), and windows running across it are cut at it. Used to shrink a failing
 * scenario (src/analysis/shrink.ts) and for short runs of a shipped one (`invsim twins
 * --duration-s`), whose prediction simulates the same prefix.
 */
import type { Scenario } from './schema.js';

export function scenarioPrefix(s: Scenario, durationS: number): Scenario {
  if (!(durationS > 0) || durationS > s.durationS) throw new RangeError(`a scenario's prefix must be > 0 s and at most its ${s.durationS} s, got ${durationS}`);
  const cut = <T extends { startS: number; durationS: number }>(w: readonly T[]): T[] =>
    w.filter((x) => x.startS < durationS).map((x) => ({ ...x, durationS: Math.min(x.durationS, durationS - x.startS) }));
  const f = s.faults;
  const d = s.demand;
  const surge = d.surge !== undefined && d.surge.startS < durationS ? { ...d.surge, durationS: Math.min(d.surge.durationS, durationS - d.surge.startS) } : undefined;
  const demand = { ...withoutKey(d, 'surge'), bursts: d.bursts.filter((b) => b.atS < durationS), ...(surge === undefined ? {} : { surge }) };
  return {
    ...s,
    durationS,
    demand,
    faults: {
      ...f,
      outages: cut(f.outages),
      latencySpikes: cut(f.latencySpikes),
      processorCrashes: f.processorCrashes.filter((c) => c.atS < durationS),
      dispatcherCrashes: f.dispatcherCrashes.filter((c) => c.atS < durationS),
    },
  };
}

export function withoutKey<T extends object, K extends keyof T>(o: T, key: K): Omit<T, K> {
  const { [key]: _dropped, ...rest } = o;
  return rest;
}
