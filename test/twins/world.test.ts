// Proves the twins' world end to end over HTTP, with a tiny recording protocol standing in for
// each dialect: customers buy at the storefronts, an order taken reaches the dialect's
// orderPlaced, two channels selling the last unit is an oversell in the audit, a stale zero is a
// lost sale, and the control server serves the audit, Prometheus text, the manifest (also as an
// atomically written YAML file), the catalogue and restocks; bad bodies are refused naming the
// field, and a channel without a twin (Etsy) is refused naming channels[i].preset. The fault
// windows and the rate limits count from the customers' start.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InputError } from '../../src/engine/errors.js';
import { getScenario, parseScenarioText } from '../../src/scenarios/load.js';
import type { Scenario } from '../../src/scenarios/schema.js';
import type { TwinDialect, TwinOrder, TwinProtocolFactory } from '../../src/twins/protocol.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Adjustment } from '../../src/serve/schemas.js';
import { adjustmentPoster, driveCustomers, twinLoadPlan, type DriveSummary } from '../../src/twins/drive.js';
import { twinCatalog, twinCredentials, TwinWorld, type TwinAuditBody } from '../../src/twins/world.js';

/** Two scenario minutes of steady demand, a burst, a surge and restocks: two real seconds at speedup 60. */
function busyScenario(): Scenario {
  return getScenario(
    parseScenarioText(`
scenarios:
  busy:
    durationS: 120
    catalog: { skus: 3, initialStockMin: 3, initialStockMax: 6, restock: { everyS: 40, upToUnits: 5 } }
    channels:
      - { id: shop, preset: shopify-graphql, demandWeight: 2 }
      - { id: woo, preset: woocommerce }
    demand:
      ordersPerDay: 86400
      unitsPerOrderMax: 2
      bursts: [{ atS: 30, orders: 20, hotSkus: 1, spreadMs: 500 }]
      surge: { hotSkus: 1, ordersPerHour: 3600, durationS: 20, startS: 31 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies:
      event-driven: { kind: event-driven }
`),
    'busy',
  );
}

function scenario(channels: string, stock = { min: 1, max: 1 }): Scenario {
  return getScenario(
    parseScenarioText(`
scenarios:
  tiny:
    durationS: 3600
    catalog: { skus: 3, initialStockMin: ${stock.min}, initialStockMax: ${stock.max} }
    channels:
${channels}
    demand: { ordersPerDay: 100 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies:
      event-driven: { kind: event-driven }
`),
    'tiny',
  );
}

const TWO = `      - { id: shop, preset: shopify-graphql }
      - { id: woo, preset: woocommerce }`;

/** A protocol that records the orders it is given and serves one route to prove it is mounted. */
function recorder(): { orders: TwinOrder[]; factories: Record<TwinDialect, TwinProtocolFactory> } {
  const orders: TwinOrder[] = [];
  const make =
    (dialect: TwinDialect): TwinProtocolFactory =>
    (ctx) => ({
      dialect,
      register: (app) => {
        app.get('/fake/ping', async () => ({ dialect, channel: ctx.channel.id, token: ctx.credentials.accessToken, webhookUrl: ctx.webhookUrl ?? null }));
        // The system under test's listing write, without a real dialect.
        app.post('/fake/set', async (request) => {
          const { sku, quantity } = request.body as { sku: string; quantity: number };
          return ctx.channel.write([{ sku, set: quantity }]);
        });
      },
      orderPlaced: (order) => void orders.push(order),
      webhookStats: () => (dialect === 'shopify' ? { attempts: 0, failed: 0, abandoned: 0, pending: orders.length } : undefined),
      close: async () => undefined,
    });
  return { orders, factories: { shopify: make('shopify'), woocommerce: make('woocommerce'), amazon: make('amazon'), ebay: make('ebay') } };
}

