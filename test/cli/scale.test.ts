// Proves the Scale guarantees through the real binary: `--workers 2` (worker threads) prints the
// same bytes as `--workers 1` (in-process), and `--shard 1/2` plus `--shard 2/2` merged print the
// same bytes as the unsharded run (and a table without --json); merging an incomplete set exits 2.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from './helpers.js';

const BASE = ['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategies', 'event-driven,allocation,pitfall-no-locking', '--seeds', '3'];

describe('compare at scale', async () => {
  const inProcess = await spawnCli([...BASE, '--workers', '1', '--json']);

  it('prints identical JSON with --workers 2 and --workers 1', async () => {
    expect(inProcess.code).toBe(0);
    const threaded = await spawnCli([...BASE, '--workers', '2', '--json']);
    expect(threaded.code).toBe(0);
    expect(threaded.out).toBe(inProcess.out);
    expect(JSON.parse(inProcess.out).strategies).toHaveLength(3);
  });

  it('merges --shard 1/2 and --shard 2/2 into exactly the unsharded output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invsim-shards-'));
    const files: string[] = [];
    for (const i of [1, 2]) {
      const shard = await spawnCli([...BASE, '--workers', '2', '--shard', `${i}/2`]);
      expect(shard.code).toBe(0);
      const doc = JSON.parse(shard.out) as { shard: { index: number }; runs: unknown[] };
      expect(doc.shard.index).toBe(i);
      expect(doc.runs).toHaveLength(i === 1 ? 5 : 4); // 9 runs, alternating between the shards
      const file = join(dir, `shard-${i}.json`);
      writeFileSync(file, shard.out);
      files.push(file);
    }
    const merged = await spawnCli(['merge', files[1]!, files[0]!, '--json']);
    expect(merged.code).toBe(0);
    expect(merged.out).toBe(inProcess.out);
    const table = await spawnCli(['merge', ...files]);
    expect(table.out).toMatch(/^compare: flash-sale, 3 strategies on seeds 1\.\.3/);
    expect(table.out).toContain('paired differences against event-driven');

    const incomplete = await spawnCli(['merge', files[0]!, '--json']);
    expect(incomplete.code).toBe(2);
    expect(incomplete.err).toContain('missing shard 2/2');
    expect(incomplete.out).toBe('');
  });
});
