// Proves that money is per run first and never extrapolated without a frequency, and that no
// number stands for "no data", in what stakeholders read: the flash sale as shipped (two hours,
// no `economics.occurrencesPerYear`) shows no day or year figure in its compare report, JSON or
// `run` text; declared 12 times a year, its year figure is the per-run figure × 12 and its label
// says so; a day-long scenario implies 365. The report measures against the scenario's
// `reference` (or says it compares the runner-up), its arrows follow each metric's better
// direction, and allocation, which propagates nothing, reads "no propagation" with a null p99.
// Each case runs the CLI in-process on the shipped scenarios.yaml or a copy with one line changed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareSummary } from '../../src/reports/compare.js';
import type { ReportDocument } from '../../src/reports/document.js';
import type { SimulationResult } from '../../src/model/result.js';
import { runCli } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'invsim-money-'));
const SHIPPED = readFileSync('scenarios.yaml', 'utf8');
const FLASH_HEAD = '  flash-sale:\n    description: A flash sale on three hot SKUs across three channels.\n    durationS: 7200\n    reference: event-driven\n';
const FLASH_ECONOMICS = '      averageOrderValue: 80\n      customerLifetimeValue: 400\n      churnMultiplier: 0.3\n';

/** scenarios.yaml with each `from` (which must occur exactly once) replaced, written to a file. */
function shippedWith(name: string, ...replacements: readonly [string, string][]): string {
  let text = SHIPPED;
  for (const [from, to] of replacements) {
    if (text.split(from).length !== 2) throw new Error(`scenarios.yaml must hold ${JSON.stringify(from)} exactly once`);
    text = text.replace(from, to);
  }
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function compareReport(file: string, name: string, strategies: string): Promise<{ html: string; summaryHtml: string; json: ReportDocument; summary: CompareSummary }> {
  const report = join(dir, `${name}.html`);
  const r = await runCli(['compare', file, '--scenario', 'flash-sale', '--strategies', strategies, '--seeds', '3', '--workers', '1', '--report', report]);
  expect(r.code, r.err).toBe(0);
  const html = readFileSync(report, 'utf8');
  const json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as ReportDocument;
  const summaryHtml = /<div class="summary"[\s\S]*?<\/div>/.exec(html)![0];
  return { html, summaryHtml, json, summary: json.summary as unknown as CompareSummary };
}

/** The visible text of some HTML. */
const text = (html: string): string => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('a two-hour flash sale without a declared frequency', async () => {
  const { summaryHtml, summary, json } = await compareReport('scenarios.yaml', 'shipped', 'event-driven,allocation');

  it('states money per run and has no day or year figure in the summary or its JSON', () => {
    expect(text(summaryHtml)).toContain('per run');
    expect(text(summaryHtml)).not.toMatch(/[\d)] a (year|day)|per day/);
    expect(text(summaryHtml)).toContain('no figure is scaled to a day or a year');
    expect(summary.frequency).toBeNull();
    expect(summary.impactSavedPerRun?.mean).toBeGreaterThan(0);
    expect(summary.impactSavedPerDay).toBeNull();
    expect(summary.impactSavedPerYear).toBeNull();
    expect(summary.netSavedPerYear).toBeNull();
    const strategies = (json.result as { strategies: { metrics: Record<string, unknown> }[] }).strategies;
    for (const s of strategies) expect(s.metrics['totalDailyImpact']).toBeNull();
  });

  it('gives `run` a per-run cost and no year in text and JSON', async () => {
    const t = await runCli(['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'event-driven', '--seed', '2']);
    expect(t.out).toMatch(/revenue leakage +[\d,]+ this run \(2\.0 h simulated\)/);
    expect(t.out).toContain('no day or year figure: the scenario declares no economics.occurrencesPerYear');
    expect(t.out).not.toMatch(/a year if|[\d,]+ a year/);
    const j = JSON.parse((await runCli(['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'event-driven', '--seed', '2', '--json'])).out) as SimulationResult;
    expect(j.leakage.perRun.totalImpact).toBe(j.oversells * (80 + 400 * 0.3));
    expect(j.leakage).toMatchObject({ frequency: null, perYear: null, totalDailyImpact: null, directRevenueLoss: null, oversellsPerDay: null });
  });
});

describe('the flash sale declared to happen 12 times a year', async () => {
  const file = shippedWith('twelve', [FLASH_ECONOMICS, `${FLASH_ECONOMICS}      occurrencesPerYear: 12\n`]);
  const { summaryHtml, summary } = await compareReport(file, 'twelve', 'event-driven,allocation');

  it('shows a year figure of per run × 12, labelled with that assumption', () => {
    expect(summary.frequency).toEqual({ occurrencesPerYear: 12, basis: 'declared' });
    expect(summary.impactSavedPerYear!.mean).toBeCloseTo(summary.impactSavedPerRun!.mean * 12, 4);
    expect(summary.impactSavedPerDay!.mean).toBeCloseTo((summary.impactSavedPerRun!.mean * 12) / 365, 4);
    expect(text(summaryHtml)).toContain('a year at 12 occurrences a year (economics.occurrencesPerYear)');
  });

  it('gives `run` the same year, per run × 12', async () => {
    const j = JSON.parse((await runCli(['run', file, '--scenario', 'flash-sale', '--strategy', 'event-driven', '--seed', '2', '--json'])).out) as SimulationResult;
    expect(j.leakage.perYear!.totalImpact).toBeCloseTo(j.leakage.perRun.totalImpact * 12, 2);
    const t = await runCli(['run', file, '--scenario', 'flash-sale', '--strategy', 'event-driven', '--seed', '2']);
    expect(t.out).toContain(`about ${Math.round(j.leakage.perRun.totalImpact * 12).toLocaleString('en-US')} a year at 12 occurrences a year (economics.occurrencesPerYear)`);
  });
});

describe('a day-long scenario', () => {
  it('implies 365 occurrences a year, and says so', async () => {
    const t = await runCli(['run', 'scenarios.yaml', '--scenario', 'baseline', '--strategy', 'event-driven', '--seed', '1']);
    expect(t.out).toMatch(/about [\d,]+ a year if every day of the year were like this one/);
    const j = JSON.parse((await runCli(['run', 'scenarios.yaml', '--scenario', 'baseline', '--strategy', 'event-driven', '--seed', '1', '--json'])).out) as SimulationResult;
    expect(j.leakage.frequency).toEqual({ occurrencesPerYear: 365, basis: 'whole-days' });
    expect(j.leakage.totalDailyImpact).toBe(j.leakage.perRun.totalImpact);
    expect(j.leakage.perYear!.totalImpact).toBeCloseTo(j.leakage.perRun.totalImpact * 365, 2);
  });
});

describe('the reference strategy', async () => {
  const file = shippedWith('reference-polling', [FLASH_HEAD, FLASH_HEAD.replace('reference: event-driven', 'reference: polling-15m')]);
  const withReference = await compareReport(file, 'reference-polling', 'event-driven,allocation,polling-15m');

  it('is what the winner is measured against, and every other strategy too', () => {
    const s = withReference.summary;
    expect(s.winner).toBe('allocation');
    expect(s.runnerUp).toBe('event-driven');
    expect(s).toMatchObject({ reference: 'polling-15m', comparedWith: 'polling-15m', comparedBecause: 'reference' });
    expect(s.againstReference.map((a) => a.strategy)).toEqual(['event-driven', 'allocation']);
    expect(withReference.summaryHtml).toMatch(/<ul class="against-reference" data-reference="polling-15m"><li data-strategy="event-driven">/);
    expect(withReference.summaryHtml).toContain('data-compared-with="polling-15m"');
    expect(text(withReference.summaryHtml)).toContain('Compared with polling-15m, the strategy this scenario asks about (its reference)');
    // The paired differences are taken against it too.
    expect((withReference.json.result as { baseline: string }).baseline).toBe('polling-15m');
    expect(withReference.html).toContain('<h3>Paired differences against polling-15m</h3>');
  });

  it('without one, the runner-up is compared and the summary says which pair and why', async () => {
    const none = shippedWith('no-reference', [FLASH_HEAD, FLASH_HEAD.replace('    reference: event-driven\n', '')]);
    const { summary, summaryHtml } = await compareReport(none, 'no-reference', 'event-driven,allocation,polling-15m');
    expect(summary).toMatchObject({ reference: null, comparedWith: 'event-driven', comparedBecause: 'runner-up', againstReference: [] });
    expect(text(summaryHtml)).toContain('Compared with event-driven, the runner-up (the scenario names no reference strategy)');
  });
});

describe('arrows and empty measures in the comparison report', async () => {
  const { html, json } = await compareReport('scenarios.yaml', 'arrows', 'event-driven,allocation');
  const cell = (metric: string): string => new RegExp(`<td[^>]*data-strategy="allocation" data-metric="${metric}"[^>]*>[\\s\\S]*?</td>`).exec(html.split('class="paired"')[1]!)![0];

  it('show the direction of change, and better or worse by the metric', () => {
    // Allocation oversells less (down: better), turns more customers away (up: worse), keeps listings fresher (up: better).
    expect(cell('oversells')).toMatch(/▼ better/);
    expect(cell('lostSales')).toMatch(/▲ worse/);
    expect(cell('lostSales')).toMatch(/class="significant worse"/);
    expect(cell('meanConfidence')).toMatch(/▲ better/);
  });

  it('show a strategy that propagated nothing as "no propagation", tied to a null p99', () => {
    const allocation = (json.result as { strategies: { strategy: string; metrics: Record<string, unknown> }[] }).strategies.find((s) => s.strategy === 'allocation')!;
    expect(allocation.metrics['latencyMsP99']).toBeNull();
    const i = (json.result as { strategies: { strategy: string }[] }).strategies.findIndex((s) => s.strategy === 'allocation');
    expect(html).toContain(`data-path="/result/strategies/${i}/metrics/latencyMsP99" data-value="null">no propagation</span>`);
    const run = json.runs[i]!;
    expect(run.latencyMs.p99).toBeNull();
    expect(run.channels.every((c) => c.latencyMs.count === 0 && c.latencyMs.p99 === null)).toBe(true);
    expect(html).toContain(`data-path="/runs/${i}/channels/0/latencyMs/p99" data-value="null">no propagation</td>`);
    expect(html).not.toMatch(/data-path="\/runs\/1\/[^"]*latencyMs\/p99" data-value="0"/);
  });

  it('say "no propagation" in the run report and `run` text too', async () => {
    const t = await runCli(['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'allocation', '--seed', '1']);
    expect(t.out).toMatch(/propagation latency +no propagation/);
    expect(t.out).not.toMatch(/p99 0 ms/);
    const report = join(dir, 'allocation-run.html');
    await runCli(['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'allocation', '--seed', '1', '--report', report]);
    const page = readFileSync(report, 'utf8');
    expect(text(page)).toContain('no propagation, so no latency to report');
    expect(page).toContain('data-path="/result/latencyMs/p99" data-value="null">no propagation</span>');
  });
});
