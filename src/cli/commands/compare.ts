/** `invsim compare`: every strategy of a scenario on the same seeds, with confidence intervals and paired differences. */
import path from 'node:path';
import type { Argv } from 'yargs';
import { aggregateRecords, compareRunRows, MIN_COMPARE_SEEDS, planTasks, seedRange, toCompareRun, type ComparePlan, type CompareResult } from '../../analysis/compare.js';
import { AnalysisInputError } from '../../analysis/errors.js';
import { assertWritable, type OutputTarget } from '../../adapters/output-file.js';
import { fileSafe, outputTargets, toJson, writeOutputs } from '../../analysis/output.js';
import { indexedJobYaml, jobHeader, jobName, jobSize, K8S_DEFAULT_CLAIM, K8S_DEFAULT_IMAGE, K8S_DEFAULT_RESULTS_DIR, shardPodArgs } from '../../analysis/k8s-job.js';
import { inShard, resolveShard, scenarioHash, SHARD_COUNT_ENV, SHARD_FROM_K8S, SHARD_INDEX_ENV, shardDocument, shardFileBase, type Shard, type ShardRun } from '../../analysis/shard.js';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import { COMPARE_METRICS } from '../../analysis/metrics.js';
import type { RunRecord } from '../../analysis/metrics.js';
import { scenarioFrequency } from '../../scenarios/economics.js';
import type { Scenario } from '../../scenarios/schema.js';
import { commandLine } from '../../reports/make.js';
import { reportTargets, writeReport } from '../../reports/write.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { runWithProgress } from '../progress.js';
import { compareReport } from '../reports.js';
import { compareTable, reportOption, resolveStrategies, seedOptions, type SeedArgs } from './common.js';

/** The sharding flags of compare, sweep and swarm (shardOptions). */
export interface ShardArgs {
  shard: string | undefined;
  shardCount: string | undefined;
  emitK8sJob: number | undefined;
  parallelism: number | undefined;
  k8sImage: string | undefined;
  k8sClaim: string | undefined;
}

export interface CompareArgs extends SeedArgs, ShardArgs {
  file: string;
  scenario: string;
  strategies: string | undefined;
  json: boolean;
  out: string | undefined;
  report: string | undefined;
}

/** `--shard`, `--shard-count` and `--emit-k8s-job` with its settings: shared by compare, sweep and swarm. */
export function shardOptions<T>(y: Argv<T>): Argv<T & ShardArgs> {
  return (
    y
      .option('shard', {
        type: 'string',
        describe: `run only slice i of n (1-based) of the runs and print a shard document for \`invsim merge\`; a CI matrix passes \${{ matrix.shard }}/\${{ strategy.job-total }}. ${SHARD_FROM_K8S}: the slice ${SHARD_INDEX_ENV}+1 (set, 0-based, by a Kubernetes Indexed Job) of --shard-count`,
      })
      .option('shard-count', { type: 'string', describe: `with --shard ${SHARD_FROM_K8S}: the number of shards (default: $${SHARD_COUNT_ENV})` })
      .option('emit-k8s-job', { type: 'number', describe: 'print a Kubernetes Indexed Job (batch/v1) that runs this command in N shards, and run nothing; --out is then the results directory in the pods' })
      .option('parallelism', { type: 'number', describe: 'with --emit-k8s-job: pods at once', defaultDescription: 'N' })
      .option('k8s-image', { type: 'string', describe: 'with --emit-k8s-job: the container image (invsim on PATH, the scenario file in its working directory)', defaultDescription: K8S_DEFAULT_IMAGE })
      .option('k8s-claim', { type: 'string', describe: 'with --emit-k8s-job: the PersistentVolumeClaim the pods write their shard documents to', defaultDescription: K8S_DEFAULT_CLAIM })
      // No defaults above: yargs' `conflicts` counts a defaulted flag as given.
      .conflicts('emit-k8s-job', 'shard') as unknown as Argv<T & ShardArgs>
  );
}

/** The shard this process runs (undefined: all of it), from the flags and the environment a scheduler sets. */
export function commandShard(args: ShardArgs): Shard | undefined {
  for (const [flag, value] of [
    ['--parallelism', args.parallelism],
    ['--k8s-image', args.k8sImage],
    ['--k8s-claim', args.k8sClaim],
  ] as const) {
    if (value !== undefined) throw new AnalysisInputError(`${flag} goes with --emit-k8s-job`, { field: flag, reason: 'goes with --emit-k8s-job' });
  }
  return resolveShard({ shard: args.shard, shardCount: args.shardCount, env: process.env });
}

/**
 * `--emit-k8s-job N`: prints the Job whose pods run `words` (the command without invsim, its
 * sharding, workers and output flags) as shards 1..N, writing into `--out` (default /results).
 * `outBase` is the base name of the command's --out files, for the merge line of the header.
 */
