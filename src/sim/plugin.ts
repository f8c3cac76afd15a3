/**
 * Custom strategies as TypeScript plugins. A scenario names a module
 * (`strategies: { mine: { module: ./mine.ts, options: { … } } }`); its default export is a
 * `StrategyPlugin`: `start(options, ports)` schedules its periodic work through the ports and
 * returns what it does on each commit (see examples/strategies/ and the README).
 *
 * The module is compiled with ts-node (transpile only: types are the author's editor's
 * business) and evaluated in a fresh V8 context that holds nothing but the module: no
 * `require`, no `process`, no timers, and `Math.random` and `Date` that throw. So a plugin sees
 * only the deterministic ports it is handed, and a run that uses it replays byte for byte like
 * the shipped strategies. It is registered in the strategy registry under `module:<path>`,
 * once per process.
 */
import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { create, type Service } from 'ts-node';
import { InputError } from '../engine/errors.js';
import type { StrategySpec } from '../scenarios/schema.js';
import { registeredStrategy, registerStrategy, strategyId, type StrategyDefinition, type StrategyPorts, type StrategyRun } from './strategies.js';

/** What a plugin module's default export is. */
export interface StrategyPlugin<Options = Record<string, unknown>> {
  /** Problems with the scenario's `options`, one line each (none: they are fine). */
  validate?(options: Options): readonly string[];
  /** Starts the strategy's periodic work; returns its reaction to commits. */
  start(options: Options, ports: StrategyPorts): StrategyRun;
  /** The sync window (s) the seed article's leakage model assumes; default the propagation p99. */
  syncWindowS?(options: Options, latencyP99Ms: number): number;
}

/** A plugin module could not be loaded or is not a strategy: the scenario's fault (exit 2). */
export class StrategyPluginError extends InputError {
  override readonly name = 'StrategyPluginError';
  constructor(
    readonly module: string,
    message: string,
  ) {
    super(`strategy module ${module}: ${message}`, { field: module, reason: message });
  }
}

const PRELUDE = `
'use strict';
Math.random = function random() { throw new Error('Math.random is not available to a strategy: draw from ports.random(name)'); };
globalThis.Date = function Date() { throw new Error('Date is not available to a strategy: read virtual time from ports.nowMs()'); };
globalThis.Date.now = globalThis.Date;
`;

let compiler: Service | undefined;

/** The definition a strategy spec names: a built-in kind, or a plugin module (loaded once). */
export function loadStrategyDefinition(spec: StrategySpec): Promise<StrategyDefinition<StrategySpec>> {
  const id = strategyId(spec);
  const known = registeredStrategy(id);
  if (known !== undefined) return Promise.resolve(known);
  if (spec.kind !== 'plugin') throw new Error(`strategy kind ${spec.kind} is not registered`);
  const plugin = loadPlugin(spec.module);
  const definition: StrategyDefinition<StrategySpec> = {
    start: (s, ports) => {
      const run = plugin.start(optionsOf(s), ports);
      if (typeof run !== 'object' || run === null) throw new StrategyPluginError(spec.module, 'start() must return an object ({} or { onCommit })');
      return run;
    },
    ...(plugin.syncWindowS === undefined ? {} : { syncWindowS: (s: StrategySpec, p99: number) => plugin.syncWindowS!(optionsOf(s), p99) }),
  };
  registerStrategy(id, definition);
  return Promise.resolve(definition);
}

/** Problems with a plugin strategy's options as its module judges them (empty: none). */
export function pluginOptionIssues(spec: StrategySpec): readonly string[] {
  if (spec.kind !== 'plugin') return [];
  return loadPlugin(spec.module).validate?.(spec.options) ?? [];
}

const loaded = new Map<string, StrategyPlugin>();

function loadPlugin(file: string): StrategyPlugin {
  const cached = loaded.get(file);
  if (cached !== undefined) return cached;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StrategyPluginError(file, `cannot read it (${(error as Error).message})`);
  }
  compiler ??= create({ transpileOnly: true, skipProject: true, compilerOptions: { module: 'commonjs', target: 'es2022', sourceMap: false, inlineSourceMap: false } });
  let js: string;
  try {
    js = compiler.compile(source, file.replace(/\.[cm]ts$/, '.ts'));
  } catch (error) {
    throw new StrategyPluginError(file, `does not compile: ${(error as Error).message}`);
  }
  const module = { exports: {} as Record<string, unknown> };
  const sandbox = {
    module,
    exports: module.exports,
    require: (name: string): never => {
      throw new Error(`a strategy sees only the ports it is given: it cannot import ${JSON.stringify(name)} (type-only imports are fine)`);
    },
  };
  const context = createContext(sandbox, { codeGeneration: { strings: false, wasm: false } });
  try {
    runInContext(PRELUDE, context);
    runInContext(js, context, { filename: file });
  } catch (error) {
    throw new StrategyPluginError(file, `failed while loading: ${(error as Error).message}`);
  }
  const plugin = (module.exports['default'] ?? module.exports) as Partial<StrategyPlugin> | undefined;
  if (typeof plugin !== 'object' || plugin === null || typeof plugin.start !== 'function') {
    throw new StrategyPluginError(file, 'its default export must be a strategy: an object with start(options, ports)');
  }
  for (const hook of ['validate', 'syncWindowS'] as const) {
    if (plugin[hook] !== undefined && typeof plugin[hook] !== 'function') throw new StrategyPluginError(file, `${hook} must be a function`);
  }
  loaded.set(file, plugin as StrategyPlugin);
  return plugin as StrategyPlugin;
}

function optionsOf(spec: StrategySpec): Record<string, unknown> {
  return spec.kind === 'plugin' ? spec.options : {};
}
