/** `invsim list`: the scenarios of a file, their strategies, and the channel presets. */
import type { Argv } from 'yargs';
import { assertBlocks } from '../../analysis/check.js';
import { toJson } from '../../analysis/output.js';
import { loadScenarioFile } from '../../scenarios/load.js';
import type { Scenario, StrategySpec } from '../../scenarios/schema.js';
import { CHANNEL_PRESETS, PRESET_IDS, type ChannelPreset } from '../../model/presets.js';
import type { RateLimitSpec } from '../../model/ratelimit.js';
import { fmtMs } from '../../reports/format.js';
import { textTable } from '../format.js';
import type { Io } from '../io.js';

export interface ListArgs {
  file: string;
  json: boolean;
}

export function listBuilder(y: Argv): Argv<ListArgs> {
  return y
    .positional('file', { type: 'string', default: 'scenarios.yaml', describe: 'scenario file (YAML)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout' })
    .example('$0 list', 'the shipped scenarios.yaml')
    .example('$0 list my-scenarios.yaml --json | jq ".scenarios[].name"', 'scenario names of another file') as unknown as Argv<ListArgs>;
}

interface StrategyListing {
  name: string;
  kind: StrategySpec['kind'];
  pitfall: string | null;
  description: string | null;
  /** Key parameters: the kind's interval or window, stock partitioning, a non-empty listing policy. */
  params: Record<string, unknown>;
}

interface ScenarioListing {
  name: string;
  description: string | null;
  durationS: number;
  channels: { id: string; preset: string }[];
  strategies: StrategyListing[];
  assertBlocks: number;
}

interface PresetListing {
  id: string;
  displayName: string;
  rateLimits: RateLimitSpec[];
  updateSemantics: string;
  maxItemsPerRequest: number;
  orderNotification: string;
}

function strategyListing(name: string, s: StrategySpec): StrategyListing {
  const { kind, description, pitfall, listingPolicy, partitionStock, ...rest } = s;
  const params: Record<string, unknown> = { ...rest };
  if (partitionStock) params['partitionStock'] = true;
  if (Object.keys(listingPolicy).length > 0) params['listingPolicy'] = listingPolicy;
  return { name, kind, pitfall: pitfall ?? null, description: description ?? null, params };
}

function scenarioListing(s: Scenario): ScenarioListing {
  return {
    name: s.name,
    description: s.description ?? null,
    durationS: s.durationS,
    channels: s.channels.map((c) => ({ id: c.id, preset: c.preset })),
    strategies: Object.entries(s.strategies).map(([name, spec]) => strategyListing(name, spec)),
    assertBlocks: assertBlocks(s).length,
  };
}

function presetListing(p: ChannelPreset): PresetListing {
  const notification = p.orderNotification.mode === 'webhook' ? 'webhook' : `polling every ${p.orderNotification.intervalS} s`;
  return { id: p.id, displayName: p.displayName, rateLimits: p.rateLimits, updateSemantics: p.updateSemantics, maxItemsPerRequest: p.maxItemsPerRequest, orderNotification: notification };
}

function fmtRateLimit(r: RateLimitSpec): string {
  switch (r.kind) {
    case 'leaky-bucket':
      return `leaky bucket ${r.capacity}, ${r.leakPerS}/s`;
    case 'token-bucket':
      return `token bucket ${r.ratePerS}/s, burst ${r.burst}`;
    case 'cost-bucket':
      return `cost bucket ${r.capacityPoints} pts, +${r.restorePerS}/s`;
    case 'quota':
      return `${r.limit} per ${fmtMs(r.periodS * 1000)}${r.scope === 'listing' ? ' per listing' : ''}`;
  }
}

function fmtParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

const indent = (text: string): string => text.replace(/^/gm, '  ');

function listText(file: string, scenarios: readonly ScenarioListing[], presets: readonly PresetListing[]): string {
  const lines = [`${file}: ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'}`];
  for (const s of scenarios) {
    lines.push(
      '',
      `${s.name}${s.description === null ? '' : ` - ${s.description}`}`,
      `  ${fmtMs(s.durationS * 1000)} simulated; channels ${s.channels.map((c) => `${c.id} (${c.preset})`).join(', ')}; ${s.assertBlocks} assert block${s.assertBlocks === 1 ? '' : 's'}`,
      indent(textTable(
        ['strategy', 'kind', 'parameters', 'description'],
        s.strategies.map((st) => [st.name, st.kind, [st.pitfall === null ? '' : `pitfall=${st.pitfall}`, fmtParams(st.params)].filter((x) => x !== '').join(' '), st.description ?? '']),
      )),
    );
  }
  lines.push(
    '',
    'channel presets (docs/channel-presets.md has every number and its source)',
    indent(textTable(
      ['preset', 'name', 'rate limits', 'updates', 'batch', 'orders'],
      presets.map((p) => [p.id, p.displayName, p.rateLimits.map(fmtRateLimit).join('; '), p.updateSemantics, String(p.maxItemsPerRequest), p.orderNotification]),
    )),
    '',
  );
  return lines.join('\n');
}

export function listCommand(args: ListArgs, io: Io): number {
  const file = loadScenarioFile(args.file);
  const scenarios = [...file.scenarios.values()].map(scenarioListing);
  const presets = PRESET_IDS.map((id) => presetListing(CHANNEL_PRESETS[id]));
  io.out(args.json ? toJson({ file: args.file, scenarios, presets }) : listText(args.file, scenarios, presets));
  return 0;
}
