/**
 * A Kubernetes Job (batch/v1, completionMode: Indexed) that runs one invsim command in N shards:
 * pod k gets JOB_COMPLETION_INDEX=k from Kubernetes and runs `--shard k8s --shard-count N`, i.e.
 * shard k+1 of N, writing its shard document into a volume every pod mounts. The scheduler
 * (retries, placement, parallelism) is Kubernetes'; invsim only says what each index runs.
 *
 * Exit codes map onto the Job's pod failure policy: 1 (a failed assertion or swarm finding; the
 * shard document is written all the same), 2 (bad input) and 70 (a bug in invsim) fail their
 * index at once, since a deterministic run fails the same way again; anything else (a node lost,
 * the OOM killer) is retried once per index, and a disruption (eviction, preemption) does not
 * count. backoffLimitPerIndex and the FailIndex action need Kubernetes 1.29 or later.
 */
import { stringify } from 'yaml';
import { AnalysisInputError } from './errors.js';
import { MAX_SHARDS, SHARD_COUNT_ENV, SHARD_FROM_K8S, SHARD_INDEX_ENV } from './shard.js';

export const K8S_DEFAULT_IMAGE = 'invsim:latest';
export const K8S_DEFAULT_CLAIM = 'invsim-results';
export const K8S_DEFAULT_RESULTS_DIR = '/results';
/** The container's name: the pod failure policy's exit-code rule names it. */
export const K8S_CONTAINER = 'invsim';
/** Exit codes a retry cannot change (src/cli/errors.ts EXIT: failed, usage, internal). */
const FINAL_EXIT_CODES = [1, 2, 70];

export interface IndexedJobRequest {
  /** metadata.name, a DNS label (jobName). */
  readonly name: string;
  readonly image: string;
  /** The PersistentVolumeClaim every pod mounts at `resultsDir`. */
  readonly claim: string;
  readonly resultsDir: string;
  readonly completions: number;
  readonly parallelism: number;
  /** The invsim arguments of every pod, `--shard k8s --shard-count N` and `--out resultsDir` included. */
  readonly args: readonly string[];
  /** Comment lines above the manifest (how to run it and merge the shards). */
  readonly header: readonly string[];
}

const inputError = (field: string, reason: string): AnalysisInputError => new AnalysisInputError(`${field} ${reason}`, { field, reason });

/** `--emit-k8s-job N` and `--parallelism P`, checked: P defaults to N. */
export function jobSize(completions: number, parallelism: number | undefined): { completions: number; parallelism: number } {
  if (!Number.isInteger(completions) || completions < 1 || completions > MAX_SHARDS) {
    throw inputError('--emit-k8s-job', `must be an integer from 1 to ${MAX_SHARDS} (the number of shards), got ${completions}`);
  }
  const p = parallelism ?? completions;
  if (!Number.isInteger(p) || p < 1 || p > completions) throw inputError('--parallelism', `must be an integer from 1 to the number of shards (${completions}), got ${p}`);
  return { completions, parallelism: p };
}

/** A DNS-1123 label from a command and a scenario name: lower case, at most 50 characters (pod names add the index and a suffix). */
export function jobName(parts: readonly string[]): string {
  const name = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 50)
    .replace(/^-+|-+$/g, '');
  return name === '' ? 'invsim' : name;
}

export function indexedJob(request: IndexedJobRequest): unknown {
  const labels = { 'app.kubernetes.io/name': 'invsim', 'app.kubernetes.io/component': 'shard' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: request.name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: request.completions,
      parallelism: request.parallelism,
      backoffLimitPerIndex: 1,
      podFailurePolicy: {
        rules: [
          { action: 'FailIndex', onExitCodes: { containerName: K8S_CONTAINER, operator: 'In', values: FINAL_EXIT_CODES } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: K8S_CONTAINER,
              image: request.image,
              command: ['invsim'],
              args: [...request.args],
              // One thread per pod: the Job's parallelism is the scale-out, not worker threads.
              resources: { requests: { cpu: '1' } },
              volumeMounts: [{ name: 'results', mountPath: request.resultsDir }],
            },
          ],
          volumes: [{ name: 'results', persistentVolumeClaim: { claimName: request.claim } }],
        },
      },
    },
  };
}

export function indexedJobYaml(request: IndexedJobRequest): string {
  const header = request.header.map((line) => `# ${line}`.trimEnd()).join('\n');
  return `${header}\n${stringify(indexedJob(request), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The arguments a pod adds to the command: its shard from the Job, one thread, the shared volume. */
export function shardPodArgs(completions: number, resultsDir: string): string[] {
  return ['--workers', '1', '--shard', SHARD_FROM_K8S, '--shard-count', String(completions), '--out', resultsDir];
}

/** The comment above a manifest: what it runs, how to start it, how to merge. */
export function jobHeader(options: { name: string; command: string; completions: number; claim: string; resultsDir: string; mergeGlob: string }): string[] {
  return [
    `${options.command}`,
    `in ${options.completions} shards as a Kubernetes Indexed Job (batch/v1; Kubernetes 1.29 or later).`,
    `Pod k (${SHARD_INDEX_ENV}=k, 0-based) runs shard k+1/${options.completions} and writes its shard document`,
    `into ${options.resultsDir}, the PersistentVolumeClaim ${options.claim} (ReadWriteMany when pods spread over nodes).`,
    `The image must hold invsim on PATH and the scenario file at the path above, relative to its working directory.`,
    `(${SHARD_COUNT_ENV} may replace --shard-count in the pod's environment.)`,
    '',
    `  kubectl apply -f job.yaml`,
    `  kubectl wait --for=condition=complete job/${options.name}   # exit 1 (a finding) fails its index: the Job ends Failed`,
    `  invsim merge ${options.mergeGlob} --json   # in a pod that mounts ${options.claim}`,
  ];
}
