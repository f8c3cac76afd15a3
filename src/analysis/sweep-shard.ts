/**
 * Sharding a sweep: the tasks of every value's comparison in one canonical order (value by value,
 * then strategy by strategy, seeds ascending; sweepTasks), shard i of n taking every n-th from
 * i-1 (shard.ts). A shard document carries its raw runs, each with the index of its value, and
 * the plan (scenario hash, parameter, values, strategies, seeds, and what each value's money
 * rests on), so merging re-aggregates exactly what the unsharded sweep aggregates.
 */
import { z } from 'zod';
import type { Frequency } from '../scenarios/economics.js';
import { aggregate, toCompareRun, type ComparePlan, type CompareRun } from './compare.js';
import type { RunRecord } from './metrics.js';
import type { ParamValue } from './params.js';
import { canonicalRun, checkPieces, collectRuns, frequencySchema, inShard, metricsSchema, shardSchema, validateShardDocument, type Shard, type ShardInput } from './shard.js';
import { AnalysisInputError } from './errors.js';
import { sweepTasks, type SweepResult } from './sweep.js';
import type { RunTask } from './execute.js';

export const SWEEP_SHARD_KIND = 'invsim-sweep-shard';

export interface SweepShardRun extends CompareRun {
  /** The index of the run's value in `values`. */
  readonly valueIndex: number;
  readonly strategy: string;
}

export interface SweepShardDocument {
  readonly kind: typeof SWEEP_SHARD_KIND;
  readonly version: 1;
  readonly scenario: string;
  readonly scenarioHash: string;
  readonly param: string;
  readonly values: readonly ParamValue[];
  readonly strategies: readonly string[];
  readonly seeds: readonly number[];
  /** Per value: what its day and year figures rest on (a sweep over durationS changes it). */
  readonly frequencies: readonly (Frequency | null)[];
  readonly shard: Shard;
  readonly runs: readonly SweepShardRun[];
}

const schema = z.strictObject({
  kind: z.literal(SWEEP_SHARD_KIND),
  version: z.literal(1),
  scenario: z.string(),
  scenarioHash: z.string(),
  param: z.string(),
  values: z.array(z.union([z.number(), z.boolean(), z.string()])).min(1),
  strategies: z.array(z.string()).min(1),
  seeds: z.array(z.number().int().nonnegative()).min(1),
  frequencies: z.array(frequencySchema),
  shard: shardSchema,
  runs: z.array(z.strictObject({ valueIndex: z.number().int().nonnegative(), strategy: z.string(), seed: z.number().int().nonnegative(), traceHash: z.string(), metrics: metricsSchema })),
});

/** The sweep's tasks in this shard, each with the index of its value. */
export function sweepShardTasks(plans: readonly ComparePlan[], shard: Shard): { task: RunTask; valueIndex: number }[] {
  const perValue = (plans[0]?.strategies.length ?? 0) * (plans[0]?.seeds.length ?? 0);
  return sweepTasks(plans)
    .map((task, i) => ({ task, valueIndex: Math.floor(i / perValue) }))
    .filter((_, i) => inShard(i, shard));
}

export interface SweepShardPlan {
  readonly scenario: string;
  readonly scenarioHash: string;
  readonly param: string;
  readonly values: readonly ParamValue[];
}

/** A shard's document from its records (in the order of sweepShardTasks). */
export function sweepShardDocument(plan: SweepShardPlan, plans: readonly ComparePlan[], shard: Shard, tasks: readonly { valueIndex: number }[], records: readonly RunRecord[]): SweepShardDocument {
  if (tasks.length !== records.length) throw new Error(`sweep shard: ${records.length} records for ${tasks.length} tasks`);
  const first = plans[0];
  if (first === undefined) throw new Error('sweep shard: no value to sweep');
  return {
    kind: SWEEP_SHARD_KIND,
    version: 1,
    scenario: plan.scenario,
    scenarioHash: plan.scenarioHash,
    param: plan.param,
    values: [...plan.values],
    strategies: [...first.strategies],
    seeds: [...first.seeds],
    frequencies: plans.map((p) => p.frequency),
    shard,
    runs: records.map((r, i) => ({ valueIndex: tasks[i]!.valueIndex, strategy: r.strategy, ...toCompareRun(r) })),
  };
}

const runKey = (valueIndex: number, strategy: string, seed: number): string => JSON.stringify([valueIndex, strategy, seed]);

/** Combines the shard documents of `sweep --shard` into the sweep the unsharded run prints; every inconsistency is an AnalysisInputError. */
export function mergeSweepShards(inputs: readonly ShardInput[]): SweepResult {
  const pieces = inputs.map((input) => ({ source: input.source, doc: validateShardDocument(input, schema, 'sweep') as unknown as SweepShardDocument }));
  checkPieces(pieces, {
    what: 'sweep',
    planOf: (d) => [d.scenario, d.scenarioHash, d.param, d.values, d.strategies, d.seeds, d.frequencies],
    describe: (d) => `scenario ${d.scenario} (hash ${d.scenarioHash.slice(0, 12)}), ${d.param} over ${d.values.length} values, ${d.strategies.length} strategies, ${d.seeds.length} seeds`,
  });
  const { scenario, param, values, strategies, seeds, frequencies } = pieces[0]!.doc;
  if (frequencies.length !== values.length) throw new AnalysisInputError(`${pieces[0]!.source}: ${frequencies.length} frequencies for ${values.length} values`);
  const name = (v: number, s: string, seed: number): string => `value ${JSON.stringify(values[v] ?? null)}, strategy ${s}, seed ${seed}`;
  const planned = new Map(values.flatMap((_, v) => strategies.flatMap((s) => seeds.map((seed) => [runKey(v, s, seed), name(v, s, seed)] as const))));
  const runs = collectRuns(pieces, { planned, keyOf: (r) => runKey(r.valueIndex, r.strategy, r.seed), describe: (r) => name(r.valueIndex, r.strategy, r.seed) });
  const points = values.map((value, v) => {
    const result = aggregate({ scenario, strategies, seeds, frequency: frequencies[v]! }, (strategy) => seeds.map((seed) => canonicalRun(runs.get(runKey(v, strategy, seed))!)));
    return { value, frequency: result.frequency, strategies: result.strategies };
  });
  return { scenario, param, seeds: [...seeds], points };
}
