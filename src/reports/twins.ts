/**
 * The black-box comparison: what the channel twins saw (`GET /twins/audit`, src/twins/audit.ts)
 * next to what the simulator predicts for the same scenario and seedless load, measure by
 * measure, each judged against the 95% prediction interval for one run (as the live report does).
 *
 * Like with like: the twins run the scenario's own world (its channels' notification models,
 * rate limits and faults, customers who buy only what a listing shows), so the prediction
 * simulates the scenario itself with the strategy the system under test is taken to run (by
 * default the service's own event-driven sync, `liveStrategy`). Counts that grow with volume are
 * per 1 000 orders (or customers). What a black box cannot compare says so:
 * - propagation latency: the twins time a sale on one channel to the other channels' listings
 *   reflecting it (notification, processing and push together); the simulator's latency starts at
 *   the commit at the source of truth, so the two are not the same quantity;
 * - freshness, where a channel's orders are polled: the twins count a listing stale from the sale,
 *   the simulator from the source of truth's commit, which waits for the poll;
 * - freshness needs the audit read when the load ended (`observedMs` covering the scenario):
 *   read later, the quiet settle period raises the mean.
 */
import { z } from 'zod';
import { AnalysisInputError } from '../analysis/errors.js';
import type { SimulationResult } from '../model/result.js';
import { effectivePreset } from '../scenarios/compile.js';
import type { Scenario } from '../scenarios/schema.js';
import { measure, per1000, prediction, type LiveMeasure, type Prediction } from './live.js';

const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);
const latency = z.looseObject({ count, p99: z.number().nonnegative().nullable() });
const orders = z.looseObject({ attempts: count, taken: count, oversells: count, lostSales: count });
const api = z.looseObject({ calls: count, throttled: count, failed: count });

const twinsAudit = z.looseObject({
  scenario: z.string().optional(),
  durationS: z.number().positive().optional(),
  seed: z.number().int().nonnegative().optional(),
  speedup: z.number().positive().optional(),
  observedMs: z.number().nonnegative(),
  orders,
  oversells: count,
  lostSales: count,
  propagation: z.looseObject({ latencyMs: latency, pending: count }),
  freshness: z.looseObject({ meanConfidence: share, invisibleFraction: share }),
  settled: z.boolean(),
  api,
  channels: z.array(z.looseObject({ id: z.string(), api, propagation: z.looseObject({ latencyMs: latency }) })),
});

/** What the comparison reads from a twins audit. */
export interface TwinsAuditFigures {
  readonly scenario: string | null;
  /** The scenario's length the twins ran (a prefix of the file's, `--duration-s`); null: not said. */
  readonly durationS: number | null;
  /** The twins' seed: their catalogue is its draw (`catalog.stock`), which the prediction holds fixed. */
  readonly seed: number | null;
  readonly speedup: number | null;
  readonly observedS: number;
  readonly customers: number;
  readonly taken: number;
  readonly oversells: number;
  readonly lostSales: number;
  readonly meanConfidence: number;
  readonly invisibleFraction: number;
  readonly saleToListingMsP99: number | null;
  readonly settled: boolean;
  readonly apiCallsByChannel: Readonly<Record<string, number>>;
}

/** Reads a `GET /twins/audit` body, or what `invsim twins --drive --json` prints; a wrong file is an AnalysisInputError listing every problem with its path. */
export function parseTwinsAudit(json: unknown, source: string): TwinsAuditFigures {
  // `invsim twins --drive --json` prints { drive, audit (when the load ended), afterSettle }.
  const wrapped = z.looseObject({ audit: z.looseObject({}), afterSettle: z.looseObject({ settled: z.boolean() }).optional() }).safeParse(json);
  const parsed = twinsAudit.safeParse(wrapped.success ? wrapped.data.audit : json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new AnalysisInputError(`${source} is not a channel twins audit (GET /twins/audit):\n${lines}`);
  }
  const a = parsed.data;
  return {
    scenario: a.scenario ?? null,
    durationS: a.durationS ?? null,
    seed: a.seed ?? null,
    speedup: a.speedup ?? null,
    observedS: a.observedMs / 1000,
    customers: a.orders.attempts,
    taken: a.orders.taken,
    oversells: a.oversells,
    lostSales: a.lostSales,
    meanConfidence: a.freshness.meanConfidence,
    invisibleFraction: a.freshness.invisibleFraction,
    saleToListingMsP99: a.propagation.latencyMs.p99,
    settled: wrapped.success && wrapped.data.afterSettle !== undefined ? wrapped.data.afterSettle.settled : a.settled,
    apiCallsByChannel: Object.fromEntries(a.channels.map((c) => [c.id, c.api.calls])),
  };
}

