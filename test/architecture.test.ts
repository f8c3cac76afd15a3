// Proves the architecture of src: no file reaches itself through its imports (imports of types
// included: a type-only cycle still ties two modules' meaning together), and the folders form
// the layers below, each importing only folders of lower layers, so no two folders import each
// other. madge reads the imports and resolves them as the compiler does (tsconfig.json: each
// `./x.js` is x.ts); a failure prints the chain of imports to follow.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
/** The folder of src/index.ts and src/testing.ts, the package's entry points. */
const ROOT = '(root)';

/**
 * The layers of src, lowest first. A file may import the files of its own folder and those of
 * any lower layer; never those of another folder of its layer, nor of a higher layer. Adapters
 * and stores sit below the simulator and the service, which plug them into the engine's ports.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['engine'], // the sync engine: pure logic behind ports
  ['model'], // channel models, presets, random streams, the result's shape
  ['scenarios'], // schema, loading, validation; compile.ts turns a scenario into engine, channel and fault configs
  ['adapters', 'stores', 'connectors'], // the real world behind the ports: wall clock, timers, files, Redis, PostgreSQL, marketplaces
  ['sim', 'serve', 'loadtest'], // the engine simulated, run as a service in real time, loaded by k6
  ['twins'], // the marketplaces' twins: channel models behind the real protocols, customers from the load plan
  ['analysis'], // runs the simulations: multi-seed runs, compare, sweep, check
  ['reports'], // HTML reports, built from results
  ['cli'], // the commands
  [ROOT],
];

interface Rule {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/** Imports the layers allow that the design refuses all the same (folders). */
const FORBIDDEN: readonly Rule[] = [{ from: 'reports', to: 'sim', why: 'reports take results as input; src/analysis runs the simulations' }];

/**
 * Imports (files) allowed to break the rules for now, each with its reason. Only imports from or
 * to src/sim/world.ts or src/sim/kernel.ts, which are being rewritten, may be listed, and the list
 * only shrinks: an entry whose import is gone fails the test until it is removed.
 */
const KNOWN_EXCEPTIONS: readonly Rule[] = [];

type Graph = Readonly<Record<string, readonly string[]>>;

const layerOf = new Map(LAYERS.flatMap((folders, layer) => folders.map((folder) => [folder, layer] as const)));
const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : ROOT);
const excused = (from: string, to: string): boolean => KNOWN_EXCEPTIONS.some((e) => e.from === from && e.to === to);
/** `a → b → a`: a cycle, back to where it starts. */
const chain = (cycle: readonly string[]): string => [...cycle, cycle[0]].join(' → ');

/** A cycle starting at its least member, so that one cycle always reads the same. */
function normalized(cycle: readonly string[]): string[] {
  const least = cycle.indexOf([...cycle].sort()[0]!);
  return [...cycle.slice(least), ...cycle.slice(0, least)];
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split('\\').join('/'))
    .sort();
}

/** Folder → folder → the first file import that makes the edge, for the message. */
function folderEdges(graph: Graph): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const [from, deps] of Object.entries(graph)) {
    for (const to of deps) {
      const [a, b] = [folderOf(from), folderOf(to)];
      if (a === b || excused(from, to)) continue;
      const out = edges.get(a) ?? new Map<string, string>();
      if (!out.has(b)) out.set(b, `${from} → ${to}`);
      edges.set(a, out);
    }
  }
  return edges;
}

/** Every elementary cycle of a small graph, each from its least node (a dozen folders: a plain search). */
function cyclesOf(edges: ReadonlyMap<string, ReadonlyMap<string, string>>): string[][] {
  const found: string[][] = [];
  const search = (start: string, path: string[]): void => {
    for (const next of edges.get(path.at(-1)!)?.keys() ?? []) {
      if (next === start) found.push([...path]);
      else if (next > start && !path.includes(next)) search(start, [...path, next]);
    }
  };
  for (const start of [...edges.keys()].sort()) search(start, [start]);
  return found;
}

describe('the architecture of src', () => {
  let graph: Graph = {};
  let fileCycles: string[][] = [];
  let skipped: string[] = [];

  beforeAll(async () => {
    const result = await madge(SRC, { fileExtensions: ['ts'], tsConfig: TSCONFIG, detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } } });
    graph = result.obj();
    fileCycles = result.circular();
    skipped = result.warnings().skipped;
  });

  it('reads every file of src and resolves every import between them', () => {
    expect(Object.keys(graph).sort()).toEqual(listTs(SRC));
    // An import madge cannot resolve is left out of the graph: a relative one would hide its edge.
    expect(
      skipped.filter((s) => s.startsWith('.')),
      'imports that could not be resolved',
    ).toEqual([]);
  });

  it('has no import cycle between files, imports of types included', () => {
    const cycles = fileCycles.map(normalized).filter((cycle) => !cycle.some((from, i) => excused(from, cycle[(i + 1) % cycle.length]!)));
    expect(cycles.map(chain), 'import cycles in src (each line: follow the imports from left to right)').toEqual([]);
  });

  it('places every folder of src in a layer', () => {
    const folders = [...new Set(Object.keys(graph).map(folderOf))].sort();
    expect(
      folders.filter((f) => !layerOf.has(f)),
      'folders of src missing from LAYERS',
    ).toEqual([]);
  });

  it('imports only from lower layers', () => {
    const breaches: string[] = [];
    for (const [from, deps] of Object.entries(graph)) {
      for (const to of deps) {
        const [a, b] = [folderOf(from), folderOf(to)];
        if (a === b || excused(from, to)) continue;
        const [la, lb] = [layerOf.get(a) ?? -1, layerOf.get(b) ?? -1];
        if (lb >= la) breaches.push(`${from} → ${to}: ${a} (layer ${la}) may not import ${b} (layer ${lb}${la === lb ? ', the same' : ''})`);
        const rule = FORBIDDEN.find((r) => r.from === a && r.to === b);
        if (rule !== undefined) breaches.push(`${from} → ${to}: ${a} may not import ${b} (${rule.why})`);
      }
    }
    expect(breaches.sort(), 'imports against the layering').toEqual([]);
  });

  it('has no import cycle between folders', () => {
    const edges = folderEdges(graph);
    const cycles = cyclesOf(edges).map((cycle) => `${chain(cycle)}: ${cycle.map((from, i) => edges.get(from)!.get(cycle[(i + 1) % cycle.length]!)!).join(', ')}`);
    expect(cycles, 'folders of src that import each other (with one file import per step)').toEqual([]);
  });

  it('keeps the known exceptions current, and to src/sim/world.ts and src/sim/kernel.ts', () => {
    const rewritten = new Set(['sim/world.ts', 'sim/kernel.ts']);
    expect(KNOWN_EXCEPTIONS.filter((e) => !rewritten.has(e.from) && !rewritten.has(e.to)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
    expect(
      KNOWN_EXCEPTIONS.filter((e) => !(graph[e.from] ?? []).includes(e.to)).map((e) => `${e.from} → ${e.to}`),
      'known exceptions whose import is gone: remove them',
    ).toEqual([]);
  });
});
