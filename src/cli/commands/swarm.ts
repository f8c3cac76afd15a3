/** `invsim swarm`: each seed a variation of the scenario; every way of failing shrunk to a small scenario file. */
import path from 'node:path';
import type { Argv } from 'yargs';
import { assertWritable, writeFileAtomically } from '../../adapters/output-file.js';
import { seedRange } from '../../analysis/compare.js';
import { AnalysisInputError } from '../../analysis/errors.js';
import { fileSafe, toJson } from '../../analysis/output.js';
import { inShard, scenarioHash, shardFileBase, type Shard } from '../../analysis/shard.js';
import { runSwarmShard, swarmShardDocument } from '../../analysis/swarm-shard.js';
import { runSwarm, swarmReplayCommand, type SwarmFinding, type SwarmReport } from '../../analysis/swarm.js';
import { drawVariation } from '../../analysis/swarm-variation.js';
import { shellQuote } from '../../analysis/check.js';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import type { Scenario } from '../../scenarios/schema.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { withProgress } from '../progress.js';
import { resolveStrategies, seedOptions, type SeedArgs } from './common.js';
import { commandShard, emitK8sJob, shardOptions, type ShardArgs } from './compare.js';

export interface SwarmArgs extends SeedArgs, ShardArgs {
  file: string;
  scenario: string;
  strategies: string | undefined;
  seed: number | undefined;
  out: string | undefined;
  shrink: number;
  maxShrinkRuns: number;
  json: boolean;
}

const MAX_SHRINK_RUNS = 10_000;
const DEFAULT_OUT = 'swarm-out';

