// Proves that every kind of report (run, compare, sweep, live) reads where stakeholders read it:
// in Debian's Chromium at 1440 px and at 390 px, and printed to A4.
// - Screen: nothing is wider than the window (document scrollWidth ≤ innerWidth). At 1440 px
//   every table fits its column; at 390 px a wider table scrolls sideways inside its own box,
//   which fits the screen, with its first column held in place. Each figure shows one chart,
//   within the window, whose smallest text is at least MIN_SCREEN_FONT_PX on screen.
// - Print: with print media at the A4 text width, every table cell lies within the page width and
//   each chart fits it with text of at least MIN_PRINT_FONT_PX; and in the PDF Chromium prints
//   (charts hidden, so their legends cannot stand in for a lost column), every word of every table
//   is there as often as on the page: no column is cut off.
// - Charts with nothing to show are not drawn, a line says so (a DLQ that stayed empty), and a
//   DLQ that did fill is drawn; the latency CDF draws one alert label per channel panel.
// - Every report says when it was generated (SOURCE_DATE_EPOCH here) and by which invsim version.
// - The sweep report's headline names the parameter in words; every axis of its chart has a title
//   with a unit, the swept durations read in minutes and latencies in a unit that keeps them small.
// Skips, saying why, where /usr/bin/chromium is missing (`apt-get install -y chromium`); the PDF
// text check also needs pdftotext (`apt-get install -y poppler-utils`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveReportCommand } from '../../src/cli/commands/live-report.js';
import { ROOT, runCli } from '../cli/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const PDFTOTEXT = ['/usr/bin/pdftotext', '/usr/local/bin/pdftotext'].find((p) => existsSync(p));
const SKIP_REASON = `SKIPPED: ${CHROMIUM} not found; install it with \`apt-get install -y chromium\``;
if (!HAS_CHROMIUM) console.warn(`test/reports/presentation.test.ts ${SKIP_REASON}`);
if (HAS_CHROMIUM && PDFTOTEXT === undefined) console.warn('test/reports/presentation.test.ts: the PDF text check is SKIPPED: pdftotext not found; install it with `apt-get install -y poppler-utils`');

const ARTIFACTS = join(ROOT, 'test-artifacts', 'presentation');
/** The text width of A4 paper with 11 mm margins (the reports' @page rule), in CSS px. */
const PRINT_WIDTH_PX = Math.floor(((210 - 2 * 11) / 25.4) * 96);
/** Chart text at its smallest on a screen (the charts' configured sizes are 10 to 15 px). */
const MIN_SCREEN_FONT_PX = 9;
/** On paper a chart may be scaled to fit the page, down to 80% (charts.ts MIN_PRINT_SCALE). */
const MIN_PRINT_FONT_PX = 7.5;
/** 2026-01-01 00:00 UTC: the generation time the reports carry here. */
const EPOCH_S = 1_767_225_600;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Layout {
  readonly innerWidth: number;
  readonly scrollWidth: number;
  readonly tables: readonly { caption: string; right: number; wrapRight: number; wrapWidth: number; width: number; overflowX: string; firstColumnPosition: string; fontPx: number }[];
  readonly figures: readonly { id: string; visible: number; right: number; width: number; minFontPx: number }[];
  /** Table cells (th, td) whose right edge is beyond the window. */
  readonly cellsBeyond: readonly string[];
}

