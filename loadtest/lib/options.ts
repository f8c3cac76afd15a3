/**
 * The k6 `options` of a generated script, from its ScriptConfig: one k6 scenario per demand
 * source of the invsim scenario. Pure (no k6 import), so vitest checks the schedule directly;
 * runtime.ts assigns the result to k6's `Options` type, so tsc checks that k6 accepts its shape.
 */
import type { RateStep, ScriptConfig } from './config.js';

interface Common {
  readonly exec: string;
  readonly startTime: string;
  readonly gracefulStop: string;
  readonly tags: Record<string, string>;
}

export interface RampingArrivalRate extends Common {
  readonly executor: 'ramping-arrival-rate';
  readonly startRate: number;
  readonly timeUnit: string;
  readonly stages: { duration: string; target: number }[];
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
}

export interface ConstantArrivalRate extends Common {
  readonly executor: 'constant-arrival-rate';
  readonly rate: number;
  readonly timeUnit: string;
  readonly duration: string;
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
}

export interface SharedIterations extends Common {
  readonly executor: 'shared-iterations';
  readonly vus: number;
  readonly iterations: number;
  readonly maxDuration: string;
}

export type ScenarioSpec = RampingArrivalRate | ConstantArrivalRate | SharedIterations;

export interface OptionsSpec {
  readonly scenarios: Record<string, ScenarioSpec>;
  readonly thresholds: Record<string, string[]>;
  readonly batch: number;
  readonly batchPerHost: number;
  readonly setupTimeout: string;
  readonly teardownTimeout: string;
  readonly summaryTrendStats: string[];
}

/** A rate change ramps over at most this long, so the schedule is (nearly) piecewise constant. */
const RAMP_MS_MAX = 1_000;
/**
 * Requests of one http.batch in flight at once: the stock load and the restocks read and write
 * every SKU 50 at a time (k6's defaults, 20 and 6 per host, would make a 3 000-SKU restock take
 * minutes of scenario time; the simulator restocks at once).
 */
export const BATCH_IN_FLIGHT = 50;
/**
 * A threshold that always holds, so that the summary reports the restocks' duration as its own
 * metric (k6 lists a sub-metric only when a threshold names it): the live report reads it.
 */
export const RESTOCK_DURATION_METRIC = 'iteration_duration{scenario:restock}';
/** VUs k6 allocates up front for a burst, at most (each VU is a JS runtime). */
const BURST_VUS_MAX = 500;

export function ms(value: number): string {
  return `${Math.max(0, Math.round(value))}ms`;
}

/** Stages holding each step's rate, with a short ramp where the rate changes. */
export function stagesOf(steps: readonly RateStep[]): { duration: string; target: number }[] {
  const stages: { duration: string; target: number }[] = [];
  let previous: number | undefined;
  for (const step of steps) {
    const ramp = previous === undefined || previous === step.target ? 0 : Math.min(RAMP_MS_MAX, Math.floor(step.durationMs / 10));
    if (ramp > 0) stages.push({ duration: ms(ramp), target: step.target });
    stages.push({ duration: ms(step.durationMs - ramp), target: step.target });
    previous = step.target;
  }
  return stages;
}

export function buildOptions(config: ScriptConfig): OptionsSpec {
  const scenarios: Record<string, ScenarioSpec> = {};
  const GRACEFUL_STOP = ms(config.gracefulStopMs);
  const d = config.demand;
  if (d !== null && d.steps.length > 0) {
    scenarios['orders'] = {
      executor: 'ramping-arrival-rate',
      exec: 'orders',
      startTime: '0ms',
      startRate: d.steps[0]!.target,
      timeUnit: d.timeUnit,
      stages: stagesOf(d.steps),
      preAllocatedVUs: d.preAllocatedVUs,
      maxVUs: d.maxVUs,
      gracefulStop: GRACEFUL_STOP,
      tags: { stream: 'orders' },
    };
  }
  for (const b of config.bursts) {
    const vus = Math.min(b.orders, BURST_VUS_MAX);
    scenarios[b.name] =
      b.spreadMs >= 1
        ? {
            executor: 'constant-arrival-rate',
            exec: 'burst',
            startTime: ms(b.startTimeMs),
            rate: b.orders,
            timeUnit: ms(b.spreadMs),
            duration: ms(b.spreadMs),
            preAllocatedVUs: vus,
            maxVUs: b.orders,
            gracefulStop: GRACEFUL_STOP,
            tags: { stream: 'burst' },
          }
        : {
            executor: 'shared-iterations',
            exec: 'burst',
            startTime: ms(b.startTimeMs),
            vus,
            iterations: b.orders,
            maxDuration: '60s',
            gracefulStop: GRACEFUL_STOP,
            tags: { stream: 'burst' },
          };
  }
  const s = config.surge;
  if (s !== null && s.durationMs >= 1 && s.rate > 0) {
    scenarios['surge'] = {
      executor: 'constant-arrival-rate',
      exec: 'surge',
      startTime: ms(s.startTimeMs),
      rate: s.rate,
      timeUnit: s.timeUnit,
      duration: ms(s.durationMs),
      preAllocatedVUs: s.preAllocatedVUs,
      maxVUs: s.maxVUs,
      gracefulStop: GRACEFUL_STOP,
      tags: { stream: 'surge' },
    };
  }
  const r = config.restock;
  if (r !== null && r.everyMs < config.durationMs) {
    scenarios['restock'] = {
      executor: 'constant-arrival-rate',
      exec: 'restock',
      startTime: ms(r.everyMs),
      rate: 1,
      timeUnit: ms(r.everyMs),
      duration: ms(config.durationMs - r.everyMs),
      preAllocatedVUs: 1,
      maxVUs: 2,
      gracefulStop: GRACEFUL_STOP,
      tags: { stream: 'restock' },
    };
  }
  const thresholds: Record<string, string[]> = {};
  for (const [metric, expressions] of Object.entries(config.thresholds)) thresholds[metric] = [...expressions];
  if (scenarios['restock'] !== undefined) thresholds[RESTOCK_DURATION_METRIC] = ['max>=0'];
  return {
    scenarios,
    thresholds,
    batch: BATCH_IN_FLIGHT,
    batchPerHost: BATCH_IN_FLIGHT,
    // Loading stock takes two requests per SKU, 50 at a time; then the stock must reach the channels.
    setupTimeout: ms(Math.max(60_000, config.skus.length * 40) + config.settleTimeoutMs),
    // Teardown waits for the service to settle before it reads the audit.
    teardownTimeout: ms(60_000 + config.settleTimeoutMs),
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
  };
}
