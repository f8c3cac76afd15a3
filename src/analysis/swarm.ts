/**
 * `invsim swarm`: many seeds, each a variation of the scenario drawn from the seed (faults,
 * outages, crashes, duplicate and reordered webhooks, bursts, channel subset, listing policy;
 * swarm-variation.ts), a safety and a liveness check per run (swarm-outcome.ts), and for each
 * distinct way of failing, the smallest scenario that still fails that way (shrink.ts), written
 * as a scenario file with the command that replays it. Results are in seed order and equal
 * across `--workers`: each run is a pure function of (file, scenario, strategy, seed).
 */
import { stringify } from 'yaml';
import type { SimulationResult } from '../model/result.js';
import { getScenario, parseScenarioText, ScenarioError } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/schema.js';
import { simulate } from '../sim/world.js';
import { shellQuote } from './check.js';
import type { SwarmRecord } from './execute.js';
import { runSwarmTasks } from './runner.js';
import { shrinkScenario, type RunFailure } from './shrink.js';
import { failureOf, swarmOutcome } from './swarm-outcome.js';
import { drawVariation } from './swarm-variation.js';

export interface SwarmRequest {
  readonly file: string;
  readonly scenario: Scenario;
  readonly strategies: readonly string[];
  readonly seeds: readonly number[];
  readonly workers: number;
  /** Distinct failures shrunk at most (the first seed of each way of failing, per strategy). */
  readonly shrinkFindings: number;
  /** Candidate runs per shrink at most. */
  readonly maxShrinkRuns: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly onShrinkStep?: (finding: number, attempts: number) => void;
}

export interface SwarmFinding {
  readonly strategy: string;
  readonly seed: number;
  readonly failure: RunFailure;
  /** What the seed's variation changed in the scenario. */
  readonly variation: readonly string[];
  readonly ordersPlaced: number;
  /** Absent when the finding was not shrunk (beyond `shrinkFindings`). */
  readonly shrunk?: ShrunkFinding;
}

export interface ShrunkFinding {
  /** The scenario's name in `yaml`. */
  readonly name: string;
  /** A scenario file holding the shrunk scenario, with the failing strategy only. */
  readonly yaml: string;
  readonly steps: number;
  readonly attempts: number;
  readonly path: readonly string[];
  readonly failure: RunFailure;
  readonly ordersPlaced: number;
  readonly oversellExamples: SimulationResult['oversellExamples'];
}

export interface SwarmReport {
  readonly scenario: string;
  readonly strategies: readonly string[];
  readonly seeds: readonly number[];
  readonly runs: number;
  readonly failed: number;
  readonly records: readonly SwarmRecord[];
  readonly findings: readonly SwarmFinding[];
}

export async function runSwarm(request: SwarmRequest): Promise<SwarmReport> {
  const scenario = request.scenario;
  const tasks = request.strategies.flatMap((strategy) => request.seeds.map((seed) => ({ file: request.file, scenario: scenario.name, strategy, seed, swarm: true as const })));
  const records = await runSwarmTasks(tasks, { workers: request.workers, ...(request.onProgress === undefined ? {} : { onProgress: request.onProgress }) });
  const findings: SwarmFinding[] = [];
  const selected = shrinkSelection(records, request.shrinkFindings);
  for (const [k, record] of records.entries()) {
    if (record.failure === null) continue;
    const variation = drawVariation(scenario, record.seed);
    const finding: SwarmFinding = { strategy: record.strategy, seed: record.seed, failure: record.failure, variation: variation.changes, ordersPlaced: record.ordersPlaced };
    if (selected[k] !== true) {
      findings.push(finding);
      continue;
    }
    const index = findings.length;
    const shrunk = await shrinkFinding(variation.scenario, record.strategy, record.seed, record.failure, {
      maxAttempts: request.maxShrinkRuns,
      onAttempt: (n) => request.onShrinkStep?.(index, n),
    });
    findings.push({ ...finding, shrunk });
  }
  return { scenario: scenario.name, strategies: request.strategies, seeds: request.seeds, runs: records.length, failed: records.filter((r) => r.failure !== null).length, records, findings };
}

/** A failed run as far as shrinking cares: null failure means it passed. */
export interface SelectionInput {
  readonly strategy: string;
  readonly failure: RunFailure | null;
}

