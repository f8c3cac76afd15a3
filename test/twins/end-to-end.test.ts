// Proves the engine a retailer deploys syncs through the marketplaces' own protocols, and that
// the twins catch a service that does not: the twins of a four-channel scenario (Shopify Admin
// GraphQL with webhooks, WooCommerce REST with webhooks, SP-API Listings with Orders polling,
// eBay Inventory with Fulfillment polling), `invsim serve --channels` pointed at them through the
// real connectors (subscribing its webhooks through the marketplaces' APIs), and the scenario's
// customers buying at the twins (test/helpers/engine-against-twins.ts). The black-box audit,
// knowing only sales and listings, sees every listing settle to the units that exist, every sale
// reach the other channels, and the oversells within the simulator's prediction; a naive
// read-modify-write service with no idempotency, run the same way, leaves listings that no
// longer match what exists. The shipped scenarios' short runs are in shipped-prefixes.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { driveCustomers } from '../../src/twins/drive.js';
import { TwinWorld } from '../../src/twins/world.js';
import { engineAgainstTwins, judged, measureOf, settle, Started } from '../helpers/engine-against-twins.js';
import { startNaiveSync } from '../helpers/naive-sync.js';

const SPEEDUP = 60;
const scenario = getScenario(loadScenarioFile('test/fixtures/twins/four-channels.yaml'), 'four-dialects');

const started = new Started();
afterEach(() => started.closeAll());

describe('the engine against the channel twins', () => {
  it('settles every listing to the truth through all four dialects, oversells within the prediction', async () => {
    const { manifest, drive, measured, after, service } = await engineAgainstTwins(started, { scenario, speedup: SPEEDUP, faults: false });
    expect(manifest.channels.map((c) => c.dialect)).toEqual(['shopify', 'woocommerce', 'amazon', 'ebay']);
    expect(drive.orders).toBeGreaterThan(60);

    // Every sale reached the service in its channel's dialect: webhooks (Shopify, Woo) and polls (Amazon, eBay).
    expect(service.integrityViolations).toBe(0);
    expect(service.orders.received).toBeGreaterThanOrEqual(after.orders.taken);
    expect(after.webhooks['shopify']?.abandoned).toBe(0);
    // Black box: every listing shows what exists, nothing left unpropagated.
    expect(after.divergentListings).toMatchObject({ total: 0, over: 0, under: 0 });
    expect(after.settled).toBe(true);
    expect(after.propagation.pending).toBe(0);
    expect(after.propagation.latencyMs.count).toBeGreaterThan(0);
    for (const c of after.channels) expect(c.api.ok, c.id).toBeGreaterThan(0);

    const oversells = measureOf(await judged(scenario, measured, after), 'oversellsPer1000');
    expect(oversells.comparable).toBe(true);
    expect(oversells.withinPrediction, JSON.stringify(oversells)).toBe(true);
  }, 120_000);

  it('catches a naive read-modify-write service: its listings no longer match what exists', async () => {
    const world = started.add(await TwinWorld.start({ scenario, seed: 1, speedup: SPEEDUP, faults: false, port: 0 }));
    const manifest = world.manifest();
    const naive = started.add(await startNaiveSync({ manifest, stock: new Map(world.catalog.map((c) => [c.sku, c.quantity])), port: 0, delayMs: 50 }));
    // The naive service takes webhooks at its own URL; the twins deliver there.
    for (const twin of world.twins) if (twin.dialect === 'shopify' || twin.dialect === 'woocommerce') await subscribe(twin.dialect, twin.url, twin.credentials, `${naive.url}/webhooks/${twin.dialect}/${twin.id}`);
    await driveCustomers({ target: world });
    await settle(world, 15_000);
    const after = world.auditReport();
    // Lost updates and doubled decrements: some listing ends away from the truth, or units were sold twice.
    expect(after.divergentListings.total + after.oversells, JSON.stringify(after.divergentListings)).toBeGreaterThan(0);
    expect(after.settled).toBe(false);
  }, 120_000);
});

/** Subscribes a callback through the marketplace's own API, as a service would. */
async function subscribe(dialect: 'shopify' | 'woocommerce', baseUrl: string, credentials: { accessToken: string; secret: string }, callbackUrl: string): Promise<void> {
  const { CONNECTOR_FACTORIES } = await import('../../src/connectors/index.js');
  const connector = CONNECTOR_FACTORIES[dialect]({ channel: 'x', dialect, baseUrl, accessToken: credentials.accessToken, secret: credentials.secret, account: 'a' });
  await connector.subscribe!(callbackUrl);
}
