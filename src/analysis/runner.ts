/**
 * Runs a list of tasks, in this thread or on a pool of worker threads, and returns their records
 * in task order, never in completion order: the output of `--workers 8` is byte-identical to
 * `--workers 1` because every run is a pure function of its task and the order is fixed here.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { yieldToEventLoop } from '../adapters/drain.js';
import { InputError } from '../engine/errors.js';
import { fromWireError, type WireError } from './errors.js';
import { createExecutor, type RunTask, type SwarmRecord, type TaskRecord } from './execute.js';
import type { RunRecord } from './metrics.js';

export interface RunnerOptions {
  /** Worker threads; 1 runs every task in this thread. */
  readonly workers: number;
  /** Called after each completed run. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Upper bound on the pool, whatever is asked: a worker costs a V8 isolate and the module graph. */
export const MAX_WORKERS = 256;

export function defaultWorkers(): number {
  return availableParallelism();
}

export async function runTasks(tasks: readonly RunTask[], options: RunnerOptions): Promise<RunRecord[]> {
  if (tasks.some((t) => t.swarm === true)) throw new Error('runTasks: swarm tasks go through runSwarmTasks');
  return runAny<RunRecord>(tasks, options);
}

/** Swarm tasks (each seed's variation of the scenario), in task order; a crash is a record, not an error. */
export async function runSwarmTasks(tasks: readonly RunTask[], options: RunnerOptions): Promise<SwarmRecord[]> {
  if (tasks.some((t) => t.swarm !== true)) throw new Error('runSwarmTasks: every task must be a swarm task');
  return runAny<SwarmRecord>(tasks, options);
}

async function runAny<R extends TaskRecord>(tasks: readonly RunTask[], options: RunnerOptions): Promise<R[]> {
  if (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > MAX_WORKERS) {
    throw InputError.of('--workers', `must be an integer from 1 to ${MAX_WORKERS}, got ${options.workers}`);
  }
  const poolSize = Math.min(options.workers, tasks.length);
  return poolSize <= 1 ? runInProcess<R>(tasks, options) : runOnPool<R>(tasks, poolSize, options);
}

async function runInProcess<R extends TaskRecord>(tasks: readonly RunTask[], options: RunnerOptions): Promise<R[]> {
  const execute = createExecutor();
  const records: R[] = [];
  for (const task of tasks) {
    records.push((await execute(task)) as R);
    options.onProgress?.(records.length, tasks.length);
    // A run settles through microtasks alone; a host turn between runs lets timers fire
    // (periodic progress lines, src/cli/progress.ts) without touching any result.
    await yieldToEventLoop();
  }
  return records;
}

/**
 * The compiled worker script. Under a TypeScript runner (vitest on src/) this module is a .ts
 * file with no .js sibling, so the pool uses the build in dist/ instead.
 */
export function workerScript(): URL {
  const here = fileURLToPath(import.meta.url);
  const script = here.endsWith('.ts') ? new URL('../../dist/analysis/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);
  if (!existsSync(script)) throw new Error(`worker script not found at ${fileURLToPath(script)}: run \`npm run build\` first`);
  return script;
}

type WorkerReply = { index: number; record: TaskRecord } | { index: number; error: WireError };

function runOnPool<R extends TaskRecord>(tasks: readonly RunTask[], poolSize: number, options: RunnerOptions): Promise<R[]> {
  const script = workerScript();
  const records: (R | undefined)[] = new Array<R | undefined>(tasks.length);
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;
  let settled = false;
  return new Promise<R[]>((resolve, reject) => {
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      void Promise.all(workers.map((w) => w.terminate())).then(() => {
        if (error !== null) reject(error);
        else resolve(records as R[]);
      }, reject);
    };
    const feed = (worker: Worker): void => {
      if (next >= tasks.length) return;
      const index = next++;
      worker.postMessage({ index, task: tasks[index] });
    };
    for (let i = 0; i < poolSize; i++) {
      const worker = new Worker(script);
      workers.push(worker);
      worker.on('message', (reply: WorkerReply) => {
        if (settled) return;
        if ('error' in reply) return finish(fromWireError(reply.error));
        records[reply.index] = reply.record as R;
        done++;
        options.onProgress?.(done, tasks.length);
        if (done === tasks.length) return finish(null);
        feed(worker);
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => {
        if (!settled) finish(new Error(`a worker thread exited with code ${code} before the runs finished`));
      });
      feed(worker);
    }
  });
}