/**
 * Which runs are shrunk: of the runs in task order, the failed ones that are the first of their
 * (strategy, sorted failure kinds) signature, the first `limit` of those. One flag per run. The
 * one rule for a whole swarm and for merging shards (swarm-shard.ts).
 */
export function shrinkSelection(runs: readonly SelectionInput[], limit: number): boolean[] {
  const seen = new Set<string>();
  let selected = 0;
  return runs.map((run) => {
    if (run.failure === null) return false;
    const signature = `${run.strategy}\u0000${[...run.failure.kinds].sort().join(',')}`;
    const first = !seen.has(signature);
    seen.add(signature);
    if (!first || selected >= limit) return false;
    selected++;
    return true;
  });
}

async function shrinkFinding(varied: Scenario, strategy: string, seed: number, failure: RunFailure, options: { maxAttempts: number; onAttempt: (n: number) => void }): Promise<ShrunkFinding> {
  const name = `${varied.name}-${strategy}-seed${seed}`.slice(0, 64).replace(/[^A-Za-z0-9_-]/g, '-');
  const start = reloaded({ ...only(varied, strategy), name });
  if (start === undefined) throw new Error(`swarm: the variation of seed ${seed} is not a valid scenario`);
  let attempts = 0;
  const shrunk = await shrinkScenario(start, failure, {
    maxAttempts: options.maxAttempts,
    validate: (s) => reloaded(s),
    run: async (s) => {
      options.onAttempt(++attempts);
      return (await swarmOutcome(s, strategy, seed)).failure;
    },
  });
  const result = await simulate(shrunk.scenario, { strategy, seed }).catch(() => undefined);
  const final = result === undefined ? shrunk.failure : (failureOf(shrunk.scenario, strategy, result) ?? shrunk.failure);
  return {
    name,
    yaml: scenarioFileText(shrunk.scenario, { strategy, seed, failure: final, steps: shrunk.steps, path: shrunk.path }),
    steps: shrunk.steps,
    attempts: shrunk.attempts,
    path: shrunk.path,
    failure: final,
    ordersPlaced: result?.orders.placed ?? 0,
    oversellExamples: result?.oversellExamples ?? [],
  };
}

/** The scenario with only `strategy` (its reference, asserts and swarm ranges go with the rest). */
function only(s: Scenario, strategy: string): Scenario {
  const { reference: _r, assert, swarm: _s, ...rest } = s;
  const blocks = assert === undefined ? [] : Array.isArray(assert) ? assert : [assert];
  const kept = blocks.filter((b) => b.strategies === undefined || b.strategies.includes(strategy)).map((b) => (b.strategies === undefined ? b : { ...b, strategies: [strategy] }));
  return { ...rest, strategies: { [strategy]: s.strategies[strategy]! }, ...(kept.length === 0 ? {} : { assert: kept }) } as Scenario;
}

/** `s` as the loader reads it back from the file the shrinker writes, or undefined if invalid. */
function reloaded(s: Scenario): Scenario | undefined {
  try {
    return getScenario(parseScenarioText(scenarioFileText(s)), s.name);
  } catch (error) {
    if (error instanceof ScenarioError) return undefined;
    throw error;
  }
}

function scenarioFileText(s: Scenario, about?: { strategy: string; seed: number; failure: RunFailure; steps: number; path: readonly string[] }): string {
  const { name, ...spec } = s;
  const body = stringify({ version: 1, scenarios: { [name]: spec } }, { lineWidth: 0 });
  if (about === undefined) return body;
  const header = [
    `Shrunk by invsim swarm in ${about.steps} steps (${about.path.join(', ') || 'none'}).`,
    `Replay: invsim run <this file> --scenario ${name} --strategy ${about.strategy} --seed ${about.seed}`,
    `It fails with: ${about.failure.kinds.join(', ')}`,
    ...about.failure.details.map((d) => `  ${d}`),
  ];
  return `${header.map((line) => `# ${line}`).join('\n')}\n${body}`;
}

/** The command that replays one swarm seed. */
export function swarmReplayCommand(file: string, scenario: string, strategy: string, seed: number): string {
  return `invsim swarm ${shellQuote(file)} --scenario ${scenario} --strategies ${strategy} --seed ${seed}`;
}
