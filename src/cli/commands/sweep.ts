/** `invsim sweep`: one scenario parameter varied over a list of values, a comparison at each. */
import type { Argv } from 'yargs';
import { seedRange } from '../../analysis/compare.js';
import { COMPARE_METRICS } from '../../analysis/metrics.js';
import { assertWritable } from '../../adapters/output-file.js';
import { fileSafe, outputTargets, toCsv, toJson, writeOutputs, type CsvRow } from '../../analysis/output.js';
import { applyOverride, parseParamValues } from '../../analysis/params.js';
import { aggregateSweep, defaultSweepStrategies, sweepPlans, sweepRunRows, sweepSummaryRows, sweepTasks, type SweepResult } from '../../analysis/sweep.js';
import { scenarioHash, shardFileBase, type Shard } from '../../analysis/shard.js';
import { sweepShardDocument, sweepShardTasks, type SweepShardDocument } from '../../analysis/sweep-shard.js';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import { fmtEstimate, fmtSeeds } from '../../reports/format.js';
import { table } from '../format.js';
import type { Io } from '../io.js';
import { commandLine, makeSweepReport } from '../../reports/make.js';
import { reportTargets, writeReport } from '../../reports/write.js';
import { runWithProgress } from '../progress.js';
import { reportOption, resolveStrategies, seedOptions, type SeedArgs } from './common.js';
import { commandShard, emitK8sJob, shardOptions, type ShardArgs } from './compare.js';

export interface SweepArgs extends SeedArgs, ShardArgs {
  file: string;
  scenario: string;
  param: string;
  values: string;
  strategy: string | undefined;
  json: boolean | undefined;
  csv: boolean | undefined;
  out: string | undefined;
  report: string | undefined;
}

export function sweepBuilder(y: Argv): Argv<SweepArgs> {
  return seedOptions(
    shardOptions(y)
      .positional('file', { type: 'string', describe: 'scenario file (YAML)', demandOption: true })
      .option('scenario', { type: 'string', describe: 'scenario name in the file', demandOption: true })
      .option('param', { type: 'string', describe: 'dotted path of the parameter inside the scenario, e.g. demand.ordersPerDay or channels[0].demandWeight', demandOption: true })
      .option('values', { type: 'string', describe: 'comma-separated values to try', demandOption: true })
      .option('strategy', { type: 'string', describe: 'strategy (or comma-separated strategies) to run; default: the one the parameter belongs to, else every strategy' })
      // No defaults: yargs' `conflicts` counts a defaulted flag as given.
      .option('json', { type: 'boolean', describe: 'print one JSON document on stdout' })
      .option('csv', { type: 'boolean', describe: 'print CSV on stdout: one row per (value, strategy, metric)' })
      .option('out', { type: 'string', describe: 'also write the JSON and a CSV (one row per run) into this directory' })
      .option('report', reportOption)
      .conflicts('json', 'csv')
      .conflicts('shard', ['csv', 'report'])
      .conflicts('emit-k8s-job', ['csv', 'report']),
    10,
  )
    .example('$0 sweep scenarios.yaml --scenario baseline --param strategies.polling-15m.intervalS --values 30,300,900,3600', 'the polling interval from 30 s to an hour')
    .example('$0 sweep scenarios.yaml --scenario flash-sale --param demand.ordersPerDay --values 1000,2000,4000 --strategy event-driven --csv', 'demand against one strategy, as CSV')
    .example('$0 sweep scenarios.yaml --scenario baseline --param strategies.polling-15m.intervalS --values 60,300,900 --report sweep.html', 'every metric against the interval, as an HTML report')
    .example('$0 sweep scenarios.yaml --scenario flash-sale --param demand.ordersPerDay --values 1000,2000,4000 --shard 2/4 > sweep-2.json', 'one machine of four; combine with `invsim merge sweep-*.json`') as unknown as Argv<SweepArgs>;
}

/** The base name of `--out` files: `sweep-<scenario>-<param>`, or `…-shard-<i>-of-<n>` for a shard; shared with `merge`. */
export function sweepOutBase(scenario: string, param: string, shard?: Shard): string {
  const base = `sweep-${fileSafe(scenario)}-${fileSafe(param)}`;
  return shard === undefined ? base : shardFileBase(base, shard);
}

