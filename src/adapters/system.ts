/**
 * Real-time adapters for production use: the wall clock, real timers, Math.random and a
 * console alert sink. This is the one module allowed to touch them; src/engine and src/sim
 * are forbidden to import it (lint rule), so simulated runs can never reach real time.
 */
import type { Alert, AlertSink, Clock, Random, Timers } from '../engine/ports.js';

export const systemClock: Clock = { nowMs: () => Date.now() };

export const systemTimers: Timers = {
  sleep: (ms) =>
    new Promise((resolve, reject) => {
      if (!(ms >= 0) || !Number.isFinite(ms)) {
        reject(new RangeError(`sleep: ms must be a finite number >= 0, got ${ms}`));
        return;
      }
      setTimeout(resolve, ms);
    }),
};

export const systemRandom: Random = { next: () => Math.random() };

/** Writes alerts to stderr as one JSON line each. */
export const consoleAlertSink: AlertSink = {
  raise(alert: Alert): void {
    process.stderr.write(`${JSON.stringify({ alert: alert.kind, severity: alert.severity, message: alert.message, atMs: alert.atMs })}\n`);
  },
};

export interface SystemPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly alerts: AlertSink;
}

export const systemPorts: SystemPorts = { clock: systemClock, timers: systemTimers, random: systemRandom, alerts: consoleAlertSink };

/** Fills in every port the caller left out with its system adapter. */
export function withSystemPorts<T extends Partial<SystemPorts>>(options: T): T & SystemPorts {
  return {
    ...options,
    clock: options.clock ?? systemClock,
    timers: options.timers ?? systemTimers,
    random: options.random ?? systemRandom,
    alerts: options.alerts ?? consoleAlertSink,
  };
}
