/**
 * The two files a live run leaves behind, read defensively into what the live report compares:
 *
 * - the k6 JSON summary: the `data` object k6 hands to `handleSummary` (the generated scripts write
 *   it with `JSON.stringify(data)`): `metrics.<name>.values` holds `p(99)`, `rate`, `count`, …
 *   and `metrics.<name>.thresholds.<expression>.ok` each threshold's result;
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
  readonly testRunDurationMs: number | null;
  readonly httpReqs: number | null;
  readonly httpReqsPerS: number | null;
  readonly httpReqDurationMs: { readonly med: number | null; readonly p95: number | null; readonly p99: number | null; readonly max: number | null };
  readonly httpReqFailedRate: number | null;
  readonly checksRate: number | null;
  readonly iterations: number | null;
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
  readonly meanConfidence: number | null;
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

const auditNested = z.looseObject({
  scenario: z.string().optional(),
  settled: z.boolean().optional(),
  uptimeS: z.number().optional(),
  orders: z.looseObject({ received: count, distinct: count.optional(), applied: count, duplicates: count, rejected: count, notListed: count.optional() }),
  oversells: count,
  integrityViolations: count,
  dlq: z.looseObject({ parked: count.optional(), depth: count.optional() }).optional(),
  latencyMs: latency.optional(),
  latencyMsByChannel: z.record(z.string(), latency).optional(),
  freshness: z.looseObject({ meanConfidence: z.number().min(0).max(1) }).optional(),
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

export function parseK6Summary(json: unknown, source: string): LiveK6 {
  const parsed = k6Summary.safeParse(json);
  if (!parsed.success) throw problems(source, "a k6 JSON summary (handleSummary's data: { metrics: { <name>: { values } } })", parsed.error);
  const m = parsed.data.metrics;
  const values = (name: string): Readonly<Record<string, unknown>> | undefined => m[name]?.values;
  const thresholds: LiveThreshold[] = [];
  for (const name of Object.keys(m).sort()) {
    for (const [expression, t] of Object.entries(m[name]!.thresholds ?? {})) thresholds.push({ metric: name, expression, ok: t.ok });
  }
  return {
    testRunDurationMs: parsed.data.state?.testRunDurationMs ?? null,
    httpReqs: num(values('http_reqs'), 'count'),
    httpReqsPerS: num(values('http_reqs'), 'rate'),
    httpReqDurationMs: { med: num(values('http_req_duration'), 'med'), p95: num(values('http_req_duration'), 'p(95)'), p99: num(values('http_req_duration'), 'p(99)'), max: num(values('http_req_duration'), 'max') },
    httpReqFailedRate: num(values('http_req_failed'), 'rate'),
    checksRate: num(values('checks'), 'rate'),
    iterations: num(values('iterations'), 'count'),
    thresholds,
  };
}

export function parseAudit(json: unknown, source: string): LiveAudit {
  const nested = auditNested.safeParse(json);
  if (nested.success) {
    const a = nested.data;
    return {
      scenario: a.scenario ?? null,
      settled: a.settled ?? null,
      uptimeS: a.uptimeS ?? null,
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
      meanConfidence: a.freshness?.meanConfidence ?? null,
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
    meanConfidence: a.meanConfidence ?? null,
    apiCallsByChannel: {},
  };
}

function pickLatency(l: z.infer<typeof latency>): LiveLatency {
  return { count: l.count, p50: l.p50, p95: l.p95, p99: l.p99, max: l.max };
}
