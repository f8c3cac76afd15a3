// Proves the swarm's merge rule: for any pattern of failures over strategies × seeds, any shard
// count and any --shrink cap, shards that each shrink the first signature-firsts of their own
// slice, merged, keep exactly the findings the unsharded run shrinks (fast-check, no simulation);
// runSwarm and runSwarmShard pick their findings by that rule on real runs; and merge refuses
// pieces that do not add up (a finding twice or missing, a shard that skipped a kept shrink,
// shards of another --out), naming the problem.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inShard } from '../../src/analysis/shard.js';
import type { RunFailure } from '../../src/analysis/shrink.js';
import { runSwarm, type ShrunkFinding } from '../../src/analysis/swarm.js';
import { mergeSwarmShards, runSwarmShard, shrinkSelection, swarmShardDocument, type SwarmShardDocument } from '../../src/analysis/swarm-shard.js';
import type { SwarmRecord } from '../../src/analysis/execute.js';
import type { SwarmReport } from '../../src/analysis/swarm.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';

const pitfalls = getScenario(loadScenarioFile('scenarios.yaml'), 'pitfalls');

/** What shrinking a finding gives: a pure function of the finding, as the real shrinker is. */
const fakeShrunk = (strategy: string, seed: number, failure: RunFailure): ShrunkFinding => ({
  name: `pitfalls-${strategy}-seed${seed}`,
  yaml: `# ${strategy} ${seed}\n`,
  steps: seed,
  attempts: seed + 1,
  path: ['fewer orders'],
  failure,
  ordersPlaced: seed * 10,
  oversellExamples: [],
});

interface World {
  readonly strategies: readonly string[];
  readonly seeds: readonly number[];
  /** Per task (strategy-major): the failure kinds, or null for a pass. */
  readonly failures: readonly (readonly string[] | null)[];
}

const recordsOf = (w: World): SwarmRecord[] =>
  w.strategies.flatMap((strategy, k) =>
    w.seeds.map((seed, j) => {
      const kinds = w.failures[k * w.seeds.length + j] ?? null;
      return { scenario: 'pitfalls', strategy, seed, failure: kinds === null ? null : { kinds, details: kinds.map((x) => `${x} at seed ${seed}`) }, ordersPlaced: seed, traceHash: `h${k}-${seed}` };
    }),
  );

/** The report a swarm over `records` gives when it shrinks by the rule: the unsharded run, or one shard. */
function reportOf(w: World, records: readonly SwarmRecord[], shrink: number): SwarmReport {
  const selected = shrinkSelection(records, shrink);
  const findings = records.flatMap((r, i) => {
    if (r.failure === null) return [];
    const finding = { strategy: r.strategy, seed: r.seed, failure: r.failure, variation: [`seed ${r.seed}`], ordersPlaced: r.ordersPlaced };
    return [selected[i] ? { ...finding, shrunk: fakeShrunk(r.strategy, r.seed, r.failure) } : finding];
  });
  return { scenario: 'pitfalls', strategies: w.strategies, seeds: w.seeds, runs: records.length, failed: records.filter((r) => r.failure !== null).length, records: [...records], findings };
}

const plan = (shrink: number, out = 'swarm-out') => ({ file: 'scenarios.yaml', scenario: pitfalls, scenarioHash: 'hash', shrink, maxShrinkRuns: 20, out });

function shardDocs(w: World, count: number, shrink: number): SwarmShardDocument[] {
  const records = recordsOf(w);
  return Array.from({ length: count }, (_, i) => {
    const shard = { index: i + 1, count };
    const slice = records.filter((_, t) => inShard(t, shard));
    return swarmShardDocument(plan(shrink), shard, reportOf(w, slice, shrink));
  });
}

const inputs = (docs: readonly unknown[]) => docs.map((json, i) => ({ source: `shard-${i + 1}.json`, json: JSON.parse(JSON.stringify(json)) as unknown }));

const world = fc
  .record({ strategyCount: fc.integer({ min: 1, max: 3 }), seedCount: fc.integer({ min: 1, max: 8 }) })
  .chain(({ strategyCount, seedCount }) =>
    fc.record({
      strategies: fc.constant(Array.from({ length: strategyCount }, (_, k) => `s${k}`)),
      seeds: fc.constant(Array.from({ length: seedCount }, (_, j) => j + 1)),
      failures: fc.array(fc.option(fc.subarray(['invariant:lost-update', 'liveness', 'crash'], { minLength: 1 }), { nil: null }), { minLength: strategyCount * seedCount, maxLength: strategyCount * seedCount }),
    }),
  );

