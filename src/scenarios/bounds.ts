/**
 * The bounds on what a scenario may say: every number has a lower and an upper bound, and a
 * scenario as a whole has a budget (budget.ts), so that a run that passes validation ends, in
 * bounded memory, without reaching a kernel limit. Documented in docs/scenarios.md; a value
 * outside is refused at validation with its path, line and column (exit 2).
 *
 * Where the numbers come from:
 * - The simulator's kernel refuses an event later than durationS + healBoundS + one day
 *   (src/sim/world.ts, `maxTimeMs`), and the run stops at durationS + healBoundS. So any single
 *   wait (a latency, a delay, a Retry-After, an interval) of at most one day fits.
 * - The staleness histogram tracks durations up to durationS + healBoundS + one day, and
 *   hdr-histogram holds at most 2⁵³ ns (about 104 days, LatencyObserver's ceiling): 90 days of
 *   run plus 7 of heal plus 1 fit.
 * - Stock levels: MAX_STOCK_LEVEL (src/engine/limits.ts).
 * - The budget's totals (orders, propagation attempts, sweeps, ticks, events in flight) keep a
 *   run under the kernel's 2 × 10⁹ events and 10⁷ pending events with room to spare: the
 *   shipped scenarios take 8 to 60 kernel events per order and about one per listing a sweep
 *   visits.
 */
export { MAX_STOCK_LEVEL } from '../engine/limits.js';

const DAY_S = 86_400;

/** A scenario file is refused above this size, before it is parsed (a 4 MiB file validates in about 6 s). */
export const MAX_SCENARIO_FILE_BYTES = 4 * 1024 * 1024;

/** `durationS`: 1 s to 90 days. */
export const MIN_DURATION_S = 1;
export const MAX_DURATION_S = 90 * DAY_S;
/** `healBoundS`: up to 7 days. */
export const MAX_HEAL_BOUND_S = 7 * DAY_S;

/** Any single wait: a latency, a delay, a window, a Retry-After, an interval. */
export const MAX_WAIT_S = DAY_S;
export const MAX_WAIT_MS = MAX_WAIT_S * 1000;
/** Intervals of periodic work (polling, reconciliation, restocks, DLQ redrives): at least 1 s. */
export const MIN_INTERVAL_S = 1;
/** `event-batched` aggregation window: at least 1 ms (the simulator's resolution). */
export const MIN_WINDOW_MS = 1;
/** A store call's latency. */
export const MAX_STORE_LATENCY_MS = 60_000;

export const MAX_SKUS = 1_000_000;
export const MAX_SKU_PREFIX_CHARS = 64;
export const MAX_CHANNELS = 16;
export const MAX_STRATEGIES = 100;
/** Bursts, outages, latency spikes, crashes, rate limits, assert blocks, burst channels: per list. */
export const MAX_LIST_ENTRIES = 1_000;

/** Rates (orders per day or hour, requests or points per second) and bucket sizes. */
export const MAX_RATE = 1_000_000_000;
export const MAX_BUCKET = 1_000_000_000;
export const MAX_BURST_ORDERS = 1_000_000;
export const MAX_UNITS_PER_ORDER = 1_000_000;
export const MAX_ITEMS_PER_REQUEST = 100_000;
export const MAX_DELIVERY_ATTEMPTS = 100;
export const MAX_PROCESSOR_WORKERS = 256;
export const MAX_CONCURRENCY = 100_000;
export const MAX_DEMAND_WEIGHT = 1_000_000;
export const MAX_PROFILE_MULTIPLIER = 1_000;
export const MAX_ZIPF_EXPONENT = 10;
export const MAX_LATENCY_MULTIPLIER = 100;

/** The seed template's retry policy and idempotency window. */
export const MAX_RETRIES = 20;
export const MAX_BACKOFF_MULTIPLIER = 100;
export const MAX_IDEMPOTENCY_TTL_S = 30 * DAY_S;
export const MAX_STALENESS_S = 365 * DAY_S;

/** Money per order or customer, and the churn multiplier. */
export const MAX_MONEY = 1_000_000_000_000;
export const MAX_CHURN_MULTIPLIER = 1_000;
/**
 * `economics.occurrencesPerYear`: how often the scenario's situation happens. At most one a
 * second; and, checked across fields, at most as often as runs of `durationS` fit in a year.
 */
export const MAX_OCCURRENCES_PER_YEAR = 365 * DAY_S;
export const YEAR_S = 365 * DAY_S;

/** The run budget (budget.ts): totals over one run of one strategy. */
export const RUN_BUDGET = {
  /** Expected orders: Poisson demand over the run, bursts and the surge. */
  orders: 10_000_000,
  /** Burst orders, which the kernel holds as pending events from the start. */
  burstOrders: MAX_BURST_ORDERS,
  /** SKUs × channels: the listings the simulator keeps and a full sync reads at once. */
  listings: 2_000_000,
  /** Expected orders × channels × (1 + max_retries): updates pushed to channels, retries included. */
  propagationAttempts: 200_000_000,
  /** Listings visited by periodic work: full syncs, reconciliations, restocks. */
  sweepVisits: 200_000_000,
  /** Periodic ticks over the run and its heal phase (order polls, DLQ redrives, sweeps). */
  periodicTicks: 10_000_000,
  /** Orders whose notification is on its way at once (peak rate × longest webhook wait, bursts whole). */
  ordersInFlight: 3_000_000,
} as const;
