/**
 * Sharding a run over machines, and checking the pieces before they are merged back. Shard i of n
 * takes the tasks whose index in the canonical task order (compare: strategy by strategy, seeds
 * ascending; sweep: value by value, then the same; swarm: as compare) is i-1 modulo n, so every
 * shard gets a balanced mix and the union of the n shards is the plan exactly once.
 *
 * The shard comes from the command line (`--shard i/n`, 1-based, as a CI matrix passes it) or from
 * the environment a scheduler sets (`--shard k8s`: a Kubernetes Indexed Job's 0-based
 * `JOB_COMPLETION_INDEX`, with the count from `--shard-count` or `INVSIM_SHARD_COUNT`); both
 * give the same shard document, so pieces from either merge together.
 *
 * A shard document carries its kind, its plan and a hash of the scenario, so `merge` can refuse
 * pieces of different runs and report missing or duplicated pieces instead of averaging them.
 * This module holds what every kind shares, and compare's own document; sweep-shard.ts and
 * swarm-shard.ts hold theirs, and merge.ts picks by kind.
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

/** `--shard k8s`: the shard from the environment of a Kubernetes Indexed Job. */
export const SHARD_FROM_K8S = 'k8s';
/** Set by Kubernetes in every pod of an Indexed Job: the pod's completion index, 0-based. */
export const SHARD_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** The shard count for `--shard k8s` when `--shard-count` is not given. */
export const SHARD_COUNT_ENV = 'INVSIM_SHARD_COUNT';

const fail = (field: string, reason: string): never => {
  throw new AnalysisInputError(`${field} ${reason}`, { field, reason });
};

/** `i/n`, 1-based, as `--shard` takes it (a CI matrix: `${{ matrix.shard }}/${{ strategy.job-total }}`). */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (match === null) return fail('--shard', `must look like i/n (1-based, e.g. 2/4) or be ${SHARD_FROM_K8S} (from ${SHARD_INDEX_ENV}), got "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS) return fail('--shard', `${text.trim()}: the count n must be from 1 to ${MAX_SHARDS}`);
  if (index < 1 || index > count) return fail('--shard', `${text.trim()}: the index i must be from 1 to n (${count}); --shard counts from 1 (${SHARD_INDEX_ENV} counts from 0: use --shard ${SHARD_FROM_K8S})`);
  return { index, count };
}

export interface ShardRequest {
  /** `--shard` as given: `i/n`, `k8s`, or undefined (no sharding). */
  readonly shard: string | undefined;
  /** `--shard-count` as given. */
  readonly shardCount: string | undefined;
  /** The process environment (the CLI passes process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The shard a command runs, from its flags and environment; undefined: the whole plan. Every bad value is an AnalysisInputError naming the flag or variable. */
export function resolveShard(request: ShardRequest): Shard | undefined {
  const { shard, shardCount, env } = request;
  if (shard === undefined) {
    if (shardCount !== undefined) fail('--shard-count', `goes with --shard ${SHARD_FROM_K8S} (the index from ${SHARD_INDEX_ENV}); without --shard nothing is sharded`);
    return undefined;
  }
  if (shard.trim() !== SHARD_FROM_K8S) {
    if (shardCount !== undefined) fail('--shard-count', `goes with --shard ${SHARD_FROM_K8S}; --shard ${shard.trim()} names its count already`);
    return parseShard(shard);
  }
  const countField = shardCount !== undefined ? '--shard-count' : SHARD_COUNT_ENV;
  const countText = shardCount ?? env[SHARD_COUNT_ENV];
  if (countText === undefined || countText.trim() === '') {
    return fail('--shard-count', `is needed with --shard ${SHARD_FROM_K8S}: the number of shards (the Job's completions), as --shard-count N or ${SHARD_COUNT_ENV}=N in the environment`);
  }
  const count = strictInteger(countText);
  if (count === undefined || count < 1 || count > MAX_SHARDS) return fail(countField, `must be an integer from 1 to ${MAX_SHARDS}, got "${countText}"`);
  const indexText = env[SHARD_INDEX_ENV];
  if (indexText === undefined || indexText.trim() === '') {
    return fail(SHARD_INDEX_ENV, `is not set: --shard ${SHARD_FROM_K8S} reads the 0-based completion index Kubernetes sets in each pod of an Indexed Job (completionMode: Indexed)`);
  }
  const index = strictInteger(indexText);
  if (index === undefined) return fail(SHARD_INDEX_ENV, `must be an integer >= 0 (the 0-based completion index), got "${indexText}"`);
  if (index >= count) return fail(SHARD_INDEX_ENV, `is ${index}, out of range for ${count} shards (${countField}): it must be from 0 to ${count - 1}`);
  return { index: index + 1, count };
}

