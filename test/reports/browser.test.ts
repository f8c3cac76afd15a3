// Proves the reports work where stakeholders open them: in a real browser, offline. Runs
// `invsim start --seeds 3` (what `npm start` runs, smaller) into a temporary directory, opens each
// report from disk in Debian's Chromium through playwright-core with every request routed, and
// checks: no console error, no request but the file itself (a canary page with an image, a style
// sheet and a fetch proves the routing sees them), every chart a non-empty SVG (one with nothing
// to show, an empty DLQ, named by a line instead), the summary names the winning strategy. A
// screenshot of each goes to test-artifacts/. A 20-seed comparison of
// flash-sale's five strategies must stay under 2 MB; its Chromium render time (navigation start to
// the load event) is printed and written to test-artifacts/report-render-timing.json.
// Skips, saying why, where /usr/bin/chromium is missing (`apt-get install -y chromium`).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportDocument } from '../../src/reports/document.js';
import { liveReportCommand } from '../../src/cli/commands/live-report.js';
import { ROOT, runCli } from '../cli/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SKIP_REASON = `SKIPPED: ${CHROMIUM} not found; install it with \`apt-get install -y chromium\``;
if (!HAS_CHROMIUM) console.warn(`test/reports/browser.test.ts ${SKIP_REASON}`);

const ARTIFACTS = join(ROOT, 'test-artifacts');
const MAX_REPORT_BYTES = 2 * 1024 * 1024;

interface PageVisit {
  readonly requests: readonly string[];
  readonly blocked: readonly string[];
  readonly errors: readonly string[];
  readonly charts: readonly { id: string; width: number; height: number; marks: number }[];
  /** Charts with nothing to show, named by a line instead of drawn. */
  readonly skipped: readonly string[];
  readonly winner: string | null;
  readonly summaryText: string;
  readonly loadMs: number;
}

/** Opens a file with every request routed: only the file itself may load. */
async function visit(browser: Browser, file: string, screenshot?: string): Promise<PageVisit> {
  const url = pathToFileURL(resolve(file)).href;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
  const requests: string[] = [];
  const blocked: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    blocked.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url, { waitUntil: 'load' });
  const result = await page.evaluate(() => {
    // Runs in the page; the project compiles without the DOM library, so the few DOM types used are declared here.
    interface Node {
      getAttribute(name: string): string | null;
      getBoundingClientRect(): { width: number; height: number };
      querySelector(selector: string): Node | null;
      querySelectorAll(selector: string): ArrayLike<Node> & Iterable<Node>;
      readonly textContent: string | null;
    }
    const { document, performance } = globalThis as unknown as { document: Node; performance: { getEntriesByType(type: string): { startTime: number; loadEventEnd: number }[] } };
    // Each figure holds a wide and a narrow layout; only the wide one carries data-chart.
    const charts = [...document.querySelectorAll('figure svg[data-chart]')].map((svg) => {
      const box = svg.getBoundingClientRect();
      return { id: svg.getAttribute('data-chart') ?? '', width: box.width, height: box.height, marks: svg.querySelectorAll('path, rect, line, circle, text').length };
    });
    const nav = performance.getEntriesByType('navigation')[0];
    const summary = document.querySelector('#summary');
    const skipped = [...document.querySelectorAll('[data-chart-skipped]')].map((p) => p.getAttribute('data-chart-skipped') ?? '');
    return { charts, skipped, winner: summary?.querySelector('[data-winner]')?.getAttribute('data-winner') ?? null, summaryText: summary?.textContent ?? '', loadMs: nav === undefined ? -1 : nav.loadEventEnd - nav.startTime };
  });
  if (screenshot !== undefined) await page.screenshot({ path: screenshot, fullPage: true });
  await context.close();
  return { requests, blocked, errors, ...result };
}

