// Proves external-channel mode pairs the scenario's channels with the channels file: each channel
// gets the connector its dialect names (fake factories record the config they were given), in
// the scenario's order with the service's speedup, and a missing or an extra channel is an
// InputError naming that channel;
// then, through the service with recording fake connectors, that stock and the listing updates
// after an order reach every connector client, an order redelivered is a duplicate, and /audit
// says the channel-model measures are not measured; and over HTTP, that an order arriving by a
// dialect webhook (verified by the connector's intake: 401 when it refuses) and one by polling
// each commit once, a redelivery of either being a duplicate, and a failed poll only warns; a
// polled order the service cannot take in now (its store down) is kept and fed again, in order,
// before the channel is polled again, while one it refuses is dropped with a warning.
import { describe, expect, it, vi } from 'vitest';
import type { ChannelManifest, Connector, ConnectorConfig, ConnectorFactory, IncomingOrder } from '../../src/connectors/types.js';
import { InputError } from '../../src/engine/errors.js';
import type { ChannelUpdate } from '../../src/engine/ports.js';
import { buildExternalChannels, type ConnectorFactories } from '../../src/serve/external-channels.js';
import { startServer } from '../../src/serve/index.js';
import { StoreFailureError } from '../../src/serve/generation.js';
import { InventoryService } from '../../src/serve/service.js';
import { adjust, audit, SECRETS, shippedScenario } from './helpers.js';

function fakeFactories(seen: ConnectorConfig[]): ConnectorFactories {
  const make: ConnectorFactory = (config) => {
    seen.push(config);
    const connector: Connector = {
      client: {
        id: config.channel,
        pushListing: () => Promise.resolve({ ok: true } as never),
        readListing: () => Promise.resolve(undefined),
      },
    };
    return connector;
  };
  return { shopify: make, woocommerce: make, amazon: make, ebay: make };
}

const entry = (channel: string, dialect: 'shopify' | 'amazon') => ({ channel, dialect, baseUrl: 'http://127.0.0.1:7101', accessToken: 't', secret: 's', account: 'a' });

