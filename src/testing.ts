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
import { formatPath, safeGetScenario, safeLoadScenarioFile, unwrapScenarioResult, type ScenarioIssue, type ScenarioResult } from './scenarios/load.js';
import { scenarioSchema } from './scenarios/file-schema.js';
import type { Scenario, ScenarioInput } from './scenarios/schema.js';
import { ruleOf } from './scenarios/zod-issues.js';
import type { SimulationResult } from './model/result.js';
import { simulate } from './sim/world.js';

export type { SimulationResult } from './model/result.js';
export type { Scenario, ScenarioInput, AssertableMetric } from './scenarios/schema.js';
export { ScenarioError, type ScenarioIssue, type ScenarioResult } from './scenarios/load.js';
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

/** Validates an inline scenario like the file loader does; every problem comes back as an issue. */
export function safeInlineScenario(input: ScenarioInput & { readonly name?: string }): ScenarioResult<Scenario> {
  const { name = 'inline', ...spec } = input;
  const parsed = scenarioSchema.safeParse(spec);
  if (parsed.success) return { success: true, data: { ...parsed.data, name } };
  const issues: ScenarioIssue[] = parsed.error.issues.map((issue) => ({
    path: formatPath(issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))),
    line: null,
    column: null,
    code: ruleOf(issue),
    message: issue.message,
  }));
  return { success: false, file: INLINE, issues };
}

/** Validates an inline scenario like the file loader does; every problem is reported at once (ScenarioError). */
export function inlineScenario(input: ScenarioInput & { readonly name?: string }): Scenario {
  return unwrapScenarioResult(safeInlineScenario(input));
}

/**
 * Loads and validates one scenario of a file, returning the problems as a value (like zod's
 * `safeParse`): `{ success: true, data }` or `{ success: false, file, issues }`, each issue with
 * its path, line, column, rule and message. It never throws for a problem with the input: an
 * unreadable file, bad YAML, a schema violation and an unknown scenario name are all issues.
 */
export function safeLoadScenario(file: string, name: string): ScenarioResult<Scenario> {
  const loaded = safeLoadScenarioFile(file);
  return loaded.success ? safeGetScenario(loaded.data, name) : loaded;
}

/** Loads and validates one scenario of a file (ScenarioError on any problem). */
export function loadScenario(file: string, name: string): Scenario {
  return unwrapScenarioResult(safeLoadScenario(file, name));
}

/** Simulates one scenario with one strategy and seed; the result is the document `invsim run --json` prints. */
export async function runScenario(options: RunScenarioOptions): Promise<SimulationResult> {
  const scenario = 'file' in options ? loadScenario(options.file, options.scenario) : inlineScenario(options.scenario);
  return simulate(scenario, { strategy: options.strategy, seed: options.seed ?? 1 });
}
