/**
 * Sharding a comparison over machines, and merging the pieces back. Shard i of n takes the runs
 * whose index in the canonical (strategy, seed) order is i-1 modulo n, so every shard gets a
 * balanced mix of strategies and the union of the n shards is the plan exactly once. A shard
 * document carries its raw runs plus the plan and a hash of the scenario, so `merge` can refuse
 * pieces of different comparisons and report missing or duplicated runs instead of averaging them.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Scenario } from '../scenarios/schema.js';
import { aggregate, type ComparePlan, type CompareResult, type CompareRun } from './compare.js';
import { AnalysisInputError } from './errors.js';
import { COMPARE_METRICS, NULLABLE_METRICS } from './metrics.js';
import type { Frequency } from '../scenarios/economics.js';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export const MAX_SHARDS = 100_000;
export const SHARD_KIND = 'invsim-compare-shard';

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw new AnalysisInputError(`--shard must look like i/n with 1 <= i <= n <= ${MAX_SHARDS} (e.g. 2/4), got "${text}"`);
  }
  return { index, count };
}

export function inShard(runIndex: number, shard: Shard): boolean {
  return runIndex % shard.count === shard.index - 1;
}

/** A fingerprint of the scenario as loaded (defaults filled in): shards of different files do not merge. */
export function scenarioHash(scenario: Scenario): string {
  return createHash('sha256').update(JSON.stringify(scenario)).digest('hex');
}

export interface ShardRun extends CompareRun {
  readonly strategy: string;
}

export interface ShardDocument {
  readonly kind: typeof SHARD_KIND;
  readonly version: 1;
  readonly scenario: string;
  readonly scenarioHash: string;
  readonly strategies: readonly string[];
  /** The strategy the merged comparison's paired differences are taken against. */
  readonly baseline: string;
  readonly frequency: Frequency | null;
  readonly seeds: readonly number[];
  readonly shard: Shard;
  readonly runs: readonly ShardRun[];
}

const metricsSchema = z.strictObject(Object.fromEntries(COMPARE_METRICS.map((m) => [m, NULLABLE_METRICS.has(m) ? z.number().nullable() : z.number()])));
const frequencySchema = z.strictObject({ occurrencesPerYear: z.number().positive(), basis: z.enum(['declared', 'whole-days']) }).nullable();

const shardDocumentSchema = z.strictObject({
  kind: z.literal(SHARD_KIND),
  version: z.literal(1),
  scenario: z.string(),
  scenarioHash: z.string(),
  strategies: z.array(z.string()).min(1),
  baseline: z.string(),
  frequency: frequencySchema,
  seeds: z.array(z.number().int().nonnegative()).min(1),
  shard: z.strictObject({ index: z.number().int().positive(), count: z.number().int().positive() }),
  runs: z.array(z.strictObject({ strategy: z.string(), seed: z.number().int().nonnegative(), traceHash: z.string(), metrics: metricsSchema })),
});

export function shardDocument(plan: ComparePlan, hash: string, shard: Shard, runs: readonly ShardRun[]): ShardDocument {
  const baseline = plan.baseline ?? plan.strategies[0] ?? '';
  return { kind: SHARD_KIND, version: 1, scenario: plan.scenario, scenarioHash: hash, strategies: [...plan.strategies], baseline, frequency: plan.frequency, seeds: [...plan.seeds], shard, runs };
}

/** One input of `merge`: where it came from (for messages) and its parsed JSON. */
export interface ShardInput {
  readonly source: string;
  readonly json: unknown;
}

function validate(input: ShardInput): ShardDocument {
  const parsed = shardDocumentSchema.safeParse(input.json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new AnalysisInputError(`${input.source} is not a shard document of \`invsim compare --shard\`:\n${problems}`);
  }
  // The metrics schema is built from COMPARE_METRICS, so zod cannot name the keys; it checked them.
  return parsed.data as unknown as ShardDocument;
}

const key = (strategy: string, seed: number): string => `${strategy}\u0000${seed}`;

/** Combines shard documents into the comparison the unsharded run prints; every inconsistency is an AnalysisInputError. */
export function mergeShards(inputs: readonly ShardInput[]): CompareResult {
  if (inputs.length === 0) throw new AnalysisInputError('merge needs at least one shard file');
  const docs = inputs.map((input) => ({ source: input.source, doc: validate(input) }));
  const first = docs[0]!;
  const planOf = (d: ShardDocument): string => JSON.stringify([d.scenario, d.scenarioHash, d.strategies, d.baseline, d.seeds, d.shard.count]);
  for (const { source, doc } of docs.slice(1)) {
    if (planOf(doc) !== planOf(first.doc)) {
      throw new AnalysisInputError(
        `${source} belongs to another comparison than ${first.source}: ` +
          `scenario ${doc.scenario} (hash ${doc.scenarioHash.slice(0, 12)}), ${doc.strategies.length} strategies, ${doc.seeds.length} seeds, ${doc.shard.count} shards ` +
          `vs scenario ${first.doc.scenario} (hash ${first.doc.scenarioHash.slice(0, 12)}), ${first.doc.strategies.length} strategies, ${first.doc.seeds.length} seeds, ${first.doc.shard.count} shards`,
      );
    }
  }
  const count = first.doc.shard.count;
  const seenShards = new Map<number, string>();
  for (const { source, doc } of docs) {
    const other = seenShards.get(doc.shard.index);
    if (other !== undefined) throw new AnalysisInputError(`shard ${doc.shard.index}/${count} is given twice: ${other} and ${source}`);
    seenShards.set(doc.shard.index, source);
  }
  const missingShards = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seenShards.has(i));
  if (missingShards.length > 0) throw new AnalysisInputError(`missing shard${missingShards.length === 1 ? '' : 's'} ${missingShards.map((i) => `${i}/${count}`).join(', ')}`);

  const { strategies, seeds, baseline, frequency } = first.doc;
  const planned = new Set(strategies.flatMap((s) => seeds.map((seed) => key(s, seed))));
  const runs = new Map<string, { run: ShardRun; source: string }>();
  for (const { source, doc } of docs) {
    for (const run of doc.runs) {
      const k = key(run.strategy, run.seed);
      if (!planned.has(k)) throw new AnalysisInputError(`${source} has a run outside the plan: strategy ${run.strategy}, seed ${run.seed}`);
      const dup = runs.get(k);
      if (dup !== undefined) throw new AnalysisInputError(`the run strategy ${run.strategy}, seed ${run.seed} appears twice: in ${dup.source} and ${source}`);
      runs.set(k, { run, source });
    }
  }
  const missing = [...planned].filter((k) => !runs.has(k)).map((k) => k.replace('\u0000', ' seed '));
  if (missing.length > 0) throw new AnalysisInputError(`${missing.length} run${missing.length === 1 ? ' is' : 's are'} missing: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);

  return aggregate({ scenario: first.doc.scenario, strategies, seeds, baseline, frequency }, (strategy) =>
    seeds.map((seed) => {
      const { run } = runs.get(key(strategy, seed))!;
      // Rebuilt in the canonical key order, so the merged JSON matches the unsharded one byte for byte.
      const metrics = Object.fromEntries(COMPARE_METRICS.map((m) => [m, run.metrics[m]])) as CompareRun['metrics'];
      return { seed: run.seed, traceHash: run.traceHash, metrics };
    }),
  );
}
