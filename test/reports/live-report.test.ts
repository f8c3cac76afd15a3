// Proves `invsim live-report` on a fixture k6 summary and /audit body (shaped as k6's
// handleSummary data and src/serve's AuditBody), and on k6's --summary-export form: the live
// figures are read as given (the export's inverted threshold booleans included), counts that scale
// with volume are compared per 1,000 orders, the prediction is the simulation of the live world
// of the same scenario and strategy, a measure that cannot be compared says why and gets no
// verdict (a burst the live restock met in the other order among the reasons), the headline counts departures, the CSV writes true/false, each number on the page
// equals the JSON beside it, split tests' summaries add up, a flat audit of another service is
// accepted, a wrong file is refused with every problem named, and a live assertion failure exits
// 1. The command is parsed with its own yargs builder, as main.ts does.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { AnalysisInputError } from '../../src/analysis/errors.js';
import { liveReportBuilder, liveReportCommand, type LiveReportArgs } from '../../src/cli/commands/live-report.js';
import type { ReportDocument } from '../../src/reports/document.js';
import { liveWorldScenario } from '../../src/loadtest/live-world.js';
import { combineK6Summaries, parseAudit, parseK6Summary } from '../../src/reports/live-input.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { simulate } from '../../src/sim/world.js';
import { measure, poissonRange95, type LiveResult } from '../../src/reports/live.js';
import { chartIds, data, resolvePointer } from './helpers.js';

const FIXTURES = 'test/fixtures/reports';
const K6 = `${FIXTURES}/k6-summary.json`;
const AUDIT = `${FIXTURES}/audit.json`;
const dir = mkdtempSync(join(tmpdir(), 'invsim-live-'));

