/** `invsim run`: one scenario, one strategy, one seed. */
import type { Argv } from 'yargs';
import { assertWritable, openAtomicFile } from '../../adapters/output-file.js';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import type { SimulationResult } from '../../model/result.js';
import { simulate } from '../../sim/world.js';
import { LIVE_RESTOCK_BATCH, liveWorldScenario } from '../../loadtest/live-world.js';
import { restockJobIssue, type RestockJob } from '../../model/restock-job.js';
import { commandLine, makeRunReport } from '../../reports/make.js';
import { reportTargets, writeReport } from '../../reports/write.js';
import { EXIT, UsageError } from '../errors.js';
import { fmtDuration, fmtMs, fmtNumber, fmtPercent } from '../../reports/format.js';
import { frequencyWords } from '../../scenarios/economics.js';
import { reportOption } from './common.js';

export interface RunArgs {
  file: string;
  scenario: string;
  strategy: string;
  seed: number;
  json: boolean;
  trace: string | undefined;
  report: string | undefined;
  live: boolean;
  catalogSeed: number | undefined;
  restockReadMs: number | undefined;
  restockWriteMs: number | undefined;
}

export function runBuilder(y: Argv): Argv<RunArgs> {
  return y
    .positional('file', { type: 'string', describe: 'scenario file (YAML)', demandOption: true })
    .option('scenario', { type: 'string', describe: 'scenario name in the file', demandOption: true })
    .option('strategy', { type: 'string', describe: 'strategy name declared by the scenario', demandOption: true })
    .option('seed', { type: 'number', describe: 'root seed (integer >= 0)', default: 1 })
    .option('json', { type: 'boolean', describe: 'print one JSON document on stdout', default: false })
    .option('trace', { type: 'string', describe: 'stream the canonical event trace to this file' })
    .option('report', reportOption)
    .option('live', {
      type: 'boolean',
      default: false,
      describe: 'simulate the live world instead: orders reach the engine as the k6 script of `invsim k6` sends them (what `invsim live-report` predicts)',
    })
    .option('catalog-seed', { type: 'number', describe: "draw the catalogue (every SKU's initial stock) from this seed instead of --seed's (a live run's prediction holds its load's)" })
    .option('restock-read-ms', {
      type: 'number',
      describe: `run each restock as a job, as a live run's is: its reads of every SKU's level take this long (scenario ms, ${LIVE_RESTOCK_BATCH} SKUs at a time), then --restock-write-ms of writes`,
    })
    .option('restock-write-ms', { type: 'number', describe: "with --restock-read-ms: how long a restock job's writes take (scenario ms)" })
    .example('$0 run scenarios.yaml --scenario flash-sale --strategy event-driven --seed 7', 'one run, readable summary')
    .example('$0 run scenarios.yaml --scenario flash-sale --strategy event-driven --live --json', 'what a live run against invsim serve should measure, in scenario time')
    .example('$0 run scenarios.yaml --scenario flash-sale --strategy event-driven --live --seed 2 --catalog-seed 1 --restock-read-ms 1500 --restock-write-ms 1500', 'one of a live report\'s predicted runs, conditioned as it was')
    .example('$0 run scenarios.yaml --scenario baseline --strategy polling-15m --json | jq .oversells', 'one run as JSON')
    .example('$0 run scenarios.yaml --scenario flash-sale --strategy event-driven --report run.html', 'one run as an HTML report, with run.json and run.csv beside it') as unknown as Argv<RunArgs>;
}

/** `err` receives the names of the report files; it defaults to stderr. */
export async function runCommand(args: RunArgs, out: (text: string) => void, err: (text: string) => void = (text) => void process.stderr.write(text)): Promise<number> {
  const file = loadScenarioFile(args.file);
  const declared = getScenario(file, args.scenario);
  const scenario = args.live ? liveWorldScenario(declared) : declared;
  const held = conditions(args);
  // Every destination is checked before the run: a bad one costs nothing and writes nothing.
  const traceTarget = args.trace === undefined ? undefined : { option: '--trace', path: args.trace };
  assertWritable([...(traceTarget === undefined ? [] : [traceTarget]), ...(args.report === undefined ? [] : reportTargets(args.report))]);
  const trace = traceTarget === undefined ? undefined : openAtomicFile(traceTarget);
  let result: SimulationResult;
  try {
    result = await simulate(scenario, { strategy: args.strategy, seed: args.seed, ...held.options, ...(trace === undefined ? {} : { traceSink: trace.write }) });
  } catch (error) {
    trace?.abort();
    throw error;
  }
  trace?.commit();
  out(args.json ? `${JSON.stringify(result, null, 2)}\n` : summarize(result, args.file, scenario.durationS, [...(args.live ? ['--live'] : []), ...held.flags]));
  if (args.report !== undefined) {
    const command = commandLine(['invsim', 'run', args.file, '--scenario', args.scenario, '--strategy', args.strategy, '--seed', args.seed, ...(args.live ? ['--live'] : []), ...held.flags, '--report', args.report]);
    const paths = writeReport(args.report, await makeRunReport({ file: args.file, scenario, result, command }));
    err(`wrote ${paths.html}, ${paths.json} and ${paths.csv}\n`);
  }
  // An invariant failed: exit 1 (DESIGN.md), a pitfall's run included. The document is printed
  // whole either way; with --json the reason goes to stderr, as `check` does.
  if (result.integrityViolations === 0) return EXIT.ok;
  if (args.json) {
    const again = commandLine(['invsim', 'run', args.file, '--scenario', args.scenario, '--strategy', args.strategy, '--seed', args.seed, ...(args.live ? ['--live'] : []), ...held.flags]);
    err(`invsim run: ${fmtNumber(result.integrityViolations)} integrity violations (first: ${result.violations[0]?.invariant ?? ''})\nreproduce: ${again}\n`);
  }
  return EXIT.failed;
}

