/**
 * Cross-field checks: the rules that relate one part of a scenario file to another (a burst
 * inside the run, an outage on a declared channel, allocations that add up, a channel preset
 * that is still valid once overridden), each reported at the path it concerns.
 *
 * This is a second pass over the raw YAML data rather than a zod `superRefine`: zod skips an
 * object's refinements as soon as anything inside it failed, so one typo would hide every
 * cross-field problem, and the brief is to report every problem at once. Each check reads only
 * values of the right type and stays silent otherwise (the schema reports those), so nothing
 * is reported twice.
 */
import { DEFAULT_RETRY_POLICY } from '../engine/retry.js';
import { CHANNEL_PRESETS, presetParameters, validatePreset, type ChannelPreset, type PresetId } from '../model/presets.js';
import { YEAR_S } from './bounds.js';
import { formatPath, type PathIssue, type PathKey } from './issues.js';
import { channelSchema, type ChannelSpec } from './schema.js';
import { didYouMean, listWords } from './suggest.js';

type Raw = Readonly<Record<string, unknown>>;

const asRaw = (v: unknown): Raw | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : undefined);
const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const items = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const seconds = (s: number): string => `${Number(s.toFixed(3))} s`;

/** Every cross-field problem in a scenario file's raw data (as parsed from YAML). */
export function crossFieldIssues(data: unknown): PathIssue[] {
  const out: PathIssue[] = [];
  const scenarios = asRaw(asRaw(data)?.['scenarios']);
  if (scenarios === undefined) return out;
  if (Object.keys(scenarios).length === 0) {
    out.push({ path: ['scenarios'], code: 'no_scenarios', message: 'the file declares no scenarios' });
  }
  for (const [name, raw] of Object.entries(scenarios)) {
    const scenario = asRaw(raw);
    if (scenario !== undefined) checkScenario(new Check(['scenarios', name], scenario, out));
  }
  return out;
}

/** What every check of one scenario needs: where it is, its data, what it declares. */
class Check {
  readonly durationS: number | undefined;
  readonly channelIds: readonly string[];
  readonly strategyNames: readonly string[] | undefined;

  constructor(
    readonly at: readonly PathKey[],
    readonly raw: Raw,
    private readonly out: PathIssue[],
  ) {
    const d = finite(raw['durationS']);
    this.durationS = d !== undefined && d > 0 ? d : undefined;
    const ids = items(raw['channels']).flatMap((c) => {
      const id = asRaw(c)?.['id'];
      return typeof id === 'string' ? [id] : [];
    });
    this.channelIds = [...new Set(ids)];
    const strategies = asRaw(raw['strategies']);
    this.strategyNames = strategies === undefined ? undefined : Object.keys(strategies);
  }

  add(path: readonly PathKey[], code: string, message: string): void {
    this.out.push({ path: [...this.at, ...path], code, message });
  }

  /** `value` must name a declared channel. */
  channelRef(path: readonly PathKey[], value: unknown): void {
    if (typeof value !== 'string' || this.channelIds.length === 0 || this.channelIds.includes(value)) return;
    const declared = `; declared channels: ${listWords(this.channelIds)}`;
    this.add(path, 'unknown_channel', `unknown channel ${JSON.stringify(value)}${didYouMean(value, this.channelIds, declared)}`);
  }

  /** A window `[startS, endS]` must end within the run. */
  withinRun(path: readonly PathKey[], what: string, endS: number, detail: string): void {
    if (this.durationS === undefined || endS <= this.durationS) return;
    this.add(path, 'outside_duration', `${what} ends at ${seconds(endS)} (${detail}), after the end of the run (durationS ${this.durationS})`);
  }

  /** An event starting at `startS` must start before the run ends, or it never happens. */
  startsInRun(path: readonly PathKey[], what: string, startS: number): void {
    if (this.durationS === undefined || startS < this.durationS) return;
    this.add(path, 'outside_duration', `${what} starts at ${seconds(startS)}, at or after the end of the run (durationS ${this.durationS}): it would never happen`);
  }
}

function checkScenario(c: Check): void {
  checkCatalog(c);
  checkChannelIds(c);
  checkDemand(c);
  checkFaults(c);
  checkStrategies(c);
  checkReference(c);
  checkEconomics(c);
  checkAsserts(c);
  checkPresets(c);
  checkRetryPolicy(c);
}

function checkCatalog(c: Check): void {
  const catalog = asRaw(c.raw['catalog']);
  const min = finite(catalog?.['initialStockMin']);
  const max = finite(catalog?.['initialStockMax']);
  if (min !== undefined && max !== undefined && max < min) {
    c.add(['catalog', 'initialStockMax'], 'stock_range', `must be >= initialStockMin (${min}), got ${max}`);
  }
}

function checkChannelIds(c: Check): void {
  const firstIndex = new Map<string, number>();
  items(c.raw['channels']).forEach((channel, i) => {
    const id = asRaw(channel)?.['id'];
    if (typeof id !== 'string') return;
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, i);
    else c.add(['channels', i, 'id'], 'duplicate_id', `duplicate channel id ${JSON.stringify(id)}: channels[${first}] has it already`);
  });
}