/** Measures the page as laid out now (screen or print media). */
async function layout(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    // Runs in the page; the project compiles without the DOM library, so the few DOM types used are declared here.
    interface Rect {
      readonly left: number;
      readonly right: number;
      readonly width: number;
    }
    interface El {
      getBoundingClientRect(): Rect;
      querySelector(selector: string): El | null;
      querySelectorAll(selector: string): ArrayLike<El> & Iterable<El>;
      closest(selector: string): El | null;
      getAttribute(name: string): string | null;
      readonly textContent: string | null;
      readonly viewBox?: { readonly baseVal: { readonly width: number } | null };
    }
    const g = globalThis as unknown as { document: El & { documentElement: { scrollWidth: number } }; innerWidth: number; getComputedStyle(e: El): { overflowX: string; position: string; fontSize: string; display: string } };
    const { document } = g;
    const tables = [...document.querySelectorAll('table')].map((t) => {
      const wrap = t.closest('.table-wrap') ?? t;
      const r = t.getBoundingClientRect();
      const w = wrap.getBoundingClientRect();
      const first = t.querySelector('tbody tr > :first-child');
      return {
        caption: (t.querySelector('caption')?.textContent ?? t.querySelector('thead')?.textContent ?? '').slice(0, 80),
        right: r.right,
        width: r.width,
        wrapRight: w.right,
        wrapWidth: w.width,
        overflowX: g.getComputedStyle(wrap).overflowX,
        firstColumnPosition: first === null ? '' : g.getComputedStyle(first).position,
        fontPx: parseFloat(g.getComputedStyle(t).fontSize),
      };
    });
    const figures = [...document.querySelectorAll('figure')].map((f) => {
      const svgs = [...f.querySelectorAll('svg')].filter((s) => s.getBoundingClientRect().width > 0);
      const svg = svgs[0];
      const r = svg?.getBoundingClientRect() ?? { right: 0, width: 0, left: 0 };
      const natural = svg?.viewBox?.baseVal?.width ?? 0;
      const scale = natural > 0 ? r.width / natural : 0;
      const fonts = svg === undefined ? [] : [...svg.querySelectorAll('text')].filter((t) => (t.textContent ?? '').trim() !== '').map((t) => parseFloat(g.getComputedStyle(t).fontSize));
      return { id: f.getAttribute('data-figure') ?? '', visible: svgs.length, right: r.right, width: r.width, minFontPx: fonts.length === 0 ? 0 : Math.min(...fonts) * scale };
    });
    const cellsBeyond = [...document.querySelectorAll('th, td')]
      .filter((c) => c.getBoundingClientRect().width > 0 && c.getBoundingClientRect().right > g.innerWidth + 0.5 && c.closest('details') === null)
      .map((c) => (c.textContent ?? '').slice(0, 40));
    return { innerWidth: g.innerWidth, scrollWidth: document.documentElement.scrollWidth, tables, figures, cellsBeyond };
  });
}

