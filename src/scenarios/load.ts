/**
 * Loading scenario files: YAML text → validated scenarios. Problems are collected, never
 * thrown one at a time: YAML syntax and duplicate keys, then the schema (types, ranges, unknown
 * keys with a "did you mean"), then the cross-field rules (validate.ts). Each problem carries
 * its YAML path, its line and column, and the rule broken; all of them go into one result,
 * sorted by position, and nothing runs.
 *
 * The `safe…` functions return the problems as a value (zod's `safeParse`): `{ success: true,
 * data }` or `{ success: false, file, issues }`; they never throw for a problem with the input
 * (a file that cannot be read included). The others are the same checks throwing ScenarioError.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Document, LineCounter } from 'yaml';
import { MAX_SCENARIO_FILE_BYTES } from './bounds.js';
import { formatPath, ScenarioError, type PathIssue, type PathKey, type ScenarioIssue } from './issues.js';
import { scenarioFileSchema } from './file-schema.js';
import type { Scenario } from './schema.js';
import { didYouMean, listWords } from './suggest.js';
import { resolvePluginModules, withPluginKinds } from './plugins.js';
import { crossFieldIssues } from './validate.js';
import { locate as locateIn, readYaml, type YamlSource } from './yaml-source.js';
import { translateZodIssues } from './zod-issues.js';

export { formatIssue, formatPath, ScenarioError, type ScenarioIssue } from './issues.js';

export interface ScenarioFile {
  readonly file: string;
  readonly text: string;
  readonly scenarios: ReadonlyMap<string, Scenario>;
}

/** A check's outcome: the value, or every problem found (with the file they are in). */
export type ScenarioResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly file: string; readonly issues: readonly ScenarioIssue[] };

function ok<T>(data: T): ScenarioResult<T> {
  return { success: true, data };
}

function failed<T>(file: string, issues: readonly ScenarioIssue[]): ScenarioResult<T> {
  return { success: false, file, issues };
}

/** The value, or the problems thrown as one ScenarioError. */
export function unwrapScenarioResult<T>(result: ScenarioResult<T>): T {
  if (!result.success) throw new ScenarioError(result.file, result.issues);
  return result.data;
}

/** Reads and validates a scenario file; problems (the file's own included) come back as issues. */
export function safeLoadScenarioFile(file: string): ScenarioResult<ScenarioFile> {
  const read = readScenarioText(file);
  return read.success ? safeParseScenarioText(read.data, file) : read;
}

/** Reads and validates a scenario file (ScenarioError on any problem). */
export function loadScenarioFile(file: string): ScenarioFile {
  return unwrapScenarioResult(safeLoadScenarioFile(file));
}

function readScenarioText(file: string): ScenarioResult<string> {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    // The size is checked before anything is read or parsed (a 50 MB file took minutes).
    const bytes = fstatSync(fd).size;
    if (bytes > MAX_SCENARIO_FILE_BYTES) return failed(file, [tooLarge(bytes)]);
    return ok(readFileSync(fd, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String((error as Error).message);
    return failed(file, [{ path: '', line: null, column: null, code: 'file', message: `cannot read the file: ${reason}` }]);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tooLarge(bytes: number): ScenarioIssue {
  const mib = (n: number): string => `${Number((n / 1024 / 1024).toFixed(1))} MiB`;
  return { path: '', line: null, column: null, code: 'file_too_large', message: `the file is ${mib(bytes)} (${bytes} bytes); a scenario file may be at most ${mib(MAX_SCENARIO_FILE_BYTES)}` };
}

/** Validates scenario YAML text; every problem comes back as an issue. */
export function safeParseScenarioText(text: string, file = '<text>'): ScenarioResult<ScenarioFile> {
  // A file grown since loadScenarioFile looked, or text from elsewhere, is held to the same limit.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SCENARIO_FILE_BYTES) return failed(file, [tooLarge(bytes)]);
  const yaml = readYaml(text);
  if (yaml.data === undefined) return failed(file, sortByPosition(yaml.issues));
  const data = withPluginKinds(yaml.data);
  if (data === null) {
    const message = 'the file is empty: expected a mapping with a `scenarios` key (see the shipped scenarios.yaml)';
    return failed(file, [...yaml.issues, { path: '', line: 1, column: 1, code: 'empty', message }]);
  }
  const parsed = scenarioFileSchema.safeParse(data, { reportInput: true });
  const found: PathIssue[] = [...(parsed.success ? [] : translateZodIssues(parsed.error.issues, scenarioFileSchema, data)), ...crossFieldIssues(data)];
  if (parsed.success) found.push(...resolvePluginModules(parsed.data, file));
  const issues = [...yaml.issues, ...found.map((issue) => positioned(issue, yaml.source))];
  if (issues.length > 0 || !parsed.success) return failed(file, sortByPosition(dedupe(issues)));
  const scenarios = new Map<string, Scenario>();
  for (const [name, spec] of Object.entries(parsed.data.scenarios)) scenarios.set(name, { ...spec, name });
  return ok({ file, text, scenarios });
}

/** Validates scenario YAML text (ScenarioError on any problem). */
export function parseScenarioText(text: string, file = '<text>'): ScenarioFile {
  return unwrapScenarioResult(safeParseScenarioText(text, file));
}

function positioned(issue: PathIssue, source: YamlSource): ScenarioIssue {
  return { ...locateIn(source, issue.path), path: formatPath(issue.path), code: issue.code, message: issue.message };
}

function dedupe(issues: readonly ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.code}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** In file order; problems without a position last. Stable, so equal positions keep their order. */
function sortByPosition(issues: readonly ScenarioIssue[]): ScenarioIssue[] {
  const rank = (n: number | null): number => n ?? Number.POSITIVE_INFINITY;
  return [...issues].sort((a, b) => rank(a.line) - rank(b.line) || rank(a.column) - rank(b.column));
}

/** The position of the deepest YAML node that exists along `path`. */
export function locate(doc: Document, path: readonly PathKey[], lines: LineCounter): { line: number | null; column: number | null } {
  return locateIn({ doc, lines }, path);
}

/** One scenario of a loaded file, by name; an unknown name comes back as an issue. */
export function safeGetScenario(file: ScenarioFile, name: string): ScenarioResult<Scenario> {
  const scenario = file.scenarios.get(name);
  if (scenario !== undefined) return ok(scenario);
  const names = [...file.scenarios.keys()];
  const message = `no scenario named ${JSON.stringify(name)}${didYouMean(name, names, '')} (the file has: ${listWords(names, 50)})`;
  return failed(file.file, [{ path: 'scenarios', line: null, column: null, code: 'unknown_scenario', message }]);
}

/** One scenario of a loaded file, by name (ScenarioError for an unknown name). */
export function getScenario(file: ScenarioFile, name: string): Scenario {
  return unwrapScenarioResult(safeGetScenario(file, name));
}
