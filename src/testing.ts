/**
 * `invsim/testing`: helpers for users' own test suites (vitest, node:test, jest).
 *
 *   import { runScenario } from 'invsim/testing';
 *   const r = await runScenario({ file: 'scenarios.yaml', scenario: 'flash-sale', strategy: 'event-driven', seed: 7 });
 *   expect(r.integrityViolations).toBe(0);
 *
 * A run is deterministic: the same scenario, strategy and seed give the same result (and the
 * same `traceHash`), so a failing test replays with `invsim run FILE --scenario X --strategy Y --seed N`.
 */
import { formatPath, getScenario, loadScenarioFile, ScenarioError } from './scenarios/load.js';
import { scenarioSchema } from './scenarios/file-schema.js';
import type { Scenario, ScenarioInput } from './scenarios/schema.js';
import { ruleOf } from './scenarios/zod-issues.js';
import type { SimulationResult } from './model/result.js';
import { simulate } from './sim/world.js';

export type { SimulationResult } from './model/result.js';
export type { Scenario, ScenarioInput, AssertableMetric } from './scenarios/schema.js';
export { ScenarioError } from './scenarios/load.js';
export { UnknownStrategyError } from './sim/world.js';
export { observe, type Observed } from './analysis/metrics.js';
export { holds, reproducer } from './analysis/check.js';

/** A scenario of a YAML file, by name. */
export interface RunScenarioFromFile {
  readonly file: string;
  readonly scenario: string;
  readonly strategy: string;
  /** Root seed, an integer >= 0 (default 1). */
  readonly seed?: number;
}

/** A scenario written inline, in the same shape as one entry of `scenarios:` in a YAML file. */
export interface RunInlineScenario {
  readonly scenario: ScenarioInput & { readonly name?: string };
  readonly strategy: string;
  readonly seed?: number;
}

export type RunScenarioOptions = RunScenarioFromFile | RunInlineScenario;

const INLINE = '<inline scenario>';

/** Validates an inline scenario like the file loader does; every problem is reported at once (ScenarioError). */
export function inlineScenario(input: ScenarioInput & { readonly name?: string }): Scenario {
  const { name = 'inline', ...spec } = input;
  const parsed = scenarioSchema.safeParse(spec);
  if (!parsed.success) {
    throw new ScenarioError(
      INLINE,
      parsed.error.issues.map((issue) => ({
        path: formatPath(issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))),
        line: null,
        column: null,
        code: ruleOf(issue),
        message: issue.message,
      })),
    );
  }
  return { ...parsed.data, name };
}

/** Loads and validates one scenario of a file (ScenarioError on any problem). */
export function loadScenario(file: string, name: string): Scenario {
  return getScenario(loadScenarioFile(file), name);
}

/** Simulates one scenario with one strategy and seed; the result is the document `invsim run --json` prints. */
export async function runScenario(options: RunScenarioOptions): Promise<SimulationResult> {
  const scenario = 'file' in options ? loadScenario(options.file, options.scenario) : inlineScenario(options.scenario);
  return simulate(scenario, { strategy: options.strategy, seed: options.seed ?? 1 });
}
