/**
 * `invsim start` (what `npm start` runs): the main job on the shipped file. The baseline and
 * flash-sale comparisons, a short summary on the terminal, JSON and CSV under reports/out/, and
 * an HTML report per scenario (reports/out/<scenario>.html, its JSON and CSV beside it).
 */
import { join } from 'node:path';
import type { Argv } from 'yargs';
import type { CompareResult } from '../../analysis/compare.js';
import { compareRunRows } from '../../analysis/compare.js';
import { assertWritable } from '../../adapters/output-file.js';
import { fileSafe, outputTargets, writeOutputs } from '../../analysis/output.js';
import { commandLine } from '../../reports/make.js';
import { verdict } from '../../reports/verdict.js';
import type { Scenario } from '../../scenarios/schema.js';
import { reportTargets, writeReport, type ReportPaths } from '../../reports/write.js';
import { fmtEstimate, fmtSeeds } from '../../reports/format.js';
import { table } from '../format.js';
import type { Io } from '../io.js';
import { compareReport } from '../reports.js';
import { compareCommandLine, compareOutBase, comparePlan, runComparisonRecords } from './compare.js';
import { seedOptions, type SeedArgs } from './common.js';

export interface StartArgs extends SeedArgs {
  file: string;
  out: string;
  scenarios: string;
  report: boolean;
}

export const START_SCENARIOS = 'baseline,flash-sale';
const SUMMARY_METRICS = ['oversells', 'lostSales', 'listingLatencyMsP99', 'meanConfidence', 'impactPerRun', 'integrityViolations'] as const;

export function startBuilder(y: Argv): Argv<StartArgs> {
  return seedOptions(
    y
      .option('file', { type: 'string', default: 'scenarios.yaml', describe: 'scenario file (YAML)' })
      .option('scenarios', { type: 'string', default: START_SCENARIOS, describe: 'comma-separated scenarios to compare' })
      .option('out', { type: 'string', default: 'reports/out', describe: 'directory for the JSON, CSV and HTML files' })
      .option('report', { type: 'boolean', default: true, describe: 'write an HTML report per scenario, OUT/<scenario>.html (--no-report: skip)' }),
    20,
  )
    .example('npm start', 'build, then the baseline and flash-sale comparisons on 20 seeds')
    .example('$0 start --seeds 5 --out /tmp/invsim', 'a quicker look, files elsewhere') as unknown as Argv<StartArgs>;
}

function summary(result: CompareResult, scenario: Scenario, files: { json: string; csv: string }, report: ReportPaths | undefined): string {
  // The report's ranking: lowest revenue impact per run, pitfall variants left out.
  const best = verdict(result, scenario).winner;
  return [
    `${result.scenario}: ${result.strategies.length} strategies on seeds ${fmtSeeds(result.seeds)} (mean ± 95% CI half-width)`,
    table(
      ['strategy', ...SUMMARY_METRICS],
      result.strategies.map((s) => [s.strategy, ...SUMMARY_METRICS.map((m) => fmtEstimate(m, s.metrics[m]))]),
    ),
    `lowest revenue leakage: ${best.strategy} (${fmtEstimate('impactPerRun', best.metrics.impactPerRun)} per run${Object.values(scenario.strategies).some((x) => x.pitfall !== undefined) ? ', pitfall variants left out' : ''})`,
    `files: ${files.json}, ${files.csv}${report === undefined ? '' : `; report ${report.html} (with ${report.json}, ${report.csv})`}`,
    '',
  ].join('\n');
}

export async function startCommand(args: StartArgs, io: Io): Promise<number> {
  const names = args.scenarios
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  // Every plan is built (and so every scenario validated) before the first run.
  const plans = names.map((scenario) => comparePlan({ file: args.file, scenario, strategies: undefined, seeds: args.seeds, seedStart: args.seedStart }));
  // …and every file they will write is checked too: a bad --out fails before the first run.
  const reportFile = (scenario: string): string => join(args.out, `${fileSafe(scenario)}.html`);
  assertWritable(plans.flatMap(({ plan }) => [...outputTargets(args.out, compareOutBase(plan.scenario)), ...(args.report ? reportTargets(reportFile(plan.scenario), { option: '--out', shown: args.out }) : [])]));
  const startLine = commandLine(['invsim', 'start', '--file', args.file, '--scenarios', names.join(','), '--seeds', args.seeds, '--seed-start', args.seedStart, '--out', args.out]);
  for (const { plan, scenario } of plans) {
    const startedMs = Date.now();
    const { result, records } = await runComparisonRecords(plan, { workers: args.workers, io, label: `compare ${plan.scenario}` });
    const files = writeOutputs(args.out, compareOutBase(result.scenario), result, compareRunRows(result));
    let report: ReportPaths | undefined;
    if (args.report) {
      const file = reportFile(result.scenario);
      const alone = compareCommandLine({ file: args.file, scenario: plan.scenario, strategies: undefined, seeds: args.seeds, seedStart: args.seedStart }, file);
      report = writeReport(file, await compareReport({ file: args.file, scenario, result, records, command: startLine, alsoCommands: [alone] }), { option: '--out', shown: args.out });
    }
    io.out(`${summary(result, scenario, files, report)}\n`);
    io.err(`${plan.scenario}: ${plan.strategies.length * plan.seeds.length} runs in ${((Date.now() - startedMs) / 1000).toFixed(1)} s\n`);
  }
  io.out(`details: invsim compare ${args.file} --scenario NAME (per-metric paired differences), invsim list ${args.file}\n`);
  return 0;
}
