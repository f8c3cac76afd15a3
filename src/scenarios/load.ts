/**
 * Loading scenario files: YAML text → validated scenarios. Problems are collected, never
 * thrown one at a time: YAML syntax and duplicate keys, then the schema (types, ranges, unknown
 * keys with a "did you mean"), then the cross-field rules (validate.ts). Each problem carries
 * its YAML path, its line and column, and the rule broken; all of them go into one
 * ScenarioError, sorted by position, and nothing runs.
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

export function loadScenarioFile(file: string): ScenarioFile {
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    // The size is checked before anything is read or parsed (a 50 MB file took minutes).
    const bytes = fstatSync(fd).size;
    if (bytes > MAX_SCENARIO_FILE_BYTES) throw new ScenarioError(file, [tooLarge(bytes)]);
    text = readFileSync(fd, 'utf8');
  } catch (error) {
    if (error instanceof ScenarioError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String((error as Error).message);
    throw new ScenarioError(file, [{ path: '', line: null, column: null, code: 'file', message: `cannot read the file: ${reason}` }]);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return parseScenarioText(text, file);
}

function tooLarge(bytes: number): ScenarioIssue {
  const mib = (n: number): string => `${Number((n / 1024 / 1024).toFixed(1))} MiB`;
  return { path: '', line: null, column: null, code: 'file_too_large', message: `the file is ${mib(bytes)} (${bytes} bytes); a scenario file may be at most ${mib(MAX_SCENARIO_FILE_BYTES)}` };
}

export function parseScenarioText(text: string, file = '<text>'): ScenarioFile {
  // A file grown since loadScenarioFile looked, or text from elsewhere, is held to the same limit.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SCENARIO_FILE_BYTES) throw new ScenarioError(file, [tooLarge(bytes)]);
  const yaml = readYaml(text);
  if (yaml.data === undefined) throw new ScenarioError(file, sortByPosition(yaml.issues));
  const data = withPluginKinds(yaml.data);
  if (data === null) {
    const message = 'the file is empty: expected a mapping with a `scenarios` key (see the shipped scenarios.yaml)';
    throw new ScenarioError(file, [...yaml.issues, { path: '', line: 1, column: 1, code: 'empty', message }]);
  }
  const parsed = scenarioFileSchema.safeParse(data, { reportInput: true });
  const found: PathIssue[] = [...(parsed.success ? [] : translateZodIssues(parsed.error.issues, scenarioFileSchema, data)), ...crossFieldIssues(data)];
  if (parsed.success) found.push(...resolvePluginModules(parsed.data, file));
  const issues = [...yaml.issues, ...found.map((issue) => positioned(issue, yaml.source))];
  if (issues.length > 0 || !parsed.success) throw new ScenarioError(file, sortByPosition(dedupe(issues)));
  const scenarios = new Map<string, Scenario>();
  for (const [name, spec] of Object.entries(parsed.data.scenarios)) scenarios.set(name, { ...spec, name });
  return { file, text, scenarios };
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

export function getScenario(file: ScenarioFile, name: string): Scenario {
  const scenario = file.scenarios.get(name);
  if (scenario === undefined) {
    const names = [...file.scenarios.keys()];
    const message = `no scenario named ${JSON.stringify(name)}${didYouMean(name, names, '')} (the file has: ${listWords(names, 50)})`;
    throw new ScenarioError(file.file, [{ path: 'scenarios', line: null, column: null, code: 'unknown_scenario', message }]);
  }
  return scenario;
}
