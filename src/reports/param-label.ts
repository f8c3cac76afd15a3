/**
 * A swept parameter in words: `strategies.polling-15m.intervalS` is "the polling interval of
 * polling-15m", in seconds; `inventory_sync.retry_policy.max_delay_ms` is "the maximum retry
 * delay", in milliseconds. The unit comes from the key's suffix (units last in names: `S`, `Ms`,
 * `_ms`, `_seconds`), the words from a short list of the scenario's well-known keys, else from
 * the key itself, and the context (which strategy, which channel) from the path.
 */
import { parseParamPath, type ParamValue } from '../analysis/params.js';
import type { Scenario } from '../scenarios/schema.js';
import { durationUnit, formatMsShort, type DurationUnit } from './charts.js';
import { fmtNumber } from './format.js';

export interface ParamLabel {
  /** The dotted path as given to `--param`. */
  readonly path: string;
  /** In words, without the unit: "polling interval of polling-15m". */
  readonly words: string;
  /** Milliseconds in one unit of the parameter, when it is a duration (1000 for `…S`); else null. */
  readonly durationMs: number | null;
}

/** Well-known keys in words; other keys are split into words. */
const KEY_WORDS: Readonly<Record<string, string>> = {
  intervalS: 'polling interval',
  windowMs: 'batching window',
  reconcileIntervalS: 'reconciliation interval',
  ordersPerDay: 'orders per day',
  durationS: 'run length',
  healBoundS: 'heal bound',
  processorWorkers: 'processor workers',
  dispatcherConcurrency: 'dispatcher concurrency',
  storeLatencyMs: 'store latency',
  retryJitter: 'retry jitter',
  redriveDlqEveryS: 'dead-letter queue redrive interval',
  serverErrorRate: 'server error rate',
  timeoutRate: 'timeout rate',
  demandWeight: 'demand weight',
  skus: 'SKUs',
  zipfExponent: 'Zipf exponent of SKU popularity',
  max_retries: 'maximum retries',
  base_delay_ms: 'base retry delay',
  max_delay_ms: 'maximum retry delay',
  backoff_multiplier: 'retry backoff multiplier',
  alert_threshold_ms: 'latency alert threshold',
  max_latency_ms: 'latency target',
  max_staleness_seconds: 'staleness limit',
  min_confidence_score: 'minimum confidence score',
  ttl_seconds: 'idempotency record lifetime',
  averageOrderValue: 'average order value',
  customerLifetimeValue: 'customer lifetime value',
  churnMultiplier: 'churn multiplier',
};

const DURATION_SUFFIXES: readonly { readonly re: RegExp; readonly ms: number }[] = [
  { re: /(?<=[a-z0-9])Ms$|_ms$/, ms: 1 },
  { re: /(?<=[a-z0-9])S$|_s$|_seconds$|(?<=[a-z0-9])Seconds$/, ms: 1000 },
  { re: /_minutes$|(?<=[a-z0-9])Minutes$/, ms: 60_000 },
];

/** `reconcileIntervalS` → "reconcile interval"; `max_delay_ms` → "max delay". */
function keyWords(key: string): string {
  const known = KEY_WORDS[key];
  if (known !== undefined) return known;
  let stem = key;
  for (const s of DURATION_SUFFIXES) stem = stem.replace(s.re, '');
  return stem
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
}

export function paramLabel(param: string, scenario?: Pick<Scenario, 'channels'>): ParamLabel {
  const path = parseParamPath(param);
  const key = String(path[path.length - 1] ?? param);
  const durationMs = DURATION_SUFFIXES.find((s) => s.re.test(key))?.ms ?? null;
  let words = keyWords(key);
  const [head, second] = path;
  if (head === 'strategies' && typeof second === 'string' && path.length === 3) words = `${words} of ${second}`;
  else if (head === 'channels' && typeof second === 'number' && path.length === 3) words = `${words} of channel ${scenario?.channels[second]?.id ?? second}`;
  else if (head === 'catalog' && path[1] === 'restock') words = `restock ${key === 'everyS' ? 'interval' : words}`;
  return { path: param, words, durationMs };
}

/**
 * The unit a duration parameter's values are plotted in: the largest in which the smallest of
 * them is at least 1 (60, 900 and 3600 s are 1, 15 and 60 min; 1, 30 and 600 s stay seconds).
 */
export function paramUnit(label: ParamLabel, values: readonly ParamValue[]): DurationUnit | null {
  if (label.durationMs === null) return null;
  const positive = values.filter((v): v is number => typeof v === 'number' && v > 0);
  return positive.length === 0 ? null : durationUnit(Math.min(...positive) * label.durationMs, 1);
}

/** One value in words: `15 min` for 900 of a `…S` parameter, `2,000` for 2000 orders per day. */
export function paramValueText(label: ParamLabel, value: ParamValue): string {
  if (typeof value !== 'number') return String(value);
  if (label.durationMs !== null) return formatMsShort(value * label.durationMs);
  return fmtNumber(value, Number.isInteger(value) ? 0 : 3);
}

/** "Polling interval of polling-15m": the words with a capital. */
export function capitalized(text: string): string {
  return text === '' ? text : `${text[0]!.toUpperCase()}${text.slice(1)}`;
}
