/**
 * Charts as static SVG, rendered in Node: a vega-lite spec is compiled to vega, run in a headless
 * `View` (`renderer: 'none'`) and serialised with `toSVG()`. The page then needs no script and
 * no font or file from anywhere. Each SVG is made accessible (`role="img"`, a <title> and a
 * <desc>) and its element ids are prefixed with the chart's id, so several charts in one page
 * cannot capture each other's clip paths.
 *
 * Every chart is rendered twice: as laid out (the wide layout, for screens and, when it fits at a
 * readable size, for A4 paper) and in one narrow column (`narrowSpec`: panels one under another,
 * plots at most NARROW_PLOT_WIDTH_PX wide, titles and legends wrapped) for phones. Both go into
 * the page; its CSS shows one (template.ts), so the text of a chart is never scaled below what
 * its config says on a 390 px screen, and a page needs no script to choose.
 *
 * A chart with nothing to show (`nothingToShow`: every value 0, or no data at all) is not
 * rendered; the page prints the sentence saying so instead of an empty plot.
 *
 * The spec builders are pure: data rows in, spec out. Every axis title carries its unit.
 */
import { parse, View, Warn } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { esc } from './html.js';

/** Tableau 10: distinguishable, and readable on white; strategies keep their colour across charts. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

export const ALERT_COLOR = '#b3261e';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';

/** Shared look: generic system fonts only (nothing to download), no chart border. */
const CONFIG = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e6e9ee' },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom', direction: 'horizontal', labelLimit: 240, columns: 4, symbolStrokeWidth: 3 },
  title: { fontSize: 15, anchor: 'start', offset: 12 },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: 'bold' },
} as const;

export interface Chart {
  /** Unique in the page; prefixes the SVG's ids. */
  readonly id: string;
  readonly title: string;
  /** The text alternative: what the chart shows and its key numbers, in plain words. */
  readonly alt: string;
  readonly spec: TopLevelSpec;
  /**
   * Set when the chart has nothing to show (every value 0, or no data): it is not drawn, and
   * this sentence, shown in its place, says why (e.g. "No update was parked in the dead-letter queue.").
   */
  readonly nothingToShow?: string;
}

export interface RenderedChart {
  readonly chart: Chart;
  /** The wide layout ('' when the chart was not drawn). */
  readonly svg: string;
  /** The same chart in one narrow column ('' when the chart was not drawn). */
  readonly narrowSvg: string;
  /** What a <figure> holds: both layouts, each in a `div.chart` the page's CSS shows or hides. */
  readonly html: string;
  /** `nothingToShow` of the chart, or null when it was drawn. */
  readonly skipped: string | null;
  /** What vega-lite and vega warned about while compiling and running the spec. */
  readonly warnings: readonly string[];
}

/** The A4 width a page prints at (210 mm less the 11 mm margins of template.ts), in CSS px. */
export const PRINT_WIDTH_PX = Math.floor(((210 - 2 * 11) / 25.4) * 96);
/** Paper shows the wide layout only when it fits at this scale or more; otherwise the narrow one. */
export const MIN_PRINT_SCALE = 0.8;
/** The widest plot of the narrow layout: with its axes it fits a 390 px screen (358 px of content). */
export const NARROW_PLOT_WIDTH_PX = 230;

/** Colour scale with a fixed domain, so a strategy has the same colour in every chart. */
export function strategyColor(strategies: readonly string[], title = 'strategy'): Record<string, unknown> {
  return {
    field: 'strategy',
    type: 'nominal',
    title,
    scale: { domain: [...strategies], range: strategies.map((_, i) => PALETTE[i % PALETTE.length]!) },
  };
}

/** vega-util's logger interface, as both vega-lite's compile() and vega's View accept it. */
interface Logger {
  level(): number;
  error(...args: readonly unknown[]): Logger;
  warn(...args: readonly unknown[]): Logger;
  info(...args: readonly unknown[]): Logger;
  debug(...args: readonly unknown[]): Logger;
}

