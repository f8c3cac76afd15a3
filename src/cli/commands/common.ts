/** Options and helpers shared by the commands that run many seeds (compare, check, sweep, start). */
import type { Argv } from 'yargs';
import { COMPARE_METRICS } from '../../analysis/metrics.js';
import type { CompareResult } from '../../analysis/compare.js';
import { AnalysisInputError } from '../../analysis/errors.js';
import { defaultWorkers } from '../../analysis/runner.js';
import type { Scenario } from '../../scenarios/schema.js';
import { fmtDifference, fmtEstimate, fmtNumber, fmtSeeds } from '../../reports/format.js';
import { table } from '../format.js';
import type { Frequency } from '../../scenarios/economics.js';

/** `--report FILE.html`, shared by run, compare and sweep. */
export const reportOption = {
  type: 'string',
  describe: 'also write a self-contained HTML report (charts, summary in money) to this file, with FILE.json and FILE.csv beside it',
} as const;

export interface SeedArgs {
  seeds: number;
  seedStart: number;
  workers: number;
}

export function seedOptions<T>(y: Argv<T>, defaultSeeds: number): Argv<T & SeedArgs> {
  return y
    .option('seeds', { type: 'number', default: defaultSeeds, describe: 'number of seeds' })
    .option('seed-start', { type: 'number', default: 1, describe: 'first seed; the seeds are seed-start, seed-start+1, …' })
    .option('workers', {
      type: 'number',
      default: defaultWorkers(),
      defaultDescription: 'the number of cores',
      describe: 'worker threads running seeds in parallel (1: in this thread); results do not depend on it',
    }) as unknown as Argv<T & SeedArgs>;
}

/** `a,b` → the named strategies, each declared by the scenario, none twice; none given → every strategy. */
export function resolveStrategies(list: string | undefined, scenario: Scenario, option = '--strategies'): string[] {
  const declared = Object.keys(scenario.strategies);
  if (list === undefined) return declared;
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new AnalysisInputError(`${option} must name at least one strategy (the scenario has: ${declared.join(', ')})`);
  const seen = new Set<string>();
  for (const name of names) {
    if (scenario.strategies[name] === undefined) throw new AnalysisInputError(`${option}: scenario ${scenario.name} has no strategy ${name} (it has: ${declared.join(', ')})`);
    if (seen.has(name)) throw new AnalysisInputError(`${option} names ${name} twice`);
    seen.add(name);
  }
  return names;
}

/** The terminal form of a comparison: one table of means, one of paired differences, and what the money rests on. */
export function compareTable(result: CompareResult): string {
  const names = result.strategies.map((s) => s.strategy);
  const lines = [
    `compare: ${result.scenario}, ${names.length} strateg${names.length === 1 ? 'y' : 'ies'} on seeds ${fmtSeeds(result.seeds)} (${result.seeds.length} each, common random numbers)`,
    'mean ± half-width of the 95% confidence interval',
    '',
    table(
      ['metric', ...names],
      COMPARE_METRICS.map((m) => [m, ...result.strategies.map((s) => fmtEstimate(m, s.metrics[m]))]),
    ),
  ];
  const baseline = result.baseline;
  const others = names.filter((n) => n !== baseline);
  if (others.length > 0) {
    lines.push(
      '',
      `paired differences against ${baseline} (per seed: strategy - ${baseline}; ▲ up, ▼ down, then better or worse by the metric's better direction where the interval excludes 0)`,
      '',
      table(
        ['metric', ...others.map((o) => `${o} - ${baseline}`)],
        COMPARE_METRICS.map((m) => [
          m,
          ...others.map((o) => {
            const d = result.paired.find((p) => p.strategy === o && p.metric === m);
            return d === undefined ? '' : fmtDifference(m, d);
          }),
        ]),
      ),
    );
  }
  lines.push('', moneyNote(result.frequency));
  return `${lines.join('\n')}\n`;
}

/** What the money figures are: per run, and a day only with the scenario's frequency. */
export function moneyNote(frequency: Frequency | null): string {
  if (frequency === null) return 'money: impactPerRun is per run; the scenario declares no economics.occurrencesPerYear, so there is no day or year figure (totalDailyImpact: no frequency)';
  const basis = frequency.basis === 'declared' ? 'economics.occurrencesPerYear' : 'a run of whole days';
  return `money: impactPerRun is per run; totalDailyImpact assumes ${fmtNumber(frequency.occurrencesPerYear, Number.isInteger(frequency.occurrencesPerYear) ? 0 : 3)} occurrences a year (${basis}), a year's cost / 365`;
}