/** Parses argv with the command's builder and runs its handler, as `invsim live-report …` would. */
async function liveReport(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = -1;
  await yargs(['live-report', ...argv])
    .command<LiveReportArgs>('live-report', 'live vs predicted', liveReportBuilder, async (args) => {
      code = await liveReportCommand(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
    })
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .parseAsync();
  return { code, out, err };
}

describe('live-report', async () => {
  const report = join(dir, 'live.html');
  const run = await liveReport(['--k6-summary', K6, '--audit', AUDIT, '--scenario', 'flash-sale', '--seeds', '3', '--report', report]);
  const html = readFileSync(report, 'utf8');
  const json = JSON.parse(readFileSync(join(dir, 'live.json'), 'utf8')) as ReportDocument<LiveResult>;
  const r = json.result;
  const measure = (id: string) => r.measures.find((m) => m.id === id)!;

  it('prints the comparison and writes the report trio', () => {
    expect(run.code).toBe(0);
    expect(run.out).toContain('live-report: flash-sale, predicted with event-driven on seeds 1..3');
    expect(run.out).toMatch(/Oversells \(per 1,000 orders taken\)\s+40\.4/);
    expect(run.err).toContain(`wrote ${report}`);
    const csv = readFileSync(join(dir, 'live.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('measure,unit,live,predictedMean,ci95Low,ci95High,pi95Low,pi95High,comparable,withinPrediction,reason');
    // Booleans are written as words: a false is never an empty cell.
    for (const line of csv.slice(1)) expect(line, line).toMatch(/,(true,(true|false),|false,,"?[a-z])/);
  });

  it('counts departures in the headline, and the same in the text and the JSON summary', () => {
    const comparable = r.measures.filter((m) => m.comparable);
    const departed = comparable.filter((m) => m.withinPrediction === false);
    expect(json.summary).toMatchObject({ comparable: comparable.length, departed: departed.length, matched: comparable.length - departed.length });
    const headline = /<p class="headline">(.*?)<\/p>/s.exec(html)![1]!.replace(/<[^>]+>/g, '');
    if (departed.length === 0) {
      expect(headline).toContain(`matched the prediction on all ${comparable.length} comparable measures`);
      expect(run.out).toContain(`matched the prediction on all ${comparable.length} comparable measures`);
    } else {
      expect(headline).toContain(`departed from the prediction on ${departed.length} of ${comparable.length} comparable measures`);
      expect(run.out).toContain(`departed from the prediction on ${departed.length} of ${comparable.length} comparable measures`);
    }
  });

  it('reads the live figures as the files give them', () => {
    expect(r.strategy).toBe('event-driven');
    expect(r.live.k6.httpReqDurationMs.p99).toBe(31.7);
    expect(r.live.k6.checksRate).toBe(1);
    expect(r.live.k6.httpReqs).toBe(2412);
    expect(r.live.k6.thresholds).toEqual([
      { metric: 'checks', expression: 'rate>0.99', ok: true },
      { metric: 'http_req_duration', expression: 'p(99)<500', ok: true },
      { metric: 'invsim_integrity_violations', expression: 'value==0', ok: true },
    ]);
    expect(r.speedup).toBe(30);
    expect(measure('latencyMsP99').live).toBe(9120.4);
    expect(measure('integrityViolations').live).toBe(0);
    // 79 oversells among the 1961 - 5 orders the channels' listings showed; 3 of 1961 customers turned away.
    expect(measure('oversellsPer1000').live).toBeCloseTo((79 / 1956) * 1000, 5);
    expect(measure('lostSalesPer1000').live).toBeCloseTo((3 / 1961) * 1000, 5);
    // Freshness integrated over the run, not the snapshot (0.981).
    expect(measure('meanConfidence').live).toBe(0.9731);
    expect(measure('invisibleFraction').live).toBe(0.0042);
    expect(r.measures.every((m) => m.comparable && m.reason === null)).toBe(true);
    expect(r.channels.map((c) => [c.channel, c.liveP99Ms])).toEqual([
      ['shopify', 1101.7],
      ['amazon', 3422.8],
      ['woo', 10644.2],
    ]);
  });

  it('predicts from the simulation of the live world of the same scenario, on the given seeds', async () => {
    expect(r.seeds).toEqual([1, 2, 3]);
    const scenario = getScenario(loadScenarioFile('scenarios.yaml'), 'flash-sale');
    const world = await simulate(liveWorldScenario(scenario), { strategy: 'event-driven', seed: 1 });
    expect(r.predictedRuns[0]!.traceHash).toBe(world.traceHash);
    expect(measure('oversellsPer1000').perSeed[0]).toBeCloseTo((world.oversells / world.orders.placed) * 1000, 3);
    expect(json.runs[0]?.scenario).toBe('flash-sale');
    expect(json.runs[0]?.traceHash).toBe(r.predictedRuns[0]!.traceHash);
    const latency = measure('latencyMsP99');
    expect(latency.perSeed).toHaveLength(3);
    const p = latency.predicted!;
    expect(p.pi95[0]).toBeLessThanOrEqual(p.ci95[0]);
    expect(p.pi95[1]).toBeGreaterThanOrEqual(p.ci95[1]);
    expect(p.pi95[0]).toBeGreaterThanOrEqual(0);
    expect(latency.withinPrediction).toBe(latency.live! >= p.pi95[0] && latency.live! <= p.pi95[1]);
    expect(measure('integrityViolations').withinPrediction).toBe(true);
    expect(r.liveAssertions).toEqual([
      { assertion: 'integrityViolations: 0', metric: 'integrityViolations', live: 0, held: true },
      { assertion: 'converged: true', metric: 'converged', live: null, held: null },
    ]);
  });

  it('shows every number exactly as the JSON has it, with its three charts', () => {
    const found = data(html);
    expect(found.length).toBeGreaterThan(40);
    for (const d of found) expect(d.value, d.path).toEqual(resolvePointer(json, d.path));
    expect(chartIds(html)).toEqual(['live-vs-predicted', 'channel-p99', 'latency-cdf']);
    // The per-channel p99 in the unit its largest value reads in (woo's 10.6 s: seconds, not 10 644 ms).
    expect(html).toContain("Y-axis titled 'propagation latency p99 (s, scenario time)'");
    expect(html).not.toMatch(/<script\b|<link\b/i);
    // The CDF caption names the markers the chart draws: a diamond for the predicted p99, a downward triangle for the live one.
    expect(html).toContain('the predicted p99 as a diamond and the live p99 as a downward triangle');
    // A measure at 0 live and in every simulated run gets no empty panel: the caption names it.
    expect(html).toMatch(/Left out, 0 live and in every simulated run: integrity violations and parked in the dlq\./);
    // The alert rule's label is drawn once per channel panel, not once per data row (in each of the chart's two layouts).
    expect(/<svg [^>]*data-chart="latency-cdf"[\s\S]*?<\/svg>/.exec(html)![0].match(/>alert 2 s</g) ?? []).toHaveLength(3);
    expect(html.match(/>alert 2 s</g) ?? []).toHaveLength(6);
    expect(json.reproducibility.inputs?.map((i) => i.role)).toEqual(['k6 summary', 'service audit']);
  });

  it('exits 1 when an asserted figure failed live', async () => {
    const bad = JSON.parse(readFileSync(AUDIT, 'utf8')) as { integrityViolations: number };
    bad.integrityViolations = 2;
    const path = join(dir, 'bad-audit.json');
    writeFileSync(path, JSON.stringify(bad));
    const failed = await liveReport(['--k6-summary', K6, '--audit', path, '--scenario', 'flash-sale', '--seeds', '2']);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('FAILED on the live run: integrityViolations: 0 (live 2)');
  });
});

describe('live-report on an audit that cannot be compared on every measure', async () => {
  const audit = JSON.parse(readFileSync(AUDIT, 'utf8')) as Record<string, unknown> & { orders: Record<string, number>; freshness: Record<string, unknown> };
  // An older service: no speedup, no storefront, a freshness snapshot, and 5 orders its listings did not show.
  delete audit['speedup'];
  delete audit['scenarioTimeS'];
  delete audit['storefront'];
  delete audit.orders['lostSales'];
  delete audit.freshness['integrated'];
  const path = join(dir, 'old-audit.json');
  writeFileSync(path, JSON.stringify(audit));
  const run = await liveReport(['--k6-summary', K6, '--audit', path, '--scenario', 'flash-sale', '--seeds', '2', '--json']);
  const r = JSON.parse(run.out) as LiveResult;
  const reason = (id: string) => r.measures.find((m) => m.id === id)!.reason;

  it('says why each measure is not compared, and gives it no verdict', () => {
    expect(reason('latencyMsP99')).toMatch(/does not say in which time it measured/);
    expect(reason('dlqParked')).toMatch(/does not say in which time/);
    expect(reason('oversellsPer1000')).toMatch(/took 5 orders its channels' listings did not show.*--storefront/);
    expect(reason('lostSalesPer1000')).toMatch(/--storefront/);
    expect(reason('meanConfidence')).toMatch(/not integrated|does not say in which time/);
    expect(reason('integrityViolations')).toBeNull();
    for (const m of r.measures) expect(m.withinPrediction === null, m.id).toBe(!m.comparable);
  });

  it('takes the speedup from --speedup when the audit does not say it, and refuses one that contradicts it', async () => {
    const given = JSON.parse((await liveReport(['--k6-summary', K6, '--audit', path, '--scenario', 'flash-sale', '--seeds', '2', '--speedup', '30', '--json'])).out) as LiveResult;
    expect(given.speedup).toBe(30);
    expect(given.measures.find((m) => m.id === 'latencyMsP99')!.comparable).toBe(true);
    await expect(liveReport(['--k6-summary', K6, '--audit', AUDIT, '--scenario', 'flash-sale', '--seeds', '2', '--speedup', '60'])).rejects.toThrow(/--speedup 60: .* says the service ran at speedup 30/);
    await expect(liveReport(['--k6-summary', K6, '--audit', AUDIT, '--scenario', 'flash-sale', '--speedup', '0'])).rejects.toThrow(/--speedup must be a finite number > 0, got 0/);
  });

  it("predicts the service's own sync by default when the scenario has no strategy the service runs", async () => {
    const audit = JSON.parse(readFileSync(AUDIT, 'utf8')) as { scenario: string };
    audit.scenario = 'pitfalls';
    const path = join(dir, 'pitfalls-audit.json');
    writeFileSync(path, JSON.stringify(audit));
    const run = await liveReport(['--k6-summary', K6, '--audit', path, '--scenario', 'pitfalls', '--seeds', '2', '--json']);
    const r = JSON.parse(run.out) as LiveResult;
    expect(r.strategy).toBe('service-event-driven');
    expect(r.measures.every((m) => !/strategy/.test(m.reason ?? ''))).toBe(true);
    // Asked for by name, the scenario's hybrid strategy is predicted, and said to be another engine.
    const hybrid = JSON.parse((await liveReport(['--k6-summary', K6, '--audit', path, '--scenario', 'pitfalls', '--seeds', '2', '--strategy', 'correct', '--json'])).out) as LiveResult;
    expect(hybrid.measures.find((m) => m.id === 'latencyMsP99')!.reason).toMatch(/strategy correct is not that/);
  });

  it('does not compare a strategy the service does not run', async () => {
    const other = JSON.parse((await liveReport(['--k6-summary', K6, '--audit', AUDIT, '--scenario', 'flash-sale', '--seeds', '2', '--strategy', 'allocation', '--json'])).out) as LiveResult;
    expect(other.measures.find((m) => m.id === 'oversellsPer1000')!.reason).toMatch(/strategy allocation is not that/);
  });
});

describe('live-report on an audit read too early, of a service too slow for its speedup', async () => {
  const base = JSON.parse(readFileSync(AUDIT, 'utf8')) as Record<string, unknown> & { latencyMs: Record<string, number> };
  const variant = async (name: string, change: (a: typeof base) => void): Promise<LiveResult> => {
    const audit = structuredClone(base);
    audit['scenario'] = 'marketplace-outage';
    change(audit);
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(audit));
    // marketplace-outage: its p99 (the outage's length) is tight across seeds, far above 1 ms.
    return JSON.parse((await liveReport(['--k6-summary', K6, '--audit', path, '--scenario', 'marketplace-outage', '--seeds', '3', '--json'])).out) as LiveResult;
  };
  const latency = (r: LiveResult) => r.measures.find((m) => m.id === 'latencyMsP99')!;

  it('gives an unsettled p99 below the prediction no verdict (a lower bound), and one above it a departure', async () => {
    const low = await variant('unsettled-low', (a) => {
      a['settled'] = false;
      a.latencyMs['p99'] = 1;
    });
    expect(latency(low).predicted!.pi95[0]).toBeGreaterThan(1);
    expect(latency(low)).toMatchObject({ comparable: false, withinPrediction: null });
    expect(latency(low).reason).toMatch(/settled: false.*lower bound/);
    expect(low.diagnostics.join('\n')).toMatch(/a latency p99 below the prediction is a lower bound/);
    const high = await variant('unsettled-high', (a) => {
      a['settled'] = false;
      a.latencyMs['p99'] = 1e9;
    });
    expect(latency(high)).toMatchObject({ comparable: true, withinPrediction: false, reason: null });
    // Settled, the same low p99 is a departure like any other.
    const settledLow = await variant('settled-low', (a) => {
      a.latencyMs['p99'] = 1;
    });
    expect(latency(settledLow)).toMatchObject({ comparable: true, withinPrediction: false });
  });

  it("compares the time an order waits for the engine's answer, and names a service slower than the simulated engine", async () => {
    const quick = await variant('quick', (a) => {
      a['orderProcessingMs'] = { count: 5610, p50: 2, p95: 2, p99: 2, max: 3 };
    });
    const processing = (r: LiveResult) => r.measures.find((m) => m.id === 'orderProcessingMsP99')!;
    // Two store operations of 1 ms and the intake queue: a few ms in every simulated run.
    expect(processing(quick).predicted!.pi95[1]).toBeLessThan(1_000);
    expect(processing(quick)).toMatchObject({ comparable: true, live: 2 });
    expect(quick.diagnostics.join('\n')).not.toMatch(/orders waited/);
    const slow = await variant('slow', (a) => {
      a['orderProcessingMs'] = { count: 5610, p50: 900, p95: 4000, p99: 9000, max: 30000 };
    });
    expect(processing(slow)).toMatchObject({ comparable: true, withinPrediction: false, live: 9000 });
    const said = slow.diagnostics.find((d) => d.startsWith('orders waited'));
    // 9 000 scenario ms at the audit's speedup 30 are 300 real ms.
    expect(said).toMatch(/^orders waited 9\.0 s of scenario time at p99 \(median 900 ms, max 30\.0 s\) for the engine's answer \(300 real ms at speedup 30\), above the [\d.,]+ ms the simulated engine's queue/);
    // The measures a wait moves, each named: a reader looks for the one that landed outside.
    for (const moved of ['oversells', 'propagation latency', 'lost sale']) expect(said).toContain(moved);
  });

  it('counts the same orders taken and customers from an audit without orders.distinct', async () => {
    // The fixture's 1 961 distinct orders are 1 870 applied, 86 rejected and 5 not listed: the
    // channels took 1 956. An audit that omits `distinct` gives the same once its parts are added.
    const measureOf = (r: LiveResult, id: string) => r.measures.find((m) => m.id === id)!.live;
    const withDistinct = await variant('with-distinct', () => undefined);
    const withoutDistinct = await variant('without-distinct', (a) => {
      delete (a['orders'] as Record<string, number>)['distinct'];
    });
    expect(measureOf(withDistinct, 'oversellsPer1000')).toBeCloseTo((79 / 1956) * 1000, 6);
    expect(measureOf(withoutDistinct, 'oversellsPer1000')).toBe(measureOf(withDistinct, 'oversellsPer1000'));
    expect(measureOf(withoutDistinct, 'lostSalesPer1000')).toBe(measureOf(withDistinct, 'lostSalesPer1000'));
  });

  it('counts out the lost sales a slow service caused, and says whether the rest lands in the band', async () => {
    const lost = (r: LiveResult) => r.measures.find((m) => m.id === 'lostSalesPer1000')!;
    const said = (r: LiveResult) => r.diagnostics.find((d) => d.includes('waited for the engine'));
    // 300 lost of 1 961 customers (153 per 1 000): far above marketplace-outage's band.
    const mostly = await variant('lost-while-waiting', (a) => {
      (a['orders'] as Record<string, number>)['lostSales'] = 300;
      (a['orders'] as Record<string, number>)['lostSalesWhileOrdersWaited'] = 290;
    });
    expect(lost(mostly)).toMatchObject({ comparable: true, withinPrediction: false });
    // Without the 290, 10 of 1 961: 5.1 per 1 000.
    expect(said(mostly)).toMatch(/^290 of the 300 live lost sales were customers turned away while orders of the same SKU .* without them the live value is 5\.1 per 1,000 customers, within the predicted band/);
    const few = await variant('lost-few-while-waiting', (a) => {
      (a['orders'] as Record<string, number>)['lostSales'] = 300;
      (a['orders'] as Record<string, number>)['lostSalesWhileOrdersWaited'] = 10;
    });
    expect(said(few)).toMatch(/without them the live value is 147\.9 per 1,000 customers, still above the predicted band/);
    // Within the band, or with none waiting, there is nothing to explain.
    const none = await variant('lost-none-waiting', (a) => {
      (a['orders'] as Record<string, number>)['lostSales'] = 300;
      (a['orders'] as Record<string, number>)['lostSalesWhileOrdersWaited'] = 0;
    });
    expect(said(none)).toBeUndefined();
    // The predicted mean per 1 000, as a count of the fixture's 1 961 customers.
    const atMean = Math.round((lost(mostly).predicted!.mean * 1961) / 1000);
    const inBand = await variant('lost-in-band', (a) => {
      (a['orders'] as Record<string, number>)['lostSales'] = atMean;
      (a['orders'] as Record<string, number>)['lostSalesWhileOrdersWaited'] = Math.min(3, atMean);
    });
    expect(lost(inBand).withinPrediction).toBe(true);
    expect(said(inBand)).toBeUndefined();
  });
});

describe('prediction bands of counts', () => {
  it('are at least the central 95% of a Poisson count with the predicted mean', () => {
    expect(poissonRange95(0)).toEqual([0, 0]);
    // P(X >= 1) = 9.5% at a mean of 0.1; P(X >= 2) = 0.5%.
    expect(poissonRange95(0.1)).toEqual([0, 1]);
    // Poisson(10): P(X <= 3) = 1.0%, P(X <= 4) = 2.9%; P(X <= 16) = 97.3%, P(X <= 17) = 98.6%.
    expect(poissonRange95(10)).toEqual([4, 17]);
  });

  it('judge one rare event where the seeds saw it once in ten runs as within, and three as outside', () => {
    // One lost sale among 2 500 customers (0.4 per 1 000); one seed of ten had one, the others none.
    const plain = { id: 'lostSalesPer1000', label: 'Lost sales', unit: 'per 1,000 customers', perSeed: [0.4, 0, 0, 0, 0, 0, 0, 0, 0, 0], notComparable: null };
    const spec = { ...plain, countStep: 0.4 };
    // The normal band alone (mean 0.04, sd 0.126, t = 2.26) ends at 0.34: the one event would be "outside".
    expect(measure({ ...plain, live: 0.4 }).withinPrediction).toBe(false);
    expect(measure({ ...spec, live: 0.4 }).withinPrediction).toBe(true);
    expect(measure({ ...spec, live: 1.2 }).withinPrediction).toBe(false);
  });

  it('leave room above the band for the service\'s own work where the model has none', () => {
    const spec = { id: 'orderProcessingMsP99', label: 'Order processing p99', unit: 'ms', perSeed: [2, 2, 2], notComparable: null, slackAbove: 1_000 };
    expect(measure({ ...spec, live: 51 }).withinPrediction).toBe(true);
    expect(measure({ ...spec, live: 1_003 }).withinPrediction).toBe(false);
  });
});

describe('k6 summaries', () => {
  const exported = {
    root_group: { name: '', path: '', id: 'x', groups: {}, checks: { 'webhook acknowledged': { name: 'webhook acknowledged', path: '::webhook acknowledged', id: 'y', passes: 99, fails: 1 } } },
    metrics: {
      http_reqs: { count: 400, rate: 20 },
      http_req_duration: { avg: 3, min: 1, med: 2, max: 40, 'p(90)': 5, 'p(95)': 7, 'p(99)': 12 },
      'http_req_duration{kind:webhook}': { avg: 3, min: 1, med: 2, max: 40, 'p(90)': 5, 'p(95)': 7, 'p(99)': 12, thresholds: { 'p(99)<1000': false } },
      http_req_failed: { passes: 2, fails: 398, value: 0.005 },
      checks: { passes: 99, fails: 1, value: 0.99, thresholds: { 'rate>0.995': true } },
      iterations: { count: 300, rate: 15 },
    },
  };

  it("reads k6's --summary-export form, whose threshold booleans are true when the threshold FAILED", () => {
    const k = parseK6Summary(exported, 'export.json');
    expect(k).toMatchObject({ format: 'summary-export', httpReqs: 400, httpReqsPerS: 20, checksRate: 0.99, httpReqFailedRate: 0.005, iterations: 300, httpReqDurationMs: { med: 2, p95: 7, p99: 12, max: 40 } });
    expect(k.thresholds).toEqual([
      { metric: 'checks', expression: 'rate>0.995', ok: false },
      { metric: 'http_req_duration{kind:webhook}', expression: 'p(99)<1000', ok: true },
    ]);
  });

  it('names what the live run did differently from the simulated world (dropped iterations), and predicts with its restocks as they were', async () => {
    const path = join(dir, 'export.json');
    writeFileSync(path, JSON.stringify({ ...exported, metrics: { ...exported.metrics, dropped_iterations: { count: 3, rate: 0.1 }, 'iteration_duration{scenario:restock}': { avg: 2000, min: 1000, med: 2000, max: 4000, 'p(90)': 4000, 'p(95)': 4000, thresholds: { 'max>=0': false } } } }));
    const k = parseK6Summary(JSON.parse(readFileSync(path, 'utf8')), path);
    expect(k).toMatchObject({ droppedIterations: 3, restockDurationMsMax: 4000, restockDurationMsMean: 2000, restockReadMsMean: null, loadSeed: null });
    const run = await liveReport(['--k6-summary', path, '--audit', AUDIT, '--scenario', 'flash-sale', '--seeds', '2', '--json']);
    const r = JSON.parse(run.out) as LiveResult;
    expect(r.diagnostics, r.diagnostics.join(" | ")).toHaveLength(1);
    expect(r.diagnostics[0]).toMatch(/^k6 dropped 3 iterations for want of a free VU/);
    // 2 real seconds on average at speedup 30 (the audit's) are 60 scenario seconds; without the reads' share, half of it.
    expect(r.conditioning).toEqual({ catalogSeed: null, restockJob: { readSpanMs: 30_000, writeSpanMs: 30_000, batch: 50 } });
    const text = await liveReport(['--k6-summary', path, '--audit', AUDIT, '--scenario', 'flash-sale', '--seeds', '2']);
    // flash-sale has no restocks: the sentence says so rather than describe a job that never runs.
    expect(text.out).toMatch(/each predicted seed draws its own catalogue \(the summary does not give the load's seed, invsim_load_seed\); the scenario has no restocks\./);
  });

  it("holds the load's catalogue and its restock job fixed: pitfalls' burst at its 7 200 s restock is predicted as the live run met it, and compared", async () => {
    const audit = JSON.parse(readFileSync(AUDIT, 'utf8')) as { scenario: string };
    audit.scenario = 'pitfalls';
    const auditPath = join(dir, 'pitfalls-restock-audit.json');
    writeFileSync(auditPath, JSON.stringify(audit));
    const judged = async (restockMs: number, seed?: number): Promise<LiveResult> => {
      const path = join(dir, `restock-${restockMs}-${seed ?? 'none'}.json`);
      const trend = (ms: number): Record<string, unknown> => ({ avg: ms, min: ms, med: ms, max: ms, 'p(90)': ms, 'p(95)': ms });
      const metrics = {
        ...exported.metrics,
        'iteration_duration{scenario:restock}': { ...trend(restockMs), thresholds: { 'max>=0': false } },
        invsim_restock_read_duration: trend(restockMs / 2),
        ...(seed === undefined ? {} : { invsim_load_seed: { value: seed, min: seed, max: seed } }),
      };
      writeFileSync(path, JSON.stringify({ ...exported, metrics }));
      return JSON.parse((await liveReport(['--k6-summary', path, '--audit', auditPath, '--scenario', 'pitfalls', '--seeds', '2', '--json'])).out) as LiveResult;
    };
    // 100 real ms at the audit's speedup 30: 3 s of scenario time, longer than the burst's 1 s.
    const slow = await judged(100, 3);
    expect(slow.conditioning).toEqual({ catalogSeed: 3, restockJob: { readSpanMs: 1_500, writeSpanMs: 1_500, batch: 50 } });
    expect(slow.conditioningSummary).toMatch(/every predicted seed has the live catalogue \(the load's seed 3\); each restock is the job it was live: 1\.5 s of reads, then 1\.5 s of writes, 50 SKUs at a time .*--catalog-seed 3 --restock-read-ms 1500 --restock-write-ms 1500\.$/);
    for (const id of ['oversellsPer1000', 'lostSalesPer1000']) expect(slow.measures.find((x) => x.id === id)!.comparable, id).toBe(true);
    // The burst met the stock before the restock: fewer of its customers are lost sales than when the restock came first.
    const quick = await judged(1, 3);
    const lost = (r: LiveResult): number => r.measures.find((m) => m.id === 'lostSalesPer1000')!.predicted!.mean;
    expect(lost(slow)).toBeLessThan(lost(quick));
    // The catalogue is the load's: another load seed predicts another world from the same demand seeds.
    const other = await judged(100, 4);
    expect(other.predictedRuns.map((p) => p.seed)).toEqual(slow.predictedRuns.map((p) => p.seed));
    expect(other.predictedRuns.map((p) => p.traceHash)).not.toEqual(slow.predictedRuns.map((p) => p.traceHash));
  });

  it("refuses summaries of different load seeds as one test's instances", () => {
    const withSeed = (seed: number): unknown => ({ ...exported, metrics: { ...exported.metrics, invsim_load_seed: { value: seed, min: seed, max: seed } } });
    expect(combineK6Summaries([parseK6Summary(withSeed(1), 'a.json'), parseK6Summary(withSeed(1), 'b.json')]).loadSeed).toBe(1);
    expect(() => combineK6Summaries([parseK6Summary(withSeed(1), 'a.json'), parseK6Summary(withSeed(2), 'b.json')])).toThrow(/--k6-summary: the summaries were drawn from different seeds \(invsim_load_seed 1, 2\)/);
  });

  it('combines the summaries of a split test: counts add up, a threshold holds only if it held everywhere', () => {
    const a = parseK6Summary(exported, 'a.json');
    const b = parseK6Summary({ ...exported, metrics: { ...exported.metrics, checks: { passes: 100, fails: 0, value: 1, thresholds: { 'rate>0.995': false } }, http_reqs: { count: 600, rate: 30 } } }, 'b.json');
    const both = combineK6Summaries([a, b]);
    expect(both).toMatchObject({ instances: 2, httpReqs: 1000, httpReqsPerS: 50, iterations: 600 });
    expect(both.checksRate).toBeCloseTo((0.99 * 400 + 1 * 600) / 1000, 9);
    expect(both.thresholds.find((t) => t.metric === 'checks')!.ok).toBe(false);
  });
});

describe('live inputs', () => {
  it('accepts a flat audit from another service', () => {
    const a = parseAudit({ ordersReceived: 10, applied: 8, duplicates: 1, rejected: 1, oversells: 1, integrityViolations: 0, dlq: 2, extra: 'ignored' }, 'flat.json');
    expect(a).toMatchObject({ ordersReceived: 10, applied: 8, oversells: 1, dlqParked: 2, dlqDepth: null, latencyMsP99: null, scenario: null });
  });

  it('names every problem of a file that is not an audit or a summary', () => {
    expect(() => parseAudit({ orders: { received: -1 } }, 'a.json')).toThrow(AnalysisInputError);
    expect(() => parseAudit({ orders: { received: -1 } }, 'a.json')).toThrow(/a\.json is not an invsim service audit[\s\S]*orders\.received[\s\S]*oversells/);
    expect(() => parseK6Summary({ metric: {} }, 'k.json')).toThrow(/k\.json is not a k6 JSON summary[\s\S]*metrics/);
  });

  it('refuses the audit of another scenario', async () => {
    await expect(liveReport(['--k6-summary', K6, '--audit', AUDIT, '--scenario', 'baseline', '--seeds', '2'])).rejects.toThrow(/audit of scenario flash-sale, not baseline/);
  });

  it('refuses a missing or malformed file as a usage error', async () => {
    await expect(liveReport(['--k6-summary', join(dir, 'nope.json'), '--audit', AUDIT, '--scenario', 'flash-sale'])).rejects.toThrow(/cannot read the k6 summary .*no such file/);
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ not json');
    await expect(liveReport(['--k6-summary', K6, '--audit', path, '--scenario', 'flash-sale'])).rejects.toThrow(AnalysisInputError);
  });
});
