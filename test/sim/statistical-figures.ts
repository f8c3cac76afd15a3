/**
 * The figures test/sim/statistical-equivalence.test.ts compares: for every shipped scenario ×
 * strategy, the mean and 95% Student-t interval over seeds of the main measures, computed with
 * the same estimator `invsim compare` reports (src/analysis/stats.ts). Shared by the test and by
 * the script that regenerates its fixture (test/fixtures/sim/statistical/regenerate.ts), so the
 * two cannot compute them differently.
 */
import { availableParallelism } from 'node:os';
import type { RunTask } from '../../src/analysis/execute.js';
import type { RunRecord } from '../../src/analysis/metrics.js';
import { runTasks } from '../../src/analysis/runner.js';
import { estimateOrNull, type Estimate } from '../../src/analysis/stats.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';

export const SCENARIO_FILE = new URL('../../scenarios.yaml', import.meta.url).pathname;
export const FIXTURE = new URL('../fixtures/sim/statistical/figures.json', import.meta.url).pathname;
export const SEEDS: readonly number[] = Array.from({ length: 20 }, (_, i) => i + 1);

/**
 * The measures compared: the ones an architect reads first (src/analysis/metrics.ts names them).
 * The money figures are left out because they are oversells times constants.
 */
export const MEASURES = ['oversells', 'lostSales', 'integrityViolations', 'latencyMsP99', 'listingLatencyMsP99', 'meanConfidence', 'apiCalls', 'dlqParked'] as const;
export type Measure = (typeof MEASURES)[number];

/** One scenario × strategy: each measure's estimate, or null when fewer than two seeds have a value. */
export type Figures = Record<Measure, Estimate | null>;

export interface FiguresFile {
  readonly note: string;
  /** The commit whose engine and simulator produced these figures. */
  readonly source: string;
  readonly seeds: readonly number[];
  /** Keyed `scenario/strategy`, sorted. */
  readonly figures: Readonly<Record<string, Figures>>;
}

/** Every shipped scenario × strategy × seed, scenario-major, as run tasks. */
export function shippedTasks(seeds: readonly number[]): RunTask[] {
  const file = loadScenarioFile(SCENARIO_FILE);
  const tasks: RunTask[] = [];
  for (const name of file.scenarios.keys()) {
    for (const strategy of Object.keys(getScenario(file, name).strategies)) {
      for (const seed of seeds) tasks.push({ file: SCENARIO_FILE, scenario: name, strategy, seed });
    }
  }
  return tasks;
}

/** Two worker threads on a two-core machine; never more than four, so CI keeps cores for other files. */
export function poolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Runs the tasks on the pool (the compiled dist/: `npm run build` first). */
export async function runShipped(seeds: readonly number[]): Promise<RunRecord[]> {
  return runTasks(shippedTasks(seeds), { workers: poolSize() });
}

/** The estimates of every scenario × strategy in the records, keys sorted. */
export function figuresOf(records: readonly RunRecord[]): Record<string, Figures> {
  const byKey = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = `${r.scenario}/${r.strategy}`;
    const list = byKey.get(key) ?? [];
    list.push(r);
    byKey.set(key, list);
  }
  const out: Record<string, Figures> = {};
  for (const key of [...byKey.keys()].sort()) {
    const runs = byKey.get(key) ?? [];
    const figures = {} as Record<Measure, Estimate | null>;
    for (const m of MEASURES) {
      figures[m] = estimateOrNull(
        runs.map((r) => {
          const v = r.observed[m];
          if (v !== null && typeof v !== 'number') throw new Error(`${key}: measure ${m} is not a number (${String(v)})`);
          return v;
        }),
      );
    }
    out[key] = figures;
  }
  return out;
}

/** Statistics are rounded to 6 decimals (src/analysis/stats.ts); allow that much at each end. */
const ROUNDING = 2e-6;

function inside(x: number, ci: readonly [number, number]): boolean {
  return x >= ci[0] - ROUNDING && x <= ci[1] + ROUNDING;
}

/** What disagrees between a pinned and a fresh estimate of one measure, or null when they agree. */
export function disagreement(today: Estimate | null, fresh: Estimate | null): string | null {
  if (today === null || fresh === null) return today === fresh ? null : `had ${today === null ? 'no data' : 'data'}, now ${fresh === null ? 'no data' : 'data'}`;
  const show = (e: Estimate): string => `${e.mean} [${e.ci95[0]}, ${e.ci95[1]}]`;
  if (!inside(fresh.mean, today.ci95) || !inside(today.mean, fresh.ci95)) return `was ${show(today)}, now ${show(fresh)}`;
  return null;
}
