// Proves that GET /metrics follows the Prometheus conventions, read back with an independent
// parser of the text exposition format (parse-prometheus-text-format, not prom-client's own
// registry): every family has HELP and TYPE, every counter's name ends in `_total` (and no other
// invsim family's does), no label value stands for an aggregate of the others, and every
// labelled counter and histogram has a series at 0 for each label combination the service knows,
// at start and after POST /reset. With traffic (an order, restocks, a channel in an outage), the
// counters agree with /audit: the channel API requests split by result sum to the calls made.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, adjust, audit, brokenChannelScenario, postOrder, startTestServer, type TestServer } from './helpers.js';

const CHANNELS = ['good', 'broken'] as const;
const STATUSES = ['applied', 'duplicate', 'rejected'] as const;
const RESULTS = ['ok', 'throttled', 'failed'] as const;
const INVARIANTS = ['version-regression', 'update-ahead-of-source', 'negative-stock', 'mutation-applied-twice', 'update-lost-without-dlq', 'lost-update'] as const;
/** Label values that would stand for a sum of the others (summing the label would double-count). */
const AGGREGATE_VALUES = new Set(['all', 'any', 'total', 'sum', '*', '']);

type Labels = Record<string, string>;
interface Family {
  name: string;
  help: string;
  type: string;
  metrics: { value?: string; labels?: Labels; count?: string; sum?: string; buckets?: Record<string, string> }[];
}

interface Scrape {
  /** The families as the parser reads the exposition. */
  readonly families: Map<string, Family>;
  /**
   * The same text with the histograms' TYPE lines left out, so that each histogram's `_bucket`,
   * `_sum` and `_count` series come back as families of their own with their labels: the parser
   * folds a labelled histogram's series into one and drops their labels (upstream issue #13).
   */
  readonly histogramSeries: Map<string, Family>;
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const byName = (families: unknown[]): Map<string, Family> => {
    const map = new Map<string, Family>();
    // Untyped, a histogram's series come back as runs of families, one run per label set.
    for (const f of families as Family[]) {
      const seen = map.get(f.name);
      if (seen === undefined) map.set(f.name, f);
      else seen.metrics.push(...f.metrics);
    }
    return map;
  };
  return { families: byName(parsePrometheusTextFormat(text)), histogramSeries: byName(parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, ''))) };
}

/** Every violation of the conventions, as `family: what` lines (empty when clean). */
function conventionIssues(families: Map<string, Family>): string[] {
  const issues: string[] = [];
  for (const f of families.values()) {
    if (f.help === '') issues.push(`${f.name}: no HELP`);
    if (f.type === 'UNTYPED') issues.push(`${f.name}: no TYPE`);
    if (f.type === 'COUNTER' && !f.name.endsWith('_total')) issues.push(`${f.name}: a counter whose name does not end in _total`);
    // prom-client's default nodejs_active_*_total are gauges; invsim's own families must not do that.
    if (f.name.startsWith('invsim_') && f.type !== 'COUNTER' && f.name.endsWith('_total')) issues.push(`${f.name}: a ${f.type.toLowerCase()} named like a counter`);
    for (const m of f.metrics) {
      for (const [label, value] of Object.entries(m.labels ?? {})) {
        if (AGGREGATE_VALUES.has(value.toLowerCase())) issues.push(`${f.name}: label ${label}="${value}" stands for an aggregate`);
      }
    }
  }
  return issues;
}