describe('external channels', () => {
  it('builds one connector per scenario channel, in the scenario order', () => {
    const seen: ConnectorConfig[] = [];
    const manifest: ChannelManifest = { channels: [entry('amazon', 'amazon'), entry('shop', 'shopify')] };
    const built = buildExternalChannels({ scenarioChannels: ['shop', 'amazon'], manifest, factories: fakeFactories(seen) });
    expect(built.map((b) => [b.channel, b.dialect, b.connector.client.id])).toEqual([
      ['shop', 'shopify', 'shop'],
      ['amazon', 'amazon', 'amazon'],
    ]);
    expect(seen.map((c) => c.channel)).toEqual(['shop', 'amazon']);
  });

  it("gives every connector the service's speedup, so it converts the channel's real-time waits to scenario time", async () => {
    const seen: ConnectorConfig[] = [];
    const manifest: ChannelManifest = { channels: [entry('amazon', 'amazon'), entry('shop', 'shopify')] };
    buildExternalChannels({ scenarioChannels: ['shop', 'amazon'], manifest, factories: fakeFactories(seen), speedup: 30 });
    expect(seen.map((c) => [c.channel, c.speedup])).toEqual([['shop', 30], ['amazon', 30]]);
    // Through the service: its --speedup reaches the connectors.
    const scenario = shippedScenario('flash-sale');
    const fromService: ConnectorConfig[] = [];
    const service = await InventoryService.create({
      scenario,
      speedup: 20,
      faults: false,
      channels: { channels: scenario.channels.map((c) => entry(c.id, 'shopify')) },
      connectorFactories: fakeFactories(fromService),
      alerts: { raise: () => undefined },
      warn: () => undefined,
    });
    await service.close();
    expect(fromService.map((c) => c.speedup)).toEqual(scenario.channels.map(() => 20));
  });

  it('names a channel missing from the file and one the scenario does not have', () => {
    const manifest: ChannelManifest = { channels: [entry('shop', 'shopify'), entry('ebay', 'amazon')] };
    let error: unknown;
    try {
      buildExternalChannels({ scenarioChannels: ['shop', 'amazon'], manifest, factories: fakeFactories([]) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain('channel "amazon" of the scenario is not in the channels file');
    expect((error as InputError).message).toContain('channels[1]: channel "ebay" is not in the scenario');
  });
});

describe('the service with external channels', () => {
  // A recording client per channel; listings are what the channel acknowledged (the reconciler trusts their version).
  function recording(): { factories: ConnectorFactories; pushes: Map<string, ChannelUpdate[]>; prepared: Map<string, readonly string[]> } {
    const pushes = new Map<string, ChannelUpdate[]>();
    const prepared = new Map<string, readonly string[]>();
    const make: ConnectorFactory = (config) => {
      const seen: ChannelUpdate[] = [];
      pushes.set(config.channel, seen);
      return {
        client: {
          id: config.channel,
          pushListing: (update) => {
            seen.push(update);
            return Promise.resolve({ ok: true });
          },
          readListing: (sku) => {
            const last = seen.filter((u) => u.sku === sku).at(-1);
            return Promise.resolve(last === undefined ? undefined : { sku, quantity: last.quantity, version: last.version });
          },
        },
        prepare: (skus) => {
          prepared.set(config.channel, skus);
          return Promise.resolve();
        },
      };
    };
    return { factories: { shopify: make, woocommerce: make, amazon: make, ebay: make }, pushes, prepared };
  }

  it('pushes stock and order updates through the connectors, commits an order once, and says /audit is external', async () => {
    const scenario = shippedScenario('flash-sale');
    const ids = scenario.channels.map((c) => c.id);
    const { factories, pushes, prepared } = recording();
    const service = await InventoryService.create({
      scenario,
      faults: false,
      channels: { channels: ids.map((id) => entry(id, 'shopify')) },
      connectorFactories: factories,
      alerts: { raise: () => undefined },
      warn: () => undefined,
    });
    try {
      for (const id of ids) expect(prepared.get(id)?.length).toBe(scenario.catalog.skus);
      const sku = prepared.get(ids[0]!)![0]!;
      expect((await service.adjust(sku, { mutationId: 'stock-1', quantityDelta: 10 })).status).toBe('applied');
      expect(await service.settle(5_000)).toBe(true);
      for (const id of ids) expect(pushes.get(id)?.filter((u) => u.sku === sku).at(-1)?.quantity).toBe(10);
      const order = { mutationId: 'o-1:0', orderId: 'o-1', sku, quantity: 3 };
      expect((await service.receiveOrder(ids[0]!, order)).status).toBe('applied');
      expect((await service.receiveOrder(ids[0]!, order)).status).toBe('duplicate');
      expect(await service.settle(5_000)).toBe(true);
      for (const id of ids) expect(pushes.get(id)?.filter((u) => u.sku === sku).at(-1)?.quantity).toBe(7);
      const body = await service.audit();
      expect(body.channelMode).toBe('external');
      expect(body.notMeasured?.reason).toContain('the channels are external');
      expect(body.integrityViolations).toBe(0);
      expect(body.orders.applied).toBe(1);
    } finally {
      await service.close();
    }
  });

  it('refuses a channels file that misses a scenario channel, and --storefront with --channels', async () => {
    const scenario = shippedScenario('flash-sale');
    const [first, ...rest] = scenario.channels.map((c) => c.id);
    const { factories } = recording();
    const partial = { channels: rest.map((id) => entry(id, 'amazon')) };
    await expect(InventoryService.create({ scenario, channels: partial, connectorFactories: factories })).rejects.toThrow(`channel "${first}" of the scenario is not in the channels file`);
    const full = { channels: [first!, ...rest].map((id) => entry(id, 'amazon')) };
    await expect(InventoryService.create({ scenario, channels: full, connectorFactories: factories, storefront: true })).rejects.toThrow('--storefront');
  });
});

describe('orders from external channels', () => {
  // Webhook channels accept a delivery whose x-test-token header is "good"; polling channels
  // hand out what the test queued, or throw when told to.
  function fakes(): { factories: ConnectorFactories; queue: IncomingOrder[]; failNext: { value: boolean }; polls: { count: number } } {
    const queue: IncomingOrder[] = [];
    const failNext = { value: false };
    const polls = { count: 0 };
    const client = (id: string) => ({ id, pushListing: () => Promise.resolve({ ok: true as const }), readListing: () => Promise.resolve(undefined) });
    const webhook: ConnectorFactory = (config) => ({
      client: client(config.channel),
      webhook: {
        receive: (headers, raw) =>
          headers['x-test-token'] !== 'good' ? { ok: false, status: 401, reason: 'bad token' } : { ok: true, orders: [JSON.parse(raw.toString('utf8')) as IncomingOrder] },
      },
    });
    const poller: ConnectorFactory = (config) => ({
      client: client(config.channel),
      poller: {
        intervalMs: 10,
        poll: () => {
          polls.count++;
          if (failNext.value) {
            failNext.value = false;
            return Promise.reject(new Error('503 from the orders API'));
          }
          return Promise.resolve(queue.splice(0));
        },
      },
    });
    return { factories: { shopify: webhook, woocommerce: webhook, amazon: poller, ebay: poller }, queue, failNext, polls };
  }

  /**
   * The flash sale's service with the fakes: its first channel by webhook, its second by polling
   * (one polling channel only: the fakes' pollers share one queue, and an order drained by another
   * polling channel would count there, orders being keyed by channel), 20 units of one SKU loaded.
   */
  async function flashSaleWithFakes() {
    const scenario = shippedScenario('flash-sale');
    const ids = scenario.channels.map((c) => c.id);
    const [hooked, polled] = [ids[0]!, ids[1]!];
    const f = fakes();
    const warnings: string[] = [];
    const server = await startServer({
      scenario,
      host: '127.0.0.1',
      port: 0,
      secrets: SECRETS,
      faults: false,
      alerts: { raise: () => undefined },
      warn: (line) => void warnings.push(line),
      channels: { channels: ids.map((id) => entry(id, id === polled ? 'amazon' : 'shopify')) },
      connectorFactories: f.factories,
    });
    const sku = `${scenario.catalog.skuPrefix}${'1'.padStart(String(scenario.catalog.skus).length, '0')}`;
    expect((await adjust(server.url, sku, 'stock-1', 20)).status).toBe('applied');
    return { server, f, warnings, hooked, polled, sku };
  }

  it('commits a webhook order once (a redelivery is a duplicate) and a polled one, and survives a failed poll', async () => {
    const { server, f, warnings, hooked, polled, sku } = await flashSaleWithFakes();
    try {
      const order = JSON.stringify({ orderId: 'web-1', lines: [{ sku, quantity: 2 }] });
      const post = (token: string, path = `/webhooks/shopify/${hooked}`) =>
        fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-token': token }, body: order });
      expect((await post('bad')).status).toBe(401);
      expect((await post('good', '/webhooks/shopify/nope')).status).toBe(404);
      expect((await post('good', `/webhooks/woocommerce/${hooked}`)).status).toBe(404);
      const first = await post('good');
      expect(first.status).toBe(200);
      expect(((await first.json()) as { results: { status: string }[] }).results.map((r) => r.status)).toEqual(['applied']);
      const again = (await (await post('good')).json()) as { results: { status: string }[] };
      expect(again.results.map((r) => r.status)).toEqual(['duplicate']);

      f.failNext.value = true;
      const pollsBefore = f.polls.count;
      await vi.waitFor(() => expect(f.polls.count).toBeGreaterThan(pollsBefore + 1), { timeout: 10_000 });
      expect(warnings.some((w) => w.includes(`polling ${polled} failed`))).toBe(true);
      f.queue.push({ orderId: 'amz-1', lines: [{ sku, quantity: 3 }] });
      await vi.waitFor(async () => expect((await audit(server.url)).orders.applied).toBe(2), { timeout: 10_000 });
      // The same order polled again (an overlapping cursor) is a duplicate, not a second sale.
      f.queue.push({ orderId: 'amz-1', lines: [{ sku, quantity: 3 }] });
      await vi.waitFor(async () => expect((await audit(server.url)).orders.duplicates).toBe(2), { timeout: 10_000 });
      const body = await audit(server.url);
      expect(body.orders.applied).toBe(2);
      expect(body.integrityViolations).toBe(0);
      expect(body.channelMode).toBe('external');
    } finally {
      await server.close();
    }
  });

  it("keeps a polled order the service cannot take in now and feeds it before polling again; drops one it refuses", async () => {
    const { server, f, warnings, polled, sku } = await flashSaleWithFakes();
    try {
      // The store is down for the next two attempts: the poller's cursor has moved past the orders.
      const service = server.service;
      const take = service.receiveIncoming.bind(service);
      let failures = 2;
      const attempts: string[] = [];
      vi.spyOn(service, 'receiveIncoming').mockImplementation(async (channel, order) => {
        attempts.push(order.orderId);
        if (failures > 0) {
          failures--;
          throw new StoreFailureError('store unavailable (test)');
        }
        return take(channel, order);
      });
      f.queue.push({ orderId: 'amz-1', lines: [{ sku, quantity: 1 }] }, { orderId: 'amz-2', lines: [{ sku, quantity: 2 }] });
      await vi.waitFor(async () => expect((await audit(server.url)).orders.applied).toBe(2), { timeout: 10_000 });
      // Kept in order and fed again: amz-1 twice refused, then both taken, each once.
      expect(attempts.slice(0, 4)).toEqual(['amz-1', 'amz-1', 'amz-1', 'amz-2']);
      expect(warnings.some((w) => w.includes(`polled orders of ${polled}: the service cannot take them in now (store unavailable (test)); 2 kept for the next poll`))).toBe(true);
      // While orders were kept, the marketplace was not polled past them: one poll brought both.
      expect((await audit(server.url)).orders.duplicates).toBe(0);
      // A refusal of the order itself is not retried for ever: dropped, counted, warned.
      vi.spyOn(service, 'receiveIncoming').mockImplementation(async (_channel, order) => {
        attempts.push(order.orderId);
        throw new InputError(`${order.orderId}: sku: unknown`, { field: 'sku', reason: 'unknown' });
      });
      const before = attempts.length;
      f.queue.push({ orderId: 'amz-bad', lines: [{ sku: 'NOPE', quantity: 1 }] });
      await vi.waitFor(() => expect(service.polledOrdersDropped[polled]).toBe(1), { timeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(attempts.slice(before)).toEqual(['amz-bad']);
      expect(warnings.some((w) => w.includes(`polled order amz-bad of ${polled} refused`))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
