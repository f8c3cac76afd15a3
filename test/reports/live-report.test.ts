// Proves `invsim live-report` on a fixture k6 summary and /audit body (shaped as k6's
// handleSummary data and src/serve's AuditBody): the live figures are read as given, counts that
// scale with volume are compared per 1,000 orders taken, the prediction is the simulation of the
// same scenario and strategy, each number on the page equals the JSON beside it, a flat audit of
// another service is accepted, a wrong file is refused with every problem named, and a live
// assertion failure exits 1. The command is parsed with its own yargs builder, as main.ts does.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { AnalysisInputError } from '../../src/analysis/errors.js';
import { liveReportBuilder, liveReportCommand, type LiveReportArgs } from '../../src/cli/commands/live-report.js';
import type { ReportDocument } from '../../src/reports/document.js';
import { parseAudit, parseK6Summary } from '../../src/reports/live-input.js';
import type { LiveResult } from '../../src/reports/live.js';
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
    expect(run.out).toMatch(/Oversells \(per 1,000 orders taken\)\s+40\.5/);
    expect(run.err).toContain(`wrote ${report}`);
    expect(readFileSync(join(dir, 'live.csv'), 'utf8').split('\n')[0]).toBe('measure,unit,live,predictedMean,ci95Low,ci95High,pi95Low,pi95High,withinPrediction');
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
    expect(measure('latencyMsP99').live).toBe(9120.4);
    expect(measure('integrityViolations').live).toBe(0);
    // 79 oversells among the 1956 - 5 orders the channels' listings showed.
    expect(measure('oversellsPer1000').live).toBeCloseTo((79 / 1951) * 1000, 5);
    expect(r.channels.map((c) => [c.channel, c.liveP99Ms])).toEqual([
      ['shopify', 1101.7],
      ['amazon', 3422.8],
      ['woo', 10644.2],
    ]);
  });

  it('predicts from the simulation of the same scenario, on the given seeds', () => {
    expect(r.seeds).toEqual([1, 2, 3]);
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
    expect(html).not.toMatch(/<script\b|<link\b/i);
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
