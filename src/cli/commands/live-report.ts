/**
 * `invsim live-report`: a k6 run's JSON summary and the service's `/audit`, beside what the
 * simulation predicts for the same scenario and strategy. Prints a table (or `--json`), and with
 * `--report FILE.html` writes the HTML report with FILE.json and FILE.csv beside it.
 * Exits 1 when an assertion of the scenario that has a live equivalent failed on the live run.
 */
import type { Argv } from 'yargs';
import { seedRange } from '../../analysis/compare.js';
import { assertWritable } from '../../adapters/output-file.js';
import { toJson } from '../../analysis/output.js';
import { InputError } from '../../engine/errors.js';
import { liveStrategy, type LiveMeasure, type LiveResult } from '../../reports/live.js';
import { commandLine } from '../../reports/make.js';
import { reportTargets, writeReport } from '../../reports/write.js';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import { scenarioPrefix } from '../../scenarios/prefix.js';
import { EXIT } from '../errors.js';
import { fmtMs, fmtNumber, fmtSeeds } from '../../reports/format.js';
import { textTable } from '../format.js';
import type { Io } from '../io.js';
import { liveReport } from '../reports.js';
import { twinsPrediction } from '../../analysis/report-inputs.js';
import { readJsonInput } from '../../reports/make.js';
import { parseTwinsAudit, twinsComparison, type TwinsComparison } from '../../reports/twins.js';
import { resolveStrategies } from './common.js';

export interface LiveReportArgs {
  k6Summary: string[] | undefined;
  audit: string | undefined;
  twinsAudit?: string | undefined;
  scenario: string;
  file: string;
  strategy: string | undefined;
  seeds: number;
  seedStart: number;
  speedup: number | undefined;
  report: string | undefined;
  json: boolean;
}

export const DEFAULT_LIVE_SEEDS = 5;

export function liveReportBuilder(y: Argv): Argv<LiveReportArgs> {
  return y
    .option('k6-summary', {
      type: 'string',
      array: true,
      describe: "k6's JSON summary of the run: the file `k6 run --summary-export FILE` writes, or handleSummary's data; one per instance of a split test (repeat the flag)",
    })
    .option('audit', { type: 'string', describe: "the service's GET /audit body, saved as JSON after the run (with --k6-summary)" })
    .option('twins-audit', {
      type: 'string',
      describe: "instead of --k6-summary and --audit: the channel twins' GET /twins/audit body (what invsim twins --drive --json prints), a black-box measurement of any sync service",
    })
    .option('scenario', { type: 'string', demandOption: true, describe: 'the scenario the k6 script was generated from' })
    .option('file', { type: 'string', default: 'scenarios.yaml', describe: 'scenario file (YAML)' })
    .option('strategy', {
      type: 'string',
      describe: "strategy to predict with (default: the one invsim serve runs: the scenario's event-driven, else plain event-driven sync added as service-event-driven)",
    })
    .option('seeds', { type: 'number', default: DEFAULT_LIVE_SEEDS, describe: 'simulated seeds behind the prediction' })
    .option('seed-start', { type: 'number', default: 1, describe: 'first seed' })
    .option('speedup', { type: 'number', describe: "the live run's speedup, for an audit that does not say it (invsim serve's does; a different value is refused)" })
    .option('report', { type: 'string', describe: 'write the HTML report here, with FILE.json and FILE.csv beside it' })
    .option('json', { type: 'boolean', default: false, describe: 'print the comparison as one JSON document on stdout' })
    .example('$0 live-report --k6-summary loadtest/out/flash-sale.summary.json --audit audit.json --scenario flash-sale --report reports/out/live-flash-sale.html', 'live beside predicted, as an HTML report')
    .example('$0 live-report --k6-summary s1.json --k6-summary s2.json --k6-summary s3.json --audit a.json --scenario black-friday', 'a test split over three k6 instances')
    .example('$0 live-report --k6-summary s.json --audit a.json --scenario baseline --seeds 10 --json', 'the comparison as JSON')
    .example('$0 live-report --twins-audit twins-audit.json --scenario baseline', 'what the channel twins measured beside the prediction') as unknown as Argv<LiveReportArgs>;
}

function formatTwins(r: TwinsComparison): string {
  const rows = measureRows(r.measures, ['saleToListingMsP99']);
  const a = r.audit;
  return [
    `live-report: channel twins on ${r.scenario}${a.durationS === null ? '' : ` (${fmtNumber(a.durationS)} s)`}, predicted with ${r.strategy} on seeds ${fmtSeeds(r.seeds)}${a.seed === null ? '' : `, each with the twins' catalogue (seed ${a.seed})`}`,
    `  ${fmtNumber(a.customers)} customers, ${fmtNumber(a.taken)} orders taken, ${fmtNumber(a.oversells)} oversold, ${fmtNumber(a.lostSales)} lost; listings ${a.settled ? 'settled to the truth' : 'NOT settled to the truth'}`,
    '',
    textTable(['measure', 'twins', 'predicted', '95% prediction interval (one run)', 'verdict'], rows),
    ...r.measures.filter((m) => m.reason !== null).map((m) => `  not compared: ${m.label.toLowerCase()}: ${m.reason ?? ''}`),
    '',
  ].join('\n');
}