/** --catalog-seed and the restock job: the simulate options, and the flags that reproduce them. */
function conditions(args: RunArgs): { options: { catalogSeed?: number; restockJob?: RestockJob }; flags: (string | number)[] } {
  if (args.catalogSeed !== undefined && (!Number.isSafeInteger(args.catalogSeed) || args.catalogSeed < 0)) {
    throw new UsageError(`--catalog-seed must be an integer >= 0, got ${args.catalogSeed}`, { field: '--catalog-seed', reason: 'must be an integer >= 0' });
  }
  const catalog = args.catalogSeed === undefined ? {} : { catalogSeed: args.catalogSeed };
  const catalogFlags = args.catalogSeed === undefined ? [] : ['--catalog-seed', args.catalogSeed];
  if ((args.restockReadMs === undefined) !== (args.restockWriteMs === undefined)) {
    const missing = args.restockReadMs === undefined ? '--restock-read-ms' : '--restock-write-ms';
    throw new UsageError(`${missing} is missing: a restock job needs both --restock-read-ms and --restock-write-ms`, { field: missing, reason: 'give both or neither' });
  }
  if (args.restockReadMs === undefined || args.restockWriteMs === undefined) return { options: catalog, flags: catalogFlags };
  const job = { readSpanMs: args.restockReadMs, writeSpanMs: args.restockWriteMs, batch: LIVE_RESTOCK_BATCH };
  const issue = restockJobIssue(job);
  if (issue !== null) {
    const field = issue.startsWith('read') ? '--restock-read-ms' : '--restock-write-ms';
    throw new UsageError(`${field}: ${issue.replace(/^\w+ /, '')}`, { field, reason: issue.replace(/^\w+ /, '') });
  }
  return { options: { ...catalog, restockJob: job }, flags: [...catalogFlags, '--restock-read-ms', job.readSpanMs, '--restock-write-ms', job.writeSpanMs] };
}

export function summarize(r: SimulationResult, file: string, durationS: number, flags: readonly (string | number)[] = []): string {
  const lines = [
    `invsim run: ${r.scenario} / ${r.strategy} / seed ${r.seed}  (${fmtNumber(r.simulatedSeconds / 3600, 1)} h simulated)`,
    '',
    `  orders placed        ${fmtNumber(r.orders.placed)}  (fulfilled ${fmtNumber(r.orders.fulfilled)}, duplicates ignored ${fmtNumber(r.orders.duplicatesIgnored)})`,
    `  oversells            ${fmtNumber(r.oversells)}`,
    `  lost sales           ${fmtNumber(r.lostSales)}`,
    `  propagation latency  ${r.latencyMs.p99 === null ? 'no propagation (no update reached a channel)' : `p50 ${fmtMs(r.latencyMs.p50 ?? 0)}, p99 ${fmtMs(r.latencyMs.p99)}, max ${fmtMs(r.latencyMs.max ?? 0)}`}`,
    `  stale window         ${r.staleWindowMs.p99 === null ? 'never stale' : `p50 ${fmtMs(r.staleWindowMs.p50 ?? 0)}, p99 ${fmtMs(r.staleWindowMs.p99)}`}`,
    `  freshness            mean confidence ${fmtNumber(r.freshness.meanConfidence, 3)}, invisible ${fmtPercent(r.freshness.invisibleFraction, 2)} of listing-time`,
    `  API calls            ${fmtNumber(r.api.calls)} (throttled ${fmtNumber(r.api.throttled)}, failed ${fmtNumber(r.api.failed)})`,
    `  dead-letter queue    ${fmtNumber(r.dlq.parked)} parked, max depth ${fmtNumber(r.dlq.maxDepth)}`,
    ...moneyLines(r, durationS),
    `  integrity            ${r.integrityViolations === 0 ? 'no violations' : `${fmtNumber(r.integrityViolations)} VIOLATIONS`}`,
    `  converged            ${r.converged ? `yes, ${fmtMs(r.convergenceMs ?? 0)} after faults stopped` : 'NO'}`,
    `  trace hash           ${r.traceHash}`,
  ];
  for (const v of r.violations.slice(0, 5)) lines.push(`    ${v.invariant} at ${fmtMs(v.atMs)}: ${v.detail}`);
  lines.push('', `reproduce: ${commandLine(['invsim', 'run', file, '--scenario', r.scenario, '--strategy', r.strategy, '--seed', r.seed, ...flags])}`, '');
  return lines.join('\n');
}

/** Money per run first; a year only from the scenario's frequency, with the assumption in words. */
function moneyLines(r: SimulationResult, durationS: number): string[] {
  const l = r.leakage;
  const money = (x: number): string => fmtNumber(x, 0);
  const year =
    l.frequency === null || l.perYear === null
      ? 'no day or year figure: the scenario declares no economics.occurrencesPerYear'
      : `about ${money(l.perYear.totalImpact)} a year ${frequencyWords(l.frequency, durationS)}; lost sales ${money(l.perYear.lostSalesRevenue)} a year`;
  return [
    `  revenue leakage      ${money(l.perRun.totalImpact)} this run (${fmtDuration(durationS)} simulated): ${money(l.perRun.directRevenueLoss)} in cancelled orders, ${money(l.perRun.ltvErosion)} in lifetime value; lost sales ${money(l.perRun.lostSalesRevenue)}`,
    `                       ${year}`,
    `  seed model           ${money(l.seedModel.totalDailyImpact)} a day (the seed article's closed-form model, daily by definition)`,
  ];
}
