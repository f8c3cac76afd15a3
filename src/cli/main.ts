/**
 * The `invsim` command line. Commands are thin: parse, call a library function, print.
 * Exit codes: 0 success, 1 an assertion or invariant failed, 2 bad usage or invalid input (an
 * InputError, src/engine/errors.ts: printed with its field and reason, no stack), 70 an internal error
 * (anything else: a bug in invsim; a short report with the command that reproduces it, and the
 * stack with `--debug`). Results go to stdout; progress and diagnostics to stderr.
 */
import yargs from 'yargs';
import { shellQuote } from '../analysis/check.js';
import { OutputFileError } from '../adapters/output-file.js';
import { InputError } from '../engine/errors.js';
import { ScenarioError } from '../scenarios/load.js';
import { UnknownStrategyError } from '../sim/world.js';
import { checkBuilder, checkCommand, type CheckArgs } from './commands/check.js';
import { compareBuilder, compareCommand, type CompareArgs } from './commands/compare.js';
import { leakageBuilder, leakageCommand, type LeakageArgs } from './commands/leakage.js';
import { listBuilder, listCommand, type ListArgs } from './commands/list.js';
import { mergeBuilder, mergeCommand, type MergeArgs } from './commands/merge.js';
import { startBuilder, startCommand, type StartArgs } from './commands/start.js';
import { sweepBuilder, sweepCommand, type SweepArgs } from './commands/sweep.js';
import { swarmBuilder, swarmCommand, type SwarmArgs } from './commands/swarm.js';
import { runBuilder, runCommand, type RunArgs } from './commands/run.js';
import { k6Builder, k6Command, type K6Args } from './commands/k6.js';
import { serveBuilder, serveCommand, type ServeArgs } from './commands/serve.js';
import { migrateBuilder, migrateCommand, type MigrateArgs } from './commands/migrate.js';
import { liveReportBuilder, liveReportCommand, type LiveReportArgs } from './commands/live-report.js';
import { twinsBuilder, twinsCommand, type TwinsArgs } from './commands/twins.js';
import { EXIT, UsageError } from './errors.js';
import type { Io } from './io.js';
import { PROGRESS_ENV, progressEveryMsFromEnv } from './progress.js';

export type { Io } from './io.js';

/** Arguments that are lists by design. */
// Options declared `array: true` are lists on purpose.
const VARIADIC = new Set(['_', 'files', 'k6-summary', 'k6Summary', 'webhook']);

const progressEveryMs = progressEveryMsFromEnv(process.env[PROGRESS_ENV]);

const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
  ...(progressEveryMs === undefined ? {} : { progressEveryMs }),
};

