/**
 * `invsim merge`'s core: shard documents of one kind (compare, sweep or swarm --shard) → the
 * result the unsharded command gives. The kind is read from each document; pieces of different
 * kinds never merge, whatever their order.
 */
import type { CompareResult } from './compare.js';
import { AnalysisInputError } from './errors.js';
import { mergeShards, SHARD_KIND, type ShardInput } from './shard.js';
import { mergeSweepShards, SWEEP_SHARD_KIND } from './sweep-shard.js';
import { mergeSwarmShards, SWARM_SHARD_KIND, type MergedSwarm } from './swarm-shard.js';
import type { SweepResult } from './sweep.js';

export type Merged = { readonly kind: 'compare'; readonly result: CompareResult } | { readonly kind: 'sweep'; readonly result: SweepResult } | { readonly kind: 'swarm'; readonly swarm: MergedSwarm };

const KINDS: Readonly<Record<string, Merged['kind']>> = { [SHARD_KIND]: 'compare', [SWEEP_SHARD_KIND]: 'sweep', [SWARM_SHARD_KIND]: 'swarm' };

function kindOf(input: ShardInput): Merged['kind'] {
  const kind = typeof input.json === 'object' && input.json !== null ? (input.json as { kind?: unknown }).kind : undefined;
  const known = typeof kind === 'string' ? KINDS[kind] : undefined;
  if (known !== undefined) return known;
  throw new AnalysisInputError(
    `${input.source} is not a shard document of \`invsim compare|sweep|swarm --shard\`:\n  kind: expected one of ${Object.keys(KINDS).map((k) => `"${k}"`).join(', ')}, got ${kind === undefined ? 'none' : JSON.stringify(kind)}`,
  );
}

export function mergeShardDocuments(inputs: readonly ShardInput[]): Merged {
  const first = inputs[0];
  if (first === undefined) throw new AnalysisInputError('merge needs at least one shard file');
  const kind = kindOf(first);
  for (const input of inputs.slice(1)) {
    const other = kindOf(input);
    if (other !== kind) throw new AnalysisInputError(`${input.source} is a ${other} shard and ${first.source} a ${kind} shard: merge the shards of one run at a time`);
  }
  switch (kind) {
    case 'compare':
      return { kind, result: mergeShards(inputs) };
    case 'sweep':
      return { kind, result: mergeSweepShards(inputs) };
    case 'swarm':
      return { kind, swarm: mergeSwarmShards(inputs) };
  }
}
