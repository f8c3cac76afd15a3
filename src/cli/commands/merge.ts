/** `invsim merge`: shard documents of `compare|sweep|swarm --shard i/n` → what the unsharded run prints. */
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { AnalysisInputError } from '../../analysis/errors.js';
import { assertWritable } from '../../adapters/output-file.js';
import { mergeShardDocuments } from '../../analysis/merge.js';
import { outputTargets, toJson } from '../../analysis/output.js';
import type { ShardInput } from '../../analysis/shard.js';
import type { SwarmFinding } from '../../analysis/swarm.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { compareOutBase, emitComparison } from './compare.js';
import { formatReport, jsonReport, shrunkFile } from './swarm.js';
import { emitSweep, sweepOutBase } from './sweep.js';

export interface MergeArgs {
  files: string[];
  json: boolean;
  out: string | undefined;
}

export function mergeBuilder(y: Argv): Argv<MergeArgs> {
  return y
    .positional('files', { type: 'string', array: true, describe: 'shard documents (JSON) of `invsim compare|sweep|swarm --shard`, all of one run', demandOption: true })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout (identical to the unsharded `--json`)' })
    .option('out', { type: 'string', describe: 'compare and sweep: also write the JSON and a CSV (one row per run) into this directory, as the unsharded run does' })
    .example('$0 merge shard-1.json shard-2.json --json', 'the same document as `compare --json` without --shard')
    .example('$0 merge out/shard-*.json --out reports/out', 'a table on the terminal, JSON and CSV in reports/out')
    .example('$0 merge swarm-out/swarm-flash-sale-shard-*-of-8.json --json', 'the same document as the unsharded `swarm --json --out swarm-out`') as unknown as Argv<MergeArgs>;
}

function readShard(file: string): ShardInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AnalysisInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    return { source: file, json: JSON.parse(text) as unknown };
  } catch (error) {
    throw new AnalysisInputError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

export function mergeCommand(args: MergeArgs, io: Io): number {
  const merged = mergeShardDocuments(args.files.map(readShard));
  switch (merged.kind) {
    case 'compare':
      if (args.out !== undefined) assertWritable(outputTargets(args.out, compareOutBase(merged.result.scenario)));
      emitComparison(merged.result, args, io);
      return EXIT.ok;
    case 'sweep':
      if (args.out !== undefined) assertWritable(outputTargets(args.out, sweepOutBase(merged.result.scenario, merged.result.param)));
      emitSweep(merged.result, { json: args.json, csv: undefined, out: args.out }, io);
      return EXIT.ok;
    case 'swarm': {
      const { report, file, out } = merged.swarm;
      if (args.out !== undefined) {
        throw new AnalysisInputError(`--out: merging swarm shards writes no file: the shards wrote their shrunk scenarios into their --out (${out}), where the merged report names them`, {
          field: '--out',
          reason: 'merging swarm shards writes no file',
        });
      }
      // The unsharded run's paths: every shard ran with the same --out (the plan says so).
      const files = new Map<SwarmFinding, string>(report.findings.flatMap((f) => (f.shrunk === undefined ? [] : [[f, shrunkFile(out, f.shrunk.name)] as const])));
      io.out(args.json ? toJson(jsonReport(report, file, files)) : formatReport(report, file, files));
      return report.failed === 0 ? EXIT.ok : EXIT.failed;
    }
  }
}
