/** `invsim k6`: a scenario as a k6 script (TypeScript typed with @types/k6, and its ES2019 bundle). */
import { relative } from 'node:path';
import type { Argv } from 'yargs';
import { InputError } from '../../engine/errors.js';
import { generateK6Script } from '../../loadtest/generate.js';
import { DEFAULT_TARGET_CAPACITY_PER_S, maxSpeedup, speedupLimits } from '../../loadtest/plan.js';
import { getScenario, loadScenarioFile } from '../../scenarios/load.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { shellQuote } from '../../analysis/check.js';

export interface K6Args {
  file: string;
  scenario: string;
  speedup: number;
  out: string;
  seed: number;
  strategy: string | undefined;
  httpP99Ms: number;
  targetCapacityPerS: number;
  settleTimeoutS: number | undefined;
  parallelism: number;
  json: boolean;
}

export function k6Builder(y: Argv): Argv<K6Args> {
  return y
    .positional('file', { type: 'string', describe: 'scenario file (YAML)', demandOption: true })
    .option('scenario', { type: 'string', describe: 'scenario name in the file', demandOption: true })
    .option('speedup', {
      type: 'number',
      default: 1,
      describe:
        'time compression: scenario seconds per real second (rates scale up, every wait down); give `invsim serve` the same value. Refused (exit 2, with the reason) above what the scenario allows live',
    })
    .option('out', { type: 'string', default: 'loadtest/out', describe: 'directory for <scenario>.ts, <scenario>.js, lib/ and tsconfig.json' })
    .option('seed', { type: 'number', default: 1, describe: "seed of the catalog's initial stock (the simulator's --seed) and of the load's draws (each iteration's k6 randomSeed)" })
    .option('strategy', { type: 'string', describe: 'strategy whose assert blocks the thresholds mirror (default: event-driven, else the first non-pitfall one)' })
    .option('http-p99-ms', { type: 'number', default: 1000, describe: "threshold on the webhooks' p(99) acknowledgement time" })
    .option('target-capacity-per-s', {
      type: 'number',
      default: DEFAULT_TARGET_CAPACITY_PER_S,
      describe: 'orders per real second the target sustains with k6 beside it: bounds the speedup (peak rate, burst backlog)',
    })
    .option('settle-timeout-s', { type: 'number', describe: 'real seconds setup and teardown wait for the service to settle (default: the heal bound, compressed; 30 to 600)' })
    .option('parallelism', { type: 'number', default: 1, describe: 'k6 instances to split the test over; 2 or more also writes a k6-operator TestRun manifest (<scenario>.testrun.yaml)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the files written and the script configuration as one JSON document' })
    .example('$0 k6 scenarios.yaml --scenario flash-sale --speedup 30', 'a 2-hour scenario as a 4-minute k6 run, in loadtest/out/')
    .example('k6 run --summary-export loadtest/out/flash-sale.summary.json loadtest/out/flash-sale.js -e BASE_URL=http://127.0.0.1:8080 -e WEBHOOK_SECRET=… -e ADMIN_TOKEN=…', 'then run it')
    .example('$0 k6 scenarios.yaml --scenario black-friday --speedup 20 --parallelism 4', 'split over 4 k6-operator runners') as unknown as Argv<K6Args>;
}

export async function k6Command(args: K6Args, io: Io): Promise<number> {
  const scenario = getScenario(loadScenarioFile(args.file), args.scenario);
  const generatedBy = ['invsim', 'k6', args.file, '--scenario', args.scenario, '--speedup', String(args.speedup), '--seed', String(args.seed)]
    .concat(args.strategy === undefined ? [] : ['--strategy', args.strategy])
    .map(shellQuote)
    .join(' ');
  if (args.settleTimeoutS !== undefined && (!(args.settleTimeoutS >= 0) || !Number.isFinite(args.settleTimeoutS))) {
    throw InputError.of('--settle-timeout-s', `must be a finite number >= 0, got ${args.settleTimeoutS}`);
  }
  const g = await generateK6Script(scenario, {
    outDir: args.out,
    speedup: args.speedup,
    seed: args.seed,
    httpP99Ms: args.httpP99Ms,
    targetCapacityPerS: args.targetCapacityPerS,
    parallelism: args.parallelism,
    generatedBy,
    ...(args.strategy === undefined ? {} : { strategy: args.strategy }),
    ...(args.settleTimeoutS === undefined ? {} : { settleTimeoutMs: args.settleTimeoutS * 1000 }),
  });
  const limits = speedupLimits(scenario, args.targetCapacityPerS);
  const shown = (path: string): string => relative(process.cwd(), path) || '.';
  if (args.json) {
    io.out(
      `${JSON.stringify(
        { ts: g.tsFile, js: g.jsFile, lib: g.libDir, tsconfig: g.tsconfigFile, summaryExport: g.summaryFile, manifest: g.manifestFile, bundleBytes: g.bundleBytes, maxSpeedup: maxSpeedup(limits), speedupLimits: limits, config: g.config },
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }
  const c = g.config;
  const minutes = c.durationMs / 60_000;
  io.out(
    [
      `invsim k6: ${c.scenario} → ${shown(g.jsFile)} (${(g.bundleBytes / 1024).toFixed(1)} KiB, from ${shown(g.tsFile)})`,
      `  ${minutes >= 1 ? `${minutes.toFixed(1)} min` : `${(c.durationMs / 1000).toFixed(1)} s`} of load (speedup ${c.speedup}), ${c.skus.length} SKUs, channels ${c.channels.map((ch) => ch.id).join(', ')}; ` +
        `${c.bursts.length} burst${c.bursts.length === 1 ? '' : 's'}${c.surge === null ? '' : ', a surge'}${c.restock === null ? '' : ', restocks'}`,
      `  thresholds (strategy ${c.strategy}): ${Object.entries(c.thresholds)
        .map(([m, e]) => `${m} ${e.join(' ')}`)
        .join('; ')}`,
      ...(c.notMirrored.length === 0 ? [] : [`  not mirrored: ${c.notMirrored.join('; ')}`]),
      `  speedup ${c.speedup} of at most ${maxSpeedup(limits)} (${limits.map((l) => `${l.constraint} ${l.maxSpeedup}`).join(', ')})`,
      ...(g.manifestFile === null ? [] : [`  k6-operator: ${shown(g.manifestFile)} (TestRun, ${args.parallelism} runners)`]),
      '',
      `  k6 run --summary-export ${shellQuote(shown(g.summaryFile))} ${shellQuote(shown(g.jsFile))} -e BASE_URL=http://127.0.0.1:8080 -e WEBHOOK_SECRET="$INVSIM_WEBHOOK_SECRET" -e ADMIN_TOKEN="$INVSIM_ADMIN_TOKEN"`,
      `  (k6 v0.48 or later; aim it at \`invsim serve ${shellQuote(args.file)} --scenario ${shellQuote(args.scenario)} --speedup ${args.speedup} --storefront\` or a staging deployment)`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