describe('the swarm merge rule', () => {
  it('merges any shards into the unsharded report: the same findings, the same ones shrunk, byte for byte', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }), (w, count, shrink) => {
        const whole = reportOf(w, recordsOf(w), shrink);
        const merged = mergeSwarmShards(inputs(shardDocs(w, count, shrink)));
        expect(JSON.stringify(merged.report)).toBe(JSON.stringify(JSON.parse(JSON.stringify(whole))));
        expect(merged.out).toBe('swarm-out');
      }),
      { numRuns: 300 },
    );
  });

  it('is the rule runSwarm and runSwarmShard follow on real runs', async () => {
    const request = { file: 'scenarios.yaml', scenario: pitfalls, strategies: ['pitfall-no-locking', 'pitfall-no-idempotency'], seeds: [1, 2, 3, 4], workers: 1, shrinkFindings: 2, maxShrinkRuns: 4 };
    const flags = (r: SwarmReport): boolean[] => r.findings.map((f) => f.shrunk !== undefined);
    const ruled = (r: SwarmReport): boolean[] => shrinkSelection(r.records, request.shrinkFindings).filter((_, i) => r.records[i]!.failure !== null);
    const whole = await runSwarm(request);
    expect(flags(whole)).toEqual(ruled(whole));
    expect(flags(whole).filter(Boolean).length).toBe(2);
    for (const index of [1, 2]) {
      const part = await runSwarmShard(request, { index, count: 2 });
      expect(part.records.map((r) => r.seed)).toEqual(index === 1 ? [1, 3, 1, 3] : [2, 4, 2, 4]);
      expect(flags(part)).toEqual(ruled(part));
    }
  }, 60_000);
});

describe('mergeSwarmShards refuses pieces that do not add up', () => {
  const w: World = { strategies: ['a', 'b'], seeds: [1, 2, 3, 4], failures: [['x'], ['x'], null, ['y'], null, ['x'], ['x'], null] };

  it('a finding twice, a failed run without its finding, a finding for a run that passed', () => {
    const [s1, s2] = shardDocs(w, 2, 2);
    expect(() => mergeSwarmShards(inputs([s1, { ...s2!, findings: [...s2!.findings, s1!.findings[0]!] }]))).toThrow(/has a finding for strategy a, seed 1, which is not a failed run|appears twice/);
    expect(() => mergeSwarmShards(inputs([s1, { ...s2!, findings: s2!.findings.slice(1) }]))).toThrow(/has no finding in the shard documents/);
    const passed = s2!.runs.find((r) => r.failure === null)!;
    expect(() => mergeSwarmShards(inputs([s1, { ...s2!, findings: [...s2!.findings, { strategy: passed.strategy, seed: passed.seed, variation: [], shrunk: null }] }]))).toThrow(/not a failed run/);
  });

  it('a shard that did not shrink a finding the whole run keeps', () => {
    const [s1, s2] = shardDocs(w, 2, 2);
    const unshrunk = { ...s1!, findings: s1!.findings.map((f) => ({ ...f, shrunk: null })) };
    expect(() => mergeSwarmShards(inputs([unshrunk, s2]))).toThrow(/shard-1\.json did not shrink strategy a, seed 1, the first of its failure in the whole swarm/);
  });

  it('shards of another --out, --shrink or shard count; a missing shard', () => {
    const [s1, s2] = shardDocs(w, 2, 2);
    expect(() => mergeSwarmShards(inputs([s1, { ...s2!, out: 'elsewhere' }]))).toThrow(/belongs to another swarm .*--out elsewhere/);
    expect(() => mergeSwarmShards(inputs([s1, { ...s2!, shrink: 1 }]))).toThrow(/belongs to another swarm/);
    expect(() => mergeSwarmShards(inputs([s1, shardDocs(w, 3, 2)[1]]))).toThrow(/belongs to another swarm/);
    expect(() => mergeSwarmShards(inputs([s2]))).toThrow(/missing shard 1\/2/);
    expect(() => mergeSwarmShards(inputs([{ ...s1!, runs: 'none' }]))).toThrow(/shard-1\.json is not a shard document of `invsim swarm --shard`:\n {2}runs:/);
  });
});
