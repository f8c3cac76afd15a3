/** `invsim check`: CI mode. Every `assert` block over N seeds; exit 1 with a reproducer on any breach. */
import type { Argv } from 'yargs';
import { checkTasks, describeAssertion, evaluateAssertions, scenarioAssertions, type CheckReport } from '../../analysis/check.js';
import { seedRange } from '../../analysis/compare.js';
import { junitXml } from '../../analysis/junit.js';
import { assertWritable, writeFileAtomically } from '../../adapters/output-file.js';
import { toJson } from '../../analysis/output.js';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import { EXIT } from '../errors.js';
import { fmtSeeds } from '../../reports/format.js';
import type { Io } from '../io.js';
import { runWithProgress } from '../progress.js';
import { seedOptions, type SeedArgs } from './common.js';

export interface CheckArgs extends SeedArgs {
  file: string;
  scenario: string | undefined;
  junit: string | undefined;
  json: boolean;
}

export function checkBuilder(y: Argv): Argv<CheckArgs> {
  return seedOptions(
    y
      .positional('file', { type: 'string', describe: 'scenario file (YAML)', demandOption: true })
      .option('scenario', { type: 'string', describe: 'check only this scenario (default: every scenario with an assert block)' })
      .option('junit', { type: 'string', describe: 'write JUnit XML here (one testcase per assertion and strategy)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout' }),
    10,
  )
    .example('$0 check scenarios.yaml', 'every assertion of every scenario on seeds 1..10; exit 1 on a breach')
    .example('$0 check scenarios.yaml --scenario flash-sale --seeds 50 --junit reports/out/junit.xml', 'one scenario, more seeds, a report for the CI system') as unknown as Argv<CheckArgs>;
}

function formatReport(report: CheckReport): string {
  const seeds = report.seeds.length;
  const lines = [`invsim check ${report.file}: ${report.assertions} assertion${report.assertions === 1 ? '' : 's'}, seeds ${fmtSeeds(report.seeds)}`, ''];
  for (const o of report.outcomes) {
    const what = `${o.scenario} / ${o.strategy}  ${describeAssertion(o)}`;
    const first = o.failures[0];
    if (first === undefined) {
      lines.push(`  ok    ${what}`);
      continue;
    }
    lines.push(
      `  FAIL  ${what}`,
      `        observed ${JSON.stringify(first.value)} on seed ${first.seed} (failed on ${o.failures.length} of ${seeds} seeds: ${o.failures
        .slice(0, 10)
        .map((f) => `seed ${f.seed} = ${JSON.stringify(f.value)}`)
        .join(', ')}${o.failures.length > 10 ? ', …' : ''})`,
      `        reproduce: ${o.reproduce ?? ''}`,
    );
  }
  lines.push('', report.passed ? `all ${report.assertions} assertions held on every seed` : `${report.failed} of ${report.assertions} assertions failed`, '');
  return lines.join('\n');
}

function writeJunit(path: string, report: CheckReport, io: Io): void {
  writeFileAtomically({ option: '--junit', path, data: junitXml(report) });
  io.err(`wrote ${path}\n`);
}

export async function checkCommand(args: CheckArgs, io: Io): Promise<number> {
  const file = loadScenarioFile(args.file);
  const scenarios = args.scenario === undefined ? [...file.scenarios.values()] : [getScenario(file, args.scenario)];
  const seeds = seedRange(args.seeds, args.seedStart);
  // Checked before the runs: a CI job with a bad --junit path fails at once, not after them.
  if (args.junit !== undefined) assertWritable([{ option: '--junit', path: args.junit }]);
  const assertions = scenarios.flatMap(scenarioAssertions);
  if (assertions.length === 0) io.err(`invsim check: ${args.scenario === undefined ? args.file : `scenario ${args.scenario}`} has no assert block; nothing to check\n`);
  const records = await runWithProgress(io, 'check', checkTasks(args.file, assertions, seeds), args.workers);
  const report = evaluateAssertions(args.file, assertions, seeds, records);
  io.out(args.json ? toJson(report) : formatReport(report));
  // With --json the reproducers are in the document; a CI log still shows them on stderr.
  if (args.json && !report.passed) io.err(formatReport(report));
  if (args.junit !== undefined) writeJunit(args.junit, report, io);
  return report.passed ? EXIT.ok : EXIT.failed;
}