export function emitK8sJob(args: ShardArgs & { out: string | undefined }, job: { words: readonly (string | number)[]; scenario: string; outBase: string }, io: Io): number {
  const { completions, parallelism } = jobSize(args.emitK8sJob ?? 0, args.parallelism);
  if (args.shardCount !== undefined) throw new AnalysisInputError('--shard-count goes with --shard k8s; --emit-k8s-job N gives the pods their count', { field: '--shard-count', reason: 'goes with --shard k8s' });
  const resultsDir = args.out ?? K8S_DEFAULT_RESULTS_DIR;
  // The pods mount the volume there, and Kubernetes takes only an absolute mountPath.
  if (!path.posix.isAbsolute(resultsDir)) throw new AnalysisInputError(`--out must be an absolute path with --emit-k8s-job (where the pods mount the results volume), got ${resultsDir}`, { field: '--out', reason: 'must be an absolute path with --emit-k8s-job' });
  const podArgs = [...job.words.map(String), ...shardPodArgs(completions, resultsDir)];
  const name = jobName(['invsim', String(job.words[0]), job.scenario]);
  const claim = args.k8sClaim ?? K8S_DEFAULT_CLAIM;
  const header = jobHeader({ name, command: commandLine(['invsim', ...podArgs]), completions, claim, resultsDir, mergeGlob: path.posix.join(resultsDir, `${job.outBase}-shard-*-of-${completions}.json`) });
  io.out(indexedJobYaml({ name, image: args.k8sImage ?? K8S_DEFAULT_IMAGE, claim, resultsDir, completions, parallelism, args: podArgs, header }));
  return EXIT.ok;
}

export function compareBuilder(y: Argv): Argv<CompareArgs> {
  return seedOptions(
    shardOptions(y)
      .positional('file', { type: 'string', describe: 'scenario file (YAML)', demandOption: true })
      .option('scenario', { type: 'string', describe: 'scenario name in the file', demandOption: true })
      .option('strategies', { type: 'string', describe: "comma-separated strategies (default: every strategy, in file order); the baseline of the paired differences is the scenario's reference when listed, else the first" })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout' })
      .option('out', { type: 'string', describe: 'also write the JSON and a CSV (one row per run) into this directory' })
      .option('report', reportOption)
      .conflicts('report', ['shard', 'emit-k8s-job']),
    20,
  )
    .example('$0 compare scenarios.yaml --scenario baseline', 'every strategy on seeds 1..20, as a table')
    .example('$0 compare scenarios.yaml --scenario flash-sale --strategies event-driven,allocation --seeds 50 --json', 'two strategies, paired differences against the reference (flash-sale names event-driven)')
    .example('$0 compare scenarios.yaml --scenario baseline --seeds 200 --shard 3/8 > shard-3.json', 'one machine of eight; combine with `invsim merge shard-*.json`')
    .example('$0 compare scenarios.yaml --scenario baseline --seeds 200 --emit-k8s-job 8 > job.yaml', 'the same eight shards as a Kubernetes Indexed Job')
    .example('$0 compare scenarios.yaml --scenario flash-sale --workers 1 --out reports/out', 'in this thread; write JSON and CSV too')
    .example('$0 compare scenarios.yaml --scenario flash-sale --report reports/out/flash-sale.html', 'an HTML report for stakeholders, with .json and .csv beside it') as unknown as Argv<CompareArgs>;
}

export function comparePlan(args: Pick<CompareArgs, 'file' | 'scenario' | 'strategies' | 'seeds' | 'seedStart'>): { plan: ComparePlan; hash: string; scenario: Scenario } {
  const scenario = getScenario(loadScenarioFile(args.file), args.scenario);
  const seeds = seedRange(args.seeds, args.seedStart);
  if (seeds.length < MIN_COMPARE_SEEDS) throw new AnalysisInputError(`--seeds must be at least ${MIN_COMPARE_SEEDS} for a confidence interval, got ${seeds.length}`);
  const strategies = resolveStrategies(args.strategies, scenario);
  // The scenario's reference strategy is what the paired differences are taken against, when it is compared.
  const baseline = scenario.reference !== undefined && strategies.includes(scenario.reference) ? scenario.reference : strategies[0]!;
  return { plan: { file: args.file, scenario: scenario.name, strategies, baseline, frequency: scenarioFrequency(scenario), seeds }, hash: scenarioHash(scenario), scenario };
}

/** Runs the whole comparison (no sharding): the library entry point of `compare` and `start`. */
export async function runComparison(plan: ComparePlan, options: { workers: number; io: Io; label?: string }): Promise<CompareResult> {
  return (await runComparisonRecords(plan, options)).result;
}

/** The comparison and the run records it was aggregated from (a report evaluates the assertions on them). */
export async function runComparisonRecords(plan: ComparePlan, options: { workers: number; io: Io; label?: string }): Promise<{ result: CompareResult; records: RunRecord[] }> {
  const records = await runWithProgress(options.io, options.label ?? 'compare', planTasks(plan), options.workers);
  return { result: aggregateRecords(plan, records), records };
}

