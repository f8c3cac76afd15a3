// Proves shard bookkeeping without running a simulation: a shard comes from `--shard i/n` or
// from a Kubernetes Indexed Job's environment, every bad value naming its flag or variable; the
// n slices partition the runs; and merge refuses inconsistent inputs (another comparison or
// sweep, a shard twice, a shard or a run missing, a non-shard document, documents of two kinds)
// with a message naming the problem, while a complete set in any order gives exactly the
// document aggregated from all runs at once, for compare and for sweep.
import { describe, expect, it } from 'vitest';
import { aggregate, planTasks, type ComparePlan } from '../../src/analysis/compare.js';
import { AnalysisInputError } from '../../src/analysis/errors.js';
import { COMPARE_METRICS, type CompareMetrics } from '../../src/analysis/metrics.js';
import { mergeShardDocuments } from '../../src/analysis/merge.js';
import { inShard, mergeShards, parseShard, resolveShard, shardDocument, type ShardDocument, type ShardRequest, type ShardRun } from '../../src/analysis/shard.js';
import { mergeSweepShards, sweepShardDocument, sweepShardTasks } from '../../src/analysis/sweep-shard.js';
import type { RunRecord } from '../../src/analysis/metrics.js';

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

describe('parseShard, resolveShard and inShard', () => {
  it('parses i/n and rejects out-of-range slices', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/2', '3/2', '1/0', 'a/b', '1', '-1/2', '1.5/2', '1/100001']) expect(() => parseShard(bad), bad).toThrow(AnalysisInputError);
    expect(() => parseShard('0/4')).toThrow(/--shard 0\/4: the index i must be from 1 to n \(4\); --shard counts from 1/);
    expect(() => parseShard('x')).toThrow(/--shard must look like i\/n \(1-based, e.g. 2\/4\) or be k8s/);
  });

  it('takes a Kubernetes Indexed Job’s 0-based JOB_COMPLETION_INDEX as shard index+1, the count from --shard-count or INVSIM_SHARD_COUNT', () => {
    const k8s = (env: ShardRequest['env'], shardCount?: string): ReturnType<typeof resolveShard> => resolveShard({ shard: 'k8s', shardCount, env });
    expect(k8s({ JOB_COMPLETION_INDEX: '0' }, '3')).toEqual({ index: 1, count: 3 });
    expect(k8s({ JOB_COMPLETION_INDEX: '2', INVSIM_SHARD_COUNT: '3' })).toEqual({ index: 3, count: 3 });
    // The flag wins over the variable.
    expect(k8s({ JOB_COMPLETION_INDEX: '3', INVSIM_SHARD_COUNT: '3' }, '4')).toEqual({ index: 4, count: 4 });
    expect(resolveShard({ shard: '2/5', shardCount: undefined, env: { JOB_COMPLETION_INDEX: '0' } })).toEqual({ index: 2, count: 5 });
    expect(resolveShard({ shard: undefined, shardCount: undefined, env: { JOB_COMPLETION_INDEX: '0' } })).toBeUndefined();
  });

  it('refuses every bad shard with the flag or variable and the reason', () => {
    const cases: [ShardRequest, string, RegExp][] = [
      [{ shard: 'k8s', shardCount: '2', env: {} }, 'JOB_COMPLETION_INDEX', /JOB_COMPLETION_INDEX is not set/],
      [{ shard: 'k8s', shardCount: '2', env: { JOB_COMPLETION_INDEX: '2' } }, 'JOB_COMPLETION_INDEX', /is 2, out of range for 2 shards \(--shard-count\): it must be from 0 to 1/],
      [{ shard: 'k8s', shardCount: undefined, env: { JOB_COMPLETION_INDEX: '5', INVSIM_SHARD_COUNT: '5' } }, 'JOB_COMPLETION_INDEX', /out of range for 5 shards \(INVSIM_SHARD_COUNT\)/],
      [{ shard: 'k8s', shardCount: '2', env: { JOB_COMPLETION_INDEX: 'one' } }, 'JOB_COMPLETION_INDEX', /must be an integer >= 0 .*got "one"/],
      [{ shard: 'k8s', shardCount: '2', env: { JOB_COMPLETION_INDEX: '-1' } }, 'JOB_COMPLETION_INDEX', /must be an integer >= 0/],
      [{ shard: 'k8s', shardCount: undefined, env: { JOB_COMPLETION_INDEX: '0' } }, '--shard-count', /is needed with --shard k8s/],
      [{ shard: 'k8s', shardCount: '2.5', env: { JOB_COMPLETION_INDEX: '0' } }, '--shard-count', /must be an integer from 1 to 100000, got "2.5"/],
      [{ shard: 'k8s', shardCount: '0', env: { JOB_COMPLETION_INDEX: '0' } }, '--shard-count', /must be an integer from 1/],
      [{ shard: 'k8s', shardCount: undefined, env: { JOB_COMPLETION_INDEX: '0', INVSIM_SHARD_COUNT: '1e3' } }, 'INVSIM_SHARD_COUNT', /must be an integer from 1 to 100000, got "1e3"/],
      [{ shard: '1/2', shardCount: '2', env: {} }, '--shard-count', /goes with --shard k8s; --shard 1\/2 names its count already/],
      [{ shard: undefined, shardCount: '2', env: {} }, '--shard-count', /goes with --shard k8s/],
      [{ shard: '3/2', shardCount: undefined, env: {} }, '--shard', /--shard 3\/2: the index i must be from 1 to n/],
    ];
    for (const [request, field, message] of cases) {
      let error: unknown;
      try {
        resolveShard(request);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(request)).toBeInstanceOf(AnalysisInputError);
      expect((error as AnalysisInputError).field, JSON.stringify(request)).toBe(field);
      expect((error as Error).message).toMatch(message);
    }
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

describe('sweep shards', () => {
  const sweepPlans: ComparePlan[] = [1000, 3000].map((value) => ({ ...plan, frequency: null, override: { param: 'demand.ordersPerDay', value } }));
  // compareMetrics reads the compared metrics from `observed`; the rest of a record is not needed here.
  const recordOf = (t: { task: { strategy: string; seed: number }; valueIndex: number }): RunRecord =>
    ({ strategy: t.task.strategy, seed: t.task.seed, traceHash: `${t.valueIndex}${t.task.strategy}${t.task.seed}`, observed: metrics(t.task.strategy, t.task.seed + t.valueIndex * 100) }) as unknown as RunRecord;
  const sweepShards = (count: number): unknown[] =>
    Array.from({ length: count }, (_, k) => {
      const shard = { index: k + 1, count };
      const tasks = sweepShardTasks(sweepPlans, shard);
      return sweepShardDocument({ scenario: 's', scenarioHash: 'hash', param: 'demand.ordersPerDay', values: [1000, 3000] }, sweepPlans, shard, tasks, tasks.map(recordOf));
    });

  it('partitions the value × strategy × seed tasks and merges back to one aggregate per value', () => {
    const docs = sweepShards(4) as { runs: { valueIndex: number }[] }[];
    expect(docs.map((d) => d.runs.length)).toEqual([3, 3, 3, 3]);
    const merged = mergeSweepShards(inputs([docs[2], docs[0], docs[3], docs[1]]));
    expect(merged.points.map((p) => p.value)).toEqual([1000, 3000]);
    merged.points.forEach((p, v) => {
      const expected = aggregate(plan, (s) => plan.seeds.map((seed) => ({ seed, traceHash: `${v}${s}${seed}`, metrics: metrics(s, seed + v * 100) })));
      expect(JSON.stringify(p.strategies)).toBe(JSON.stringify(expected.strategies));
    });
  });

  it('refuses a missing run, another sweep, and documents of two kinds', () => {
    const [a, b] = sweepShards(2) as { runs: unknown[]; values: unknown[] }[];
    expect(() => mergeSweepShards(inputs([a, { ...b!, runs: b!.runs.slice(1) }]))).toThrow(/1 run is missing: value 1000, strategy a, seed 2/);
    expect(() => mergeSweepShards(inputs([a, { ...b!, values: [1000, 4000] }]))).toThrow(/belongs to another sweep/);
    expect(() => mergeShardDocuments(inputs([a, shards(2)[1]]))).toThrow(/is a compare shard and shard-0\.json a sweep shard: merge the shards of one run at a time/);
    expect(() => mergeShardDocuments(inputs([{ kind: 'other' }]))).toThrow(/not a shard document of `invsim compare\|sweep\|swarm --shard`:\n {2}kind: expected one of/);
    expect(mergeShardDocuments(inputs(shards(2))).kind).toBe('compare');
  });
});