function checkDemand(c: Check): void {
  const demand = asRaw(c.raw['demand']);
  items(demand?.['bursts']).forEach((b, i) => {
    const burst = asRaw(b);
    const atS = finite(burst?.['atS']);
    if (atS !== undefined) {
      const spreadMs = finite(burst?.['spreadMs']) ?? 0;
      c.withinRun(['demand', 'bursts', i, 'atS'], 'the burst', atS + spreadMs / 1000, `atS ${atS} + spreadMs ${spreadMs}`);
    }
    items(burst?.['channels']).forEach((ch, j) => c.channelRef(['demand', 'bursts', i, 'channels', j], ch));
  });
  const surgeStartS = finite(asRaw(demand?.['surge'])?.['startS']);
  if (surgeStartS !== undefined) c.startsInRun(['demand', 'surge', 'startS'], 'the surge', surgeStartS);
}

function checkFaults(c: Check): void {
  const faults = asRaw(c.raw['faults']);
  for (const kind of ['outages', 'latencySpikes'] as const) {
    const what = kind === 'outages' ? 'the outage' : 'the latency spike';
    items(faults?.[kind]).forEach((w, i) => {
      const window = asRaw(w);
      c.channelRef([...['faults', kind], i, 'channel'], window?.['channel']);
      const startS = finite(window?.['startS']);
      if (startS !== undefined) c.startsInRun(['faults', kind, i, 'startS'], what, startS);
    });
  }
  for (const kind of ['processorCrashes', 'dispatcherCrashes'] as const) {
    const what = kind === 'processorCrashes' ? 'the processor crash' : 'the dispatcher crash';
    items(faults?.[kind]).forEach((w, i) => {
      const crash = asRaw(w);
      const atS = finite(crash?.['atS']);
      if (atS === undefined) return;
      const downS = finite(crash?.['downS']) ?? 0;
      c.withinRun(['faults', kind, i, 'atS'], what, atS + downS, `atS ${atS} + downS ${downS}`);
    });
  }
}

function checkStrategies(c: Check): void {
  const strategies = asRaw(c.raw['strategies']);
  if (strategies === undefined) return;
  if (Object.keys(strategies).length === 0) {
    c.add(['strategies'], 'no_strategies', 'declare at least one strategy (e.g. `event-driven: { kind: event-driven }`)');
  }
  for (const [name, s] of Object.entries(strategies)) {
    const strategy = asRaw(s);
    const allocation = asRaw(asRaw(strategy?.['listingPolicy'])?.['allocation']);
    for (const id of Object.keys(allocation ?? {})) c.channelRef(['strategies', name, 'listingPolicy', 'allocation', id], id);
    if (strategy?.['partitionStock'] === true) checkPartition(c, ['strategies', name], allocation);
  }
}

/** Partitioned stock splits each SKU into per-channel pools: one percent per channel, at most 100 in all. */
function checkPartition(c: Check, at: readonly PathKey[], allocation: Raw | undefined): void {
  if (allocation === undefined) {
    c.add([...at, 'partitionStock'], 'allocation', 'partitionStock needs listingPolicy.allocation with a percent for every channel');
    return;
  }
  const path = [...at, 'listingPolicy', 'allocation'];
  const missing = c.channelIds.filter((id) => !Object.hasOwn(allocation, id));
  if (missing.length > 0) {
    c.add(path, 'allocation', `partitionStock needs a percent for every channel; missing: ${missing.join(', ')}`);
  }
  let total = 0;
  for (const [id, entry] of Object.entries(allocation)) {
    const e = asRaw(entry);
    const percent = finite(e?.['percent']);
    if (percent !== undefined) total += percent;
    else if (e !== undefined && Object.hasOwn(e, 'fixed')) c.add([...path, id], 'allocation', 'partitionStock needs a percent here, not a fixed number of units');
  }
  if (total > 100) c.add(path, 'allocation', `the percents add up to ${Number(total.toFixed(6))}; with partitionStock they must add up to <= 100`);
}

/** `reference` must name one of the scenario's strategies. */
function checkReference(c: Check): void {
  const name = c.raw['reference'];
  const names = c.strategyNames;
  if (typeof name !== 'string' || names === undefined || names.length === 0 || names.includes(name)) return;
  c.add(['reference'], 'unknown_strategy', `unknown strategy ${JSON.stringify(name)}${didYouMean(name, names, `; declared strategies: ${listWords(names)}`)}`);
}

/** Runs of `durationS` cannot happen more often than they fit, end to end, in a year. */
function checkEconomics(c: Check): void {
  const occurrences = finite(asRaw(c.raw['economics'])?.['occurrencesPerYear']);
  if (occurrences === undefined || c.durationS === undefined || occurrences <= 0) return;
  const most = YEAR_S / c.durationS;
  if (occurrences > most) {
    c.add(['economics', 'occurrencesPerYear'], 'too_often', `a run of ${seconds(c.durationS)} fits at most ${Number(most.toFixed(3))} times in a year of 365 days, got ${occurrences}`);
  }
}

