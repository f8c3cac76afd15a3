/** Deterministic ports for engine tests: a seeded PRNG and an alert recorder. */
import type { Alert, AlertSink, Random } from '../../src/engine/ports.js';

/** mulberry32: tiny, seeded, good enough for test jitter. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export class RecordingAlerts implements AlertSink {
  readonly alerts: Alert[] = [];
  raise(alert: Alert): void {
    this.alerts.push(alert);
  }
}
