/**
 * `invsim start` (what `npm start` runs): the main job on the shipped file. The baseline and
 * flash-sale comparisons, a short summary on the terminal, JSON and CSV under reports/out/.
 */
import type { Argv } from 'yargs';
import type { CompareResult } from '../../analysis/compare.js';
import { compareRunRows } from '../../analysis/compare.js';
import { fileSafe, writeOutputs } from '../../analysis/output.js';
import { fmtEstimate, fmtSeeds, table } from '../format.js';
import type { Io } from '../main.js';
import { comparePlan, runComparison } from './compare.js';
import { seedOptions, type SeedArgs } from './common.js';

export interface StartArgs extends SeedArgs {
  file: string;
  out: string;
  scenarios: string;
}

export const START_SCENARIOS = 'baseline,flash-sale';
const SUMMARY_METRICS = ['oversells', 'lostSales', 'latencyMsP99', 'meanConfidence', 'totalDailyImpact', 'integrityViolations'] as const;

export function startBuilder(y: Argv): Argv<StartArgs> {
  return seedOptions(
    y
      .option('file', { type: 'string', default: 'scenarios.yaml', describe: 'scenario file (YAML)' })
      .option('scenarios', { type: 'string', default: START_SCENARIOS, describe: 'comma-separated scenarios to compare' })
      .option('out', { type: 'string', default: 'reports/out', describe: 'directory for the JSON and CSV files' }),
    20,
  )
    .example('npm start', 'build, then the baseline and flash-sale comparisons on 20 seeds')
    .example('$0 start --seeds 5 --out /tmp/invsim', 'a quicker look, files elsewhere') as unknown as Argv<StartArgs>;
}

function summary(result: CompareResult, files: { json: string; csv: string }): string {
  const best = [...result.strategies].sort((a, b) => a.metrics.totalDailyImpact.mean - b.metrics.totalDailyImpact.mean || a.strategy.localeCompare(b.strategy))[0];
  return [
    `${result.scenario}: ${result.strategies.length} strategies on seeds ${fmtSeeds(result.seeds)} (mean ± 95% CI half-width)`,
    table(
      ['strategy', ...SUMMARY_METRICS],
      result.strategies.map((s) => [s.strategy, ...SUMMARY_METRICS.map((m) => fmtEstimate(m, s.metrics[m]))]),
    ),
    best === undefined ? '' : `lowest revenue leakage: ${best.strategy} (${fmtEstimate('totalDailyImpact', best.metrics.totalDailyImpact)} per day)`,
    `files: ${files.json}, ${files.csv}`,
    '',
  ].join('\n');
}

export async function startCommand(args: StartArgs, io: Io): Promise<number> {
  const names = args.scenarios
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  // Every plan is built (and so every scenario validated) before the first run.
  const plans = names.map((scenario) => comparePlan({ file: args.file, scenario, strategies: undefined, seeds: args.seeds, seedStart: args.seedStart }).plan);
  for (const plan of plans) {
    const startedMs = Date.now();
    const result = await runComparison(plan, { workers: args.workers, io, label: `compare ${plan.scenario}` });
    const files = writeOutputs(args.out, `compare-${fileSafe(result.scenario)}`, result, compareRunRows(result));
    io.out(`${summary(result, files)}\n`);
    io.err(`${plan.scenario}: ${plan.strategies.length * plan.seeds.length} runs in ${((Date.now() - startedMs) / 1000).toFixed(1)} s\n`);
  }
  io.out(`details: invsim compare ${args.file} --scenario NAME (per-metric paired differences), invsim list ${args.file}\n`);
  return 0;
}