/** Runs the CLI and returns the exit code (sets process.exitCode when called from bin). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  // Known once yargs has parsed the flags; an error before that is a usage error, stackless anyway.
  let debug = false;
  const parser = yargs([...argv])
    .scriptName('invsim')
    // A scalar flag given twice takes its last value, as users expect, rather than becoming an
    // array. (yargs' `duplicate-arguments-array: false` would also cut variadic positionals.)
    .middleware((argv) => {
      for (const [key, value] of Object.entries(argv)) {
        if (Array.isArray(value) && !VARIADIC.has(key)) (argv as Record<string, unknown>)[key] = value.at(-1);
      }
      debug = argv['debug'] === true;
    }, true)
    .option('debug', { type: 'boolean', default: false, global: true, describe: 'on an internal error, print its full stack' })
    .usage('$0 <command> [options]\n\nDeterministic simulation and load-testing harness for multichannel inventory sync.')
    .command<RunArgs>('run <file>', 'simulate one scenario with one strategy and seed', runBuilder, async (args) => {
      code = await runCommand(args, io.out, io.err);
    })
    .command<CompareArgs>('compare <file>', 'every strategy on the same seeds: means, 95% CIs, paired differences', compareBuilder, async (args) => {
      code = await compareCommand(args, io);
    })
    .command<CheckArgs>('check <file>', "CI mode: every scenario's assert blocks over N seeds; exit 1 with a reproducer on a breach", checkBuilder, async (args) => {
      code = await checkCommand(args, io);
    })
    .command<SweepArgs>('sweep <file>', 'vary one scenario parameter over a list of values', sweepBuilder, async (args) => {
      code = await sweepCommand(args, io);
    })
    .command<SwarmArgs>('swarm <file>', 'swarm testing: each seed draws its faults; failures shrunk to small scenario files', swarmBuilder, async (args) => {
      code = await swarmCommand(args, io);
    })
    .command<MergeArgs>('merge <files..>', 'combine `compare|sweep|swarm --shard i/n` outputs into the unsharded result', mergeBuilder, (args) => {
      code = mergeCommand(args, io);
    })
    .command<ListArgs>('list [file]', 'scenarios, their strategies, and the channel presets', listBuilder, (args) => {
      code = listCommand(args, io);
    })
    .command<StartArgs>('start', 'the main job: baseline and flash-sale comparisons, files under reports/out/', startBuilder, async (args) => {
      code = await startCommand(args, io);
    })
    .command<ServeArgs>('serve <file>', "the reference service k6 scripts aim at: the real engine and one scenario's channels in real time", serveBuilder, async (args) => {
      code = await serveCommand(args, io);
    })
    .command<TwinsArgs>('twins <file>', "one scenario's channels as marketplace twins (Shopify, WooCommerce, SP-API, eBay) with customers and a black-box audit", twinsBuilder, async (args) => {
      code = await twinsCommand(args, io);
    })
    .command<K6Args>('k6 <file>', 'a scenario as a k6 script (TypeScript typed with @types/k6, and its ES2019 bundle)', k6Builder, async (args) => {
      code = await k6Command(args, io);
    })
    .command<MigrateArgs>('migrate', 'apply the PostgreSQL store schema migrations (idempotent)', migrateBuilder, async (args) => {
      code = await migrateCommand(args, io);
    })
    .command<LiveReportArgs>('live-report', "a k6 run's summary and the service's /audit beside the simulation's prediction", liveReportBuilder, async (args) => {
      code = await liveReportCommand(args, io);
    })
    .command<LeakageArgs>('leakage', "the seed article's revenue-leakage model", leakageBuilder, (args) => {
      code = leakageCommand(args, io.out);
    })
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    code = report(error, io, { argv, debug });
  }
  process.exitCode = code;
  return code;
}

/** Input errors exit 2 with what was wrong; anything else is a bug in invsim and exits 70. */
function report(error: unknown, io: Io, run: { readonly argv: readonly string[]; readonly debug: boolean }): number {
  if (error instanceof ScenarioError) {
    io.err(`invsim: invalid scenario\n${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof OutputFileError) {
    for (const line of error.message.split('\n')) io.err(`invsim: ${line}\n`);
    return EXIT.usage;
  }
  // UnknownStrategyError is the simulator's own (src/sim/world.ts): a strategy the scenario lacks.
  if (error instanceof InputError || error instanceof UnknownStrategyError) {
    io.err(`invsim: ${error.message}\nRun 'invsim --help' for usage.\n`);
    return EXIT.usage;
  }
  if (error instanceof Error && error.name === 'YError') {
    io.err(`invsim: ${error.message}\n`);
    return EXIT.usage;
  }
  reportInternal(error, io, run);
  return EXIT.internal;
}

/** Two lines: what broke and how to reproduce it; the stack only with --debug. */
function reportInternal(error: unknown, io: Io, run: { readonly argv: readonly string[]; readonly debug: boolean }): void {
  const what = error instanceof Error ? (error.name === 'Error' ? error.message : `${error.name}: ${error.message}`) : String(error);
  const command = ['invsim', ...run.argv].map(shellQuote).join(' ');
  io.err(`invsim: internal error: ${what}\n`);
  if (!run.debug) {
    io.err(`invsim: reproduce with \`${command}\`; run again with --debug for the stack\n`);
    return;
  }
  io.err(`invsim: reproduce with \`${command}\`\n`);
  io.err(`${error instanceof Error ? (error.stack ?? what) : what}\n`);
}
