// Proves `--emit-k8s-job N` prints a Kubernetes batch/v1 Job of the documented shape for
// compare, sweep and swarm (parsed as YAML: Indexed completion, N completions, parallelism, one
// container with the shared volume at --out, a pod failure policy for invsim's exit codes), that
// its pod command round-trips (the pods' own arguments, given --emit-k8s-job again in place of
// their shard, print the same Job), that bad sizes exit 2, and that the examples stay what the
// commands print: examples/k8s/compare-job.yaml is regenerated here, and the GitHub Actions
// matrix example passes `--shard ${{ matrix.shard }}/${{ strategy.job-total }}` with 1..N.
// (No cluster or kubeconform here: the checks are structural. Running the pods' arguments with
// JOB_COMPLETION_INDEX set is test/cli/shards.test.ts.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseShard } from '../../src/analysis/shard.js';
import { runCli } from './helpers.js';

interface Container {
  name: string;
  image: string;
  command: string[];
  args: string[];
  resources: { requests: { cpu: string } };
  volumeMounts: { name: string; mountPath: string }[];
}

interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    backoffLimitPerIndex: number;
    podFailurePolicy: { rules: { action: string; onExitCodes?: { containerName: string; operator: string; values: number[] }; onPodConditions?: { type: string }[] }[] };
    template: { metadata: { labels: Record<string, string> }; spec: { restartPolicy: string; containers: Container[]; volumes: { name: string; persistentVolumeClaim: { claimName: string } }[] } };
  };
}

const COMMANDS = {
  compare: ['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategies', 'event-driven,allocation', '--seeds', '40'],
  sweep: ['sweep', 'scenarios.yaml', '--scenario', 'flash-sale', '--param', 'demand.ordersPerDay', '--values', '1000,3000', '--seeds', '10'],
  swarm: ['swarm', 'scenarios.yaml', '--scenario', 'pitfalls', '--strategies', 'pitfall-no-locking', '--seeds', '500', '--shrink', '2'],
} satisfies Record<string, string[]>;

/** Every field the Job needs, with the values invsim relies on. */
function expectJobShape(job: Job, options: { completions: number; parallelism: number; out: string; image: string; claim: string }): void {
  expect(job.apiVersion).toBe('batch/v1');
  expect(job.kind).toBe('Job');
  expect(job.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/);
  const { spec } = job;
  expect(spec.completionMode).toBe('Indexed');
  expect(spec.completions).toBe(options.completions);
  expect(spec.parallelism).toBe(options.parallelism);
  // FailIndex needs a per-index backoff limit, and a pod failure policy a restartPolicy of Never.
  expect(spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(0);
  expect(spec.template.spec.restartPolicy).toBe('Never');
  expect(spec.template.metadata.labels).toEqual(job.metadata.labels);
  const [container, ...others] = spec.template.spec.containers;
  expect(others).toEqual([]);
  expect(container!.image).toBe(options.image);
  expect(container!.command).toEqual(['invsim']);
  expect(container!.resources.requests.cpu).toBe('1');
  const rules = spec.podFailurePolicy.rules;
  expect(rules[0]).toEqual({ action: 'FailIndex', onExitCodes: { containerName: container!.name, operator: 'In', values: [1, 2, 70] } });
  expect(rules[1]).toEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] });
  const [mount] = container!.volumeMounts;
  expect(mount!.mountPath).toBe(options.out);
  expect(spec.template.spec.volumes).toEqual([{ name: mount!.name, persistentVolumeClaim: { claimName: options.claim } }]);
  const args = container!.args;
  expect(args.every((a) => typeof a === 'string')).toBe(true);
  expect(args.slice(-8)).toEqual(['--workers', '1', '--shard', 'k8s', '--shard-count', String(options.completions), '--out', options.out]);
}

