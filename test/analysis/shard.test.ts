// Proves shard bookkeeping without running a simulation: the n slices partition the runs, and
// merge refuses inconsistent inputs (another comparison, a shard twice, a shard or a run
// missing, a non-shard document) with a message naming the problem, while a complete set in any
// order gives exactly the document aggregated from all runs at once.
import { describe, expect, it } from 'vitest';
import { aggregate, planTasks, type ComparePlan } from '../../src/analysis/compare.js';
import { AnalysisInputError } from '../../src/analysis/errors.js';
import { COMPARE_METRICS, type CompareMetrics } from '../../src/analysis/metrics.js';
import { inShard, mergeShards, parseShard, shardDocument, type ShardDocument, type ShardRun } from '../../src/analysis/shard.js';

const plan: ComparePlan = { file: 'f.yaml', scenario: 's', strategies: ['a', 'b'], seeds: [1, 2, 3], frequency: null };

function metrics(strategy: string, seed: number): CompareMetrics {
  return Object.fromEntries(COMPARE_METRICS.map((m, i) => [m, (strategy === 'a' ? 10 : 20) + seed * (i + 1)])) as CompareMetrics;
}

function shards(count: number): ShardDocument[] {
  const tasks = planTasks(plan);
  return Array.from({ length: count }, (_, k) => {
    const shard = { index: k + 1, count };
    const runs: ShardRun[] = tasks.filter((_, i) => inShard(i, shard)).map((t) => ({ strategy: t.strategy, seed: t.seed, traceHash: `${t.strategy}${t.seed}`, metrics: metrics(t.strategy, t.seed) }));
    return shardDocument(plan, 'hash', shard, runs);
  });
}

const inputs = (docs: readonly unknown[]): { source: string; json: unknown }[] => docs.map((json, i) => ({ source: `shard-${i}.json`, json: JSON.parse(JSON.stringify(json)) }));

describe('parseShard and inShard', () => {
  it('parses i/n and rejects out-of-range slices', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1/0', 'a/b', '1']) expect(() => parseShard(bad)).toThrow(AnalysisInputError);
  });

  it('partitions the runs: every run in exactly one shard', () => {
    for (const count of [1, 2, 3, 7]) {
      for (let i = 0; i < 6; i++) expect(Array.from({ length: count }, (_, k) => inShard(i, { index: k + 1, count })).filter(Boolean)).toHaveLength(1);
    }
  });
});

describe('mergeShards', () => {
  const whole = aggregate(plan, (s) => plan.seeds.map((seed) => ({ seed, traceHash: `${s}${seed}`, metrics: metrics(s, seed) })));

  it('reproduces the unsharded document byte for byte, whatever the order of the shards', () => {
    const [s1, s2, s3] = shards(3);
    expect(JSON.stringify(mergeShards(inputs([s3, s1, s2])))).toBe(JSON.stringify(whole));
    expect(JSON.stringify(mergeShards(inputs(shards(1))))).toBe(JSON.stringify(whole));
  });

  it('refuses a missing shard, a shard given twice, and shards of another comparison', () => {
    const [s1, s2] = shards(2);
    expect(() => mergeShards(inputs([s1]))).toThrow(/missing shard 2\/2/);
    expect(() => mergeShards(inputs([s1, s1, s2]))).toThrow(/shard 1\/2 is given twice/);
    expect(() => mergeShards(inputs([s1, { ...s2!, scenarioHash: 'other' }]))).toThrow(/another comparison/);
    expect(() => mergeShards(inputs([s1, { ...s2!, seeds: [1, 2] }]))).toThrow(/another comparison/);
  });

  it('refuses duplicated, missing and unplanned runs', () => {
    const [s1, s2] = shards(2);
    const dup = { ...s2!, runs: [...s2!.runs, s1!.runs[0]!] };
    expect(() => mergeShards(inputs([s1, dup]))).toThrow(/appears twice/);
    const short = { ...s2!, runs: s2!.runs.slice(1) };
    expect(() => mergeShards(inputs([s1, short]))).toThrow(/1 run is missing/);
    const alien = { ...s2!, runs: [...s2!.runs, { ...s2!.runs[0]!, strategy: 'z' }] };
    expect(() => mergeShards(inputs([s1, alien]))).toThrow(/outside the plan/);
  });

  it('refuses documents that are not shards, naming the file and the field', () => {
    expect(() => mergeShards([{ source: 'x.json', json: whole }])).toThrow(/x\.json is not a shard document[\s\S]*kind/);
    expect(() => mergeShards([])).toThrow(AnalysisInputError);
  });
});
