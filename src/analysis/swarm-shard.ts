/**
 * Sharding a swarm, and merging the shards into exactly the report of the unsharded run.
 *
 * The unsharded swarm (runSwarm, swarm.ts) shrinks, in task order (strategy by strategy, seeds
 * ascending), the first failed run of each signature (strategy, sorted failure kinds), and stops
 * after `shrink` of them: the shrunk set is the first `shrink` signature-firsts of the whole run
 * (shrinkSelection below states that rule). A shard sees only its slice, so it cannot know
 * whether an earlier shard met the same signature first. Each shard therefore applies the same
 * rule to its own slice, and merge applies it again to the union of all failed runs in task
 * order, keeping a finding's shrink result only where the whole-run rule selects it.
 *
 * Why every finding the whole run shrinks was shrunk by its shard: let f be among the first K
 * signature-firsts of the whole run. Every run its shard saw before f that was first of its
 * signature in the shard has a signature other than f's, and one whose first whole-run occurrence
 * comes before f. Those signatures are distinct, so there are at most K-1 of them, and f is among
 * the first K signature-firsts of its shard. A shard may shrink more than the whole run keeps (a
 * signature an earlier shard met first, or one past the cap); merge drops those. Shrinking is a
 * pure function of (scenario, strategy, seed, failure, max shrink runs), so the kept results are
 * the whole run's, byte for byte, whichever machine computed them.
 */
import { z } from 'zod';
import type { Scenario } from '../scenarios/schema.js';
import { AnalysisInputError } from './errors.js';
import type { SwarmRecord } from './execute.js';
import { checkPieces, collectRuns, inShard, shardSchema, validateShardDocument, type Piece, type Shard, type ShardInput } from './shard.js';
import type { RunFailure } from './shrink.js';
import { runSwarm, shrinkSelection, type ShrunkFinding, type SwarmFinding, type SwarmReport, type SwarmRequest } from './swarm.js';

export { shrinkSelection, type SelectionInput } from './swarm.js';

export const SWARM_SHARD_KIND = 'invsim-swarm-shard';

/**
 * Runs the tasks of one shard. runSwarm takes a rectangle of strategies × seeds, so the slice is
 * run strategy by strategy (task order), each with the shrink budget the strategies before it
 * left: together, the first `shrinkFindings` signature-firsts of the slice, as shrinkSelection
 * picks them.
 */
export async function runSwarmShard(request: SwarmRequest, shard: Shard): Promise<SwarmReport> {
  const seedCount = request.seeds.length;
  const slices = request.strategies.map((strategy, k) => ({ strategy, seeds: request.seeds.filter((_, j) => inShard(k * seedCount + j, shard)) })).filter((s) => s.seeds.length > 0);
  const total = slices.reduce((n, s) => n + s.seeds.length, 0);
  const records: SwarmRecord[] = [];
  const findings: SwarmFinding[] = [];
  for (const slice of slices) {
    const done = records.length;
    const offset = findings.length;
    const budget = request.shrinkFindings - findings.filter((f) => f.shrunk !== undefined).length;
    const part = await runSwarm({
      ...request,
      strategies: [slice.strategy],
      seeds: slice.seeds,
      shrinkFindings: budget,
      onProgress: (n) => request.onProgress?.(done + n, total),
      onShrinkStep: (finding, attempts) => request.onShrinkStep?.(offset + finding, attempts),
    });
    records.push(...part.records);
    findings.push(...part.findings);
  }
  return { scenario: request.scenario.name, strategies: request.strategies, seeds: request.seeds, runs: records.length, failed: records.filter((r) => r.failure !== null).length, records, findings };
}

export interface SwarmShardRecord {
  readonly strategy: string;
  readonly seed: number;
  readonly failure: RunFailure | null;
  readonly ordersPlaced: number;
  readonly traceHash: string;
}

export interface SwarmShardFinding {
  readonly strategy: string;
  readonly seed: number;
  readonly variation: readonly string[];
  /** The shard's shrink result (with the scenario file's text), or null when the shard did not shrink it. */
  readonly shrunk: ShrunkFinding | null;
}

export interface SwarmShardDocument {
  readonly kind: typeof SWARM_SHARD_KIND;
  readonly version: 1;
  /** The scenario file as given: the replay commands name it. */
  readonly file: string;
  readonly scenario: string;
  readonly scenarioHash: string;
  readonly strategies: readonly string[];
  readonly seeds: readonly number[];
  /** `--shrink`: distinct failures shrunk at most. */
  readonly shrink: number;
  readonly maxShrinkRuns: number;
  /** `--out` as given: the shrunk scenario files are `<out>/<name>.yaml`. */
  readonly out: string;
  readonly shard: Shard;
  /** The shard's runs, in task order. */
  readonly runs: readonly SwarmShardRecord[];
  /** One per failed run of the shard, in task order. */
  readonly findings: readonly SwarmShardFinding[];
}

const failureSchema = z.strictObject({ kinds: z.array(z.string()).min(1), details: z.array(z.string()) });
const shrunkSchema = z.strictObject({
  name: z.string(),
  yaml: z.string(),
  steps: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  path: z.array(z.string()),
  failure: failureSchema,
  ordersPlaced: z.number().int().nonnegative(),
  // The simulator's own explanation records: passed through as they are.
  oversellExamples: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
});