let world: TwinWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function start(channels = TWO, extra: Partial<Parameters<typeof TwinWorld.start>[0]> = {}): Promise<{ world: TwinWorld; orders: TwinOrder[] }> {
  const r = recorder();
  world = await TwinWorld.start({ scenario: scenario(channels), port: 0, faults: false, factories: r.factories, ...extra });
  return { world, orders: r.orders };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function audit(w: TwinWorld): Promise<TwinAuditBody> {
  return (await (await fetch(`${w.controlUrl}/twins/audit`)).json()) as TwinAuditBody;
}

describe('TwinWorld', () => {
  it("starts from the simulator's catalogue and serves each dialect's routes on its own port", async () => {
    const { world: w } = await start(TWO, { webhookUrls: { shop: 'http://127.0.0.1:9/hooks' } });
    expect(w.catalog).toEqual(twinCatalog(w.scenario, 1));
    expect(w.catalog.map((c) => c.sku)).toEqual(['SKU-1', 'SKU-2', 'SKU-3']);
    const [shop, woo] = w.twins;
    expect(shop!.url).not.toBe(woo!.url);
    const ping = (await (await fetch(`${shop!.url}/fake/ping`)).json()) as Record<string, unknown>;
    expect(ping).toEqual({ dialect: 'shopify', channel: 'shop', token: twinCredentials(1, 'shop', 'shopify').accessToken, webhookUrl: 'http://127.0.0.1:9/hooks' });
    expect(((await (await fetch(`${woo!.url}/fake/ping`)).json()) as Record<string, unknown>)['webhookUrl']).toBeNull();
    expect((await fetch(`${w.controlUrl}/healthz`)).status).toBe(200);
  });

  it('takes an order at the storefront, hands it to the dialect, and counts an oversell when both channels sell the last unit', async () => {
    const { world: w, orders } = await start();
    const [shop, woo] = w.twins;
    const first = await post(`${shop!.url}/storefront/orders`, { sku: 'SKU-1', quantity: 1 });
    expect(first).toEqual({ status: 201, body: { orderId: expect.any(String), number: 1 } });
    // Nobody propagated the sale: woo still lists the last unit and sells it.
    const second = await post(`${woo!.url}/storefront/orders`, { sku: 'SKU-1', quantity: 1 });
    expect(second.status).toBe(201);
    expect(orders.map((o) => [o.channel, o.sku, o.units, o.number])).toEqual([
      ['shop', 'SKU-1', 1, 1],
      ['woo', 'SKU-1', 1, 1],
    ]);
    const a = await audit(w);
    expect(a.oversells).toBe(1);
    expect(a.channels.map((c) => c.orders.oversells)).toEqual([0, 1]);
    // Both listings are now 0 = truth: woo's drop to 0 reflects shop's sale.
    expect(a.settled).toBe(true);
    expect(a.webhooks).toEqual({ shop: { attempts: 0, failed: 0, abandoned: 0, pending: 2 }, woo: null });
    // Sold out everywhere now: the next customer is turned away, and that is no lost sale.
    expect(await post(`${shop!.url}/storefront/orders`, { sku: 'SKU-1', quantity: 1 })).toEqual({ status: 409, body: { reason: 'not_listed' } });
    expect((await audit(w)).lostSales).toBe(0);
  });

  it('turns a customer away with 409 not_listed, a lost sale when the truth had the units', async () => {
    const { world: w, orders } = await start();
    const [shop] = w.twins;
    // The system under test wrongly sets shop's listing to 0.
    expect((await post(`${shop!.url}/fake/set`, { sku: 'SKU-2', quantity: 0 })).body).toEqual({ ok: true });
    expect(await post(`${shop!.url}/storefront/orders`, { sku: 'SKU-2', quantity: 1 })).toEqual({ status: 409, body: { reason: 'not_listed' } });
    expect(orders).toEqual([]);
    const a = await audit(w);
    expect(a.lostSales).toBe(1);
    expect(a.divergentListings).toMatchObject({ total: 1, under: 1, over: 0 });
    expect(a.settled).toBe(false);
    expect(a.settledAtOrBelowTruth).toBe(true);
  });

  it('refuses bad storefront bodies naming the field, and an unknown SKU with 404', async () => {
    const { world: w } = await start();
    const url = `${w.twins[0]!.url}/storefront/orders`;
    expect(await post(url, { quantity: 1 })).toMatchObject({ status: 400, body: { field: 'sku' } });
    expect(await post(url, { sku: 'SKU-1', quantity: 0 })).toMatchObject({ status: 400, body: { field: 'quantity' } });
    expect(await post(url, { sku: 'SKU-1', quantity: 1.5 })).toMatchObject({ status: 400, body: { field: 'quantity' } });
    expect(await post(url, [1])).toMatchObject({ status: 400, body: { field: '(body)' } });
    expect(await post(url, { sku: 'NOPE', quantity: 1 })).toEqual({ status: 404, body: { error: 'unknown_sku', sku: 'NOPE' } });
  });

  it('raises the truth on POST /twins/restocks and refuses bad restocks', async () => {
    const { world: w } = await start();
    const url = `${w.controlUrl}/twins/restocks`;
    expect(await post(url, { sku: 'SKU-3', units: 4 })).toEqual({ status: 200, body: { sku: 'SKU-3', truth: 5 } });
    expect(await post(url, { sku: 'SKU-3', units: 0 })).toMatchObject({ status: 400, body: { field: 'units' } });
    expect(await post(url, { units: 1 })).toMatchObject({ status: 400, body: { field: 'sku' } });
    expect((await post(url, { sku: 'NOPE', units: 1 })).status).toBe(404);
    const a = await audit(w);
    expect(a.truth).toMatchObject({ restocks: 1, restockedUnits: 4 });
    // Every listing still shows 1: under the truth until the service pushes the restock.
    expect(a.divergentListings).toMatchObject({ under: 2, over: 0 });
    const catalog = (await (await fetch(`${w.controlUrl}/twins/catalog`)).json()) as { skus: { sku: string; truth: number; listings: Record<string, number> }[] };
    expect(catalog.skus[2]).toEqual({ sku: 'SKU-3', initialStock: 1, truth: 5, listings: { shop: 1, woo: 1 } });
  });

  it('serves Prometheus text with a series per channel from the start', async () => {
    const { world: w } = await start();
    await post(`${w.twins[0]!.url}/storefront/orders`, { sku: 'SKU-1', quantity: 1 });
    const res = await fetch(`${w.controlUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toContain('invsim_twin_orders_total{channel="shop",result="taken"} 1');
    expect(text).toContain('invsim_twin_oversells_total{channel="woo"} 0');
    expect(text).toContain('invsim_twin_lost_sales_total{channel="shop"} 0');
    expect(text).toContain('invsim_twin_api_requests_total{channel="woo",outcome="throttled"} 0');
    expect(text).toContain('invsim_twin_propagation_latency_seconds_count{channel="woo"} 0');
    expect(text).toContain('invsim_twin_listings_divergent{channel="woo",direction="over"} 1');
  });

  it('serves the manifest and writes it as YAML atomically', async () => {
    const { world: w } = await start();
    const served = (await (await fetch(`${w.controlUrl}/twins/manifest`)).json()) as unknown;
    expect(served).toEqual(w.manifest());
    expect(w.manifest()).toEqual({
      twins: { scenario: 'tiny', seed: 1, speedup: 1, controlUrl: w.controlUrl },
      channels: [
        { channel: 'shop', dialect: 'shopify', baseUrl: w.twins[0]!.url, ...twinCredentials(1, 'shop', 'shopify') },
        { channel: 'woo', dialect: 'woocommerce', baseUrl: w.twins[1]!.url, ...twinCredentials(1, 'woo', 'woocommerce') },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'invsim-twins-'));
    const file = join(dir, 'twins.yaml');
    await w.writeManifest(file);
    expect(parse(readFileSync(file, 'utf8'))).toEqual(w.manifest());
    expect(readdirSync(dir)).toEqual(['twins.yaml']);
  });

  it('derives credentials from the seed and channel, and takes overrides', async () => {
    expect(twinCredentials(1, 'shop', 'shopify')).toEqual(twinCredentials(1, 'shop', 'shopify'));
    expect(twinCredentials(2, 'shop', 'shopify').accessToken).not.toBe(twinCredentials(1, 'shop', 'shopify').accessToken);
    expect(twinCredentials(1, 'shop', 'shopify').accessToken).toMatch(/^shpat_[0-9a-f]{32}$/);
    const creds = { accessToken: 't', secret: 's', account: 'a' };
    const { world: w } = await start(TWO, { credentials: { woo: creds } });
    expect(w.twins[1]!.credentials).toEqual(creds);
  });

  it('refuses an Etsy channel naming channels[i].preset and the reason', async () => {
    const etsy = `${TWO}\n      - { id: etsy, preset: etsy }`;
    const error = await TwinWorld.start({ scenario: scenario(etsy), port: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe('channels[2].preset');
    expect((error as InputError).message).toMatch(/etsy \(channel etsy\) has no channel twin yet/);
  });

  it('refuses a webhook URL for an unknown channel or a bad URL, and a bad speedup', async () => {
    const r = recorder();
    const base = { scenario: scenario(TWO), port: 0, factories: r.factories };
    await expect(TwinWorld.start({ ...base, webhookUrls: { nope: 'http://x' } })).rejects.toMatchObject({ field: 'webhookUrls.nope' });
    await expect(TwinWorld.start({ ...base, webhookUrls: { shop: 'ftp://x' } })).rejects.toMatchObject({ field: 'webhookUrls.shop' });
    await expect(TwinWorld.start({ ...base, speedup: 0 })).rejects.toMatchObject({ field: 'speedup' });
  });

  it('closes everything: servers stop answering and timers are gone', async () => {
    const { world: w } = await start();
    const url = w.controlUrl;
    await w.close();
    world = undefined;
    expect(w.time.pendingTimers).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("drives the k6 plan's customers at the twins: the same orders for the same seed, restocks told to the hook", async () => {
    const runs: { summary: DriveSummary; audit: TwinAuditBody; restocks: string[] }[] = [];
    for (let run = 0; run < 2; run++) {
      const r = recorder();
      const w = await TwinWorld.start({ scenario: busyScenario(), port: 0, faults: false, speedup: 60, seed: 3, factories: r.factories });
      world = w;
      const restocks: string[] = [];
      const summary = await driveCustomers({ target: w, onRestock: (sku, units) => void restocks.push(`${sku}+${units}`) });
      runs.push({ summary, audit: w.auditReport(), restocks });
      expect(r.orders.length).toBe(summary.taken);
      await w.close();
      world = undefined;
    }
    const [a, b] = runs;
    const counts = (x: DriveSummary): unknown => ({ orders: x.orders, taken: x.taken, turnedAway: x.turnedAway, restocks: x.restocks, restockedUnits: x.restockedUnits });
    expect(counts(a!.summary)).toEqual(counts(b!.summary));
    // About 120 steady orders, 20 in the burst, about 20 in the surge.
    expect(a!.summary.orders).toBeGreaterThan(100);
    expect(a!.summary.orders).toBeLessThan(260);
    expect(a!.summary.restocks).toBeGreaterThan(0);
    expect(a!.restocks).toEqual(b!.restocks);
    expect(a!.restocks.length).toBe(a!.summary.restocks);
    // Nobody propagates anything here: the twins oversell, and the audit sees the same run twice.
    expect(a!.audit.oversells).toBeGreaterThan(0);
    expect(a!.audit.orders).toEqual(b!.audit.orders);
    expect(a!.audit.orders.attempts).toBe(a!.summary.orders);
    expect(a!.audit.truth).toEqual(b!.audit.truth);
  }, 20_000);

  it('passes on the load plan refusing a speedup the scenario cannot honour', () => {
    expect(() => twinLoadPlan(busyScenario(), { speedup: 1_000, seed: 1 })).toThrow(InputError);
    expect(() => twinLoadPlan(busyScenario(), { speedup: 1_000, seed: 1 })).toThrow(/--speedup/);
  });

  it("tells a service of a restock through invsim's adjustment contract", async () => {
    const seen: { url: string; auth: string | undefined; body: Record<string, unknown> }[] = [];
    let status = 200;
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await adjustmentPoster(`${url}/`, { runId: 'r1', adminToken: 'tok' })('SKU 1', 3);
      await adjustmentPoster(`${url}/custom/{sku}`, { runId: 'r2' })('SKU-2', 1);
      expect(seen).toEqual([
        { url: '/inventory/SKU%201/adjustments', auth: 'Bearer tok', body: { mutationId: 'r1-restock-1-SKU 1', quantityDelta: 3 } },
        { url: '/custom/SKU-2', auth: undefined, body: { mutationId: 'r2-restock-1-SKU-2', quantityDelta: 1 } },
      ]);
      // Exactly the contract's keys: its schema refuses any other.
      expect(Object.keys(seen[0]!.body).sort()).toEqual(Object.keys(Adjustment.properties).sort());
      status = 401;
      await expect(adjustmentPoster(url, { runId: 'r3' })('SKU-1', 1)).rejects.toThrow(/answered 401/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
  /** A channel with an outage from 50 scenario s after the customers start, to the scenario's end. */
  function outageScenario(): Scenario {
    return getScenario(
      parseScenarioText(`
scenarios:
  outage:
    durationS: 3600
    catalog: { skus: 3, initialStockMin: 5, initialStockMax: 5 }
    channels:
      # A 3 s latency: the load plan honours speedup 100 (timer resolution within 5% of it).
      - { id: shop, preset: shopify-graphql, overrides: { errorRate5xx: 0, latency: { kind: fixed, ms: 3000 } } }
    demand: { ordersPerDay: 100 }
    faults: { outages: [{ channel: shop, startS: 50, durationS: 3000 }] }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies:
      event-driven: { kind: event-driven }
`),
      'outage',
    );
  }

  /** Real ms until `done` holds, polling every 5 ms; a loud failure after `limitMs`. */
  async function until(done: () => boolean, what: string, limitMs = 10_000): Promise<void> {
    const start = performance.now();
    while (!done()) {
      if (performance.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  // The scenario's outage is at 50 s; the customers start 60 scenario s after the twins (0.6 real
  // s at speedup 100). Counted from the twins' start the channel would already be down when they
  // start; counted from the customers' start, as the simulator counts, it goes down 50 s later.
  it.each([
    ['the drive starting', async (w: TwinWorld) => void (await driveCustomers({ target: w, signal: AbortSignal.abort() }))],
    ['the first order at a storefront', async (w: TwinWorld) => expect((await post(`${w.twins[0]!.url}/storefront/orders`, { sku: 'SKU-1', quantity: 1 })).status).toBe(201)],
    ['POST /twins/start', async (w: TwinWorld) => expect((await post(`${w.controlUrl}/twins/start`, {})).body).toMatchObject({ status: 'started', alreadyOpen: false })],
  ])('places the fault windows from the customers\' start: %s', async (_how, begin) => {
    world = await TwinWorld.start({ scenario: outageScenario(), port: 0, speedup: 100, factories: recorder().factories });
    const w = world;
    const shop = w.twins[0]!.channel;
    const call = async (): Promise<string> => {
      const r = await shop.call({ items: 1 }, () => 'ok');
      return r.ok ? 'ok' : r.kind;
    };
    // Before the customers: no window, no outage, whatever the time since the twins started.
    await until(() => w.time.nowMs() >= 60_000, 'twins clock at 60 s');
    expect(w.windowStartMs).toBeUndefined();
    expect((await audit(w)).windowFromS).toBeNull();
    expect(await call()).toBe('ok');
    await begin(w);
    const fromMs = w.windowStartMs!;
    expect(fromMs).toBeGreaterThanOrEqual(60_000);
    expect((await audit(w)).windowFromS).toBeCloseTo(fromMs / 1000, 2);
    // A second start changes nothing: the window is the first one's.
    expect((await post(`${w.controlUrl}/twins/start`, {})).body).toMatchObject({ alreadyOpen: true, windowFromS: Math.round(fromMs) / 1000 });
    // Up to start + 50 s the channel answers (asserted only while the clock is provably before it).
    const before = w.time.nowMs();
    const early = await call();
    if (before < fromMs + 50_000) expect(early).toBe('ok');
    await until(() => w.time.nowMs() >= fromMs + 50_000, 'start + 50 s');
    expect(await call()).toBe('unavailable');
  });

  it("starts each twin's rate limits afresh when the customers start, whatever loading the stock used", async () => {
    // Two calls a day: the service's stock load uses them up before the customers start.
    const quota = scenario('      - { id: shop, preset: shopify-graphql, overrides: { errorRate5xx: 0, rateLimits: [{ kind: quota, limit: 2, periodS: 86400 }] } }');
    world = await TwinWorld.start({ scenario: quota, port: 0, faults: false, factories: recorder().factories });
    const shop = world.twins[0]!.channel;
    const call = async (): Promise<string> => {
      const r = await shop.call({ items: 1 }, () => 'ok');
      return r.ok ? 'ok' : r.kind;
    };
    expect([await call(), await call(), await call()]).toEqual(['ok', 'ok', 'throttled']);
    expect((await post(`${world.controlUrl}/twins/start`, {})).body).toMatchObject({ status: 'started', alreadyOpen: false });
    // As at the simulator's time 0: the day's two calls are the load's.
    expect([await call(), await call(), await call()]).toEqual(['ok', 'ok', 'throttled']);
  });

  it('applies a feed channel\'s accepted updates in the order it accepted them (the latest quantity wins)', async () => {
    // Amazon-style feed: every update is applied 2 s after it is accepted, in FIFO order. Pairs
    // of writes a fraction of a millisecond apart are due almost together; Node's timers alone
    // can run such a pair in the other order, and the older quantity would win.
    const feed = `      - { id: amz, preset: amazon-listings, overrides: { applyDelay: { kind: fixed, ms: 2000 } } }`;
    const { world: w } = await start(feed, { speedup: 100 });
    const twin = w.twins[0]!.channel;
    for (let round = 0; round < 200; round++) {
      for (const sku of twin.skus) {
        expect(twin.write([{ sku, set: 2 * round + 1 }]).ok).toBe(true);
        expect(twin.write([{ sku, set: 2 * round + 2 }]).ok).toBe(true);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (const sku of twin.skus) expect(twin.quantityOf(sku), sku).toBe(400);
  });
});
