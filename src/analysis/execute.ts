/**
 * One run from its description: the same code in the main thread (`--workers 1`) and in every
 * worker thread, so the two paths cannot differ. A task names its scenario by file and name
 * (plus an optional parameter override), never by value: each thread loads and validates the
 * file itself, and caches it for the tasks that follow.
 */
import { getScenario, loadScenarioFile, type ScenarioFile } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/schema.js';
import { simulate } from '../sim/world.js';
import type { RunFailure } from './shrink.js';
import { swarmOutcome } from './swarm-outcome.js';
import { drawVariation } from './swarm-variation.js';
import { toRunRecord, type RunRecord } from './metrics.js';
import { applyOverride, type ParamOverride } from './params.js';

export interface RunTask {
  readonly file: string;
  readonly scenario: string;
  readonly strategy: string;
  readonly seed: number;
  readonly override?: ParamOverride;
  /** Run the seed's swarm variation of the scenario (src/analysis/swarm-variation.ts). */
  readonly swarm?: true;
}

/** One swarm seed: how it failed (null: it did not), and the orders it placed. */
export interface SwarmRecord {
  readonly scenario: string;
  readonly strategy: string;
  readonly seed: number;
  readonly failure: RunFailure | null;
  readonly ordersPlaced: number;
  readonly traceHash: string;
}

export type TaskRecord = RunRecord | SwarmRecord;
export type Executor = (task: RunTask) => Promise<TaskRecord>;

/** Resolves tasks' scenarios with caching and runs them. */
export function createExecutor(): Executor {
  const files = new Map<string, ScenarioFile>();
  const scenarios = new Map<string, Scenario>();
  const resolve = (task: RunTask): Scenario => {
    const key = JSON.stringify([task.file, task.scenario, task.override ?? null]);
    const cached = scenarios.get(key);
    if (cached !== undefined) return cached;
    let file = files.get(task.file);
    if (file === undefined) {
      file = loadScenarioFile(task.file);
      files.set(task.file, file);
    }
    const base = getScenario(file, task.scenario);
    const scenario = task.override === undefined ? base : applyOverride(base, task.override, task.file);
    scenarios.set(key, scenario);
    return scenario;
  };
  return async (task) => {
    const scenario = resolve(task);
    if (task.swarm !== true) return toRunRecord(await simulate(scenario, { strategy: task.strategy, seed: task.seed }));
    const outcome = await swarmOutcome(drawVariation(scenario, task.seed).scenario, task.strategy, task.seed);
    return { scenario: task.scenario, strategy: task.strategy, seed: task.seed, ...outcome };
  };
}
