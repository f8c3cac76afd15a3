/**
 * One run from its description: the same code in the main thread (`--workers 1`) and in every
 * worker thread, so the two paths cannot differ. A task names its scenario by file and name
 * (plus an optional parameter override), never by value: each thread loads and validates the
 * file itself, and caches it for the tasks that follow.
 */
import { getScenario, loadScenarioFile, type ScenarioFile } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/schema.js';
import { simulate } from '../sim/world.js';
import { toRunRecord, type RunRecord } from './metrics.js';
import { applyOverride, type ParamOverride } from './params.js';

export interface RunTask {
  readonly file: string;
  readonly scenario: string;
  readonly strategy: string;
  readonly seed: number;
  readonly override?: ParamOverride;
}

export type Executor = (task: RunTask) => Promise<RunRecord>;

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
  return async (task) => toRunRecord(await simulate(resolve(task), { strategy: task.strategy, seed: task.seed }));
}
