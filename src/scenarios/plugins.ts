/**
 * Custom strategies in a scenario file: `strategies: { mine: { module: ./mine.ts, options: … } }`.
 * Before the schema sees the data, a strategy that names a `module` and no `kind` is given
 * `kind: plugin`; after it, each module path is made absolute (relative to the scenario file,
 * or to the working directory for text with no file) and must name a file that exists.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PathIssue } from './issues.js';
import type { ScenarioFileSpec } from './file-schema.js';

type Raw = Record<string, unknown>;
const asRaw = (v: unknown): Raw | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : undefined);

/** A copy of the raw data with `kind: plugin` on every strategy that gives a module and no kind. */
export function withPluginKinds(data: unknown): unknown {
  const scenarios = asRaw(asRaw(data)?.['scenarios']);
  if (scenarios === undefined) return data;
  let changed = false;
  const out: Raw = {};
  for (const [name, raw] of Object.entries(scenarios)) {
    const strategies = asRaw(asRaw(raw)?.['strategies']);
    if (strategies === undefined) {
      out[name] = raw;
      continue;
    }
    const fixed: Raw = {};
    for (const [sname, s] of Object.entries(strategies)) {
      const spec = asRaw(s);
      const needsKind = spec !== undefined && 'module' in spec && !('kind' in spec);
      fixed[sname] = needsKind ? { kind: 'plugin', ...spec } : s;
      changed ||= needsKind;
    }
    out[name] = { ...asRaw(raw), strategies: fixed };
  }
  return changed ? { ...asRaw(data), scenarios: out } : data;
}

/** Makes every plugin module path absolute; returns an issue for each that names no file. */
export function resolvePluginModules(spec: ScenarioFileSpec, file: string): PathIssue[] {
  const base = file === '<text>' ? process.cwd() : path.dirname(path.resolve(file));
  const issues: PathIssue[] = [];
  for (const [name, scenario] of Object.entries(spec.scenarios)) {
    for (const [sname, strategy] of Object.entries(scenario.strategies)) {
      if (strategy.kind !== 'plugin') continue;
      const resolved = path.resolve(base, strategy.module);
      if (!existsSync(resolved) || !statSync(resolved).isFile()) {
        issues.push({ path: ['scenarios', name, 'strategies', sname, 'module'], code: 'module_not_found', message: `no such file: ${resolved} (a module path is relative to the scenario file)` });
        continue;
      }
      (strategy as { module: string }).module = resolved;
    }
  }
  return issues;
}