/** Alphanumeric words and how often each occurs. */
function words(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of text.match(/[\p{L}\p{N}]+/gu) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

interface Report {
  readonly kind: string;
  readonly file: string;
}

describe.skipIf(!HAS_CHROMIUM)(`report presentation in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let browser: Browser;
  const out = mkdtempSync(join(tmpdir(), 'invsim-presentation-'));
  const reports: Report[] = [
    { kind: 'run', file: join(out, 'run.html') },
    { kind: 'compare', file: join(out, 'compare.html') },
    { kind: 'sweep', file: join(out, 'sweep.html') },
    { kind: 'live', file: join(out, 'live.html') },
  ];
  const html = (kind: string): string => readFileSync(reports.find((r) => r.kind === kind)!.file, 'utf8');

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const before = process.env['SOURCE_DATE_EPOCH'];
    process.env['SOURCE_DATE_EPOCH'] = String(EPOCH_S);
    try {
      // marketplace-outage's event-driven run parks updates in the DLQ; flash-sale's seed 1 parks none.
      const runs = [
        ['run', 'scenarios.yaml', '--scenario', 'marketplace-outage', '--strategy', 'event-driven', '--seed', '1', '--report', join(out, 'run.html')],
        ['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '2', '--workers', '1', '--report', join(out, 'compare.html')],
        ['sweep', 'scenarios.yaml', '--scenario', 'marketplace-outage', '--param', 'strategies.polling-15m.intervalS', '--values', '60,900,3600', '--strategy', 'polling-15m', '--seeds', '2', '--workers', '1', '--report', join(out, 'sweep.html')],
      ];
      for (const argv of runs) {
        const r = await runCli(argv);
        expect(r.code, r.err).toBe(0);
      }
      const live = { k6Summary: ['test/fixtures/reports/k6-summary.json'], audit: 'test/fixtures/reports/audit.json', scenario: 'flash-sale', file: 'scenarios.yaml', strategy: undefined, seeds: 2, seedStart: 1, speedup: undefined, report: join(out, 'live.html'), json: false };
      expect(await liveReportCommand(live, { out: () => undefined, err: () => undefined })).toBe(0);
    } finally {
      if (before === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = before;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string, width: number): Promise<{ page: Page; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, offline: true });
    const page = await context.newPage();
    await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: 'load' });
    return { page, close: () => context.close() };
  }

  for (const width of [1440, 390]) {
    it(`at ${width} px: nothing wider than the window, tables fit or scroll in their box, chart text readable`, async () => {
      for (const report of reports) {
        const { page, close } = await open(report.file, width);
        const l = await layout(page);
        await page.screenshot({ path: join(ARTIFACTS, `${report.kind}-${width}.png`), fullPage: false });
        await close();
        expect(l.scrollWidth, `${report.kind}: document scrollWidth`).toBeLessThanOrEqual(l.innerWidth);
        for (const t of l.tables) {
          const where = `${report.kind} table "${t.caption}"`;
          expect(t.wrapRight, `${where}: its box`).toBeLessThanOrEqual(l.innerWidth + 0.5);
          if (width >= 1440) {
            expect(t.width, `${where} is wider than its column`).toBeLessThanOrEqual(t.wrapWidth + 0.5);
          } else if (t.width > t.wrapWidth + 0.5) {
            // Wider than a phone: it scrolls inside its box, the row's name held in place, text not shrunk.
            expect(t.overflowX, `${where}: scrolls sideways`).toMatch(/^(auto|scroll)$/);
            expect(t.firstColumnPosition, `${where}: first column held`).toBe('sticky');
            expect(t.fontPx, `${where}: font`).toBeGreaterThanOrEqual(11);
          }
        }
        expect(l.figures.length, `${report.kind}: figures`).toBeGreaterThan(0);
        for (const f of l.figures) {
          const where = `${report.kind} chart ${f.id}`;
          expect(f.visible, `${where}: charts shown`).toBe(1);
          expect(f.right, `${where}: right edge`).toBeLessThanOrEqual(l.innerWidth + 0.5);
          expect(f.minFontPx, `${where}: smallest text (px)`).toBeGreaterThanOrEqual(MIN_SCREEN_FONT_PX);
        }
      }
    });
  }

  it('printed on A4: every table cell within the page width, charts fit it readably, and no table word missing from the PDF', async () => {
    for (const report of reports) {
      const { page, close } = await open(report.file, PRINT_WIDTH_PX);
      await page.emulateMedia({ media: 'print' });
      const l = await layout(page);
      expect(l.scrollWidth, `${report.kind}: printed width`).toBeLessThanOrEqual(PRINT_WIDTH_PX);
      expect(l.cellsBeyond, `${report.kind}: table cells beyond the A4 text width`).toEqual([]);
      for (const t of l.tables) expect(t.right, `${report.kind} table "${t.caption}"`).toBeLessThanOrEqual(PRINT_WIDTH_PX + 0.5);
      for (const f of l.figures) {
        expect(f.visible, `${report.kind} chart ${f.id}: charts printed`).toBe(1);
        expect(f.right, `${report.kind} chart ${f.id}`).toBeLessThanOrEqual(PRINT_WIDTH_PX + 0.5);
        expect(f.minFontPx, `${report.kind} chart ${f.id}: smallest printed text (px)`).toBeGreaterThanOrEqual(MIN_PRINT_FONT_PX);
      }
      await page.pdf({ path: join(ARTIFACTS, `${report.kind}.pdf`), format: 'A4' });
      if (PDFTOTEXT !== undefined) {
        // Without the charts, whose legends repeat the strategies' names: the words of the tables
        // must all be in the PDF, as often as the page has them. (-layout: pdftotext otherwise
        // joins a word broken after a hyphen at the end of a line, "amazon-" + "listings".)
        await page.addStyleTag({ content: 'figure { display: none !important; }' });
        const onPage = words(await page.evaluate(() => [...(globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ innerText: string }> } }).document.querySelectorAll('table')].map((t) => t.innerText).join('\n')));
        const pdf = join(out, `${report.kind}-tables.pdf`);
        await page.pdf({ path: pdf, format: 'A4' });
        const inPdf = words(execFileSync(PDFTOTEXT, ['-layout', pdf, '-'], { encoding: 'utf8' }));
        const missing = [...onPage].filter(([w, n]) => (inPdf.get(w) ?? 0) < n).map(([w, n]) => `${w} (${inPdf.get(w) ?? 0} of ${n})`);
        expect(missing, `${report.kind}: table words missing from the PDF`).toEqual([]);
        expect(onPage.size, report.kind).toBeGreaterThan(20);
      }
      await close();
    }
  }, 60_000);

  it('a chart with nothing to show is not drawn, and a line says so; one with something is drawn', () => {
    const compare = html('compare');
    expect(compare).not.toMatch(/data-chart="run-dlq"/);
    const line = /<p class="note chart-skipped" data-chart-skipped="run-dlq">(.*?)<\/p>/.exec(compare);
    expect(line, 'the line standing for the empty DLQ chart').not.toBeNull();
    expect(line![1]!.replace(/<[^>]+>/g, '')).toMatch(/Dead-letter queue depth over time.*not drawn\. No update was parked in the dead-letter queue/);
    // The outage parks updates: that DLQ chart is drawn.
    expect(html('run')).toMatch(/<svg [^>]*data-chart="run-dlq"/);
    expect(html('run')).not.toContain('data-chart-skipped="run-dlq"');
  });

  it('the latency CDF draws one alert label per channel panel, in each layout', () => {
    for (const [kind, id] of [['run', 'run-latency-cdf'], ['compare', 'run-latency-cdf'], ['live', 'latency-cdf']] as const) {
      const figure = new RegExp(`<figure id="fig-${id}"[\\s\\S]*?</figure>`).exec(html(kind))![0];
      const svgs = figure.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
      for (const svg of svgs) {
        const panels = (svg.match(/>channel [^<]+<\/text>/g) ?? []).length;
        const labels = (svg.match(/>alert [^<]+<\/text>/g) ?? []).length;
        expect(panels, kind).toBeGreaterThan(0);
        expect(labels, `${kind}: alert labels`).toBe(panels);
      }
      expect(svgs, `${kind}: wide and narrow layouts`).toHaveLength(2);
    }
  });

  it('every report says when it was generated and by which invsim version', () => {
    for (const report of reports) {
      const page = html(report.kind);
      const stamp = /<p class="generated">(.*?)<\/p>/.exec(page);
      expect(stamp, report.kind).not.toBeNull();
      expect(stamp![1]!.replace(/<[^>]+>/g, '')).toBe(`Generated 2026-01-01 00:00 UTC by invsim ${VERSION}.`);
      expect(stamp![1]).toContain('datetime="2026-01-01T00:00:00.000Z"');
      expect(page).toContain(`<meta name="generator" content="invsim ${VERSION}">`);
    }
  });

  it('the sweep: a headline in words, every axis titled with its unit, durations in minutes or hours', () => {
    const page = html('sweep');
    const headline = /<p class="headline"[^>]*>(.*?)<\/p>/.exec(page)![1]!.replace(/<[^>]+>/g, '');
    expect(headline).toMatch(/^Polling interval of polling-15m at 60 s, 15 min and 60 min: /);
    expect(headline).toMatch(/oversells/);
    expect(headline).not.toContain('strategies.polling-15m.intervalS');
    const svg = /<svg [^>]*data-chart="sweep"[\s\S]*?<\/svg>/.exec(page)![0];
    const axes = [...svg.matchAll(/aria-label="([XY])-axis( titled '([^']*)')? for a (\w+) scale with values from (\S+) to (\S+)"/g)].map((m) => ({ axis: m[1]!, title: m[3] ?? null, to: Number(m[6]!.replace(/,/g, '').replace('−', '-')) }));
    expect(axes.length).toBeGreaterThanOrEqual(20);
    for (const a of axes) expect(a.title, `${a.axis} axis`).not.toBeNull();
    for (const a of axes.filter((x) => x.axis === 'X')) expect(a.title).toBe('polling interval of polling-15m (min)');
    // Ticks at the swept values, in minutes.
    const xLabels = [...svg.matchAll(/aria-label="X-axis[^"]*"[\s\S]*?role-axis-label[\s\S]*?<\/g>/g)].map((m) => [...m[0].matchAll(/>([^<>]+)<\/text>/g)].map((t) => t[1]));
    expect(xLabels.length).toBeGreaterThan(0);
    for (const labels of xLabels) expect(labels).toEqual(['1', '15', '60']);
    const durations = axes.filter((a) => a.axis === 'Y' && /^(milliseconds|seconds|minutes|hours)$/.test(a.title ?? ''));
    // Propagation latency (to the listing, and to the acknowledgement) and stale window p99:
    // polling every hour leaves them at hours, not millions of ms.
    expect(durations.length).toBe(3);
    for (const a of durations) {
      expect(a.title).toBe('hours');
      expect(Math.abs(a.to)).toBeLessThan(1000);
    }
    expect(svg).not.toMatch(/\(ms\)|unit in panel title/);
  });
});
