/** `invsim merge`: shard documents of `compare --shard i/n` → the comparison the unsharded run prints. */
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { AnalysisInputError } from '../../analysis/errors.js';
import { assertWritable } from '../../adapters/output-file.js';
import { outputTargets } from '../../analysis/output.js';
import { mergeShards, type ShardInput } from '../../analysis/shard.js';
import type { Io } from '../io.js';
import { compareOutBase, emitComparison } from './compare.js';

export interface MergeArgs {
  files: string[];
  json: boolean;
  out: string | undefined;
}

export function mergeBuilder(y: Argv): Argv<MergeArgs> {
  return y
    .positional('files', { type: 'string', array: true, describe: 'shard documents (JSON) printed by `invsim compare --shard i/n`', demandOption: true })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout (identical to the unsharded `compare --json`)' })
    .option('out', { type: 'string', describe: 'also write the JSON and a CSV (one row per run) into this directory' })
    .example('$0 merge shard-1.json shard-2.json --json', 'the same document as `compare --json` without --shard')
    .example('$0 merge out/shard-*.json --out reports/out', 'a table on the terminal, JSON and CSV in reports/out') as unknown as Argv<MergeArgs>;
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
  const result = mergeShards(args.files.map(readShard));
  if (args.out !== undefined) assertWritable(outputTargets(args.out, compareOutBase(result.scenario)));
  emitComparison(result, args, io);
  return 0;
}