/** A comparison's table rows: measure, live, predicted mean, its interval, verdict; `msIds` are the ones in ms. */
function measureRows(measures: readonly LiveMeasure[], msIds: readonly string[]): string[][] {
  const fmt = (id: string, x: number | null): string =>
    x === null ? '-' : msIds.includes(id) ? fmtMs(x) : fmtNumber(x, id === 'meanConfidence' || id === 'invisibleFraction' ? 4 : Number.isInteger(x) ? 0 : 1);
  return measures.map((m) => [
    `${m.label} (${m.unit})`,
    fmt(m.id, m.live),
    m.predicted === null ? '-' : fmt(m.id, m.predicted.mean),
    m.predicted === null ? '-' : `${fmt(m.id, m.predicted.pi95[0])} to ${fmt(m.id, m.predicted.pi95[1])}`,
    m.withinPrediction === null ? 'not compared' : m.withinPrediction ? 'within' : 'OUTSIDE',
  ]);
}

function formatLive(r: LiveResult): string {
  const rows = measureRows(r.measures, ['latencyMsP99', 'orderProcessingMsP99']);
  const failed = r.liveAssertions.filter((a) => a.held === false);
  const comparable = r.measures.filter((m) => m.comparable);
  const departed = comparable.filter((m) => m.withinPrediction === false);
  const notCompared = r.measures.filter((m) => !m.comparable);
  return [
    `live-report: ${r.scenario}, predicted with ${r.strategy} on seeds ${fmtSeeds(r.seeds)}${r.speedup === null ? '' : `, speedup ${r.speedup}`}`,
    '',
    textTable(['measure', 'live', 'predicted', '95% prediction interval (one run)', 'verdict'], rows),
    '',
    departed.length === 0
      ? `matched the prediction on all ${comparable.length} comparable measures`
      : `departed from the prediction on ${departed.length} of ${comparable.length} comparable measures: ${departed.map((m) => m.label.toLowerCase()).join(', ')}`,
    ...notCompared.map((m) => `  not compared: ${m.label.toLowerCase()}: ${m.reason ?? ''}`),
    ...r.diagnostics.map((d) => `  ${departed.length === 0 ? 'note' : 'possible cause'}: ${d}`),
    `  ${r.conditioningSummary}`,
    '',
    failed.length === 0 ? 'every assertion with a live equivalent held on the live run' : `FAILED on the live run: ${failed.map((a) => `${a.assertion} (live ${String(a.live)})`).join(', ')}`,
    '',
  ].join('\n');
}

export async function liveReportCommand(args: LiveReportArgs, io: Io): Promise<number> {
  const declared = getScenario(loadScenarioFile(args.file), args.scenario);
  const chosen = args.strategy === undefined ? liveStrategy(declared) : { scenario: declared, strategy: resolveStrategies(args.strategy, declared, '--strategy')[0]! };
  const { scenario, strategy } = chosen;
  const seeds = seedRange(args.seeds, args.seedStart);
  if (args.twinsAudit !== undefined) {
    if (args.k6Summary !== undefined || args.audit !== undefined) throw InputError.of('--twins-audit', 'compares the twins\' audit alone: leave out --k6-summary and --audit');
    if (args.report !== undefined) throw InputError.of('--report', 'the HTML report is for a k6 run; with --twins-audit the comparison is printed (--json for JSON)');
    const twins = parseTwinsAudit(readJsonInput(args.twinsAudit, 'twins audit').json, args.twinsAudit);
    // The twins may have run a prefix of the scenario (invsim twins --duration-s): predict the same one.
    if (twins.durationS !== null && twins.durationS > scenario.durationS) {
      throw InputError.of('--twins-audit', `ran ${twins.durationS} s of scenario ${twins.scenario ?? scenario.name}, longer than ${scenario.name}'s ${scenario.durationS} s: the audit of another scenario?`);
    }
    const ran = twins.durationS === null || twins.durationS === scenario.durationS ? scenario : scenarioPrefix(scenario, twins.durationS);
    const comparison = twinsComparison({ scenario: ran, strategy, audit: twins, predicted: await twinsPrediction(ran, strategy, seeds, twins.seed) });
    io.out(args.json ? toJson(comparison) : formatTwins(comparison));
    return EXIT.ok;
  }
  if (args.k6Summary === undefined || args.k6Summary.length === 0) throw InputError.of('--k6-summary', 'is required (or give --twins-audit)');
  if (args.audit === undefined) throw InputError.of('--audit', 'is required with --k6-summary');
  const k6Summary = args.k6Summary;
  const audit = args.audit;
  const command = commandLine([
    'invsim',
    'live-report',
    ...k6Summary.flatMap((path) => ['--k6-summary', path]),
    '--audit',
    audit,
    '--scenario',
    scenario.name,
    '--file',
    args.file,
    // The service's own sync is not a strategy of the file: the default finds it again.
    ...(declared.strategies[strategy] === undefined ? [] : ['--strategy', strategy]),
    '--seeds',
    args.seeds,
    '--seed-start',
    args.seedStart,
    ...(args.speedup === undefined ? [] : ['--speedup', args.speedup]),
    ...(args.report === undefined ? [] : ['--report', args.report]),
  ]);
  if (args.speedup !== undefined && (!(args.speedup > 0) || !Number.isFinite(args.speedup))) throw InputError.of('--speedup', `must be a finite number > 0, got ${args.speedup}`);
  if (args.report !== undefined) assertWritable(reportTargets(args.report));
  const built = await liveReport({
    file: args.file,
    scenario,
    strategy,
    seeds,
    k6SummaryPaths: k6Summary,
    auditPath: audit,
    command,
    ...(args.speedup === undefined ? {} : { speedup: args.speedup }),
  });
  io.out(args.json ? toJson(built.json.result) : formatLive(built.json.result));
  if (args.report !== undefined) {
    const paths = writeReport(args.report, built);
    io.err(`wrote ${paths.html}, ${paths.json} and ${paths.csv}\n`);
  }
  return built.json.result.liveAssertions.some((a) => a.held === false) ? EXIT.failed : EXIT.ok;
}
