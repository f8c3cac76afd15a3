// Proves sharding over a scheduler through the real binary: for compare, sweep and swarm, N
// separate processes with `--shard i/N`, and N more that take their shard from the environment
// of a Kubernetes Indexed Job (the args of the manifest `--emit-k8s-job N` prints, run with
// JOB_COMPLETION_INDEX=0..N-1), each print a shard document; `invsim merge` of either set prints
// the unsharded `--json` byte for byte, and the two sets' documents are the same bytes. For swarm
// the shards share one --out, as pods share a volume: the merged report names the shrunk files
// where the unsharded run wrote them, with the same contents. Merge refuses mixed kinds.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { spawnCli, type CliRun } from './helpers.js';

const N = 3;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

interface Job {
  spec: { completions: number; template: { spec: { containers: { args: string[] }[] } } };
}

/** The pod arguments of the Job `--emit-k8s-job N` prints for `argv`, with `--out dir`. */
async function podArgs(argv: readonly string[], dir: string): Promise<string[]> {
  const emitted = await spawnCli([...argv, '--emit-k8s-job', String(N), '--out', dir]);
  expect(emitted.code, emitted.err).toBe(0);
  const job = parse(emitted.out) as Job;
  expect(job.spec.completions).toBe(N);
  return job.spec.template.spec.containers[0]!.args;
}

const ok = (r: CliRun, codes: readonly number[] = [0]): CliRun => {
  expect(codes, r.err).toContain(r.code);
  return r;
};

/** The shard documents the N pods of a Job write into `dir` (named by `base`), in shard order. */
const shardFiles = (dir: string, base: string): string[] => range(N).map((k) => path.join(dir, `${base}-shard-${k + 1}-of-${N}.json`));

