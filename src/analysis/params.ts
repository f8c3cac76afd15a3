/**
 * One scenario parameter, named by a dotted path (`strategies.polling-15m.intervalS`,
 * `channels[0].demandWeight`), set to another value, and the result validated again with the
 * scenario schema so a sweep can never run a scenario the loader would have refused.
 */
import { ScenarioError, formatPath, type ScenarioIssue } from '../scenarios/load.js';
import { scenarioSchema } from '../scenarios/file-schema.js';
import type { Scenario } from '../scenarios/schema.js';
import { ruleOf } from '../scenarios/zod-issues.js';
import { AnalysisInputError } from './errors.js';

export type ParamValue = number | boolean | string;

/** A parameter set to a value: part of a run's identity in a sweep. */
export interface ParamOverride {
  readonly param: string;
  readonly value: ParamValue;
}

/** `a.b[2].c` or `a.b.2.c` → ['a', 'b', 2, 'c']. */
export function parseParamPath(param: string): (string | number)[] {
  const path: (string | number)[] = [];
  for (const segment of param.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (match === null || (match[1] === '' && match[2] === '')) throw new AnalysisInputError(`--param ${param}: cannot read the path at "${segment}" (write it like demand.ordersPerDay or channels[0].demandWeight)`);
    const key = match[1]!;
    if (key !== '') path.push(/^\d+$/.test(key) ? Number(key) : key);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
  }
  return path;
}

/** "900" → 900, "true" → true, anything else stays a string (the schema decides whether it fits). */
export function parseParamValue(text: string): ParamValue {
  const trimmed = text.trim();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  return trimmed;
}

export function parseParamValues(list: string): ParamValue[] {
  const values = list.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (values.length === 0) throw new AnalysisInputError(`--values must list at least one value, comma-separated (got "${list}")`);
  return values.map(parseParamValue);
}

function describeKeys(node: unknown): string {
  if (Array.isArray(node)) return node.length === 0 ? 'an empty list' : `a list with indices 0..${node.length - 1}`;
  if (typeof node === 'object' && node !== null) return `keys: ${Object.keys(node).join(', ')}`;
  return `a ${typeof node}`;
}

/** Throws AnalysisInputError naming the path unless `path` leads to an existing leaf value of `root`. */
function checkLeafPath(root: unknown, path: readonly (string | number)[], param: string): void {
  let node: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const here = formatPath(path.slice(0, i)) || '(scenario root)';
    const exists = Array.isArray(node)
      ? typeof key === 'number' && key < node.length
      : typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, String(key));
    if (!exists) throw new AnalysisInputError(`--param ${param}: ${here} has no ${typeof key === 'number' ? `index ${key}` : `key "${key}"`} (it has ${describeKeys(node)})`);
    node = (node as Record<string | number, unknown>)[key];
  }
  if (typeof node === 'object' && node !== null) {
    throw new AnalysisInputError(`--param ${param}: names ${Array.isArray(node) ? 'a list' : 'an object'}, not a value (it has ${describeKeys(node)})`);
  }
}

/**
 * The scenario with one parameter replaced, validated again. A path that does not exist is an
 * AnalysisInputError; a value the schema refuses is a ScenarioError naming the scenario path.
 */
export function applyOverride(scenario: Scenario, override: ParamOverride, file: string): Scenario {
  const { name, ...spec } = scenario;
  const path = parseParamPath(override.param);
  if (path.length === 0) throw new AnalysisInputError(`--param must name a parameter, e.g. demand.ordersPerDay`);
  checkLeafPath(spec, path, override.param);
  const modified = structuredClone(spec) as Record<string | number, unknown>;
  let node = modified;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = override.value;
  const parsed = scenarioSchema.safeParse(modified);
  if (!parsed.success) {
    const issues: ScenarioIssue[] = parsed.error.issues.map((issue) => ({
      path: formatPath(['scenarios', name, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))]),
      line: null,
      column: null,
      code: ruleOf(issue),
      message: `${issue.message} (with ${override.param} = ${JSON.stringify(override.value)})`,
    }));
    throw new ScenarioError(file, issues);
  }
  return { ...parsed.data, name };
}
