// The stand-in's metrics engine, on the main thread: k6's four sinks (counter, gauge, rate,
// trend, with k6's percentile interpolation), sub-metrics selected by tags, thresholds parsed and
// evaluated as k6 does, and the two summary shapes k6 produces from them: the data handed to
// handleSummary() and the legacy `--summary-export` JSON (thresholds there are `true` when FAILED).
import { createHash } from 'node:crypto';
import type { MetricContains, MetricDef, MetricType, Sample } from './protocol.js';

export const BUILTIN_METRICS: readonly MetricDef[] = [
  { name: 'vus', type: 'gauge', contains: 'default' },
  { name: 'vus_max', type: 'gauge', contains: 'default' },
  { name: 'iterations', type: 'counter', contains: 'default' },
  { name: 'iteration_duration', type: 'trend', contains: 'time' },
  { name: 'dropped_iterations', type: 'counter', contains: 'default' },
  { name: 'data_sent', type: 'counter', contains: 'data' },
  { name: 'data_received', type: 'counter', contains: 'data' },
  { name: 'checks', type: 'rate', contains: 'default' },
  { name: 'group_duration', type: 'trend', contains: 'time' },
  { name: 'http_reqs', type: 'counter', contains: 'default' },
  { name: 'http_req_failed', type: 'rate', contains: 'default' },
  { name: 'http_req_duration', type: 'trend', contains: 'time' },
  { name: 'http_req_blocked', type: 'trend', contains: 'time' },
  { name: 'http_req_connecting', type: 'trend', contains: 'time' },
  { name: 'http_req_tls_handshaking', type: 'trend', contains: 'time' },
  { name: 'http_req_sending', type: 'trend', contains: 'time' },
  { name: 'http_req_waiting', type: 'trend', contains: 'time' },
  { name: 'http_req_receiving', type: 'trend', contains: 'time' },
];

export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'] as const;

// ---------------------------------------------------------------------------------------------
// Sinks

export class Sink {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  last = 0;
  trues = 0;
  private values: number[] = [];
  private sorted = true;
  constructor(readonly type: MetricType) {}