describe.skipIf(!HAS_CHROMIUM)(`reports in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let browser: Browser;
  const out = mkdtempSync(join(tmpdir(), 'invsim-start-'));

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const start = await runCli(['start', '--seeds', '3', '--out', out]);
    expect(start.code, start.err).toBe(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('sees every request a page makes (canary: a page with an image, a style sheet and a fetch)', async () => {
    const canary = join(out, 'canary.html');
    writeFileSync(canary, '<!doctype html><img src="http://example.invalid/x.png"><link rel="stylesheet" href="https://example.invalid/a.css"><script>fetch("data.json").catch(() => {})</script>');
    const v = await visit(browser, canary);
    expect(v.blocked).toEqual(expect.arrayContaining(['http://example.invalid/x.png', 'https://example.invalid/a.css', pathToFileURL(join(out, 'data.json')).href]));
  });

  for (const scenario of ['baseline', 'flash-sale']) {
    it(`${scenario}: opens offline with no request, no console error, every chart drawn, the winner named`, async () => {
      const file = join(out, `${scenario}.html`);
      const json = JSON.parse(readFileSync(join(out, `${scenario}.json`), 'utf8')) as ReportDocument;
      const v = await visit(browser, file, join(ARTIFACTS, `report-${scenario}.png`));
      expect(v.requests).toEqual([pathToFileURL(resolve(file)).href]);
      expect(v.blocked).toEqual([]);
      expect(v.errors).toEqual([]);
      // A DLQ that stayed empty in every run is not drawn (a line says so instead).
      const dlqEmpty = json.runs.every((r) => r.series.dlqDepth.every((d) => d === 0));
      expect(v.charts.map((c) => c.id)).toEqual(['oversells-lost-sales', 'impact', 'run-latency-cdf', 'run-freshness', ...(dlqEmpty ? [] : ['run-dlq']), 'run-api-quota']);
      expect(v.skipped).toEqual(dlqEmpty ? ['run-dlq'] : []);
      for (const c of v.charts) {
        expect(c.width, c.id).toBeGreaterThan(100);
        expect(c.height, c.id).toBeGreaterThan(100);
        expect(c.marks, c.id).toBeGreaterThan(20);
      }
      const winner = (json.summary as { winner: string }).winner;
      expect(v.winner).toBe(winner);
      expect(v.summaryText).toContain(`Winner: ${winner}`);
      expect(existsSync(join(ARTIFACTS, `report-${scenario}.png`))).toBe(true);
    });
  }

  it('the live report opens offline with its three charts', async () => {
    const file = join(out, 'live-flash-sale.html');
    const args = { k6Summary: ['test/fixtures/reports/k6-summary.json'], audit: 'test/fixtures/reports/audit.json', scenario: 'flash-sale', file: 'scenarios.yaml', strategy: undefined, seeds: 2, seedStart: 1, speedup: undefined, report: file, json: false };
    expect(await liveReportCommand(args, { out: () => undefined, err: () => undefined })).toBe(0);
    const v = await visit(browser, file, join(ARTIFACTS, 'report-live-flash-sale.png'));
    expect(v.blocked).toEqual([]);
    expect(v.errors).toEqual([]);
    expect(v.charts.map((c) => c.id)).toEqual(['live-vs-predicted', 'channel-p99', 'latency-cdf']);
    for (const c of v.charts) expect(c.marks, c.id).toBeGreaterThan(20);
  });

  it('a 20-seed comparison of five strategies stays under 2 MB; its render time is recorded', async () => {
    const file = join(out, 'flash-sale-20.html');
    const run = await runCli(['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '20', '--report', file]);
    expect(run.code, run.err).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'flash-sale-20.json'), 'utf8')) as ReportDocument<{ strategies: unknown[]; seeds: number[] }>;
    expect(json.result.strategies).toHaveLength(5);
    expect(json.result.seeds).toHaveLength(20);
    const bytes = statSync(file).size;
    expect(bytes).toBeLessThan(MAX_REPORT_BYTES);
    // Warm the browser once, then take the median of three loads.
    await visit(browser, file);
    const loads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const v = await visit(browser, file);
      expect(v.errors).toEqual([]);
      expect(v.blocked).toEqual([]);
      loads.push(v.loadMs);
    }
    const medianMs = [...loads].sort((a, b) => a - b)[1]!;
    const timing = { report: 'compare flash-sale, 5 strategies x 20 seeds', bytes, loadMs: loads.map((x) => Math.round(x)), medianLoadMs: Math.round(medianMs) };
    writeFileSync(join(ARTIFACTS, 'report-render-timing.json'), `${JSON.stringify(timing, null, 2)}\n`);
    console.log(`report size ${(bytes / 1024).toFixed(0)} KiB; Chromium navigation-to-load ${timing.medianLoadMs} ms (median of ${loads.map((x) => Math.round(x)).join(', ')})`);
    expect(medianMs).toBeGreaterThan(0);
  }, 300_000);
});
