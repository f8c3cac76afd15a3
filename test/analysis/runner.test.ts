// Proves the run pool's contract without the CLI: records come back in task order whatever the
// pool size, and errors cross the thread boundary as the classes the CLI maps to exit codes
// (a ScenarioError keeps its issues), so `--workers N` fails exactly like `--workers 1`.
import { describe, expect, it } from 'vitest';
import { AnalysisInputError, fromWireError, toWireError } from '../../src/analysis/errors.js';
import type { RunTask } from '../../src/analysis/execute.js';
import { runTasks } from '../../src/analysis/runner.js';
import { InputError } from '../../src/engine/errors.js';
import { ScenarioError } from '../../src/scenarios/load.js';
import { UnknownStrategyError } from '../../src/sim/world.js';

const FILE = 'test/fixtures/cli/flash-sale-pass.yaml';
const task = (strategy: string, seed: number): RunTask => ({ file: FILE, scenario: 'flash-sale', strategy, seed });

describe('wire errors', () => {
  it('rebuild the error classes the CLI maps to exit code 2', () => {
    const scenarioError = new ScenarioError('f.yaml', [{ path: 'a.b', line: 3, column: 4, code: 'too_small', message: 'bad' }]);
    const back = fromWireError(JSON.parse(JSON.stringify(toWireError(scenarioError))));
    expect(back).toBeInstanceOf(ScenarioError);
    expect((back as ScenarioError).issues).toEqual(scenarioError.issues);
    expect(fromWireError(toWireError(new UnknownStrategyError('x')))).toBeInstanceOf(UnknownStrategyError);
    expect(fromWireError(toWireError(new AnalysisInputError('x')))).toBeInstanceOf(AnalysisInputError);
    const input = fromWireError(JSON.parse(JSON.stringify(toWireError(InputError.of('--seed', 'must be an integer >= 0, got -1')))));
    expect(input).toBeInstanceOf(InputError);
    expect(input).toMatchObject({ field: '--seed', reason: 'must be an integer >= 0, got -1', message: '--seed must be an integer >= 0, got -1' });
    const other = fromWireError(toWireError(new TypeError('boom')));
    expect(other.message).toBe('boom (in a worker thread)');
  });
});

describe('runTasks', () => {
  it('returns records in task order on a pool, equal to the in-process ones', async () => {
    const tasks = [task('allocation', 2), task('event-driven', 1), task('allocation', 1)];
    const inProcess = await runTasks(tasks, { workers: 1 });
    const progress: number[] = [];
    const pooled = await runTasks(tasks, { workers: 2, onProgress: (done) => progress.push(done) });
    expect(pooled).toEqual(inProcess);
    expect(pooled.map((r) => `${r.strategy}/${r.seed}`)).toEqual(['allocation/2', 'event-driven/1', 'allocation/1']);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('fails on a pool with the same error class as in process', async () => {
    const tasks = [task('event-driven', 1), task('no-such-strategy', 1)];
    await expect(runTasks(tasks, { workers: 1 })).rejects.toBeInstanceOf(UnknownStrategyError);
    await expect(runTasks(tasks, { workers: 2 })).rejects.toBeInstanceOf(UnknownStrategyError);
    await expect(runTasks(tasks, { workers: 0 })).rejects.toBeInstanceOf(InputError);
  });
});