/** A whole number written as digits only (no sign, exponent or fraction); undefined otherwise. */
function strictInteger(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function inShard(taskIndex: number, shard: Shard): boolean {
  return taskIndex % shard.count === shard.index - 1;
}

/** The base name of a shard's `--out` files: `<base>-shard-<i>-of-<n>`. */
export function shardFileBase(base: string, shard: Shard): string {
  return `${base}-shard-${shard.index}-of-${shard.count}`;
}

/** A fingerprint of the scenario as loaded (defaults filled in): shards of different files do not merge. */
export function scenarioHash(scenario: Scenario): string {
  return createHash('sha256').update(JSON.stringify(scenario)).digest('hex');
}

/** One input of `merge`: where it came from (for messages) and its parsed JSON. */
export interface ShardInput {
  readonly source: string;
  readonly json: unknown;
}

/** A validated shard document and the file it came from. */
export interface Piece<D> {
  readonly source: string;
  readonly doc: D;
}

export const shardSchema = z.strictObject({ index: z.number().int().positive(), count: z.number().int().positive().max(MAX_SHARDS) });

/** The input as the schema's document, or an AnalysisInputError listing every issue with its path. */
export function validateShardDocument<T>(input: ShardInput, schema: z.ZodType<T>, command: string): T {
  const parsed = schema.safeParse(input.json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new AnalysisInputError(`${input.source} is not a shard document of \`invsim ${command} --shard\`:\n${problems}`);
  }
  return parsed.data;
}

export interface PieceCheck<D> {
  /** What the pieces make up, for messages: `comparison`, `sweep`, `swarm`. */
  readonly what: string;
  /** Everything that must be equal across the pieces (the shard count is added). */
  readonly planOf: (doc: D) => unknown;
  /** The plan in a few words, for the message when two pieces differ. */
  readonly describe: (doc: D) => string;
}

/** Every piece of one plan, each shard exactly once: an AnalysisInputError names the first problem. */
export function checkPieces<D extends { readonly shard: Shard }>(pieces: readonly Piece<D>[], check: PieceCheck<D>): void {
  const first = pieces[0];
  if (first === undefined) throw new AnalysisInputError('merge needs at least one shard file');
  const planOf = (d: D): string => JSON.stringify([check.planOf(d), d.shard.count]);
  for (const { source, doc } of pieces.slice(1)) {
    if (planOf(doc) === planOf(first.doc)) continue;
    throw new AnalysisInputError(
      `${source} belongs to another ${check.what} than ${first.source}: ${check.describe(doc)}, ${doc.shard.count} shards vs ${check.describe(first.doc)}, ${first.doc.shard.count} shards`,
    );
  }
  const count = first.doc.shard.count;
  const seen = new Map<number, string>();
  for (const { source, doc } of pieces) {
    if (doc.shard.index > count) throw new AnalysisInputError(`${source} claims to be shard ${doc.shard.index}/${count}, out of range`);
    const other = seen.get(doc.shard.index);
    if (other !== undefined) throw new AnalysisInputError(`shard ${doc.shard.index}/${count} is given twice: ${other} and ${source}`);
    seen.set(doc.shard.index, source);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new AnalysisInputError(`missing shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')}`);
}

export interface RunKeys<R> {
  /** Every planned run: its key and how a message names it. */
  readonly planned: ReadonlyMap<string, string>;
  readonly keyOf: (run: R) => string;
  readonly describe: (run: R) => string;
}

/** The pieces' runs by key: each planned run exactly once, none outside the plan (else an AnalysisInputError). */
export function collectRuns<R>(pieces: readonly Piece<{ readonly runs: readonly R[] }>[], keys: RunKeys<R>): Map<string, R> {
  const runs = new Map<string, { run: R; source: string }>();
  for (const { source, doc } of pieces) {
    for (const run of doc.runs) {
      const k = keys.keyOf(run);
      if (!keys.planned.has(k)) throw new AnalysisInputError(`${source} has a run outside the plan: ${keys.describe(run)}`);
      const dup = runs.get(k);
      if (dup !== undefined) throw new AnalysisInputError(`the run ${keys.describe(run)} appears twice: in ${dup.source} and ${source}`);
      runs.set(k, { run, source });
    }
  }
  const missing = [...keys.planned].filter(([k]) => !runs.has(k)).map(([, name]) => name);
  if (missing.length > 0) throw new AnalysisInputError(`${missing.length} run${missing.length === 1 ? ' is' : 's are'} missing: ${missing.slice(0, 10).join('; ')}${missing.length > 10 ? '; …' : ''}`);
  return new Map([...runs].map(([k, v]) => [k, v.run]));
}

/** A run's metrics in the canonical key order, so a merged document matches the unsharded one byte for byte. */
export function canonicalRun(run: CompareRun): CompareRun {
  return { seed: run.seed, traceHash: run.traceHash, metrics: Object.fromEntries(COMPARE_METRICS.map((m) => [m, run.metrics[m]])) as CompareRun['metrics'] };
}

export const metricsSchema = z.strictObject(Object.fromEntries(COMPARE_METRICS.map((m) => [m, NULLABLE_METRICS.has(m) ? z.number().nullable() : z.number()])));
export const frequencySchema = z.strictObject({ occurrencesPerYear: z.number().positive(), basis: z.enum(['declared', 'whole-days']) }).nullable();

// ---- compare ----

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

const shardDocumentSchema = z.strictObject({
  kind: z.literal(SHARD_KIND),
  version: z.literal(1),
  scenario: z.string(),
  scenarioHash: z.string(),
  strategies: z.array(z.string()).min(1),
  baseline: z.string(),
  frequency: frequencySchema,
  seeds: z.array(z.number().int().nonnegative()).min(1),
  shard: shardSchema,
  runs: z.array(z.strictObject({ strategy: z.string(), seed: z.number().int().nonnegative(), traceHash: z.string(), metrics: metricsSchema })),
});

export function shardDocument(plan: ComparePlan, hash: string, shard: Shard, runs: readonly ShardRun[]): ShardDocument {
  const baseline = plan.baseline ?? plan.strategies[0] ?? '';
  return { kind: SHARD_KIND, version: 1, scenario: plan.scenario, scenarioHash: hash, strategies: [...plan.strategies], baseline, frequency: plan.frequency, seeds: [...plan.seeds], shard, runs };
}

// The metrics schema is built from COMPARE_METRICS, so zod cannot name the keys; it checked them.
const validateCompare = (input: ShardInput): ShardDocument => validateShardDocument(input, shardDocumentSchema, 'compare') as unknown as ShardDocument;

const runKey = (strategy: string, seed: number): string => JSON.stringify([strategy, seed]);

/** Combines the shard documents of `compare --shard` into the comparison the unsharded run prints; every inconsistency is an AnalysisInputError. */
export function mergeShards(inputs: readonly ShardInput[]): CompareResult {
  const pieces = inputs.map((input) => ({ source: input.source, doc: validateCompare(input) }));
  checkPieces(pieces, {
    what: 'comparison',
    planOf: (d) => [d.scenario, d.scenarioHash, d.strategies, d.baseline, d.seeds],
    describe: (d) => `scenario ${d.scenario} (hash ${d.scenarioHash.slice(0, 12)}), ${d.strategies.length} strategies, ${d.seeds.length} seeds`,
  });
  const { scenario, strategies, seeds, baseline, frequency } = pieces[0]!.doc;
  const planned = new Map(strategies.flatMap((s) => seeds.map((seed) => [runKey(s, seed), `strategy ${s}, seed ${seed}`] as const)));
  const runs = collectRuns(pieces, { planned, keyOf: (r) => runKey(r.strategy, r.seed), describe: (r) => `strategy ${r.strategy}, seed ${r.seed}` });
  return aggregate({ scenario, strategies, seeds, baseline, frequency }, (strategy) => seeds.map((seed) => canonicalRun(runs.get(runKey(strategy, seed))!)));
}