describe('invsim … --emit-k8s-job N', () => {
  for (const [name, argv] of Object.entries(COMMANDS) as [string, string[]][]) {
    it(`${name}: prints an Indexed Job whose pods run the command as shards 1..N, and round-trips`, async () => {
      const r = await runCli([...argv, '--emit-k8s-job', '6']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^# invsim /);
      const job = parse(r.out) as Job;
      expectJobShape(job, { completions: 6, parallelism: 6, out: '/results', image: 'invsim:latest', claim: 'invsim-results' });
      const args = job.spec.template.spec.containers[0]!.args;
      // The command, its file, and every flag of it with its value.
      expect(args.slice(0, 2)).toEqual(argv.slice(0, 2));
      argv.forEach((word, i) => {
        if (word.startsWith('--')) expect(args[args.indexOf(word) + 1], word).toBe(argv[i + 1]);
      });
      expect(r.out).toContain(`invsim merge /results/${name}-`);

      // The pods' whole command, with --emit-k8s-job 6 in place of `--shard k8s --shard-count 6`: the same manifest.
      const at = args.indexOf('--shard');
      expect(args.slice(at, at + 4)).toEqual(['--shard', 'k8s', '--shard-count', '6']);
      const again = await runCli([...args.slice(0, at), '--emit-k8s-job', '6', ...args.slice(at + 4)]);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toBe(r.out);
    });
  }

  it('takes --parallelism, --k8s-image, --k8s-claim and --out (the results directory in the pods)', async () => {
    const r = await runCli([...COMMANDS.compare, '--emit-k8s-job', '8', '--parallelism', '3', '--k8s-image', 'ghcr.io/acme/invsim:1.2', '--k8s-claim', 'sims', '--out', '/data/run-7']);
    expect(r.code, r.err).toBe(0);
    expectJobShape(parse(r.out) as Job, { completions: 8, parallelism: 3, out: '/data/run-7', image: 'ghcr.io/acme/invsim:1.2', claim: 'sims' });
    expect(r.out).toContain('invsim merge /data/run-7/compare-flash-sale-shard-*-of-8.json');
  });

  it('exits 2 on a bad size or a Job flag without --emit-k8s-job, before anything runs', async () => {
    for (const [extra, message] of [
      [['--emit-k8s-job', '0'], /--emit-k8s-job must be an integer from 1 to 100000/],
      [['--emit-k8s-job', '2.5'], /--emit-k8s-job must be an integer/],
      [['--emit-k8s-job', '4', '--parallelism', '5'], /--parallelism must be an integer from 1 to the number of shards \(4\), got 5/],
      [['--parallelism', '2'], /--parallelism goes with --emit-k8s-job/],
      [['--k8s-image', 'x'], /--k8s-image goes with --emit-k8s-job/],
      [['--emit-k8s-job', '4', '--shard', '1/4'], /mutually exclusive/],
      [['--emit-k8s-job', '4', '--shard-count', '4'], /--shard-count goes with --shard k8s/],
      [['--emit-k8s-job', '4', '--out', 'results'], /--out must be an absolute path with --emit-k8s-job/],
    ] as const) {
      const r = await runCli([...COMMANDS.compare, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
  });
});

describe('the examples', () => {
  it('examples/k8s/compare-job.yaml is what `invsim compare … --emit-k8s-job 8 --parallelism 4` prints', async () => {
    const r = await runCli(['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '200', '--emit-k8s-job', '8', '--parallelism', '4']);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync('examples/k8s/compare-job.yaml', 'utf8')).toBe(r.out);
  });

  it('the merge Job and the volume claim match the shard Job: same claim, same mount, the right shard files', () => {
    const job = parse(readFileSync('examples/k8s/compare-job.yaml', 'utf8')) as Job;
    const merge = parse(readFileSync('examples/k8s/merge-job.yaml', 'utf8')) as Job;
    const pvc = parse(readFileSync('examples/k8s/results-pvc.yaml', 'utf8')) as { kind: string; metadata: { name: string } };
    const claim = job.spec.template.spec.volumes[0]!.persistentVolumeClaim.claimName;
    expect(pvc.kind).toBe('PersistentVolumeClaim');
    expect(pvc.metadata.name).toBe(claim);
    expect(merge.spec.template.spec.volumes[0]!.persistentVolumeClaim.claimName).toBe(claim);
    const container = merge.spec.template.spec.containers[0]!;
    expect(container.volumeMounts[0]!.mountPath).toBe('/results');
    expect(container.command.join(' ')).toContain(`invsim merge /results/compare-flash-sale-shard-*-of-${job.spec.completions}.json`);
  });

  it('the GitHub Actions example shards over a 1..N matrix with --shard ${{ matrix.shard }}/${{ strategy.job-total }}', () => {
    const docs = parseAllDocuments(readFileSync('examples/ci/github-actions-shards.yml', 'utf8'));
    expect(docs).toHaveLength(1);
    const workflow = docs[0]!.toJS() as { jobs: Record<string, { strategy?: { matrix: { shard: number[] } }; needs?: string; steps: { run?: string }[] }> };
    const sharded = Object.entries(workflow.jobs).filter(([, j]) => j.strategy !== undefined);
    expect(sharded.map(([name]) => name)).toEqual(['compare', 'swarm']);
    for (const [name, job] of sharded) {
      const shards = job.strategy!.matrix.shard;
      expect(shards).toEqual(shards.map((_, i) => i + 1));
      const run = job.steps.map((s) => s.run ?? '').find((r) => r.includes('--shard'))!;
      expect(run).toContain(`npx invsim ${name} `);
      expect(run).toContain('--shard ${{ matrix.shard }}/${{ strategy.job-total }}');
      // What GitHub substitutes is a shard invsim takes, for every job of the matrix.
      for (const i of shards) expect(parseShard(`${i}/${shards.length}`)).toEqual({ index: i, count: shards.length });
      const merge = Object.values(workflow.jobs).find((j) => j.needs === name)!;
      expect(merge.steps.some((s) => s.run?.includes(`invsim merge `) === true && s.run.includes(`-shard-*-of-${shards.length}.json`))).toBe(true);
    }
  });
});