/** Collects warnings instead of printing them (stdout is for documents, stderr for progress). */
function collectingLogger(warnings: string[], source: string): Logger {
  const logger: Logger = {
    level: () => Warn,
    error: (...args) => {
      warnings.push(`${source} error: ${args.map(String).join(' ')}`);
      return logger;
    },
    warn: (...args) => {
      warnings.push(`${source}: ${args.map(String).join(' ')}`);
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

async function toSvg(chart: Chart, spec: TopLevelSpec, warnings: string[]): Promise<string> {
  const withConfig = { ...spec, config: { ...CONFIG, ...((spec as { config?: object }).config ?? {}) } } as TopLevelSpec;
  const vg = compile(withConfig, { logger: collectingLogger(warnings, 'vega-lite') as never }).spec;
  const view = new View(parse(vg), { renderer: 'none', logLevel: Warn, logger: collectingLogger(warnings, 'vega') as never });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (!svg.startsWith('<svg')) throw new Error(`chart ${chart.id}: vega returned no SVG`);
  return svg;
}

/** The `width` attribute of an SVG root: its natural width in CSS px. */
export function svgWidth(svg: string): number {
  const m = /^<svg\b[^>]*?\swidth="([\d.]+)"/.exec(svg);
  return m === null ? 0 : Number(m[1]);
}

/**
 * Compiles and renders one chart, in both layouts, to accessible SVG. A chart with nothing to
 * show is not rendered at all.
 */
export async function renderChart(chart: Chart): Promise<RenderedChart> {
  if (chart.nothingToShow !== undefined) return { chart, svg: '', narrowSvg: '', html: '', skipped: chart.nothingToShow, warnings: [] };
  const warnings: string[] = [];
  const wide = await toSvg(chart, chart.spec, warnings);
  const narrow = await toSvg(chart, narrowSpec(chart.spec), warnings);
  const svg = accessibleSvg(chart, wide);
  const narrowSvg = accessibleSvg(chart, narrow, 'narrow');
  // Paper takes the wide layout where it fits at a readable scale, else the narrow column.
  const printWide = svgWidth(wide) * MIN_PRINT_SCALE <= PRINT_WIDTH_PX;
  const html = `<div class="chart chart-wide${printWide ? ' chart-print' : ''}">${svg}</div><div class="chart chart-narrow${printWide ? '' : ' chart-print'}">${narrowSvg}</div>`;
  return { chart, svg, narrowSvg, html, skipped: null, warnings };
}

/** What stands in a report for a chart that was not drawn: its title and why. */
export function skippedChartHtml(rendered: RenderedChart): string {
  return `<p class="note chart-skipped" data-chart-skipped="${esc(rendered.chart.id)}"><strong>${esc(rendered.chart.title)}:</strong> not drawn. ${esc(rendered.skipped ?? '')}</p>`;
}

/** Words of `text` in lines of at most `max` characters (a longer word gets a line of its own). */
export function wrapWords(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * A vertical axis title in lines no longer than its axis (`lengthPx`) as vega measures text here
 * (0.8 em a character at 12 px): a longer one would stretch the chart above and below the plot.
 */
export function axisTitle(text: string, lengthPx: number): string | string[] {
  const max = Math.floor(lengthPx / (0.8 * CONFIG.axis.titleFontSize));
  return text.length <= max ? text : wrapWords(text, max);
}

/**
 * A vega expression that puts a facet header longer than `max` characters on two lines, before
 * its parenthesis: "Listings invisible (share of listing-time)" over two lines, so one long
 * header does not widen every column of the facet.
 */
export function wrapHeaderExpr(max: number): string {
  const at = "indexof(datum.value, ' (')";
  return `length(datum.value) > ${max} && ${at} > 0 ? [substring(datum.value, 0, ${at}), substring(datum.value, ${at} + 1)] : datum.value`;
}

/** The parts of a vega-lite view that the narrow layout changes; the rest is passed through. */
interface Json {
  [key: string]: unknown;
  width?: unknown;
  height?: unknown;
  title?: unknown;
  encoding?: unknown;
  axis?: unknown;
  text?: unknown;
  spec?: unknown;
  columns?: unknown;
  concat?: unknown;
  vconcat?: unknown;
  hconcat?: unknown;
  layer?: unknown;
  config?: unknown;
  legend?: unknown;
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function narrowTitle(title: unknown, max: number): unknown {
  const text = (t: unknown): string | null => (typeof t === 'string' ? t : Array.isArray(t) && t.every((x) => typeof x === 'string') ? t.join(' ') : null);
  const whole = text(title);
  if (whole !== null) return { text: wrapWords(whole, max) };
  if (isObject(title)) {
    const inner = text(title.text);
    if (inner !== null) return { ...title, text: wrapWords(inner, max) };
  }
  return title;
}

/**
 * Axis titles wrapped and axis labels limited, so nothing beside a narrow plot is wider than it.
 * Vega measures text without a font here (0.8 em a character), so a wide title widens the SVG.
 */
function narrowEncoding(encoding: Json): Json {
  const out: Json = {};
  for (const [channel, def] of Object.entries(encoding)) {
    if (!isObject(def)) {
      out[channel] = def;
      continue;
    }
    const next: Json = { ...def };
    if (typeof next.title === 'string' && next.title.length > NARROW_TITLE_CHARS) next.title = wrapWords(next.title, NARROW_TITLE_CHARS);
    if (isObject(next.axis) && typeof next.axis['labelLimit'] === 'number') next.axis = { ...next.axis, labelLimit: Math.min(next.axis['labelLimit'], 120) };
    out[channel] = next;
  }
  return out;
}

/** Characters per line of a title in the narrow layout (about 250 px at 12 px as vega measures text: 0.8 em a character). */
const NARROW_TITLE_CHARS = 26;

function narrowView(view: Json, inFacet = false): Json {
  const out: Json = { ...view };
  if (typeof out.width === 'number') out.width = Math.min(out.width, NARROW_PLOT_WIDTH_PX);
  // A band width per step (grouped bars) grows with the groups: the narrow layout fixes the total.
  else if (isObject(out.width) && 'step' in out.width) out.width = NARROW_PLOT_WIDTH_PX;
  // Stacked facet panels: tall enough that each panel's y axis title stays beside its own panel.
  if (inFacet && typeof out.height === 'number') out.height = Math.max(out.height, 230);
  if ('title' in out) out.title = narrowTitle(out.title, NARROW_TITLE_CHARS);
  if (isObject(out.encoding)) out.encoding = narrowEncoding(out.encoding);
  if (isObject(out.spec)) out.spec = narrowView(out.spec, 'facet' in out);
  for (const key of ['concat', 'vconcat', 'hconcat', 'layer'] as const) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((v) => (isObject(v) ? narrowView(v) : v));
  }
  return out;
}

/**
 * The chart in one narrow column: wrapped panels (facet or concat) one under another, plots at
 * most NARROW_PLOT_WIDTH_PX wide, the title in lines, legends in one column; side-by-side
 * views (hconcat) stacked. The data and encodings are untouched: the same chart, laid out for a phone.
 */
export function narrowSpec(spec: TopLevelSpec): TopLevelSpec {
  const top = narrowView(spec as unknown as Json);
  if ('columns' in top) top.columns = 1;
  if (Array.isArray(top.hconcat)) {
    top.vconcat = top.hconcat;
    delete top.hconcat;
  }
  // The chart's title (15 px): about 310 px a line as vega measures it.
  if ('title' in top) top.title = narrowTitle((spec as unknown as Json).title, 26);
  const config = isObject(top.config) ? top.config : {};
  top.config = { ...config, legend: { ...CONFIG.legend, ...(isObject(config.legend) ? config.legend : {}), columns: 1, labelLimit: 220 } };
  return top as unknown as TopLevelSpec;
}

/** Namespaces ids (`id`, `url(#…)`, `href="#…"`) and adds role, title and description to the root. */
export function accessibleSvg(chart: Pick<Chart, 'id' | 'title' | 'alt'>, svg: string, variant?: 'narrow'): string {
  // Only the wide layout carries data-chart: a report lists each chart once.
  const prefix = variant === undefined ? `${chart.id}-` : `${chart.id}-${variant}-`;
  const namespaced = svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}${id}"`);
  const open = namespaced.indexOf('>');
  const titleId = `${prefix}svg-title`;
  const descId = `${prefix}svg-desc`;
  const root = namespaced
    .slice(0, open)
    .replace(/^<svg/, `<svg role="img" aria-labelledby="${titleId} ${descId}" ${variant === undefined ? `data-chart="${esc(chart.id)}"` : `data-chart-layout="${variant}"`}`);
  return `${root}><title id="${titleId}">${esc(chart.title)}</title><desc id="${descId}">${esc(chart.alt)}</desc>${namespaced.slice(open + 1)}`;
}

// ---- spec builders ------------------------------------------------------------------------------

export interface IntervalRow {
  /** The bar's category (a strategy, or "live" / "predicted"). */
  readonly category: string;
  readonly mean: number;
  /** The 95% interval; null draws no error bar (a single observation). */
  readonly lo: number | null;
  readonly hi: number | null;
}

export interface IntervalPanel {
  /** The panel's header, with what is counted, e.g. "Oversells (orders)". */
  readonly title: string;
  readonly rows: readonly IntervalRow[];
}

/**
 * One bar per category with its 95% interval as an error bar; one panel per measure, side by
 * side, each with its own y scale and one shared y-axis title (with the unit).
 */
export function intervalBarsSpec(options: { title: string; description: string; categories: readonly string[]; categoryTitle: string; panels: readonly IntervalPanel[]; yTitle: string; yFormat?: string; width?: number; columns?: number }): TopLevelSpec {
  const width = options.width ?? Math.max(180, Math.min(360, 64 * options.categories.length));
  const x = { field: 'category', type: 'nominal', title: options.categoryTitle, sort: [...options.categories], axis: { labelAngle: -30, labelLimit: 160 } };
  // `floor` keeps a panel whose values are all 0 from collapsing to an empty [0, 0] scale.
  const values = options.panels.flatMap((panel) => {
    const floor = panel.rows.every((r) => r.mean === 0 && (r.hi ?? 0) === 0) ? 1 : null;
    return panel.rows.map((r) => ({ panel: panel.title, floor, ...r }));
  });
  const yAxis = options.yFormat === undefined ? {} : { axis: { format: options.yFormat } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    description: options.description,
    data: { values },
    columns: options.columns ?? options.panels.length,
    facet: { field: 'panel', type: 'nominal', title: null, sort: options.panels.map((p) => p.title), header: { labelFontSize: 13, labelExpr: wrapHeaderExpr(20) } },
    spec: {
      width,
      height: 220,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.85 },
          encoding: {
            x,
            y: { field: 'mean', type: 'quantitative', title: axisTitle(options.yTitle, 220), ...yAxis },
            color: { field: 'category', type: 'nominal', title: options.categoryTitle, legend: null, scale: { domain: [...options.categories], range: options.categories.map((_, i) => PALETTE[i % PALETTE.length]!) } },
          },
        },
        {
          transform: [{ filter: 'datum.lo != null && datum.hi != null' }],
          mark: { type: 'rule', strokeWidth: 2, color: '#1d2430' },
          encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
        { transform: [{ filter: 'datum.floor != null' }], mark: { type: 'point', opacity: 0 }, encoding: { x, y: { field: 'floor', type: 'quantitative' } } },
        {
          transform: [{ filter: 'datum.lo != null && datum.hi != null' }, { fold: ['lo', 'hi'], as: ['end', 'bound'] }],
          mark: { type: 'tick', thickness: 2, size: 14, color: '#1d2430' },
          encoding: { x, y: { field: 'bound', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as unknown as TopLevelSpec;
}

export interface CdfRow {
  readonly channel: string;
  readonly strategy: string;
  readonly q: number;
  readonly ms: number;
}

export interface MarkRow {
  readonly channel: string;
  readonly strategy: string;
  readonly ms: number;
  readonly label: string;
}

/**
 * Propagation latency distribution per channel: the CDF (share of updates acknowledged within x),
 * a diamond at each strategy's p99, and the alert threshold as a red dashed line. Log x axis:
 * latencies span milliseconds to the polling interval.
 */
export function latencyCdfSpec(options: { title: string; description: string; strategies: readonly string[]; channels: readonly string[]; rows: readonly CdfRow[]; marks: readonly MarkRow[]; thresholdMs: number; columns: number }): TopLevelSpec {
  const values = [
    ...options.rows.filter((r) => r.ms > 0).map((r) => ({ kind: 'cdf', ...r })),
    ...options.marks.filter((m) => m.ms > 0).map((m) => ({ kind: 'mark', channel: m.channel, strategy: m.strategy, ms: m.ms, q: 0.99, label: m.label })),
  ];
  const x = { field: 'ms', type: 'quantitative', title: 'propagation latency (ms, log scale)', scale: { type: 'log' }, axis: { format: '~s' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    description: options.description,
    data: { values },
    columns: options.columns,
    facet: { field: 'channel', type: 'nominal', title: null, sort: [...options.channels], header: { labelExpr: "'channel ' + datum.value" } },
    spec: {
      width: 240,
      height: 200,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'cdf'" }],
          mark: { type: 'line', interpolate: 'step-after', point: false, strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'q', type: 'quantitative', title: axisTitle('share of updates acknowledged (0–1)', 200), scale: { domain: [0, 1] } },
            color: strategyColor(options.strategies),
          },
        },
        {
          transform: [{ filter: "datum.kind === 'mark'" }],
          mark: { type: 'point', size: 90, filled: true, stroke: '#1d2430', strokeWidth: 1 },
          encoding: {
            x,
            y: { field: 'q', type: 'quantitative' },
            color: strategyColor(options.strategies),
            shape: { field: 'label', type: 'nominal', title: 'marker', scale: { domain: [...new Set(options.marks.map((m) => m.label))], range: ['diamond', 'triangle-down', 'square'] } },
          },
        },
        // One rule and one label per panel: without the aggregate, a layer with a datum encoding
        // draws one mark per data row of the panel (hundreds of stacked labels).
        {
          transform: [{ aggregate: [{ op: 'count', as: 'rows' }] }],
          mark: { type: 'rule', color: ALERT_COLOR, strokeDash: [6, 4], strokeWidth: 2 },
          encoding: { x: { datum: options.thresholdMs, type: 'quantitative' } },
        },
        {
          transform: [{ aggregate: [{ op: 'count', as: 'rows' }] }],
          mark: { type: 'text', color: ALERT_COLOR, align: 'left', dx: 4, dy: -4, fontSize: 11 },
          encoding: { x: { datum: options.thresholdMs, type: 'quantitative' }, y: { datum: 0.06, type: 'quantitative' }, text: { value: `alert ${formatMsShort(options.thresholdMs)}` } },
        },
      ],
    },
  } as unknown as TopLevelSpec;
}

export interface SeriesRow {
  readonly strategy: string;
  /** Hours (or minutes) from the start of the run. */
  readonly t: number;
  readonly value: number;
}

/** A value over simulated time, one line per strategy. */
export function timeSeriesSpec(options: { title: string; description: string; strategies: readonly string[]; rows: readonly SeriesRow[]; xTitle: string; yTitle: string; yDomain?: readonly [number, number]; yFormat?: string; yZeroBased?: boolean }): TopLevelSpec {
  const maxValue = Math.max(0, ...options.rows.map((r) => r.value));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    description: options.description,
    width: 760,
    height: 240,
    data: { values: options.rows.map((r) => ({ ...r })) },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: options.xTitle },
      y: {
        field: 'value',
        type: 'quantitative',
        title: axisTitle(options.yTitle, 240),
        ...(options.yDomain !== undefined ? { scale: { domain: [...options.yDomain], zero: false } } : options.yZeroBased === true ? { scale: { domain: [0, Math.max(1, maxValue)], nice: true } } : {}),
        ...(options.yFormat === undefined ? {} : { axis: { format: options.yFormat } }),
      },
      color: strategyColor(options.strategies),
    },
  } as unknown as TopLevelSpec;
}

export interface QuotaRow {
  readonly channel: string;
  readonly strategy: string;
  readonly callsPerDay: number;
  /** The channel's daily quota, if its preset has one. */
  readonly quotaPerDay: number | null;
  /** The most calls a day its rate limiter admits at the sustained rate. */
  readonly ceilingPerDay: number | null;
  readonly label: string;
}

/**
 * API calls per day per channel and strategy, as horizontal bars, with the daily quota (red) and
 * the rate limiter's sustained ceiling (grey, dashed) where the channel has them. One panel per
 * channel with its own scale: a channel far below its limit shows a short bar, which is the point.
 */
export function apiQuotaSpec(options: { title: string; description: string; strategies: readonly string[]; rows: readonly QuotaRow[] }): TopLevelSpec {
  const y = { field: 'strategy', type: 'nominal', title: null, sort: [...options.strategies], axis: { labelLimit: 160 } };
  const x = { type: 'quantitative', title: 'API calls per day (simulated day)' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    description: options.description,
    data: { values: options.rows.map((r) => ({ ...r })) },
    // Wrapped in one column, each channel's name above its panel: nothing beside the plots widens the chart.
    columns: 1,
    facet: { field: 'channel', type: 'nominal', title: null, header: { labelAnchor: 'start', labelExpr: "'channel ' + datum.value" } },
    spec: {
      width: 560,
      height: { step: 18 },
      layer: [
        { mark: { type: 'bar', opacity: 0.85 }, encoding: { y, x: { ...x, field: 'callsPerDay' }, color: strategyColor(options.strategies) } },
        { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#1d2430' }, encoding: { y, x: { ...x, field: 'callsPerDay' }, text: { field: 'label' } } },
        { transform: [{ filter: 'datum.quotaPerDay != null' }], mark: { type: 'rule', color: ALERT_COLOR, strokeWidth: 2 }, encoding: { x: { ...x, field: 'quotaPerDay' } } },
        { transform: [{ filter: 'datum.ceilingPerDay != null' }], mark: { type: 'rule', color: '#5b6472', strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { x: { ...x, field: 'ceilingPerDay' } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as unknown as TopLevelSpec;
}

export interface SweepRow {
  readonly strategy: string;
  /** The swept value, in the unit of the x axis title. */
  readonly value: number | string;
  /** In the unit of the panel's y axis title. */
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
}

export interface SweepPanel {
  /** What the panel shows, e.g. "Propagation latency p99". */
  readonly title: string;
  /** The y axis title: the unit, e.g. "min" or "orders per run". */
  readonly yTitle: string;
  readonly yFormat?: string;
  readonly rows: readonly SweepRow[];
}

/**
 * Each metric against the swept parameter, with 95% intervals, one panel per metric (two
 * columns), each panel with its own y axis titled with its unit; ticks on the x axis at the
 * swept values.
 */
export function sweepSpec(options: { title: string; description: string; strategies: readonly string[]; panels: readonly SweepPanel[]; paramTitle: string; numeric: boolean; logX: boolean; xValues: readonly (number | string)[] }): TopLevelSpec {
  const x = options.numeric
    ? { field: 'value', type: 'quantitative', title: options.paramTitle, scale: options.logX ? { type: 'log' } : { zero: false, nice: false, padding: 12 }, axis: { values: [...options.xValues], format: ',.6~r', labelOverlap: true } }
    : { field: 'value', type: 'ordinal', title: options.paramTitle, sort: [...options.xValues], axis: { labelAngle: 0 } };
  const color = strategyColor(options.strategies);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    description: options.description,
    columns: 2,
    concat: options.panels.map((panel) => {
      // `floor` keeps a metric that is 0 at every value from collapsing to an empty [0, 0] scale.
      const flat = panel.rows.every((r) => r.mean === 0 && r.hi === 0);
      // The unit on the y axis, in lines no longer than the plot is high (as vega measures text).
      const y = { field: 'mean', type: 'quantitative', title: axisTitle(panel.yTitle, 170), axis: { format: panel.yFormat ?? ',.6~r' } };
      return {
        // Anchored to the plot, not to the bounds of its axes, so the titles of a row line up.
        title: { text: wrapWords(panel.title, 30), fontSize: 12, frame: 'group', anchor: 'start' },
        width: 300,
        height: 170,
        data: { values: panel.rows.map((r) => ({ ...r, floor: flat ? 1 : null })) },
        layer: [
          { mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, y, color } },
          { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
          { transform: [{ filter: 'datum.floor != null' }], mark: { type: 'point', opacity: 0 }, encoding: { x, y: { field: 'floor', type: 'quantitative' } } },
        ],
      };
    }),
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** A unit of duration to show milliseconds in. */
export interface DurationUnit {
  readonly name: 'ms' | 's' | 'min' | 'h';
  readonly ms: number;
}

const DURATION_UNITS: readonly DurationUnit[] = [
  { name: 'h', ms: 3_600_000 },
  { name: 'min', ms: 60_000 },
  { name: 's', ms: 1000 },
  { name: 'ms', ms: 1 },
];

/**
 * The largest unit in which `ms` is at least `atLeast` units: `durationUnit(6_000_000)` is min
 * (6 000 000 ms = 100 min); below 2 s it is ms.
 */
export function durationUnit(ms: number, atLeast = 2): DurationUnit {
  return DURATION_UNITS.find((u) => u.ms === 1 || Math.abs(ms) >= atLeast * u.ms)!;
}

export interface GroupedRow {
  readonly group: string;
  readonly series: string;
  readonly value: number;
  readonly lo: number | null;
  readonly hi: number | null;
}

/** Side-by-side bars per group (e.g. live vs predicted p99 per channel), error bars where known. */
export function groupedBarsSpec(options: { title: string; description: string; series: readonly string[]; rows: readonly GroupedRow[]; groupTitle: string; yTitle: string }): TopLevelSpec {
  const x = { field: 'group', type: 'nominal', title: options.groupTitle, sort: null, axis: { labelAngle: 0 } };
  const xOffset = { field: 'series', type: 'nominal', scale: { domain: [...options.series] } };
  // Rules sit at the start of their offset band unless told otherwise; the error bar belongs in the bar's middle.
  const ruleOffset = { ...xOffset, bandPosition: 0.5 };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    description: options.description,
    width: { step: 40 * Math.max(2, options.series.length) },
    height: 220,
    data: { values: options.rows.map((r) => ({ ...r })) },
    layer: [
      {
        mark: { type: 'bar', opacity: 0.85 },
        encoding: {
          x,
          xOffset,
          y: { field: 'value', type: 'quantitative', title: axisTitle(options.yTitle, 220) },
          color: { field: 'series', type: 'nominal', title: null, scale: { domain: [...options.series], range: options.series.map((_, i) => PALETTE[i % PALETTE.length]!) } },
        },
      },
      {
        transform: [{ filter: 'datum.lo != null && datum.hi != null' }],
        mark: { type: 'rule', strokeWidth: 2, color: '#1d2430' },
        encoding: { x, xOffset: ruleOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** `2 s`, `500 ms`, `15 min`: short durations for chart labels. */
export function formatMsShort(ms: number): string {
  if (ms < 1000) return `${trim(ms)} ms`;
  if (ms < 120_000) return `${trim(ms / 1000)} s`;
  if (ms < 7_200_000) return `${trim(ms / 60_000)} min`;
  return `${trim(ms / 3_600_000)} h`;
}

function trim(x: number): string {
  return String(Math.round(x * 10) / 10);
}
