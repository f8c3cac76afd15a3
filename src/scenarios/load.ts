/**
 * Loading scenario files: YAML text → validated scenarios. Problems are collected, never
 * thrown one at a time: each carries its YAML path, its line and column, and the rule broken.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { scenarioFileSchema, type Scenario } from './schema.js';

export interface ScenarioIssue {
  /** Dotted YAML path, e.g. `scenarios.flash-sale.channels[2].preset`. */
  readonly path: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly code: string;
  readonly message: string;
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly issues: readonly ScenarioIssue[],
  ) {
    super(`${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map((i) => formatIssue(file, i)).join('\n')}`);
  }
}

export function formatIssue(file: string, issue: ScenarioIssue): string {
  const where = issue.line === null ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return `  ${where}  ${issue.path || '(root)'}: ${issue.message} [${issue.code}]`;
}

export interface ScenarioFile {
  readonly file: string;
  readonly text: string;
  readonly scenarios: ReadonlyMap<string, Scenario>;
}

export function loadScenarioFile(file: string): ScenarioFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((error as Error).message);
    throw new ScenarioError(file, [{ path: '', line: null, column: null, code: 'file', message: `cannot read the file: ${reason}` }]);
  }
  return parseScenarioText(text, file);
}

export function parseScenarioText(text: string, file = '<text>'): ScenarioFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: ScenarioIssue[] = [];
  for (const error of doc.errors) {
    const pos = error.linePos?.[0];
    issues.push({ path: '', line: pos?.line ?? null, column: pos?.col ?? null, code: 'yaml', message: error.message.split('\n')[0]! });
  }
  if (issues.length > 0) throw new ScenarioError(file, issues);
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new ScenarioError(file, [{ path: '', line: 1, column: 1, code: 'empty', message: 'the file is empty: expected a mapping with a `scenarios` key' }]);
  }
  const parsed = scenarioFileSchema.safeParse(data);
  if (!parsed.success) throw new ScenarioError(file, parsed.error.issues.map((i) => toIssue(i, doc, lineCounter)));
  const scenarios = new Map<string, Scenario>();
  for (const [name, spec] of Object.entries(parsed.data.scenarios)) scenarios.set(name, { ...spec, name });
  return { file, text, scenarios };
}

function toIssue(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): ScenarioIssue {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const { line, column } = locate(doc, path, lines);
  return { path: formatPath(path), line, column, code: issue.code, message: issue.message };
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The position of the deepest YAML node that exists along `path`. */
export function locate(doc: Document, path: readonly (string | number)[], lines: LineCounter): { line: number | null; column: number | null } {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as { range?: [number, number, number] } | null)?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (pair === undefined) break;
      offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (item === undefined) break;
      offset = (item as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  if (offset === undefined) return { line: null, column: null };
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

export function getScenario(file: ScenarioFile, name: string): Scenario {
  const scenario = file.scenarios.get(name);
  if (scenario === undefined) {
    throw new ScenarioError(file.file, [
      { path: 'scenarios', line: null, column: null, code: 'unknown_scenario', message: `no scenario named ${name} (the file has: ${[...file.scenarios.keys()].join(', ')})` },
    ]);
  }
  return scenario;
}
