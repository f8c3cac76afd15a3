// Proves that a report's page and the JSON and CSV beside it say the same thing: every number
// on the page carries a JSON pointer (data-path) and its exact value (data-value), and each must
// equal what FILE.json holds there, with the visible text the formatted form of that value. Runs
// `compare`, `run` and `sweep` with --report on small plans, and checks that the report's JSON
// embeds the document `--json` prints, the CSV has the JSON's per-run numbers, every table cell
// of the comparison is present, and the page is self-contained (no script, link or remote URL).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareResult } from '../../src/analysis/compare.js';
import { COMPARE_METRICS } from '../../src/analysis/metrics.js';
import type { SweepResult } from '../../src/analysis/sweep.js';
import { fmtMetric } from '../../src/reports/format.js';
import type { ReportDocument } from '../../src/reports/document.js';
import type { SimulationResult } from '../../src/model/result.js';
import { runCli } from '../cli/helpers.js';
import { chartIds, data, resolvePointer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'invsim-report-data-'));

function read(base: string): { html: string; json: ReportDocument; csv: string[][] } {
  const html = readFileSync(join(dir, `${base}.html`), 'utf8');
  const json = JSON.parse(readFileSync(join(dir, `${base}.json`), 'utf8')) as ReportDocument;
  const csv = readFileSync(join(dir, `${base}.csv`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  return { html, json, csv };
}

/** Every datum on the page equals the JSON at its pointer; returns how many were checked. */
function expectPageMatchesJson(html: string, json: unknown): number {
  const found = data(html);
  for (const d of found) expect(d.value, `${d.path} (shown as "${d.text}")`).toEqual(resolvePointer(json, d.path));
  return found.length;
}

function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/<script\b/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/<img\b/i);
  expect(html).not.toMatch(/@import|@font-face/i);
  // The only absolute URLs are SVG namespace names, which are identifiers, not requests.
  const urls = [...html.matchAll(/https?:\/\/[^\s"')<]+/g)].map((m) => m[0]);
  expect(urls.filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(u))).toEqual([]);
  // Every chart is an accessible SVG inside a figure with a caption, in two layouts (wide and narrow).
  const svgs = [...html.matchAll(/<svg\b[^>]*>/g)].map((m) => m[0]);
  expect(svgs.length).toBeGreaterThan(0);
  for (const svg of svgs) expect(svg).toMatch(/role="img"/);
  expect((html.match(/<figure\b/g) ?? []).length * 2).toBe(svgs.length);
  expect((html.match(/<figcaption>/g) ?? []).length * 2).toBe(svgs.length);
  expect((html.match(/<svg\b[^>]*><title id="[^"]+">[^<]+<\/title><desc id="[^"]+">[^<]+<\/desc>/g) ?? []).length).toBe(svgs.length);
  // Ids are unique across the page, so one chart's clip path cannot capture another's marks.
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  expect(new Set(ids).size).toBe(ids.length);
}

describe('compare --report', async () => {
  const args = ['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '3', '--workers', '1'];
  const run = await runCli([...args, '--json', '--report', join(dir, 'flash-sale.html')]);
  const { html, json, csv } = read('flash-sale');
  const result = json.result as CompareResult;

  it('embeds the document `compare --json` prints, and says where it comes from', () => {
    expect(run.code).toBe(0);
    expect(run.err).toContain(`wrote ${join(dir, 'flash-sale.html')}`);
    expect(json.result).toEqual(JSON.parse(run.out));
    expect(json.kind).toBe('invsim-report');
    expect(json.report).toBe('compare');
    expect(json.reproducibility).toMatchObject({ scenario: 'flash-sale', file: 'scenarios.yaml', seeds: [1, 2, 3], invsimVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(json.reproducibility.scenarioHash).toMatch(/^[0-9a-f]{64}$/);
    expect(json.reproducibility.command).toBe(`invsim compare scenarios.yaml --scenario flash-sale --seeds 3 --seed-start 1 --report ${join(dir, 'flash-sale.html')}`);
  });

  it('shows every number exactly as the JSON has it', () => {
    expect(expectPageMatchesJson(html, json)).toBeGreaterThan(300);
  });

  it('has a table cell (mean, interval) for every strategy and metric, and every paired difference', () => {
    const paths = new Set(data(html).map((d) => d.path));
    result.strategies.forEach((s, i) => {
      for (const m of COMPARE_METRICS) {
        // A metric with no data is one cell tied to the JSON's null, in words.
        const leaves = s.metrics[m] === null ? [''] : ['/mean', '/ci95/0', '/ci95/1'];
        for (const leaf of leaves) expect(paths.has(`/result/strategies/${i}/metrics/${m}${leaf}`), `${s.strategy} ${m} ${leaf}`).toBe(true);
      }
    });
    result.paired.forEach((d, k) => {
      for (const leaf of d.meanDiff === null ? ['meanDiff'] : ['meanDiff', 'ci95/0', 'ci95/1']) expect(paths.has(`/result/paired/${k}/${leaf}`)).toBe(true);
    });
    // The visible text is the value in the metric's format (the same as the terminal table).
    for (const d of data(html)) {
      const m = /^\/result\/strategies\/\d+\/metrics\/(\w+)(\/mean)?$/.exec(d.path);
      if (m !== null) expect(d.text).toBe(fmtMetric(m[1]!, d.value as number | null));
    }
  });

  it('shows the per-run numbers (one run per strategy, seed 1) of the JSON, with matching trace hashes', () => {
    expect(json.runs.map((r) => r.strategy)).toEqual(result.strategies.map((s) => s.strategy));
    for (const [i, r] of json.runs.entries()) {
      expect(r.seed).toBe(1);
      expect(r.traceHash).toBe(result.strategies[i]!.runs[0]!.traceHash);
      const paths = new Set(data(html).map((d) => d.path));
      r.channels.forEach((_, j) => expect(paths.has(`/runs/${i}/channels/${j}/latencyMs/p99`)).toBe(true));
    }
  });

  it('writes one CSV row per run with the JSON numbers', () => {
    expect(csv[0]).toEqual(['scenario', 'strategy', 'seed', 'traceHash', ...COMPARE_METRICS]);
    const rows = csv.slice(1);
    expect(rows).toHaveLength(result.strategies.length * result.seeds.length);
    let r = 0;
    for (const s of result.strategies) {
      for (const run of s.runs) {
        const row = rows[r++]!;
        expect(row.slice(0, 4)).toEqual(['flash-sale', s.strategy, String(run.seed), run.traceHash]);
        // No data (null) is an empty cell.
        expect(row.slice(4).map((cell) => (cell === '' ? null : Number(cell)))).toEqual(COMPARE_METRICS.map((m) => run.metrics[m]));
      }
    }
  });

  it('names the winner in the summary, the same one the JSON records', () => {
    const winner = (json.summary as { winner: string }).winner;
    expect(html).toContain(`<div class="summary" data-winner="${winner}">`);
    expect(html).toMatch(new RegExp(`Winner: <strong data-winner="${winner}">${winner}</strong>`));
    // flash-sale's allocation partitions stock and never oversells; the pitfalls are not candidates.
    expect(winner).toBe('allocation');
    expect((json.summary as { excludedFromRanking: string[] }).excludedFromRanking).toEqual(['pitfall-no-locking', 'pitfall-no-idempotency']);
  });

  it('evaluates the scenario assertions on every seed', () => {
    expect(json.assertions?.seeds).toEqual([1, 2, 3]);
    expect(json.assertions?.outcomes.map((o) => `${o.strategy}:${o.metric}`)).toEqual(['event-driven:integrityViolations', 'event-driven:converged', 'allocation:oversells', 'allocation:integrityViolations']);
    expect(html).toContain('data-assertions="held"');
  });

  it('is self-contained, with every chart accessible', () => {
    expectSelfContained(html);
    // Seed 1 parks nothing in the DLQ: that chart is left out, with a line saying so.
    expect(json.runs.every((r) => r.dlq.parked === 0)).toBe(true);
    expect(chartIds(html)).toEqual(['oversells-lost-sales', 'impact', 'run-latency-cdf', 'run-freshness', 'run-api-quota']);
    expect(html).toContain('data-chart-skipped="run-dlq"');
  });
});

describe('run --report', async () => {
  const file = join(dir, 'run.html');
  const argv = ['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'event-driven', '--seed', '4', '--json', '--report', file];
  // The page says when it was generated: SOURCE_DATE_EPOCH fixes that time, as for a reproducible build.
  process.env['SOURCE_DATE_EPOCH'] = '1767225600';
  const first = await runCli(argv);
  const again = readFileSync(file, 'utf8');
  const againJson = readFileSync(join(dir, 'run.json'), 'utf8');
  await runCli(argv);
  process.env['SOURCE_DATE_EPOCH'] = '1767229200';
  await runCli(argv);
  const laterHtml = readFileSync(file, 'utf8');
  const laterJson = readFileSync(join(dir, 'run.json'), 'utf8');
  process.env['SOURCE_DATE_EPOCH'] = '1767225600';
  await runCli(argv);
  delete process.env['SOURCE_DATE_EPOCH'];
  const { html, json, csv } = read('run');

  it('embeds the run `--json` prints and shows its numbers exactly', () => {
    expect(first.code).toBe(0);
    const result = JSON.parse(first.out) as SimulationResult;
    expect(json.result).toEqual(result);
    expect(result.channels[0]!.latencyCdf.q.length).toBeGreaterThan(10);
    expect(expectPageMatchesJson(html, json)).toBeGreaterThan(40);
    expect(csv[1]!.slice(0, 4)).toEqual(['flash-sale', 'event-driven', '4', result.traceHash]);
  });

  it('is byte-identical when regenerated at the same SOURCE_DATE_EPOCH (no other clock, no randomness in the page)', () => {
    expect(html).toBe(again);
    expect(html).toContain('Generated <time datetime="2026-01-01T00:00:00.000Z"');
  });

  it('a later generation changes the page only in its generation time, and the JSON not at all', () => {
    expect(laterJson).toBe(againJson);
    expect(laterHtml).not.toBe(again);
    const stamp = (page: string): string => page.replace(/<p class="generated">.*?<\/p>/, '');
    expect(stamp(laterHtml)).toBe(stamp(again));
  });

  it('is self-contained, with the per-run charts (the empty DLQ one named, not drawn)', () => {
    expectSelfContained(html);
    expect((json.result as SimulationResult).dlq.parked).toBe(0);
    expect(chartIds(html)).toEqual(['run-latency-cdf', 'run-freshness', 'run-api-quota']);
    expect(html).toContain('data-chart-skipped="run-dlq"');
  });
});

describe('sweep --report', async () => {
  const argv = ['sweep', 'scenarios.yaml', '--scenario', 'flash-sale', '--param', 'demand.ordersPerDay', '--values', '1000,2000', '--strategy', 'event-driven', '--seeds', '2', '--workers', '1'];
  const run = await runCli([...argv, '--json', '--report', join(dir, 'sweep.html')]);
  const { html, json } = read('sweep');
  const result = json.result as SweepResult;

  it('embeds the sweep `--json` prints and shows its numbers exactly', () => {
    expect(run.code).toBe(0);
    expect(json.result).toEqual(JSON.parse(run.out));
    expect(expectPageMatchesJson(html, json)).toBeGreaterThan(COMPARE_METRICS.length * 3 * result.points.length);
  });

  it('plots every metric against the parameter and checks the assertions at each value', () => {
    expectSelfContained(html);
    expect(chartIds(html)).toEqual(['sweep']);
    expect(json.assertions?.outcomes).toHaveLength(2 * 2);
  });
});
