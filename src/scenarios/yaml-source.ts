/**
 * The YAML side of loading: text → data, with every syntax problem and duplicate key reported
 * at its line and column, and the map from a YAML path back to its position in the file (the
 * `yaml` package keeps source ranges on every node; a LineCounter turns offsets into lines).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair } from 'yaml';
import { formatPath, type PathKey, type ScenarioIssue } from './issues.js';

export interface YamlSource {
  readonly doc: Document;
  readonly lines: LineCounter;
}

export interface ParsedYaml {
  readonly source: YamlSource;
  /** Problems found while reading the YAML. */
  readonly issues: ScenarioIssue[];
  /** The data, when it could be read; `undefined` after a syntax error. */
  readonly data: unknown;
}

/** Bounds alias expansion (a "billion laughs" file fails loudly instead of exhausting memory). */
const MAX_ALIAS_COUNT = 1_000;

type Range = readonly [number, number, number];
const rangeOf = (node: unknown): Range | undefined => (node as { range?: Range | null } | null)?.range ?? undefined;
const keyOf = (pair: Pair): unknown => (isScalar(pair.key) ? pair.key.value : pair.key);

export function readYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source = { doc, lines };
  const issues = doc.errors.map((error) => {
    const offset = error.pos[0];
    if (error.code === 'DUPLICATE_KEY') return duplicateKey(source, offset);
    return { ...at(source, offset), path: formatPath(pathAtOffset(doc, offset)), code: 'yaml_syntax', message: error.message.split('\n')[0]! };
  });
  // A duplicate key leaves a readable document (the last value wins): validation goes on, so
  // the other problems are reported too. Any other error leaves nothing worth validating.
  if (issues.some((i) => i.code !== 'duplicate_key')) return { source, issues, data: undefined };
  try {
    return { source, issues, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    return { source, issues: [...issues, ...aliasIssues(source, error)], data: undefined };
  }
}

function at(source: YamlSource, offset: number): { line: number; column: number } {
  const pos = source.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/**
 * The path of the entries whose nodes contain `offset` (the deepest one). An entry counts only
 * when the offset is past its key's start: an error at a key belongs to the enclosing entry.
 */
function pathAtOffset(doc: Document, offset: number): PathKey[] {
  const path: PathKey[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    const next = childContaining(node, offset);
    if (next === undefined) return path;
    path.push(next.key);
    node = next.node;
  }
}

function childContaining(node: unknown, offset: number): { key: PathKey; node: unknown } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const start = rangeOf(pair.key)?.[0];
      const end = rangeOf(pair.value)?.[2] ?? rangeOf(pair.key)?.[2];
      if (start !== undefined && end !== undefined && offset > start && offset < end) return { key: String(keyOf(pair)), node: pair.value };
    }
  }
  if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const r = rangeOf(item);
      if (r !== undefined && offset >= r[0] && offset < r[2]) return { key: index, node: item };
    }
  }
  return undefined;
}

function duplicateKey(source: YamlSource, offset: number): ScenarioIssue {
  const found = findDuplicate(source.doc, offset);
  if (found === undefined) return { ...at(source, offset), path: '', code: 'duplicate_key', message: 'a key appears twice in the same mapping' };
  const firstAt = rangeOf(found.first.key)?.[0];
  const first = firstAt === undefined ? '' : ` (first at line ${source.lines.linePos(firstAt).line})`;
  return {
    ...at(source, offset),
    path: formatPath(found.path),
    code: 'duplicate_key',
    message: `duplicate key ${JSON.stringify(String(found.key))}${first}: YAML keys must be unique in a mapping`,
  };
}

/** The repeated key starting at `offset`, its path and its first occurrence. */
function findDuplicate(doc: Document, offset: number): { key: unknown; path: PathKey[]; first: Pair } | undefined {
  const path: PathKey[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => rangeOf(p.key)?.[0] === offset);
      if (pair !== undefined) {
        const key = keyOf(pair);
        const first = node.items.find((p) => keyOf(p) === key) ?? pair;
        return { key, path: [...path, String(key)], first };
      }
    }
    const next = childContaining(node, offset);
    if (next === undefined) return undefined;
    path.push(next.key);
    node = next.node;
  }
}

/** `toJS` failed: name each alias whose anchor is missing, else report the reason at the top. */
function aliasIssues(source: YamlSource, error: unknown): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  visit(source.doc, {
    Alias(_key, node) {
      const start = rangeOf(node)?.[0];
      if (node.resolve(source.doc) !== undefined || start === undefined) return;
      issues.push({
        ...at(source, start),
        path: formatPath(pathAtOffset(source.doc, start)),
        code: 'yaml_syntax',
        message: `unknown alias *${node.source}: the anchor &${node.source} must be defined before it is used`,
      });
    },
  });
  if (issues.length > 0) return issues;
  const reason = error instanceof Error ? error.message : String(error);
  return [{ line: 1, column: 1, path: '', code: 'yaml_syntax', message: reason }];
}

/**
 * The position of `path` in the file: the key of a mapping entry, the start of a list item;
 * when the path goes further than the file (a missing key), the deepest node that exists.
 */
export function locate(source: YamlSource, path: readonly PathKey[]): { line: number | null; column: number | null } {
  let node: unknown = source.doc.contents;
  let offset = rangeOf(node)?.[0];
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => String(keyOf(p)) === String(key));
      if (pair === undefined) break;
      offset = rangeOf(pair.key)?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item: Node | Pair | null | undefined = node.items[key] as Node | null | undefined;
      if (item === undefined || item === null) break;
      offset = rangeOf(item)?.[0] ?? offset;
      node = item;
    } else break;
  }
  if (offset === undefined) return { line: null, column: null };
  return at(source, offset);
}
