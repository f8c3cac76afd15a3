/**
 * The two files a live run leaves behind, read defensively into what the live report compares:
 *
 * - the k6 JSON summary, in either of k6's two forms: the file `k6 run --summary-export FILE`
 *   writes (what the generated scripts' run line asks for: `metrics.<name>` flat, `p(99)`,
 *   `count`, `rate`, a rate's `value`, and `thresholds.<expression>` true when the threshold
 *   FAILED, as k6 keeps it for compatibility), or the `data` object k6 hands to `handleSummary`
 *   (`metrics.<name>.values`, `thresholds.<expression>.ok`). A test split over several k6
 *   instances leaves one per instance: `combineK6Summaries` adds them up;
 * - the service's `GET /audit` body (src/serve/schemas.ts `AuditBody`: `orders.received`,
 *   `orders.applied`, `oversells`, `integrityViolations`, `dlq.parked`, `latencyMs`, …). A flat
 *   form, `{ ordersReceived, applied, duplicates, rejected, oversells, integrityViolations, dlq }`
 *   with `dlq` a number or `{ parked, depth }`, is accepted too, for audits of other services.
 *
 * Unknown fields are ignored; a missing required one is an AnalysisInputError that lists every
 * problem with its path, so a wrong file is named, not half-read.
 */
import { z } from 'zod';
import { AnalysisInputError } from '../analysis/errors.js';

export interface LiveThreshold {
  readonly metric: string;
  readonly expression: string;
  readonly ok: boolean;
}

/** The k6 figures the report shows; null where the summary lacks the metric. */
export interface LiveK6 {
  /** Which of k6's two summary forms the file was, and how many instances' summaries were combined. */
  readonly format: 'summary-export' | 'handleSummary';
  readonly instances: number;
  readonly testRunDurationMs: number | null;
  readonly httpReqs: number | null;
  readonly httpReqsPerS: number | null;
  readonly httpReqDurationMs: { readonly med: number | null; readonly p95: number | null; readonly p99: number | null; readonly max: number | null };
  readonly httpReqFailedRate: number | null;
  readonly checksRate: number | null;
  readonly iterations: number | null;
  /** Iterations k6 dropped for want of a free VU (the load was smaller than planned). */
  readonly droppedIterations: number | null;
  /** The longest restock iteration (real ms), from the script's `iteration_duration{scenario:restock}`. */
  readonly restockDurationMsMax: number | null;
  /** The mean restock iteration (real ms): its reads, then its writes. */
  readonly restockDurationMsMean: number | null;
  /** The mean time a restock's reads took (real ms), from the script's `invsim_restock_read_duration`. */
  readonly restockReadMsMean: number | null;
  /** The seed the load was drawn from (its catalogue: every SKU's initial stock), from `invsim_load_seed`. */
  readonly loadSeed: number | null;
  readonly thresholds: readonly LiveThreshold[];
}

