// Proves `invsim twins` refuses bad input with exit 2 and a message naming the flag or scenario
// field at fault (before anything listens), and documents its flags in --help, running
// bin/invsim.js on dist/ (npm run build first). The real dialects' twins are not needed for
// that; the two runs that need twins (serve until SIGTERM, and --drive --json) call the command
// in process with stand-in dialects.
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { twinsCommand, type TwinsArgs } from '../../src/cli/commands/twins.js';
import type { TwinDialect, TwinProtocolFactory } from '../../src/twins/protocol.js';
import type { TwinAuditBody } from '../../src/twins/world.js';
import { spawnCli } from './helpers.js';

/** Dialects that take orders and serve nothing: enough for the command's own work. */
const standin =
  (dialect: TwinDialect): TwinProtocolFactory =>
  () => ({ dialect, register: () => undefined, orderPlaced: () => undefined, webhookStats: () => undefined, close: async () => undefined });
const STANDINS: Record<TwinDialect, TwinProtocolFactory> = { shopify: standin('shopify'), woocommerce: standin('woocommerce'), amazon: standin('amazon'), ebay: standin('ebay') };

/** A scenario file in a fresh directory holding the scenario `name`, its YAML `body` indented under it. */
function scenarioFile(name: string, body: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'invsim-twins-cli-')), `${name}.yaml`);
  const indented = body
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  writeFileSync(file, `scenarios:\n  ${name}:\n${indented}\n`);
  return file;
}

/** A minute of busy trading on two twins, restocked every 20 s. */
const BUSY = `
durationS: 60
catalog: { skus: 3, initialStockMin: 3, initialStockMax: 6, restock: { everyS: 20, upToUnits: 5 } }
channels:
  - { id: shop, preset: shopify-graphql }
  - { id: woo, preset: woocommerce }
demand: { ordersPerDay: 86400 }
economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
strategies:
  event-driven: { kind: event-driven }
`;

function args(file: string, manifest: string, extra: Partial<TwinsArgs> = {}): TwinsArgs {
  return { file, scenario: 'busy', seed: 1, speedup: 60, host: '127.0.0.1', port: 0, faults: true, webhook: undefined, manifest, drive: false, restockUrl: undefined, settleS: 0.1, json: false, ...extra };
}

const SCENARIOS = 'scenarios.yaml';

/** A scenario with a channel that has no twin (Etsy). */
const CRAFTS = `
durationS: 3600
catalog: { skus: 3, initialStockMin: 1, initialStockMax: 3 }
channels:
  - { id: shop, preset: shopify-graphql }
  - { id: etsy, preset: etsy }
demand: { ordersPerDay: 100 }
economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
strategies:
  event-driven: { kind: event-driven }
`;

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
    const r = await spawnCli(['twins', scenarioFile('crafts', CRAFTS), '--scenario', 'crafts', '--port', '0', '--manifest', join(tmpdir(), 'invsim-twins-never.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/channels\[1\]\.preset etsy \(channel etsy\) has no channel twin yet/);
  });

  it('serves until SIGTERM, with the manifest written and each twin named on stderr', async () => {
    const file = scenarioFile('busy', BUSY);
    const manifest = join(dirname(file), 'twins.yaml');
    const signals = new EventEmitter();
    let err = '';
    const done = twinsCommand(args(file, manifest), { out: () => undefined, err: (t) => void (err += t) }, {
      factories: STANDINS,
      signals,
      onListening: () => setImmediate(() => signals.emit('SIGTERM')),
    });
    expect(await done).toBe(0);
    const written = parse(readFileSync(manifest, 'utf8')) as { twins: { scenario: string }; channels: { channel: string; dialect: string; baseUrl: string }[] };
    expect(written.twins.scenario).toBe('busy');
    expect(written.channels.map((c) => [c.channel, c.dialect])).toEqual([
      ['shop', 'shopify'],
      ['woo', 'woocommerce'],
    ]);
    for (const c of written.channels) expect(err).toContain(`${c.channel} (${c.channel === 'shop' ? 'shopify-graphql' : 'woocommerce'}): ${c.dialect} at ${c.baseUrl}`);
    expect(err).toMatch(/SIGTERM: stopping/);
  });

  it('--drive --json runs the customers and prints the audit as one JSON document', async () => {
    const file = scenarioFile('busy', BUSY);
    const manifest = join(dirname(file), 'twins.yaml');
    let out = '';
    const code = await twinsCommand(args(file, manifest, { drive: true, json: true, faults: false }), { out: (t) => void (out += t), err: () => undefined }, { factories: STANDINS, signals: new EventEmitter() });
    expect(code).toBe(0);
    expect(existsSync(manifest)).toBe(true);
    const doc = JSON.parse(out) as { drive: { orders: number }; audit: TwinAuditBody; afterSettle: TwinAuditBody };
    expect(doc.drive.orders).toBeGreaterThan(20);
    expect(doc.audit.orders.attempts).toBe(doc.drive.orders);
    expect(doc.audit).toMatchObject({ scenario: 'busy', seed: 1, speedup: 60 });
    expect(doc.audit.channels.map((c) => c.id)).toEqual(['shop', 'woo']);
    expect(typeof doc.afterSettle.settled).toBe('boolean');
  }, 20_000);
});