  add(v: number): void {
    this.count++;
    this.sum += v;
    this.last = v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.type === 'rate' && v !== 0) this.trues++;
    if (this.type === 'trend') {
      if (this.values.length > 0 && v < this.values[this.values.length - 1]!) this.sorted = false;
      this.values.push(v);
    }
  }

  get empty(): boolean {
    return this.count === 0;
  }

  /** k6's TrendSink.P: linear interpolation between the closest ranks; pct in [0, 1]. */
  percentile(pct: number): number {
    const n = this.values.length;
    if (n === 0) return 0;
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    if (n === 1) return this.values[0]!;
    const i = pct * (n - 1);
    const lo = this.values[Math.floor(i)]!;
    const hi = this.values[Math.ceil(i)]!;
    return lo + (hi - lo) * (i - Math.floor(i));
  }

  /** The value of one aggregation ("avg", "p(95)", "count", "rate", "value", …) at test duration `seconds`. */
  stat(name: string, seconds: number): number {
    const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(name);
    if (p !== null) return this.percentile(Number(p[1]) / 100);
    switch (name) {
      case 'count':
        return this.type === 'counter' ? this.sum : this.count;
      case 'rate':
        if (this.type === 'counter') return seconds > 0 ? this.sum / seconds : 0;
        return this.count === 0 ? 0 : this.trues / this.count;
      case 'value':
        return this.last;
      case 'avg':
        return this.count === 0 ? 0 : this.sum / this.count;
      case 'min':
        return this.count === 0 ? 0 : this.min;
      case 'max':
        return this.count === 0 ? 0 : this.max;
      case 'med':
        return this.percentile(0.5);
      default:
        throw new Error(`unknown aggregation ${name}`);
    }
  }

  /** The `values` of the summary (k6's metricValueGetter). */
  values_(trendStats: readonly string[], seconds: number): Record<string, number> {
    switch (this.type) {
      case 'counter':
        return { count: this.sum, rate: this.stat('rate', seconds) };
      case 'gauge':
        return { value: this.last, min: this.stat('min', seconds), max: this.stat('max', seconds) };
      case 'rate':
        return { rate: this.stat('rate', seconds), passes: this.trues, fails: this.count - this.trues };
      case 'trend': {
        const out: Record<string, number> = {};
        for (const s of trendStats) out[s] = this.stat(s, seconds);
        return out;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Thresholds

const AGGREGATIONS: Record<MetricType, RegExp> = {
  counter: /^(count|rate)$/,
  gauge: /^value$/,
  rate: /^rate$/,
  trend: /^(avg|min|max|med|p\(\d+(\.\d+)?\))$/,
};

export interface Threshold {
  readonly source: string;
  readonly aggregation: string;
  readonly operator: string;
  readonly value: number;
  readonly abortOnFail: boolean;
  readonly delayAbortEvalMs: number;
  failed: boolean;
}

export function parseThreshold(source: string, abortOnFail: boolean, delayAbortEvalMs: number, type: MetricType, metric: string): Threshold {
  const m = /^\s*([a-z]+(?:\(\s*\d+(?:\.\d+)?\s*\))?)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*$/.exec(source);
  if (m === null) throw new Error(`invalid threshold defined on ${metric}; reason: malformed threshold expression "${source}"`);
  const aggregation = m[1]!.replace(/\s+/g, '');
  if (!AGGREGATIONS[type].test(aggregation)) {
    throw new Error(`invalid threshold defined on ${metric}; reason: threshold ${JSON.stringify(source)} uses aggregation method "${aggregation}" that is not supported by a ${type} metric`);
  }
  return { source, aggregation, operator: m[2]!, value: Number(m[3]), abortOnFail, delayAbortEvalMs, failed: false };
}

function holds(actual: number, operator: string, value: number): boolean {
  switch (operator) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
    case '===':
      return actual === value;
    case '!=':
      return actual !== value;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Registry

interface Series {
  readonly name: string;
  readonly def: MetricDef;
  readonly sink: Sink;
  observed: boolean;
  readonly thresholds: Threshold[];
}

interface SubMetric extends Series {
  readonly tags: readonly (readonly [string, string])[];
}

interface Metric extends Series {
  readonly subs: SubMetric[];
}

/** "http_req_duration{kind:webhook, stream:orders}" → parent name and tag pairs (k6's ParseMetricName). */
export function parseMetricKey(key: string): { parent: string; tags: [string, string][] } {
  const open = key.indexOf('{');
  if (open < 0) return { parent: key.trim(), tags: [] };
  if (!key.trimEnd().endsWith('}')) throw new Error(`invalid metric name ${JSON.stringify(key)}: missing closing curly brace`);
  const inner = key.trimEnd().slice(open + 1, -1);
  const tags: [string, string][] = [];
  for (const part of inner.split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) throw new Error(`invalid metric name ${JSON.stringify(key)}: tag expression "${part}" has no ':'`);
    const strip = (s: string): string => s.trim().replace(/^["']|["']$/g, '');
    tags.push([strip(part.slice(0, colon)), strip(part.slice(colon + 1))]);
  }
  return { parent: key.slice(0, open).trim(), tags };
}

export interface ThresholdSpec {
  readonly threshold: string;
  readonly abortOnFail?: boolean;
  readonly delayAbortEval?: string;
}

export interface SummaryMetricData {
  readonly type: MetricType;
  readonly contains: MetricContains;
  readonly values: Record<string, number>;
  readonly thresholds?: Record<string, { ok: boolean }>;
}

export interface GroupData {
  readonly name: string;
  readonly path: string;
  readonly id: string;
  readonly groups: GroupData[];
  readonly checks: { name: string; path: string; id: string; passes: number; fails: number }[];
}

export interface SummaryData {
  readonly root_group: GroupData;
  readonly options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  readonly state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  readonly metrics: Record<string, SummaryMetricData>;
}

export interface LegacyGroup {
  readonly name: string;
  readonly path: string;
  readonly id: string;
  readonly groups: Record<string, LegacyGroup>;
  readonly checks: Record<string, { name: string; path: string; id: string; passes: number; fails: number }>;
}

/** What `k6 run --summary-export=file` writes. */
export interface LegacySummaryExport {
  readonly root_group: LegacyGroup;
  readonly metrics: Record<string, Record<string, number | Record<string, boolean>>>;
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

export class MetricsEngine {
  private readonly metrics = new Map<string, Metric>();
  private readonly withThresholds: Series[] = [];
  /** group path → check name → counts, in the order first seen. */
  private readonly checks = new Map<string, Map<string, { passes: number; fails: number }>>();
  private readonly groupPaths = new Set<string>();

  constructor() {
    for (const def of BUILTIN_METRICS) this.define(def);
  }

  define(def: MetricDef): void {
    const existing = this.metrics.get(def.name);
    if (existing !== undefined) {
      if (existing.def.type !== def.type) throw new Error(`metric '${def.name}' already exists but with type ${existing.def.type}, instead of ${def.type}`);
      return;
    }
    this.metrics.set(def.name, { name: def.name, def, sink: new Sink(def.type), observed: false, thresholds: [], subs: [] });
  }

  private subMetric(key: string): SubMetric | Metric {
    const { parent, tags } = parseMetricKey(key);
    const metric = this.metrics.get(parent);
    if (metric === undefined) throw new Error(`invalid threshold defined on ${key}; reason: no metric name "${parent}" found`);
    if (tags.length === 0) return metric;
    const existing = metric.subs.find((s) => s.name === key);
    if (existing !== undefined) return existing;
    const sub: SubMetric = { name: key, def: metric.def, sink: new Sink(metric.def.type), observed: false, thresholds: [], tags };
    metric.subs.push(sub);
    return sub;
  }

  /** options.thresholds → sub-metrics and thresholds; throws (k6: exit 104) on unknown metrics or bad expressions. */
  configureThresholds(thresholds: Record<string, unknown>, parseDelay: (v: unknown) => number): void {
    for (const [key, raw] of Object.entries(thresholds)) {
      const series = this.subMetric(key);
      const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
      for (const item of list) {
        const spec: ThresholdSpec = typeof item === 'string' ? { threshold: item } : (item as ThresholdSpec);
        if (typeof spec.threshold !== 'string') throw new Error(`invalid threshold defined on ${key}; reason: ${JSON.stringify(item)} is not a threshold`);
        series.thresholds.push(parseThreshold(spec.threshold, spec.abortOnFail === true, spec.delayAbortEval === undefined ? 0 : parseDelay(spec.delayAbortEval), series.def.type, key));
      }
      this.withThresholds.push(series);
      // k6 shows a metric with thresholds (and its parent) in the summary even without samples.
      series.observed = true;
      const parent = this.metrics.get(parseMetricKey(key).parent);
      if (parent !== undefined) parent.observed = true;
    }
    // k6 always tracks this one for its end-of-test summary.
    this.subMetric('http_req_duration{expected_response:true}');
  }

  ingest(samples: readonly Sample[]): void {
    for (const [name, value, tags] of samples) {
      const m = this.metrics.get(name);
      if (m === undefined) continue;
      m.sink.add(value);
      m.observed = true;
      for (const sub of m.subs) {
        if (sub.tags.every(([k, v]) => tags[k] === v)) {
          sub.sink.add(value);
          sub.observed = true;
        }
      }
      if (name === 'checks') {
        const path = tags['group'] ?? '';
        const check = tags['check'] ?? '';
        let byName = this.checks.get(path);
        if (byName === undefined) this.checks.set(path, (byName = new Map()));
        const c = byName.get(check) ?? { passes: 0, fails: 0 };
        if (value !== 0) c.passes++;
        else c.fails++;
        byName.set(check, c);
      }
      if (name === 'group_duration' || name === 'checks') {
        const path = tags['group'] ?? '';
        if (path !== '') this.groupPaths.add(path);
      }
    }
  }

  /** Evaluates every threshold (k6 at the end: empty sinks included); returns whether any failed. */
  evaluate(seconds: number): boolean {
    let anyFailed = false;
    for (const series of this.withThresholds) {
      for (const t of series.thresholds) {
        t.failed = !holds(series.sink.stat(t.aggregation, seconds), t.operator, t.value);
        anyFailed ||= t.failed;
      }
    }
    return anyFailed;
  }

  /** k6's periodic check for abortOnFail thresholds (every 2 s; empty sinks skipped). */
  shouldAbort(seconds: number, elapsedMs: number): string | null {
    for (const series of this.withThresholds) {
      if (series.sink.empty) continue;
      for (const t of series.thresholds) {
        if (!t.abortOnFail || elapsedMs < t.delayAbortEvalMs) continue;
        if (!holds(series.sink.stat(t.aggregation, seconds), t.operator, t.value)) {
          return `thresholds on metrics '${series.name}' were crossed; at least one has abortOnFail enabled, stopping test prematurely`;
        }
      }
    }
    return null;
  }

  failedThresholds(): string[] {
    const out: string[] = [];
    for (const s of this.withThresholds) for (const t of s.thresholds) if (t.failed) out.push(`${s.name} ${t.source}`);
    return out;
  }

  private rootGroup(): GroupData {
    const make = (path: string): GroupData => {
      const name = path === '' ? '' : path.slice(path.lastIndexOf('::') + 2);
      return { name, path, id: md5(path), groups: [], checks: [] };
    };
    const groups = new Map<string, GroupData>([['', make('')]]);
    const ensure = (path: string): GroupData => {
      let g = groups.get(path);
      if (g !== undefined) return g;
      g = make(path);
      groups.set(path, g);
      const parentPath = path.slice(0, path.lastIndexOf('::'));
      ensure(parentPath).groups.push(g);
      return g;
    };
    for (const path of this.groupPaths) ensure(path);
    for (const [path, byName] of this.checks) {
      const g = ensure(path);
      for (const [name, c] of byName) g.checks.push({ name, path: `${path}::${name}`, id: md5(`${path}::${name}`), passes: c.passes, fails: c.fails });
    }
    return groups.get('')!;
  }

  /** The data k6 hands to handleSummary(). */
  summaryData(trendStats: readonly string[], testRunDurationMs: number): SummaryData {
    const seconds = testRunDurationMs / 1000;
    const metrics: Record<string, SummaryMetricData> = {};
    const add = (s: Series): void => {
      if (!s.observed) return;
      const thresholds: Record<string, { ok: boolean }> = {};
      for (const t of s.thresholds) thresholds[t.source] = { ok: !t.failed };
      // Go marshals the values map with its keys sorted.
      const raw = s.sink.values_(trendStats, seconds);
      const values: Record<string, number> = {};
      for (const k of Object.keys(raw).sort()) values[k] = raw[k]!;
      metrics[s.name] = {
        type: s.def.type,
        contains: s.def.contains,
        values,
        ...(s.thresholds.length > 0 ? { thresholds } : {}),
      };
    };
    for (const m of this.metrics.values()) {
      add(m);
      for (const sub of m.subs) add(sub);
    }
    const sorted: Record<string, SummaryMetricData> = {};
    for (const k of Object.keys(metrics).sort()) sorted[k] = metrics[k]!;
    return {
      root_group: this.rootGroup(),
      options: { summaryTrendStats: [...trendStats], summaryTimeUnit: '', noColor: false },
      state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs },
      metrics: sorted,
    };
  }
}

/** k6's oldJSONSummary (js/summary-wrapper.js): the legacy --summary-export document. */
export function legacyExport(data: SummaryData): LegacySummaryExport {
  const copy = JSON.parse(JSON.stringify(data)) as SummaryData;
  const transform = (g: GroupData): LegacyGroup => {
    const groups: Record<string, LegacyGroup> = {};
    for (const sub of g.groups) groups[sub.name] = transform(sub);
    const checks: LegacyGroup['checks'] = {};
    for (const c of g.checks) checks[c.name] = c;
    return { name: g.name, path: g.path, id: g.id, groups, checks };
  };
  const metrics: LegacySummaryExport['metrics'] = {};
  for (const [name, m] of Object.entries(copy.metrics)) {
    const old: Record<string, number | Record<string, boolean>> = { ...m.values };
    if (m.thresholds !== undefined && Object.keys(m.thresholds).length > 0) {
      const t: Record<string, boolean> = {};
      for (const [source, r] of Object.entries(m.thresholds)) t[source] = !r.ok;
      old['thresholds'] = t;
    }
    if (m.type === 'rate' && 'rate' in old) {
      old['value'] = old['rate']!;
      delete old['rate'];
    }
    metrics[name] = old;
  }
  return { root_group: transform(copy.root_group), metrics };
}

/** Checks `summaryTrendStats` as k6 does (avg, min, med, max, count, p(N)). */
export function validateTrendStats(stats: readonly unknown[]): string[] {
  return stats.map((s) => {
    if (typeof s !== 'string' || !/^(avg|min|med|max|count|p\(\d+(\.\d+)?\))$/.test(s)) throw new Error(`invalid summaryTrendStats entry ${JSON.stringify(s)}`);
    return s;
  });
}