export interface TwinsChannelCalls {
  readonly channel: string;
  readonly live: number | null;
  readonly predicted: Prediction | null;
}

export interface TwinsComparison {
  readonly scenario: string;
  readonly strategy: string;
  readonly seeds: readonly number[];
  readonly audit: TwinsAuditFigures;
  readonly measures: readonly LiveMeasure[];
  /** API calls per channel beside the simulated ones (shown, not judged: a retry policy of another service changes them). */
  readonly apiCalls: readonly TwinsChannelCalls[];
  readonly predictedRuns: readonly { readonly seed: number; readonly traceHash: string }[];
}

/** A freshness window shorter than this share of the scenario is not the run's. */
const WINDOW_SHARE_MIN = 0.99;

export function twinsComparison(input: {
  readonly scenario: Scenario;
  readonly strategy: string;
  readonly audit: TwinsAuditFigures;
  readonly predicted: readonly SimulationResult[];
}): TwinsComparison {
  const { scenario, audit, predicted } = input;
  const wrongScenario = audit.scenario !== null && audit.scenario !== scenario.name ? `the twins ran scenario ${audit.scenario}, not ${scenario.name}` : null;
  const window =
    Math.abs(audit.observedS - scenario.durationS) > (1 - WINDOW_SHARE_MIN) * scenario.durationS
      ? `the audit covers ${audit.observedS.toFixed(1)} s of scenario time, the scenario ${scenario.durationS} s: read it when the load ends (invsim twins --drive does)`
      : null;
  // The simulator's staleness is against the source of truth, which hears of a polled channel's
  // sale only at its next poll; the twins' is against the units that exist. With a polled
  // channel the two differ by every polling gap, so they are not the same quantity.
  const polled = scenario.channels.filter((c) => effectivePreset(c.preset, c.overrides as Record<string, unknown> | undefined).orderNotification.mode === 'polling').map((c) => c.id);
  const pollingGap =
    polled.length === 0
      ? null
      : `orders on ${polled.join(', ')} reach the source of truth only when it polls: the twins count a listing stale from the sale, the simulator from the source of truth's commit`;
  const first = (...reasons: (string | null)[]): string | null => reasons.find((r) => r !== null) ?? null;
  const measures = [
    measure({
      id: 'oversellsPer1000',
      label: 'Oversells',
      unit: 'per 1,000 orders taken',
      live: per1000(audit.oversells, audit.taken),
      perSeed: predicted.map((r) => per1000(r.oversells, r.orders.placed)),
      notComparable: wrongScenario,
    }),
    measure({
      id: 'lostSalesPer1000',
      label: 'Lost sales',
      unit: 'per 1,000 customers',
      live: per1000(audit.lostSales, audit.customers),
      perSeed: predicted.map((r) => per1000(r.lostSales, r.orders.arrivals)),
      notComparable: wrongScenario,
    }),
    measure({
      id: 'meanConfidence',
      label: 'Listing freshness',
      unit: 'mean confidence, 0 to 1',
      live: audit.meanConfidence,
      perSeed: predicted.map((r) => r.freshness.meanConfidence),
      notComparable: first(wrongScenario, pollingGap, window),
      max: 1,
      note: 'staleness: a listing that differs from the units that exist (the twins know no listing policy)',
    }),
    measure({
      id: 'invisibleFraction',
      label: 'Listings invisible to AI agents',
      unit: 'share of listing-time, 0 to 1',
      live: audit.invisibleFraction,
      perSeed: predicted.map((r) => r.freshness.invisibleFraction),
      notComparable: first(wrongScenario, pollingGap, window),
      max: 1,
    }),
    measure({
      id: 'saleToListingMsP99',
      label: 'Sale to other listings p99',
      unit: 'ms, scenario time',
      live: audit.saleToListingMsP99,
      perSeed: predicted.map((r) => r.latencyMs.p99),
      notComparable:
        'the twins time a sale to the other channels reflecting it (notification + processing + push); the simulator times the commit to the channel, so the two are different quantities',
    }),
  ];
  const apiCalls = scenario.channels.map((c) => ({
    channel: c.id,
    live: audit.apiCallsByChannel[c.id] ?? null,
    predicted: prediction(predicted.flatMap((r) => r.channels.filter((rc) => rc.id === c.id).map((rc) => rc.api.calls))),
  }));
  return {
    scenario: scenario.name,
    strategy: input.strategy,
    seeds: predicted.map((r) => r.seed),
    audit,
    measures,
    apiCalls,
    predictedRuns: predicted.map((r) => ({ seed: r.seed, traceHash: r.traceHash })),
  };
}