function checkAsserts(c: Check): void {
  const block = c.raw['assert'];
  const blocks: [unknown, PathKey[]][] = Array.isArray(block) ? block.map((b, i) => [b, ['assert', i]]) : [[block, ['assert']]];
  const names = c.strategyNames;
  if (names === undefined || names.length === 0) return;
  for (const [b, at] of blocks) {
    items(asRaw(b)?.['strategies']).forEach((name, j) => {
      if (typeof name !== 'string' || names.includes(name)) return;
      const declared = `; declared strategies: ${listWords(names)}`;
      c.add([...at, 'strategies', j], 'unknown_strategy', `unknown strategy ${JSON.stringify(name)}${didYouMean(name, names, declared)}`);
    });
  }
}

/** A channel's preset with its overrides merged (as the simulator does), valid as a whole. */
function checkPresets(c: Check): void {
  items(c.raw['channels']).forEach((raw, i) => {
    const parsed = channelSchema.safeParse(raw);
    if (!parsed.success) return; // the schema reports it
    const spec = parsed.data;
    const overrides = asRaw(asRaw(raw)?.['overrides']);
    for (const problem of validatePreset(mergedPreset(spec))) {
      const { presetPath, message } = splitProblem(problem);
      const top = presetPath[0];
      const inOverrides = overrides !== undefined && typeof top === 'string' && Object.hasOwn(overrides, top);
      const base: PathKey[] = overrides === undefined ? ['channels', i, 'preset'] : ['channels', i, 'overrides'];
      // `rateLimits[0]: capacity must be >= 1` is about the key `capacity` when the override has it.
      const field = /^(\w+) /.exec(message)?.[1];
      const holder = asRaw(rawAt(overrides, presetPath));
      const fieldPath = inOverrides && field !== undefined && holder !== undefined && Object.hasOwn(holder, field) ? [field] : [];
      const where = inOverrides ? [...base, ...presetPath, ...fieldPath] : base;
      const context = inOverrides ? '' : `${formatPath(presetPath)}: `;
      c.add(where, 'invalid_preset', `with these overrides the ${spec.preset} preset is invalid: ${context}${message}`);
    }
  });
}

function rawAt(value: unknown, path: readonly PathKey[]): unknown {
  let v = value;
  for (const key of path) v = Array.isArray(v) && typeof key === 'number' ? v[key] : asRaw(v)?.[String(key)];
  return v;
}

/** `'rateLimits[0]: capacity must be >= 1'` → `{ presetPath: ['rateLimits', 0], message: 'capacity must be >= 1' }`. */
function splitProblem(problem: string): { presetPath: PathKey[]; message: string } {
  const colon = problem.indexOf(': ');
  if (colon < 0) return { presetPath: [], message: problem };
  const presetPath = problem
    .slice(0, colon)
    .split('.')
    .flatMap((part): PathKey[] => {
      const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
      if (m === null) return [part];
      const indices = [...(m[2] ?? '').matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
      return [m[1]!, ...indices];
    });
  return { presetPath, message: problem.slice(colon + 2) };
}

/**
 * The preset a channel runs with: the preset, then each override replacing its field whole
 * (the same merge as `effectivePreset` in src/sim/world.ts). `maxConcurrency` is a dispatcher
 * setting, not a preset field. Provenance is rebuilt so that `validatePreset` judges the values:
 * an overridden parameter is sourced by the scenario.
 */
export function mergedPreset(spec: ChannelSpec): ChannelPreset {
  const base = CHANNEL_PRESETS[spec.preset as PresetId];
  const merged = structuredClone(base) as ChannelPreset;
  const { maxConcurrency: _maxConcurrency, ...overrides } = spec.overrides ?? {};
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = structuredClone(value);
  }
  merged.sources = Object.fromEntries(presetParameters(merged).map((p) => [p.path, base.sources[p.path] ?? 'scenario override']));
  return merged;
}

/**
 * The seed template's retry policy, with the engine's defaults for what it leaves out, must
 * have max_delay_ms >= base_delay_ms: the dispatcher refuses it otherwise, and without a path.
 */
function checkRetryPolicy(c: Check): void {
  const given = asRaw(asRaw(c.raw['inventory_sync'])?.['retry_policy']);
  if (given === undefined) return;
  const base = given['base_delay_ms'] === undefined ? DEFAULT_RETRY_POLICY.baseDelayMs : finite(given['base_delay_ms']);
  const max = given['max_delay_ms'] === undefined ? DEFAULT_RETRY_POLICY.maxDelayMs : finite(given['max_delay_ms']);
  if (base === undefined || max === undefined || max >= base) return;
  const label = (key: string, value: number): string => `${key} ${value}${Object.hasOwn(given, key) ? '' : ' (the default)'}`;
  const at = Object.hasOwn(given, 'max_delay_ms') ? 'max_delay_ms' : 'base_delay_ms';
  c.add(['inventory_sync', 'retry_policy', at], 'delay_range', `${label('max_delay_ms', max)} must be >= ${label('base_delay_ms', base)}`);
}