/** Prints a sweep (JSON, CSV or table) and writes `--out` files; shared with `merge`. */
export function emitSweep(result: SweepResult, args: { json: boolean | undefined; csv: boolean | undefined; out: string | undefined }, io: Io): void {
  io.out(args.json === true ? toJson(result) : args.csv === true ? toCsv(sweepSummaryRows(result)) : sweepTable(result));
  if (args.out !== undefined) {
    const paths = writeOutputs(args.out, sweepOutBase(result.scenario, result.param), result, sweepRunRows(result));
    io.err(`wrote ${paths.json} and ${paths.csv}\n`);
  }
}

/** One CSV row per run of a shard, with the value it ran with. */
function sweepShardRows(doc: SweepShardDocument): CsvRow[] {
  return [
    ['param', 'value', 'scenario', 'strategy', 'seed', 'traceHash', ...COMPARE_METRICS],
    ...doc.runs.map((r) => [doc.param, doc.values[r.valueIndex]!, doc.scenario, r.strategy, r.seed, r.traceHash, ...COMPARE_METRICS.map((m) => r.metrics[m])]),
  ];
}

function sweepTable(result: SweepResult): string {
  const lines = [`sweep: ${result.scenario}, ${result.param} over ${result.points.length} values, seeds ${fmtSeeds(result.seeds)}`, 'mean ± half-width of the 95% confidence interval'];
  const strategies = result.points[0]?.strategies.map((s) => s.strategy) ?? [];
  const short = result.param.split('.').pop() ?? result.param;
  strategies.forEach((strategy, i) => {
    lines.push(
      '',
      `strategy ${strategy}`,
      table(
        ['metric', ...result.points.map((p) => `${short}=${String(p.value)}`)],
        COMPARE_METRICS.map((m) => [m, ...result.points.map((p) => fmtEstimate(m, p.strategies[i]!.metrics[m]))]),
      ),
    );
  });
  return `${lines.join('\n')}\n`;
}

/** The sweep's own words, for the pods of a Job (sharding, workers and output are theirs). */
function sweepWords(args: SweepArgs): (string | number)[] {
  return [
    'sweep',
    args.file,
    '--scenario',
    args.scenario,
    '--param',
    args.param,
    '--values',
    args.values,
    ...(args.strategy === undefined ? [] : ['--strategy', args.strategy]),
    '--seeds',
    args.seeds,
    '--seed-start',
    args.seedStart,
  ];
}

export async function sweepCommand(args: SweepArgs, io: Io): Promise<number> {
  const scenario = getScenario(loadScenarioFile(args.file), args.scenario);
  const strategies = args.strategy === undefined ? defaultSweepStrategies(scenario, args.param) : resolveStrategies(args.strategy, scenario, '--strategy');
  const plan = { file: args.file, scenario, param: args.param, values: parseParamValues(args.values), strategies, seeds: seedRange(args.seeds, args.seedStart) };
  const plans = sweepPlans(plan);
  if (args.emitK8sJob !== undefined) return emitK8sJob(args, { words: sweepWords(args), scenario: scenario.name, outBase: sweepOutBase(scenario.name, args.param) }, io);
  const shard = commandShard(args);
  const outBase = sweepOutBase(scenario.name, args.param, shard);
  // Every destination is checked before the runs: a bad one costs nothing and writes nothing.
  assertWritable([...(args.out === undefined ? [] : outputTargets(args.out, outBase)), ...(args.report === undefined ? [] : reportTargets(args.report))]);
  if (shard !== undefined) {
    const tasks = sweepShardTasks(plans, shard);
    const records = await runWithProgress(io, `sweep shard ${shard.index}/${shard.count}`, tasks.map((t) => t.task), args.workers);
    const doc = sweepShardDocument({ scenario: scenario.name, scenarioHash: scenarioHash(scenario), param: args.param, values: plan.values }, plans, shard, tasks, records);
    io.out(toJson(doc));
    if (args.out !== undefined) {
      const paths = writeOutputs(args.out, outBase, doc, sweepShardRows(doc));
      io.err(`wrote ${paths.json} and ${paths.csv}\n`);
    }
    return 0;
  }
  const records = await runWithProgress(io, 'sweep', sweepTasks(plans), args.workers);
  const result = aggregateSweep(plan, plans, records);
  emitSweep(result, args, io);
  if (args.report !== undefined) {
    const command = commandLine(['invsim', ...sweepWords(args), '--report', args.report]);
    const scenarios = plans.map((p) => (p.override === undefined ? scenario : applyOverride(scenario, p.override, args.file)));
    const paths = writeReport(args.report, await makeSweepReport({ file: args.file, scenario, result, records, scenarios, command }));
    io.err(`wrote ${paths.html}, ${paths.json} and ${paths.csv}\n`);
  }
  return 0;
}