/** The comparison's own words, for the pods of a Job (sharding, workers and output are theirs). */
function compareWords(args: CompareArgs): (string | number)[] {
  return ['compare', args.file, '--scenario', args.scenario, ...(args.strategies === undefined ? [] : ['--strategies', args.strategies]), '--seeds', args.seeds, '--seed-start', args.seedStart];
}

/** The command line that regenerates a comparison report (workers left out: results do not depend on them). */
export function compareCommandLine(args: Pick<CompareArgs, 'file' | 'scenario' | 'strategies' | 'seeds' | 'seedStart'>, report: string): string {
  return commandLine([
    'invsim',
    'compare',
    args.file,
    '--scenario',
    args.scenario,
    ...(args.strategies === undefined ? [] : ['--strategies', args.strategies]),
    '--seeds',
    args.seeds,
    '--seed-start',
    args.seedStart,
    '--report',
    report,
  ]);
}

/** Prints a comparison (JSON or table) and writes `--out` files; shared with `merge`. */
export function emitComparison(result: CompareResult, args: { json: boolean; out: string | undefined }, io: Io): void {
  io.out(args.json ? toJson(result) : compareTable(result));
  if (args.out !== undefined) {
    const paths = writeOutputs(args.out, compareOutBase(result.scenario), result, compareRunRows(result));
    io.err(`wrote ${paths.json} and ${paths.csv}\n`);
  }
}

/** The base name of `--out` files: `compare-<scenario>`, or `…-shard-<i>-of-<n>` for a shard. */
export function compareOutBase(scenario: string, shard?: Shard): string {
  const base = `compare-${fileSafe(scenario)}`;
  return shard === undefined ? base : shardFileBase(base, shard);
}

/** The files `compare` will write: checked before the first run, so a bad destination costs nothing. */
function compareTargets(args: Pick<CompareArgs, 'out' | 'report'>, scenario: string, shard: Shard | undefined): OutputTarget[] {
  const base = compareOutBase(scenario, shard);
  return [...(args.out === undefined ? [] : outputTargets(args.out, base)), ...(args.report === undefined ? [] : reportTargets(args.report))];
}

export async function compareCommand(args: CompareArgs, io: Io): Promise<number> {
  const { plan, hash, scenario } = comparePlan(args);
  if (args.emitK8sJob !== undefined) return emitK8sJob(args, { words: compareWords(args), scenario: plan.scenario, outBase: compareOutBase(plan.scenario) }, io);
  const shard = commandShard(args);
  assertWritable(compareTargets(args, plan.scenario, shard));
  if (shard === undefined) {
    const { result, records } = await runComparisonRecords(plan, { workers: args.workers, io });
    emitComparison(result, args, io);
    if (args.report !== undefined) {
      const report = await compareReport({ file: args.file, scenario, result, records, command: compareCommandLine(args, args.report) });
      const paths = writeReport(args.report, report);
      io.err(`wrote ${paths.html}, ${paths.json} and ${paths.csv}\n`);
    }
    return integrityExit(plan, scenario, result.strategies.flatMap((s) => s.runs.map((r) => ({ strategy: s.strategy, ...r }))), io);
  }
  const tasks = planTasks(plan).filter((_, i) => inShard(i, shard));
  const records = await runWithProgress(io, `compare shard ${shard.index}/${shard.count}`, tasks, args.workers);
  const runs: ShardRun[] = records.map((r) => ({ strategy: r.strategy, ...toCompareRun(r) }));
  const doc = shardDocument(plan, hash, shard, runs);
  io.out(toJson(doc));
  if (args.out !== undefined) {
    const rows = [['scenario', 'strategy', 'seed', 'traceHash', ...COMPARE_METRICS], ...runs.map((r) => [plan.scenario, r.strategy, r.seed, r.traceHash, ...COMPARE_METRICS.map((m) => r.metrics[m])])];
    const paths = writeOutputs(args.out, compareOutBase(plan.scenario, shard), doc, rows);
    io.err(`wrote ${paths.json} and ${paths.csv}\n`);
  }
  return integrityExit(plan, scenario, runs, io);
}

/**
 * Exit 1 when a real-engine strategy broke an invariant on some seed, with a reproducer on
 * stderr. A pitfall variant's violations are the cost a comparison measures (DESIGN.md: pitfall
 * variants show how many they cause), so they alone do not fail it; `invsim run` of one does.
 */
export function integrityExit(plan: ComparePlan, scenario: Scenario, runs: readonly { strategy: string; seed: number; metrics: { integrityViolations: number } }[], io: Io): number {
  const broken = runs.filter((r) => r.metrics.integrityViolations > 0 && scenario.strategies[r.strategy]?.pitfall === undefined);
  const first = broken[0];
  if (first === undefined) return EXIT.ok;
  const where = broken.map((r) => `${r.strategy} seed ${r.seed}`).join(', ');
  io.err(`invsim compare: integrity violations in ${where}\nreproduce: ${commandLine(['invsim', 'run', plan.file, '--scenario', plan.scenario, '--strategy', first.strategy, '--seed', first.seed])}\n`);
  return EXIT.failed;
}