export interface LiveLatency {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** The audit, normalised; null where the audit did not say. */
export interface LiveAudit {
  readonly scenario: string | null;
  readonly settled: boolean | null;
  readonly uptimeS: number | null;
  /** Scenario seconds per real second the service ran at (null: the audit does not say, e.g. another service). */
  readonly speedup: number | null;
  /** Whether the service's channels turned away orders their listings could not show (null: not said). */
  readonly storefront: boolean | null;
  /** Orders not taken although the source of truth had the units (storefront only). */
  readonly lostSales: number | null;
  /** Of `lostSales`, those where the source had the units only because orders of the SKU were still waiting for the engine (null: not said). */
  readonly lostSalesWhileOrdersWaited: number | null;
  readonly ordersReceived: number;
  readonly ordersDistinct: number | null;
  readonly applied: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Orders that arrived while the channel's own listing showed too few units (a real channel would not have taken them). */
  readonly notListed: number | null;
  readonly oversells: number;
  readonly integrityViolations: number;
  readonly dlqParked: number | null;
  readonly dlqDepth: number | null;
  /** Propagation latency p99 over every channel (from `latencyMs.p99`, or a flat `latencyMsP99`). */
  readonly latencyMsP99: number | null;
  readonly latencyMs: LiveLatency | null;
  readonly latencyMsByChannel: Readonly<Record<string, LiveLatency>>;
  /** Scenario ms from an order's first delivery to the engine's answer (`orderProcessingMs`; null: not said). */
  readonly orderProcessingMs: LiveLatency | null;
  /** Mean listing confidence integrated over the measured window (or, from an older audit, the value at the end). */
  readonly meanConfidence: number | null;
  readonly invisibleFraction: number | null;
  /** Scenario seconds the integrated freshness covers; null for a snapshot. */
  readonly freshnessWindowS: number | null;
  readonly apiCallsByChannel: Readonly<Record<string, number>>;
}

const count = z.number().int().nonnegative();
const latency = z.looseObject({ count: count, p50: z.number().nonnegative(), p95: z.number().nonnegative(), p99: z.number().nonnegative(), max: z.number().nonnegative() });

const k6Metric = z.looseObject({
  type: z.string().optional(),
  values: z.record(z.string(), z.unknown()),
  thresholds: z.record(z.string(), z.looseObject({ ok: z.boolean() })).optional(),
});
const k6Summary = z.looseObject({
  metrics: z.record(z.string(), k6Metric),
  state: z.looseObject({ testRunDurationMs: z.number().optional() }).optional(),
});
/** `--summary-export`: each metric is its values, flat, and `thresholds` maps an expression to whether it FAILED. */
const exportMetric = z.looseObject({ thresholds: z.record(z.string(), z.boolean()).optional() }).catchall(z.unknown());
const k6Export = z.looseObject({ metrics: z.record(z.string(), exportMetric), root_group: z.looseObject({}).optional() });

const auditNested = z.looseObject({
  scenario: z.string().optional(),
  settled: z.boolean().optional(),
  uptimeS: z.number().optional(),
  orders: z.looseObject({ received: count, distinct: count.optional(), applied: count, duplicates: count, rejected: count, notListed: count.optional(), lostSales: count.optional(), lostSalesWhileOrdersWaited: count.optional() }),
  oversells: count,
  integrityViolations: count,
  dlq: z.looseObject({ parked: count.optional(), depth: count.optional() }).optional(),
  latencyMs: latency.optional(),
  latencyMsByChannel: z.record(z.string(), latency).optional(),
  orderProcessingMs: latency.optional(),
  speedup: z.number().positive().optional(),
  storefront: z.boolean().optional(),
  freshness: z
    .looseObject({
      meanConfidence: z.number().min(0).max(1),
      integrated: z
        .looseObject({ windowS: z.number().nonnegative(), meanConfidence: z.number().min(0).max(1).nullable(), invisibleFraction: z.number().min(0).max(1).nullable() })
        .optional(),
    })
    .optional(),
  channels: z.record(z.string(), z.looseObject({ calls: count })).optional(),
});

const auditFlat = z.looseObject({
  ordersReceived: count,
  applied: count,
  duplicates: count,
  rejected: count,
  oversells: count,
  integrityViolations: count,
  dlq: z.union([count, z.looseObject({ parked: count.optional(), depth: count.optional() })]).optional(),
  latencyMsP99: z.number().nonnegative().optional(),
  meanConfidence: z.number().min(0).max(1).optional(),
});

function problems(source: string, what: string, error: z.ZodError): AnalysisInputError {
  const lines = error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('\n');
  return new AnalysisInputError(`${source} is not ${what}:\n${lines}`);
}

function num(values: Readonly<Record<string, unknown>> | undefined, key: string): number | null {
  const v = values?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Reads a k6 summary in either form (see the file comment). */
export function parseK6Summary(json: unknown, source: string): LiveK6 {
  const handled = k6Summary.safeParse(json);
  if (handled.success) return fromHandleSummary(handled.data);
  const exported = k6Export.safeParse(json);
  if (exported.success) return fromExport(exported.data);
  throw problems(source, "a k6 JSON summary (k6 run --summary-export FILE, or handleSummary's data: { metrics: { <name>: { values } } })", handled.success ? exported.error : handled.error);
}

function fromHandleSummary(data: z.infer<typeof k6Summary>): LiveK6 {
  const m = data.metrics;
  const thresholds: LiveThreshold[] = [];
  for (const name of Object.keys(m).sort()) {
    for (const [expression, t] of Object.entries(m[name]!.thresholds ?? {})) thresholds.push({ metric: name, expression, ok: t.ok });
  }
  return figures('handleSummary', (name) => m[name]?.values, data.state?.testRunDurationMs ?? null, thresholds, (name) => m[name]?.values['rate']);
}

function fromExport(data: z.infer<typeof k6Export>): LiveK6 {
  const m = data.metrics;
  const thresholds: LiveThreshold[] = [];
  for (const name of Object.keys(m).sort()) {
    // k6 keeps this inverted for compatibility: true means the threshold failed.
    for (const [expression, failed] of Object.entries(m[name]!.thresholds ?? {})) thresholds.push({ metric: name, expression, ok: !failed });
  }
  // A rate's value is `value` in the export (`rate` in handleSummary's data); a counter's rate is `rate`.
  const values = (name: string): Readonly<Record<string, unknown>> | undefined => m[name] as Readonly<Record<string, unknown>> | undefined;
  return figures('summary-export', values, null, thresholds, (name) => values(name)?.['value']);
}

function figures(
  format: LiveK6['format'],
  values: (name: string) => Readonly<Record<string, unknown>> | undefined,
  testRunDurationMs: number | null,
  thresholds: LiveThreshold[],
  rateOf: (name: string) => unknown,
): LiveK6 {
  const rate = (name: string): number | null => {
    const v = rateOf(name);
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  return {
    format,
    instances: 1,
    testRunDurationMs,
    httpReqs: num(values('http_reqs'), 'count'),
    httpReqsPerS: num(values('http_reqs'), 'rate'),
    httpReqDurationMs: { med: num(values('http_req_duration'), 'med'), p95: num(values('http_req_duration'), 'p(95)'), p99: num(values('http_req_duration'), 'p(99)'), max: num(values('http_req_duration'), 'max') },
    httpReqFailedRate: rate('http_req_failed'),
    checksRate: rate('checks'),
    iterations: num(values('iterations'), 'count'),
    droppedIterations: num(values('dropped_iterations'), 'count'),
    restockDurationMsMax: num(values('iteration_duration{scenario:restock}'), 'max'),
    restockDurationMsMean: num(values('iteration_duration{scenario:restock}'), 'avg'),
    restockReadMsMean: num(values('invsim_restock_read_duration'), 'avg'),
    loadSeed: gaugeValue(values('invsim_load_seed')),
    thresholds,
  };
}

/**
 * The summaries of one test split over several k6 instances (execution segments), as one: counts
 * and request rates add up, shares are weighted by requests, a threshold holds only if it held
 * everywhere, and a duration percentile is the largest of the instances' (an upper bound: k6's
 * percentiles cannot be merged exactly from summaries).
 */
export function combineK6Summaries(parts: readonly LiveK6[]): LiveK6 {
  if (parts.length === 0) throw new RangeError('combineK6Summaries: no summaries');
  if (parts.length === 1) return parts[0]!;
  const sum = (f: (k: LiveK6) => number | null): number | null => (parts.some((k) => f(k) === null) ? null : parts.reduce((t, k) => t + f(k)!, 0));
  const max = (f: (k: LiveK6) => number | null): number | null => (parts.some((k) => f(k) === null) ? null : Math.max(...parts.map((k) => f(k)!)));
  const weighted = (f: (k: LiveK6) => number | null): number | null => {
    const total = sum((k) => k.httpReqs);
    if (total === null || total === 0 || parts.some((k) => f(k) === null)) return null;
    return parts.reduce((t, k) => t + f(k)! * k.httpReqs!, 0) / total;
  };
  const thresholds = new Map<string, LiveThreshold>();
  for (const k of parts) {
    for (const t of k.thresholds) {
      const key = `${t.metric}\u0000${t.expression}`;
      const seen = thresholds.get(key);
      thresholds.set(key, { ...t, ok: t.ok && (seen?.ok ?? true) });
    }
  }
  return {
    format: parts[0]!.format,
    instances: parts.reduce((t, k) => t + k.instances, 0),
    testRunDurationMs: max((k) => k.testRunDurationMs),
    httpReqs: sum((k) => k.httpReqs),
    httpReqsPerS: sum((k) => k.httpReqsPerS),
    httpReqDurationMs: {
      med: max((k) => k.httpReqDurationMs.med),
      p95: max((k) => k.httpReqDurationMs.p95),
      p99: max((k) => k.httpReqDurationMs.p99),
      max: max((k) => k.httpReqDurationMs.max),
    },
    httpReqFailedRate: weighted((k) => k.httpReqFailedRate),
    checksRate: weighted((k) => k.checksRate),
    iterations: sum((k) => k.iterations),
    droppedIterations: parts.every((k) => k.droppedIterations === null) ? null : parts.reduce((t, k) => t + (k.droppedIterations ?? 0), 0),
    restockDurationMsMax: parts.every((k) => k.restockDurationMsMax === null) ? null : Math.max(...parts.map((k) => k.restockDurationMsMax ?? 0)),
    // Only the first segment restocks: the instances that did carry the means.
    restockDurationMsMean: firstKnown(parts.map((k) => k.restockDurationMsMean)),
    restockReadMsMean: firstKnown(parts.map((k) => k.restockReadMsMean)),
    loadSeed: sameSeed(parts.map((k) => k.loadSeed)),
    thresholds: [...thresholds.values()],
  };
}

function firstKnown(values: readonly (number | null)[]): number | null {
  return values.find((v): v is number => v !== null) ?? null;
}

/** The instances of one test share their seed; summaries that disagree are of different runs. */
function sameSeed(seeds: readonly (number | null)[]): number | null {
  const known = [...new Set(seeds.filter((s): s is number => s !== null))];
  if (known.length > 1) {
    const reason = `the summaries were drawn from different seeds (invsim_load_seed ${known.join(', ')}): they are not one test's instances`;
    throw new AnalysisInputError(`--k6-summary: ${reason}`, { field: '--k6-summary', reason });
  }
  return known[0] ?? null;
}

/** A gauge's last value: `value` in both summary forms. */
function gaugeValue(v: Readonly<Record<string, unknown>> | undefined): number | null {
  const x = v?.['value'];
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : null;
}

export function parseAudit(json: unknown, source: string): LiveAudit {
  const nested = auditNested.safeParse(json);
  if (nested.success) {
    const a = nested.data;
    const integrated = a.freshness?.integrated;
    return {
      scenario: a.scenario ?? null,
      settled: a.settled ?? null,
      uptimeS: a.uptimeS ?? null,
      speedup: a.speedup ?? null,
      storefront: a.storefront ?? null,
      lostSales: a.orders.lostSales ?? null,
      lostSalesWhileOrdersWaited: a.orders.lostSalesWhileOrdersWaited ?? null,
      ordersReceived: a.orders.received,
      ordersDistinct: a.orders.distinct ?? null,
      applied: a.orders.applied,
      duplicates: a.orders.duplicates,
      rejected: a.orders.rejected,
      notListed: a.orders.notListed ?? null,
      oversells: a.oversells,
      integrityViolations: a.integrityViolations,
      dlqParked: a.dlq?.parked ?? null,
      dlqDepth: a.dlq?.depth ?? null,
      latencyMsP99: a.latencyMs?.p99 ?? null,
      latencyMs: a.latencyMs === undefined ? null : pickLatency(a.latencyMs),
      latencyMsByChannel: Object.fromEntries(Object.entries(a.latencyMsByChannel ?? {}).map(([k, v]) => [k, pickLatency(v)])),
      orderProcessingMs: a.orderProcessingMs === undefined ? null : pickLatency(a.orderProcessingMs),
      meanConfidence: integrated === undefined ? (a.freshness?.meanConfidence ?? null) : integrated.meanConfidence,
      invisibleFraction: integrated?.invisibleFraction ?? null,
      freshnessWindowS: integrated?.windowS ?? null,
      apiCallsByChannel: Object.fromEntries(Object.entries(a.channels ?? {}).map(([k, v]) => [k, v.calls])),
    };
  }
  const flat = auditFlat.safeParse(json);
  if (!flat.success) {
    // Report against the service's own shape: that is the one a user most likely meant.
    throw problems(source, 'an invsim service audit (GET /audit) nor a flat { ordersReceived, applied, duplicates, rejected, oversells, integrityViolations } audit', nested.error);
  }
  const a = flat.data;
  const dlq = a.dlq;
  return {
    scenario: null,
    settled: null,
    uptimeS: null,
    speedup: null,
    storefront: null,
    lostSales: null,
    lostSalesWhileOrdersWaited: null,
    ordersReceived: a.ordersReceived,
    ordersDistinct: null,
    applied: a.applied,
    duplicates: a.duplicates,
    rejected: a.rejected,
    notListed: null,
    oversells: a.oversells,
    integrityViolations: a.integrityViolations,
    dlqParked: typeof dlq === 'number' ? dlq : (dlq?.parked ?? null),
    dlqDepth: typeof dlq === 'number' ? null : (dlq?.depth ?? null),
    latencyMsP99: a.latencyMsP99 ?? null,
    latencyMs: null,
    latencyMsByChannel: {},
    orderProcessingMs: null,
    meanConfidence: a.meanConfidence ?? null,
    invisibleFraction: null,
    freshnessWindowS: null,
    apiCallsByChannel: {},
  };
}

function pickLatency(l: z.infer<typeof latency>): LiveLatency {
  return { count: l.count, p50: l.p50, p95: l.p95, p99: l.p99, max: l.max };
}