function series(families: Map<string, Family>, name: string, labels: Labels): Family['metrics'][number] | undefined {
  const family = families.get(name);
  const want = JSON.stringify(Object.entries(labels).sort());
  return family?.metrics.find((m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === want);
}

function value(families: Map<string, Family>, name: string, labels: Labels): number | undefined {
  const s = series(families, name, labels);
  return s?.value === undefined ? undefined : Number(s.value);
}

/** Every label combination the service knows, per labelled counter. */
function knownCounterSeries(): [string, Labels][] {
  const out: [string, Labels][] = [];
  for (const channel of CHANNELS) {
    out.push(['invsim_oversells_total', { channel }], ['invsim_dlq_parked_total', { channel }]);
    for (const status of STATUSES) out.push(['invsim_mutations_total', { kind: 'order', channel, status }]);
    for (const result of RESULTS) out.push(['invsim_channel_api_requests_total', { channel, result }]);
  }
  for (const status of STATUSES) out.push(['invsim_mutations_total', { kind: 'adjustment', channel: 'admin', status }]);
  for (const invariant of INVARIANTS) out.push(['invsim_integrity_violations_total', { invariant }]);
  return out;
}

function expectEverySeriesAtZero({ families, histogramSeries }: Scrape): void {
  for (const [name, labels] of knownCounterSeries()) expect(value(families, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(0);
  for (const channel of CHANNELS) {
    expect(value(histogramSeries, 'invsim_propagation_latency_seconds_count', { channel }), `latency histogram for ${channel}`).toBe(0);
    expect(value(histogramSeries, 'invsim_propagation_latency_seconds_bucket', { channel, le: '+Inf' }), `latency histogram for ${channel}`).toBe(0);
  }
}

describe('GET /metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(brokenChannelScenario(), { faults: true });
  });
  afterAll(async () => {
    await server.close({ drainTimeoutMs: 1_000 });
  });

  it('follows the conventions and has every known series at 0 from the start', async () => {
    const scraped = await scrape(server.url);
    const families = scraped.families;
    expect(conventionIssues(families)).toEqual([]);
    expect(families.get('invsim_channel_api_requests_total')?.type).toBe('COUNTER');
    expect(families.has('invsim_channel_api_requests')).toBe(false);
    expect(families.get('invsim_propagation_latency_seconds')?.type).toBe('HISTOGRAM');
    for (const gauge of ['invsim_dlq_depth', 'invsim_listing_freshness', 'invsim_listings_stale', 'invsim_intake_queue_length']) expect(families.get(gauge)?.type, gauge).toBe('GAUGE');
    expectEverySeriesAtZero(scraped);
  });

  it('counts traffic, and the API requests split by result sum to the calls /audit reports', async () => {
    expect((await postOrder(server.url, 'good', { mutationId: 'first', orderId: 'first', sku: 'NONE', quantity: 1 })).body).toMatchObject({ status: 'rejected' });
    await adjust(server.url, 'X', 'x1', 3);
    await adjust(server.url, 'Y', 'y1', 3);
    expect(await server.service.settle(20_000)).toBe(true);
    const report = await audit(server.url);
    const { families, histogramSeries } = await scrape(server.url);
    expect(conventionIssues(families)).toEqual([]);
    expect(value(families, 'invsim_mutations_total', { kind: 'order', channel: 'good', status: 'rejected' })).toBe(1);
    expect(value(families, 'invsim_mutations_total', { kind: 'adjustment', channel: 'admin', status: 'applied' })).toBe(2);
    expect(value(families, 'invsim_dlq_parked_total', { channel: 'broken' })).toBe(2);
    expect(value(histogramSeries, 'invsim_propagation_latency_seconds_count', { channel: 'good' })).toBe(2);
    for (const channel of CHANNELS) {
      const byResult = RESULTS.map((result) => value(families, 'invsim_channel_api_requests_total', { channel, result }) ?? Number.NaN);
      const counts = report.channels[channel]!;
      expect(byResult.reduce((a, b) => a + b, 0), channel).toBe(counts.calls);
      expect(byResult, channel).toEqual([counts.calls - counts.throttled - counts.failed, counts.throttled, counts.failed]);
    }
    expect(value(families, 'invsim_channel_api_requests_total', { channel: 'good', result: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(value(families, 'invsim_channel_api_requests_total', { channel: 'broken', result: 'failed' })).toBeGreaterThanOrEqual(4);
    // Series no traffic touched are still there, at 0.
    expect(value(families, 'invsim_oversells_total', { channel: 'broken' })).toBe(0);
    expect(value(families, 'invsim_integrity_violations_total', { invariant: 'lost-update' })).toBe(0);
  });

  it('keeps every known series, at 0, after POST /reset', async () => {
    const res = await fetch(`${server.url}/reset`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
    expect(res.status).toBe(200);
    const scraped = await scrape(server.url);
    expect(conventionIssues(scraped.families)).toEqual([]);
    expectEverySeriesAtZero(scraped);
  });
});
