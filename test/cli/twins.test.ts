// Proves `invsim twins` refuses bad input with exit 2 and a message naming the flag or scenario
// field at fault (before anything listens), and documents its flags in --help. Runs bin/invsim.js
// on dist/ (npm run build first); a --drive run needs the dialects' twins, which
// test/twins/world.test.ts covers in process with stand-ins.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from './helpers.js';

const SCENARIOS = 'scenarios.yaml';

function etsyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'invsim-twins-cli-'));
  const file = join(dir, 'etsy.yaml');
  writeFileSync(
    file,
    `scenarios:
  crafts:
    durationS: 3600
    catalog: { skus: 3, initialStockMin: 1, initialStockMax: 3 }
    channels:
      - { id: shop, preset: shopify-graphql }
      - { id: etsy, preset: etsy }
    demand: { ordersPerDay: 100 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies:
      event-driven: { kind: event-driven }
`,
  );
  return file;
}

const base = ['twins', SCENARIOS, '--scenario', 'baseline', '--port', '0', '--manifest', join(tmpdir(), 'invsim-twins-never-written.yaml')];

describe('invsim twins', () => {
  it('documents its flags in --help', async () => {
    const r = await spawnCli(['twins', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--scenario', '--seed', '--speedup', '--host', '--port', '--faults', '--webhook', '--manifest', '--drive', '--restock-url', '--settle-s', '--json']) expect(r.out).toContain(flag);
  });

  it.each([
    [['--speedup', '0'], /--speedup must be a number > 0/],
    [['--speedup', '-3'], /--speedup must be a number > 0/],
    [['--seed', '1.5'], /--seed must be an integer/],
    [['--port', '70000'], /--port must be an integer 0\.\.65535/],
    [['--webhook', 'nope=http://127.0.0.1:9/h'], /--webhook: scenario baseline has no channel nope/],
    [['--webhook', 'shopify=not a url'], /--webhook shopify: not an http\(s\) URL/],
    [['--webhook', 'shopify'], /--webhook must be channel=URL/],
    [['--webhook', 'shopify=http://a/x', '--webhook', 'shopify=http://b/y'], /--webhook names channel shopify twice/],
    [['--drive', '--restock-url', 'ftp://x'], /--restock-url: not an http\(s\) URL/],
    [['--json'], /--json needs --drive/],
    [['--drive', '--speedup', '100000'], /--speedup/],
    [['--settle-s', '-1'], /--settle-s must be a number >= 0/],
  ])('exits 2 on %j', async (extra, message) => {
    const r = await spawnCli([...base, ...extra]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('exits 2 on an unknown scenario, naming it', async () => {
    const r = await spawnCli(['twins', SCENARIOS, '--scenario', 'no-such', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no scenario named "no-such"/);
  });

  it('exits 2 on a channel without a twin, naming channels[i].preset', async () => {
    const r = await spawnCli(['twins', etsyFile(), '--scenario', 'crafts', '--port', '0', '--manifest', join(tmpdir(), 'invsim-twins-never.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/channels\[1\]\.preset etsy \(channel etsy\) has no channel twin yet/);
  });
});
