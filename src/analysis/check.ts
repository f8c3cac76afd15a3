/**
 * CI mode: every `assert` block of a scenario, for every strategy it applies to, over N seeds.
 * An assertion holds when it holds on every seed; a failure is reported as data (the assertion,
 * the seeds it failed on with the observed values) plus the command that replays the first one.
 */
import { holds } from './holds.js';
import type { Assertion } from '../scenarios/assertions.js';
import type { RunTask } from './execute.js';
import type { ObservedValue, RunRecord } from './metrics.js';

export { holds } from './holds.js';
export { assertBlocks, defaultAssertedStrategies, scenarioAssertions, type Assertion, type Bound } from '../scenarios/assertions.js';

export interface SeedValue {
  readonly seed: number;
  readonly value: ObservedValue;
}

export interface AssertionOutcome extends Assertion {
  readonly passed: boolean;
  /** The seeds it failed on, in seed order, with what was observed. */
  readonly failures: readonly SeedValue[];
  /** Replays the first failure; null when the assertion held. */
  readonly reproduce: string | null;
}

export interface CheckReport {
  readonly file: string;
  readonly seeds: readonly number[];
  readonly passed: boolean;
  readonly assertions: number;
  readonly failed: number;
  readonly outcomes: readonly AssertionOutcome[];
}


/** `integrityViolations: 0`, `latencyMsP99: "< 500"`: the assertion as written in the scenario file. */
export function describeAssertion(a: Pick<Assertion, 'metric' | 'expected'>): string {
  return `${a.metric}: ${typeof a.expected === 'string' ? JSON.stringify(a.expected.trim()) : String(a.expected)}`;
}

const SHELL_SAFE = /^[\w@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  return SHELL_SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command that replays one run. */
export function reproducer(file: string, scenario: string, strategy: string, seed: number): string {
  return `invsim run ${shellQuote(file)} --scenario ${shellQuote(scenario)} --strategy ${shellQuote(strategy)} --seed ${seed}`;
}

/** The runs the assertions need: each asserted (scenario, strategy) once per seed. */
export function checkTasks(file: string, assertions: readonly Assertion[], seeds: readonly number[]): RunTask[] {
  const pairs = new Map<string, { scenario: string; strategy: string }>();
  for (const a of assertions) pairs.set(JSON.stringify([a.scenario, a.strategy]), { scenario: a.scenario, strategy: a.strategy });
  return [...pairs.values()].flatMap(({ scenario, strategy }) => seeds.map((seed) => ({ file, scenario, strategy, seed })));
}

export function evaluateAssertions(file: string, assertions: readonly Assertion[], seeds: readonly number[], records: readonly RunRecord[]): CheckReport {
  const byRun = new Map<string, RunRecord>();
  for (const r of records) byRun.set(JSON.stringify([r.scenario, r.strategy, r.seed]), r);
  const outcomes = assertions.map((a): AssertionOutcome => {
    const failures: SeedValue[] = [];
    for (const seed of seeds) {
      const record = byRun.get(JSON.stringify([a.scenario, a.strategy, seed]));
      if (record === undefined) throw new Error(`no run for ${a.scenario}/${a.strategy}/seed ${seed}`);
      const value = record.observed[a.metric];
      if (!holds(a.expected, value)) failures.push({ seed, value });
    }
    const first = failures[0];
    return { ...a, passed: first === undefined, failures, reproduce: first === undefined ? null : reproducer(file, a.scenario, a.strategy, first.seed) };
  });
  const failed = outcomes.filter((o) => !o.passed).length;
  return { file, seeds: [...seeds], passed: failed === 0, assertions: outcomes.length, failed, outcomes };
}
