// The pure parts of how reports present themselves, without a browser: a swept parameter in words
// with its unit, durations in a unit that keeps them small, the generation time (SOURCE_DATE_EPOCH
// or the clock), the narrow chart layout (one column, plots no wider than a phone), and charts
// with nothing to show left undrawn.
import { describe, expect, it } from 'vitest';
import { durationUnit, intervalBarsSpec, narrowSpec, NARROW_PLOT_WIDTH_PX, renderChart, svgWidth, timeSeriesSpec, wrapWords } from '../../src/reports/charts.js';
import { paramLabel, paramUnit, paramValueText } from '../../src/reports/param-label.js';
import { fmtGenerated, generationTime, page } from '../../src/reports/template.js';

describe('a swept parameter in words', () => {
  it('names well-known keys, the strategy or channel they belong to, and their unit', () => {
    expect(paramLabel('strategies.polling-15m.intervalS')).toEqual({ path: 'strategies.polling-15m.intervalS', words: 'polling interval of polling-15m', durationMs: 1000 });
    expect(paramLabel('inventory_sync.retry_policy.max_delay_ms')).toMatchObject({ words: 'maximum retry delay', durationMs: 1 });
    expect(paramLabel('demand.ordersPerDay')).toMatchObject({ words: 'orders per day', durationMs: null });
    expect(paramLabel('channels[1].demandWeight', { channels: [{ id: 'shopify' }, { id: 'amazon' }] as never })).toMatchObject({ words: 'demand weight of channel amazon', durationMs: null });
    expect(paramLabel('catalog.restock.everyS')).toMatchObject({ words: 'restock interval', durationMs: 1000 });
    // An unknown key is split into words, its unit suffix taken off.
    expect(paramLabel('engine.someNewDelayMs')).toMatchObject({ words: 'some new delay', durationMs: 1 });
    expect(paramLabel('faults.some_new_wait_seconds')).toMatchObject({ words: 'some new wait', durationMs: 1000 });
  });

  it('shows values in their unit, and plots durations in the largest unit their smallest value fills', () => {
    const interval = paramLabel('strategies.polling-15m.intervalS');
    expect([60, 900, 3600].map((v) => paramValueText(interval, v))).toEqual(['60 s', '15 min', '60 min']);
    expect(paramUnit(interval, [60, 900, 3600])?.name).toBe('min');
    const delay = paramLabel('inventory_sync.retry_policy.max_delay_ms');
    expect(paramUnit(delay, [1000, 30_000, 600_000])?.name).toBe('s');
    expect(paramUnit(delay, [0, 250, 900])?.name).toBe('ms');
    expect(paramUnit(paramLabel('demand.ordersPerDay'), [500, 1000])).toBeNull();
    expect(paramValueText(paramLabel('demand.ordersPerDay'), 2000)).toBe('2,000');
  });

  it('puts a latency in the largest unit its top value fills twice: never 60 000 000 ms', () => {
    expect(durationUnit(60_000_000).name).toBe('h');
    expect(durationUnit(6_000_000).name).toBe('min');
    expect(durationUnit(90_000).name).toBe('s');
    expect(durationUnit(1500).name).toBe('ms');
    expect(durationUnit(0).name).toBe('ms');
  });
});

describe('the generation time', () => {
  it('is SOURCE_DATE_EPOCH when set, the clock otherwise; a malformed one is refused', () => {
    expect(generationTime({ SOURCE_DATE_EPOCH: '1767225600' }).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    const now = new Date('2030-05-06T07:08:09Z');
    expect(generationTime({}, () => now)).toBe(now);
    expect(generationTime({ SOURCE_DATE_EPOCH: '' }, () => now)).toBe(now);
    expect(() => generationTime({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(/SOURCE_DATE_EPOCH must be whole seconds/);
    expect(fmtGenerated(new Date('2026-01-01T09:05:59Z'))).toBe('2026-01-01 09:05 UTC');
  });

  it('is on the page with the version, as words and as a machine-readable time', () => {
    const html = page({ title: 't', subtitle: 's', kind: 'run', sections: [], generatedAt: new Date('2026-01-01T00:00:00Z'), invsimVersion: '9.8.7' });
    expect(html).toContain('<p class="generated">Generated <time datetime="2026-01-01T00:00:00.000Z" data-generated="2026-01-01T00:00:00.000Z">2026-01-01 00:00 UTC</time> by <span data-invsim-version="9.8.7">invsim 9.8.7</span>.</p>');
    expect(html).toContain('<meta name="generator" content="invsim 9.8.7">');
  });
});

describe('the narrow chart layout', () => {
  const panels = ['Oversells (orders)', 'Lost sales (customers turned away)', 'Listings invisible to AI agents (share of listing-time, 0 to 1)'].map((title) => ({ title, rows: [{ category: 'a', mean: 1, lo: 0, hi: 2 }, { category: 'b', mean: 2, lo: 1, hi: 3 }] }));
  const bars = intervalBarsSpec({ title: 'Three measures for two strategies, side by side, with their intervals', description: 'd', categories: ['a', 'b'], categoryTitle: 'strategy', panels, yTitle: 'count per run (2.0 h simulated)', columns: 3, width: 300 });

  it('stacks panels in one column, narrows the plots and wraps the title, leaving data and encodings alone', () => {
    const narrow = narrowSpec(bars) as unknown as { columns: number; spec: { width: number }; title: { text: string[] }; data: unknown };
    expect(narrow.columns).toBe(1);
    expect(narrow.spec.width).toBe(NARROW_PLOT_WIDTH_PX);
    expect(narrow.title.text.every((line) => line.length <= 26)).toBe(true);
    expect(narrow.data).toEqual((bars as unknown as { data: unknown }).data);
    expect(wrapWords('a bb ccc dddd', 6)).toEqual(['a bb', 'ccc', 'dddd']);
  });

  it('renders both layouts; the narrow one fits a 390 px phone (358 px of text column) at full size', async () => {
    const rendered = await renderChart({ id: 'bars', title: 'bars', alt: 'bars', spec: bars });
    expect(svgWidth(rendered.svg)).toBeGreaterThan(358);
    expect(svgWidth(rendered.narrowSvg)).toBeLessThanOrEqual(358);
    expect(rendered.html).toMatch(/^<div class="chart chart-wide[^"]*"><svg [^>]*data-chart="bars"[\s\S]*<\/svg><\/div><div class="chart chart-narrow[^"]*"><svg [^>]*data-chart-layout="narrow"/);
    // Each layout's ids are its own: two copies of a chart in a page cannot capture each other's clip paths.
    const ids = [...rendered.html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('does not render a chart with nothing to show', async () => {
    const spec = timeSeriesSpec({ title: 'flat', description: 'd', strategies: ['a'], rows: [{ strategy: 'a', t: 1, value: 0 }], xTitle: 'x', yTitle: 'y' });
    const rendered = await renderChart({ id: 'flat', title: 'Flat', alt: 'flat', spec, nothingToShow: 'It stayed at 0.' });
    expect(rendered).toMatchObject({ svg: '', narrowSvg: '', html: '', skipped: 'It stayed at 0.' });
  });
});