export function swarmBuilder(y: Argv): Argv<SwarmArgs> {
  return seedOptions(
    shardOptions(y)
      .positional('file', { type: 'string', describe: 'scenario file (YAML)', demandOption: true })
      .option('scenario', { type: 'string', demandOption: true, describe: 'the scenario to vary' })
      .option('strategies', { type: 'string', describe: 'comma-separated strategies (default: every strategy that is not a pitfall variant)' })
      .option('seed', { type: 'number', describe: 'run this one seed only (replays a finding: its variation is drawn from the seed alone)' })
      .option('out', { type: 'string', defaultDescription: DEFAULT_OUT, describe: 'directory for the shrunk scenario files (and, with --shard, the shard document)' })
      .option('shrink', { type: 'number', default: 3, describe: 'distinct failures to shrink (the first seed of each way of failing, per strategy); 0: none' })
      .option('max-shrink-runs', { type: 'number', default: 400, describe: 'candidate runs per shrink at most' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout' }),
    100,
  )
    .example('$0 swarm scenarios.yaml --scenario flash-sale --seeds 1000', 'the real engine under 1000 drawn fault configurations')
    .example('$0 swarm scenarios.yaml --scenario pitfalls --strategies pitfall-no-locking --seeds 50', 'find a pitfall and shrink it to a small scenario')
    .example('$0 swarm scenarios.yaml --scenario flash-sale --strategies event-driven --seed 417', 'replay one seed of a swarm')
    .example('$0 swarm scenarios.yaml --scenario flash-sale --seeds 10000 --shard 3/8 --out swarm-out', 'one machine of eight; combine with `invsim merge swarm-out/swarm-*-shard-*.json`') as unknown as Argv<SwarmArgs>;
}

export async function swarmCommand(args: SwarmArgs, io: Io): Promise<number> {
  const file = loadScenarioFile(args.file);
  const scenario = getScenario(file, args.scenario);
  const strategies = args.strategies === undefined ? Object.keys(scenario.strategies).filter((s) => scenario.strategies[s]!.pitfall === undefined) : resolveStrategies(args.strategies, scenario);
  if (strategies.length === 0) throw new AnalysisInputError(`scenario ${scenario.name} has only pitfall variants; name them with --strategies`);
  if (!Number.isInteger(args.shrink) || args.shrink < 0) throw new AnalysisInputError(`--shrink must be an integer >= 0, got ${args.shrink}`);
  if (!Number.isInteger(args.maxShrinkRuns) || args.maxShrinkRuns < 1 || args.maxShrinkRuns > MAX_SHRINK_RUNS) throw new AnalysisInputError(`--max-shrink-runs must be an integer from 1 to ${MAX_SHRINK_RUNS}, got ${args.maxShrinkRuns}`);
  const seeds = args.seed === undefined ? seedRange(args.seeds, args.seedStart) : seedRange(1, args.seed);
  if (args.emitK8sJob !== undefined) return emitK8sJob(args, { words: swarmWords(args), scenario: scenario.name, outBase: swarmOutBase(scenario.name) }, io);
  const shard = commandShard(args);
  const out = args.out ?? DEFAULT_OUT;
  // Checked before the runs: a bad --out fails at once, not after an hour of seeds.
  assertWritable([{ option: '--out', path: shard === undefined ? path.join(out, '.swarm-probe') : shardDocumentPath(out, scenario.name, shard) }]);
  if (args.seed !== undefined && !args.json) io.err(describeVariation(scenario, args.seed));
  const request = { file: args.file, scenario, strategies, seeds, workers: args.workers, shrinkFindings: args.shrink, maxShrinkRuns: args.maxShrinkRuns };
  const label = shard === undefined ? 'swarm' : `swarm shard ${shard.index}/${shard.count}`;
  const total = strategies.length * seeds.length;
  const slice = shard === undefined ? total : Array.from({ length: total }, (_, i) => i).filter((i) => inShard(i, shard)).length;
  const report = await withProgress(io, label, slice, (onProgress) => (shard === undefined ? runSwarm({ ...request, onProgress }) : runSwarmShard({ ...request, onProgress }, shard)));
  const files = new Map<SwarmFinding, string>();
  for (const f of report.findings) {
    if (f.shrunk === undefined) continue;
    const target = shrunkFile(out, f.shrunk.name);
    writeFileAtomically({ option: '--out', path: target, data: f.shrunk.yaml });
    files.set(f, target);
  }
  if (shard !== undefined) {
    const doc = toJson(swarmShardDocument({ file: args.file, scenario, scenarioHash: scenarioHash(scenario), shrink: args.shrink, maxShrinkRuns: args.maxShrinkRuns, out }, shard, report));
    const target = shardDocumentPath(out, scenario.name, shard);
    writeFileAtomically({ option: '--out', path: target, data: doc });
    io.out(doc);
    io.err(`wrote ${target}\n`);
  } else if (args.json) io.out(toJson(jsonReport(report, args.file, files)));
  else io.out(formatReport(report, args.file, files));
  return report.failed === 0 ? EXIT.ok : EXIT.failed;
}

/** Where a shrunk scenario goes: `<out>/<name>.yaml`; the merged report of shards names the same path. */
export function shrunkFile(out: string, name: string): string {
  return path.join(out, `${name}.yaml`);
}

/** `swarm-<scenario>`: the base name of a shard document in `--out`. */
function swarmOutBase(scenario: string): string {
  return `swarm-${fileSafe(scenario)}`;
}

function shardDocumentPath(out: string, scenario: string, shard: Shard): string {
  return path.join(out, `${shardFileBase(swarmOutBase(scenario), shard)}.json`);
}

/** The swarm's own words, for the pods of a Job (sharding, workers and output are theirs). */
function swarmWords(args: SwarmArgs): (string | number)[] {
  return [
    'swarm',
    args.file,
    '--scenario',
    args.scenario,
    ...(args.strategies === undefined ? [] : ['--strategies', args.strategies]),
    ...(args.seed === undefined ? ['--seeds', args.seeds, '--seed-start', args.seedStart] : ['--seed', args.seed]),
    '--shrink',
    args.shrink,
    '--max-shrink-runs',
    args.maxShrinkRuns,
  ];
}

function describeVariation(scenario: Scenario, seed: number): string {
  const changes = drawVariation(scenario, seed).changes;
  return `seed ${seed} varies ${scenario.name}:\n${changes.length === 0 ? '  nothing (the scenario as it is)\n' : changes.map((c) => `  ${c}\n`).join('')}`;
}

/** The terminal form of a swarm report; shared with `merge`. */
export function formatReport(report: SwarmReport, file: string, files: ReadonlyMap<SwarmFinding, string>): string {
  const lines = [`invsim swarm ${file} --scenario ${report.scenario}: ${report.runs} runs (${report.strategies.join(', ')}; seeds ${report.seeds[0]}..${report.seeds[report.seeds.length - 1]}), ${report.failed} failed`, ''];
  for (const f of report.findings) {
    if (f.shrunk === undefined) continue;
    const shrunkFile = files.get(f) ?? '';
    lines.push(
      `FAIL ${f.strategy} seed ${f.seed}: ${f.failure.kinds.join(', ')} (${f.ordersPlaced} orders)`,
      f.variation.length === 0 ? '  variation: none (the scenario as it is)' : '  variation:',
      ...f.variation.map((v) => `    ${v}`),
      `  replay:  ${swarmReplayCommand(file, report.scenario, f.strategy, f.seed)}`,
      `  shrunk in ${f.shrunk.steps} steps (${f.shrunk.attempts} runs) to ${f.shrunk.ordersPlaced} orders: ${shrunkFile}`,
      `  run it:  invsim run ${shellQuote(shrunkFile)} --scenario ${f.shrunk.name} --strategy ${f.strategy} --seed ${f.seed}`,
      ...f.shrunk.failure.details.slice(0, 5).map((d) => `    ${d}`),
      ...f.shrunk.oversellExamples.slice(0, 3).map(
        (o) => `    oversell ${o.orderId} on ${o.channel} ${o.sku} at ${o.placedAtMs} ms: listed ${o.listedQuantity}, source held ${o.sourceQuantityAtPlacement}${o.sourceChangedAtMs === null ? '' : ` (changed at ${o.sourceChangedAtMs} ms`}${o.sourceChangedAtMs === null ? '' : o.channelUpdatedAtMs === null ? ', the channel not updated since)' : `, the channel updated at ${o.channelUpdatedAtMs} ms)`}`,
      ),
      '',
    );
  }
  const unshrunk = report.findings.filter((f) => f.shrunk === undefined);
  if (unshrunk.length > 0) {
    lines.push(`also failed (not shrunk): ${unshrunk.slice(0, 20).map((f) => `${f.strategy} seed ${f.seed} (${f.failure.kinds.join(', ')})`).join('; ')}${unshrunk.length > 20 ? `; … ${unshrunk.length - 20} more` : ''}`, '');
  }
  lines.push(report.failed === 0 ? `no failure in ${report.runs} runs` : `${report.failed} of ${report.runs} runs failed`, '');
  return lines.join('\n');
}

/** The `--json` document of a swarm report; shared with `merge`. */
export function jsonReport(report: SwarmReport, file: string, files: ReadonlyMap<SwarmFinding, string>): unknown {
  return {
    file,
    scenario: report.scenario,
    strategies: report.strategies,
    seeds: report.seeds,
    runs: report.runs,
    failed: report.failed,
    findings: report.findings.map((f) => ({
      strategy: f.strategy,
      seed: f.seed,
      failure: f.failure,
      variation: f.variation,
      ordersPlaced: f.ordersPlaced,
      replay: swarmReplayCommand(file, report.scenario, f.strategy, f.seed),
      shrunk:
        f.shrunk === undefined
          ? null
          : { file: files.get(f) ?? null, scenario: f.shrunk.name, steps: f.shrunk.steps, runs: f.shrunk.attempts, path: f.shrunk.path, ordersPlaced: f.shrunk.ordersPlaced, failure: f.shrunk.failure, oversellExamples: f.shrunk.oversellExamples },
    })),
    runsBySeed: report.records.map((r) => ({ strategy: r.strategy, seed: r.seed, failure: r.failure === null ? null : r.failure.kinds, ordersPlaced: r.ordersPlaced, traceHash: r.traceHash })),
  };
}
