// invsim's own engine as a black-box system under test: the channel twins of a scenario,
// `invsim serve --channels` pointed at them through the real connectors, the scenario's
// customers buying at the twins, and the twins' figures judged against the simulator's
// prediction. Shared by the twins' end-to-end tests (test/twins/end-to-end.test.ts,
// test/twins/shipped-prefixes.test.ts).
import { expect } from 'vitest';
import type { ChannelManifest } from '../../src/connectors/types.js';
import { twinsPrediction } from '../../src/analysis/report-inputs.js';
import type { LiveMeasure } from '../../src/reports/live.js';
import { parseTwinsAudit, twinsComparison, type TwinsComparison } from '../../src/reports/twins.js';
import { startServer } from '../../src/serve/index.js';
import type { Scenario } from '../../src/scenarios/schema.js';
import { driveCustomers, type DriveTarget } from '../../src/twins/drive.js';
import { TwinWorld, type TwinAuditBody } from '../../src/twins/world.js';

export const SECRETS = { webhookSecret: 'e2e-webhook-secret', adminToken: 'e2e-admin-token' } as const;

/** The seeds the prediction is simulated on (the twins run seed 1; its catalogue is held fixed). */
export const PREDICTION_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;

/** What a test started, closed newest first by `closeAll` (call it in afterEach). */
export class Started {
  private readonly open: { close(): Promise<unknown> }[] = [];

  add<T extends { close(): Promise<unknown> }>(thing: T): T {
    this.open.push(thing);
    return thing;
  }

  async closeAll(): Promise<void> {
    for (let thing = this.open.pop(); thing !== undefined; thing = this.open.pop()) await thing.close();
  }
}

/** Waits (real time) until every listing equals the truth with nothing pending, or the bound. */
export async function settle(twins: TwinWorld, boundMs: number): Promise<void> {
  const until = performance.now() + boundMs;
  while (performance.now() < until) {
    const a = twins.audit.report(twins.time.nowMs());
    if (a.settled && a.propagation.pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The twins of `scenario`, `invsim serve --channels` pointed at them through the real connectors,
 * the stock loaded through the service's API, the customers driven (the service told of each
 * restock through its adjustment API, as a warehouse feed would, and its measured window opened
 * with the twins', as a load generator's `POST /start` does); the audit when the scenario ended
 * and after settling (for up to `settleBoundMs` real ms, default 30 000), and the service's own audit.
 */
export async function engineAgainstTwins(started: Started, options: { scenario: Scenario; speedup: number; faults: boolean; settleBoundMs?: number }) {
  const { scenario: s, speedup, faults } = options;
  const world = started.add(await TwinWorld.start({ scenario: s, seed: 1, speedup, faults, port: 0 }));
  const manifest: ChannelManifest = world.manifest();
  const server = started.add(
    await startServer({ scenario: s, speedup, faults: false, channels: manifest, secrets: SECRETS, host: '127.0.0.1', port: 0, alerts: { raise: () => undefined }, warn: () => undefined }),
  );
  await server.service.subscribeWebhooks(server.url);
  // The service starts empty: the catalogue's stock is loaded as a warehouse would, through its API.
  for (const { sku, quantity } of world.catalog) {
    expect((await server.service.adjust(sku, { mutationId: `initial-${sku}`, quantityDelta: quantity })).status).toBe('applied');
  }
  expect(await server.service.settle(30_000)).toBe(true);
  let restocks = 0;
  const target: DriveTarget = {
    scenario: world.scenario,
    seed: world.seed,
    speedup: world.speedup,
    catalog: world.catalog,
    twins: world.twins,
    audit: world.audit,
    buy: (channel, sku, units) => world.buy(channel, sku, units),
    restock: (sku, units) => world.restock(sku, units),
    beginWindow: () => {
      world.beginWindow();
      server.service.start();
    },
  };
  const drive = await driveCustomers({
    target,
    onRestock: async (sku, units) => {
      const r = await server.service.adjust(sku, { mutationId: `restock-${++restocks}-${sku}`, quantityDelta: units });
      if (r.status !== 'applied') throw new Error(`restock of ${sku} ${r.status}`);
    },
  });
  // The last customer comes a little before the scenario's end: the measured window is the scenario's.
  const leftMs = (s.durationS * 1000 - (world.time.nowMs() - world.audit.startMs)) / speedup;
  if (leftMs > 0) await new Promise((resolve) => setTimeout(resolve, leftMs));
  const measured = world.auditReport();
  await settle(world, options.settleBoundMs ?? 30_000);
  return { world, manifest, drive, measured, after: world.auditReport(), service: await server.service.audit() };
}

/** The twins' figures beside the simulator's prediction of the same scenario, on the twins' catalogue. */
export async function judged(s: Scenario, measured: TwinAuditBody, after: TwinAuditBody): Promise<TwinsComparison> {
  const predicted = await twinsPrediction(s, 'event-driven', PREDICTION_SEEDS, measured.seed);
  return twinsComparison({ scenario: s, strategy: 'event-driven', audit: parseTwinsAudit({ audit: measured, afterSettle: after }, 'audit'), predicted });
}

/** One measure of a comparison, by id (a missing one fails the test that asks for it). */
export function measureOf(comparison: TwinsComparison, id: string): LiveMeasure {
  const m = comparison.measures.find((x) => x.id === id);
  expect(m, id).toBeDefined();
  return m!;
}

/** Each of `ids` is comparable and within the prediction's 95% band. */
export function expectWithinPrediction(comparison: TwinsComparison, ids: readonly string[]): void {
  for (const id of ids) {
    const m = measureOf(comparison, id);
    expect(m.comparable, id).toBe(true);
    expect(m.withinPrediction, JSON.stringify(m)).toBe(true);
  }
}