const schema = z.strictObject({
  kind: z.literal(SWARM_SHARD_KIND),
  version: z.literal(1),
  file: z.string(),
  scenario: z.string(),
  scenarioHash: z.string(),
  strategies: z.array(z.string()).min(1),
  seeds: z.array(z.number().int().nonnegative()).min(1),
  shrink: z.number().int().nonnegative(),
  maxShrinkRuns: z.number().int().positive(),
  out: z.string(),
  shard: shardSchema,
  runs: z.array(z.strictObject({ strategy: z.string(), seed: z.number().int().nonnegative(), failure: failureSchema.nullable(), ordersPlaced: z.number().int().nonnegative(), traceHash: z.string() })),
  findings: z.array(z.strictObject({ strategy: z.string(), seed: z.number().int().nonnegative(), variation: z.array(z.string()), shrunk: shrunkSchema.nullable() })),
});

export interface SwarmShardPlan {
  readonly file: string;
  readonly scenario: Scenario;
  readonly scenarioHash: string;
  readonly shrink: number;
  readonly maxShrinkRuns: number;
  readonly out: string;
}

export function swarmShardDocument(plan: SwarmShardPlan, shard: Shard, report: SwarmReport): SwarmShardDocument {
  return {
    kind: SWARM_SHARD_KIND,
    version: 1,
    file: plan.file,
    scenario: plan.scenario.name,
    scenarioHash: plan.scenarioHash,
    strategies: [...report.strategies],
    seeds: [...report.seeds],
    shrink: plan.shrink,
    maxShrinkRuns: plan.maxShrinkRuns,
    out: plan.out,
    shard,
    runs: report.records.map((r) => ({ strategy: r.strategy, seed: r.seed, failure: r.failure, ordersPlaced: r.ordersPlaced, traceHash: r.traceHash })),
    findings: report.findings.map((f) => ({ strategy: f.strategy, seed: f.seed, variation: f.variation, shrunk: f.shrunk ?? null })),
  };
}

/** What merging swarm shards gives: the unsharded report, and the file and `--out` its JSON names. */
export interface MergedSwarm {
  readonly report: SwarmReport;
  readonly file: string;
  readonly out: string;
}

const runKey = (strategy: string, seed: number): string => JSON.stringify([strategy, seed]);
const runName = (r: { strategy: string; seed: number }): string => `strategy ${r.strategy}, seed ${r.seed}`;

/** Combines the shard documents of `swarm --shard` into the report the unsharded run gives; every inconsistency is an AnalysisInputError. */
export function mergeSwarmShards(inputs: readonly ShardInput[]): MergedSwarm {
  // Validated, then used as read: nested records (failures, oversell examples) keep the key order
  // the shard wrote them in, which is the order the unsharded run prints them in.
  const pieces: Piece<SwarmShardDocument>[] = inputs.map((input) => {
    validateShardDocument(input, schema, 'swarm');
    return { source: input.source, doc: input.json as SwarmShardDocument };
  });
  checkPieces(pieces, {
    what: 'swarm',
    planOf: (d) => [d.file, d.scenario, d.scenarioHash, d.strategies, d.seeds, d.shrink, d.maxShrinkRuns, d.out],
    describe: (d) =>
      `${d.file} scenario ${d.scenario} (hash ${d.scenarioHash.slice(0, 12)}), ${d.strategies.length} strategies, ${d.seeds.length} seeds, --shrink ${d.shrink}, --max-shrink-runs ${d.maxShrinkRuns}, --out ${d.out}`,
  });
  const { file, scenario, strategies, seeds, shrink, out } = pieces[0]!.doc;
  const order = strategies.flatMap((s) => seeds.map((seed) => ({ strategy: s, seed })));
  const planned = new Map(order.map((t) => [runKey(t.strategy, t.seed), runName(t)] as const));
  const runs = collectRuns(pieces, { planned, keyOf: (r) => runKey(r.strategy, r.seed), describe: runName });
  const found = new Map<string, { finding: SwarmShardFinding; source: string }>();
  for (const { source, doc } of pieces) {
    for (const finding of doc.findings) {
      const k = runKey(finding.strategy, finding.seed);
      if (runs.get(k)?.failure == null) throw new AnalysisInputError(`${source} has a finding for ${runName(finding)}, which is not a failed run of the swarm`);
      if (found.has(k)) throw new AnalysisInputError(`the finding for ${runName(finding)} appears twice: in ${found.get(k)!.source} and ${source}`);
      found.set(k, { finding, source });
    }
  }
  const records = order.map((t) => runs.get(runKey(t.strategy, t.seed))!);
  const selected = shrinkSelection(records, shrink);
  const findings: SwarmFinding[] = [];
  records.forEach((record, i) => {
    if (record.failure === null) return;
    const entry = found.get(runKey(record.strategy, record.seed));
    if (entry === undefined) throw new AnalysisInputError(`the failed run ${runName(record)} has no finding in the shard documents`);
    const finding = { strategy: record.strategy, seed: record.seed, failure: record.failure, variation: entry.finding.variation, ordersPlaced: record.ordersPlaced };
    if (!selected[i]) return void findings.push(finding);
    const shrunk = entry.finding.shrunk;
    if (shrunk === null) throw new AnalysisInputError(`${entry.source} did not shrink ${runName(record)}, the first of its failure in the whole swarm: its shard did not follow the shrink rule of --shrink ${shrink}`);
    findings.push({ ...finding, shrunk });
  });
  const swarmRecords: SwarmRecord[] = records.map((r) => ({ scenario, ...r }));
  return { report: { scenario, strategies, seeds, runs: records.length, failed: records.filter((r) => r.failure !== null).length, records: swarmRecords, findings }, file, out };
}
