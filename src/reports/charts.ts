/**
 * Charts as static SVG, rendered in Node: a vega-lite spec is compiled to vega, run in a headless
 * `View` (`renderer: 'none'`) and serialised with `toSVG()`. The page then needs no script and
 * no font or file from anywhere. Each SVG is made accessible (`role="img"`, a <title> and a
 * <desc>) and its element ids are prefixed with the chart's id, so several charts in one page
 * cannot capture each other's clip paths.
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
}

export interface RenderedChart {
  readonly chart: Chart;
  readonly svg: string;
  /** What vega-lite and vega warned about while compiling and running the spec. */
  readonly warnings: readonly string[];
}

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

/** Compiles and renders one chart to an accessible SVG string. */
export async function renderChart(chart: Chart): Promise<RenderedChart> {
  const warnings: string[] = [];
  const spec = { ...chart.spec, config: { ...CONFIG, ...((chart.spec as { config?: object }).config ?? {}) } } as TopLevelSpec;
  const vg = compile(spec, { logger: collectingLogger(warnings, 'vega-lite') as never }).spec;
  const view = new View(parse(vg), { renderer: 'none', logLevel: Warn, logger: collectingLogger(warnings, 'vega') as never });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (!svg.startsWith('<svg')) throw new Error(`chart ${chart.id}: vega returned no SVG`);
  return { chart, svg: accessibleSvg(chart, svg), warnings };
}

/** Namespaces ids (`id`, `url(#…)`, `href="#…"`) and adds role, title and description to the root. */
export function accessibleSvg(chart: Pick<Chart, 'id' | 'title' | 'alt'>, svg: string): string {
  const prefix = `${chart.id}-`;
  const namespaced = svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}${id}"`);
  const open = namespaced.indexOf('>');
  const titleId = `${prefix}svg-title`;
  const descId = `${prefix}svg-desc`;
  const root = namespaced
    .slice(0, open)
    .replace(/^<svg/, `<svg role="img" aria-labelledby="${titleId} ${descId}" data-chart="${esc(chart.id)}"`);
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
    facet: { field: 'panel', type: 'nominal', title: null, sort: options.panels.map((p) => p.title), header: { labelFontSize: 13 } },
    spec: {
      width,
      height: 220,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.85 },
          encoding: {
            x,
            y: { field: 'mean', type: 'quantitative', title: options.yTitle, ...yAxis },
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
      width: 280,
      height: 200,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'cdf'" }],
          mark: { type: 'line', interpolate: 'step-after', point: false, strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'q', type: 'quantitative', title: 'share of updates acknowledged (0–1)', scale: { domain: [0, 1] } },
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
        title: options.yTitle,
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
    facet: { row: { field: 'channel', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelExpr: "'channel ' + datum.value" } } },
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
  readonly metric: string;
  readonly strategy: string;
  readonly value: number | string;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
}

/** Each metric against the swept parameter, with 95% intervals, one panel per metric. */
export function sweepSpec(options: { title: string; description: string; strategies: readonly string[]; rows: readonly SweepRow[]; metrics: readonly string[]; paramTitle: string; numeric: boolean; logX: boolean }): TopLevelSpec {
  const x = options.numeric
    ? { field: 'value', type: 'quantitative', title: options.paramTitle, ...(options.logX ? { scale: { type: 'log' } } : {}) }
    : { field: 'value', type: 'ordinal', title: options.paramTitle };
  const color = strategyColor(options.strategies);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    description: options.description,
    // `floor` keeps a metric that is 0 at every value from collapsing to an empty [0, 0] scale.
    data: { values: options.rows.map((r) => ({ floor: options.rows.some((o) => o.metric === r.metric && (o.mean !== 0 || o.hi !== 0)) ? null : 1, ...r })) },
    columns: 2,
    facet: { field: 'metric', type: 'nominal', title: null, sort: [...options.metrics] },
    spec: {
      width: 330,
      height: 170,
      layer: [
        { mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'mean, 95% interval (unit in panel title)' }, color } },
        { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
        { transform: [{ filter: 'datum.floor != null' }], mark: { type: 'point', opacity: 0 }, encoding: { x, y: { field: 'floor', type: 'quantitative' } } },
      ],
    },
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
  } as unknown as TopLevelSpec;
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
          y: { field: 'value', type: 'quantitative', title: options.yTitle },
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