describe('shards as separate processes, merged', () => {
  it('compare: --shard i/N and JOB_COMPLETION_INDEX both merge to the unsharded --json', async () => {
    const argv = ['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategies', 'event-driven,allocation', '--seeds', '3', '--workers', '1'];
    const dir = mkdtempSync(path.join(tmpdir(), 'invsim-shards-compare-'));
    const [whole, args] = await Promise.all([spawnCli([...argv, '--json']), podArgs(argv, dir)]);
    ok(whole);
    const byFlag = await Promise.all(range(N).map((k) => spawnCli([...argv, '--shard', `${k + 1}/${N}`])));
    for (const r of byFlag) ok(r);
    const byEnv = await Promise.all(range(N).map((k) => spawnCli(args, { JOB_COMPLETION_INDEX: String(k) })));
    for (const r of byEnv) ok(r);
    const files = shardFiles(dir, 'compare-flash-sale');
    // The same document whichever way the shard was named; the file is what stdout printed.
    range(N).forEach((k) => {
      expect(byEnv[k]!.out).toBe(byFlag[k]!.out);
      expect(readFileSync(files[k]!, 'utf8')).toBe(byFlag[k]!.out);
    });
    const merged = ok(await spawnCli(['merge', ...[...files].reverse(), '--json']));
    expect(merged.out).toBe(whole.out);
    // INVSIM_SHARD_COUNT stands for --shard-count.
    const fromCount = ok(await spawnCli([...argv, '--shard', 'k8s'], { JOB_COMPLETION_INDEX: '1', INVSIM_SHARD_COUNT: String(N) }));
    expect(fromCount.out).toBe(byFlag[1]!.out);
  });

  it('sweep: --shard i/N and JOB_COMPLETION_INDEX both merge to the unsharded --json (and --out files)', async () => {
    const argv = ['sweep', 'scenarios.yaml', '--scenario', 'flash-sale', '--param', 'demand.ordersPerDay', '--values', '1000,3000', '--strategy', 'event-driven,allocation', '--seeds', '2', '--workers', '1'];
    const dir = mkdtempSync(path.join(tmpdir(), 'invsim-shards-sweep-'));
    const wholeOut = mkdtempSync(path.join(tmpdir(), 'invsim-sweep-whole-'));
    const [whole, args] = await Promise.all([spawnCli([...argv, '--json', '--out', wholeOut]), podArgs(argv, dir)]);
    ok(whole);
    const byFlag = await Promise.all(range(N).map((k) => spawnCli([...argv, '--shard', `${k + 1}/${N}`])));
    const byEnv = await Promise.all(range(N).map((k) => spawnCli(args, { JOB_COMPLETION_INDEX: String(k) })));
    range(N).forEach((k) => expect(ok(byEnv[k]!).out).toBe(ok(byFlag[k]!).out));
    const mergedOut = mkdtempSync(path.join(tmpdir(), 'invsim-sweep-merged-'));
    const merged = ok(await spawnCli(['merge', ...shardFiles(dir, 'sweep-flash-sale-demand.ordersPerDay'), '--json', '--out', mergedOut]));
    expect(merged.out).toBe(whole.out);
    for (const name of readdirSync(wholeOut)) expect(readFileSync(path.join(mergedOut, name), 'utf8'), name).toBe(readFileSync(path.join(wholeOut, name), 'utf8'));
  });

  it('swarm: shards shrink within their slices, merge keeps the whole run’s findings and names its files', async () => {
    // Two pitfalls fail on most seeds, each its own signature; with --shrink 2 over 3 shards, a
    // later shard holds a kept finding (pitfall-no-idempotency seed 2) and shards shrink findings
    // the whole run does not keep (pitfall-no-locking seeds 2 and 3), which merge drops.
    const argv = ['swarm', 'scenarios.yaml', '--scenario', 'pitfalls', '--strategies', 'pitfall-no-locking,pitfall-no-idempotency,correct', '--seeds', '6', '--workers', '1', '--shrink', '2', '--max-shrink-runs', '20'];
    const dir = mkdtempSync(path.join(tmpdir(), 'invsim-shards-swarm-'));
    const whole = ok(await spawnCli([...argv, '--out', dir, '--json']), [1]);
    const report = JSON.parse(whole.out) as { findings: { strategy: string; seed: number; shrunk: { file: string } | null }[] };
    const kept = report.findings.filter((f) => f.shrunk !== null);
    expect(kept.map((f) => `${f.strategy} ${f.seed}`)).toEqual(['pitfall-no-locking 1', 'pitfall-no-idempotency 2']);
    const shrunkFiles = new Map(kept.map((f) => [f.shrunk!.file, readFileSync(f.shrunk!.file, 'utf8')]));
    const clear = (): void => {
      for (const name of readdirSync(dir)) rmSync(path.join(dir, name));
    };
    const check = async (runs: readonly CliRun[]): Promise<void> => {
      for (const r of runs) ok(r, [1]);
      const merged = ok(await spawnCli(['merge', ...shardFiles(dir, 'swarm-pitfalls'), '--json']), [1]);
      expect(merged.out).toBe(whole.out);
      for (const [file, text] of shrunkFiles) expect(readFileSync(file, 'utf8'), file).toBe(text);
    };

    clear();
    const byFlag = await Promise.all(range(N).map((k) => spawnCli([...argv, '--out', dir, '--shard', `${k + 1}/${N}`])));
    await check(byFlag);
    // Shrunk by a shard, dropped by merge: the file is there, the merged report does not name it.
    expect(existsSync(path.join(dir, 'pitfalls-pitfall-no-locking-seed2.yaml'))).toBe(true);
    expect(whole.out).not.toContain('pitfall-no-locking-seed2.yaml');

    clear();
    const args = await podArgs(argv, dir);
    const byEnv = await Promise.all(range(N).map((k) => spawnCli(args, { JOB_COMPLETION_INDEX: String(k) })));
    await check(byEnv);
    range(N).forEach((k) => expect(byEnv[k]!.out).toBe(byFlag[k]!.out));
  }, 120_000);

  it('refuses shards of different kinds, and a bad shard from the environment, with exit 2 naming it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'invsim-shards-mixed-'));
    const compare = ok(await spawnCli(['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategies', 'allocation', '--seeds', '2', '--workers', '1', '--shard', '1/1', '--out', dir]));
    const sweep = ok(await spawnCli(['sweep', 'scenarios.yaml', '--scenario', 'flash-sale', '--param', 'demand.ordersPerDay', '--values', '1000', '--strategy', 'allocation', '--seeds', '2', '--workers', '1', '--shard', '1/1', '--out', dir]));
    expect(JSON.parse(compare.out).kind).toBe('invsim-compare-shard');
    expect(JSON.parse(sweep.out).kind).toBe('invsim-sweep-shard');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f));
    const mixed = await spawnCli(['merge', ...files]);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/is a (sweep|compare) shard and .* a (compare|sweep) shard: merge the shards of one run at a time/);

    const base = ['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '2', '--workers', '1', '--shard', 'k8s'];
    for (const [extra, env, message] of [
      [['--shard-count', '2'], { JOB_COMPLETION_INDEX: undefined }, /JOB_COMPLETION_INDEX is not set/],
      [['--shard-count', '2'], { JOB_COMPLETION_INDEX: '2' }, /JOB_COMPLETION_INDEX is 2, out of range for 2 shards \(--shard-count\): it must be from 0 to 1/],
      [['--shard-count', '2'], { JOB_COMPLETION_INDEX: '1.5' }, /JOB_COMPLETION_INDEX must be an integer >= 0/],
      [[], { JOB_COMPLETION_INDEX: '0', INVSIM_SHARD_COUNT: undefined }, /--shard-count is needed with --shard k8s/],
      [[], { JOB_COMPLETION_INDEX: '0', INVSIM_SHARD_COUNT: 'two' }, /INVSIM_SHARD_COUNT must be an integer from 1 to 100000, got "two"/],
    ] as const) {
      const r = await spawnCli([...base, ...extra], env);
      expect(r.code, String(message)).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
  });
});
