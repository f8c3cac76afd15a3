// Proves the naive sync helper really races: two concurrent webhook orders for one SKU read the
// same level, so one decrement is lost (10 − 2 − 3 should be 5; it ends at 7 or 8).
import { describe, expect, it } from 'vitest';
import type { ConnectorFactory, IncomingOrder } from '../../src/connectors/types.js';
import { startNaiveSync } from './naive-sync.js';

describe('naive sync', () => {
  it('loses an update under two concurrent orders', async () => {
    const fake: ConnectorFactory = (config) => ({
      client: { id: config.channel, pushListing: () => Promise.resolve({ ok: true }), readListing: () => Promise.resolve(undefined) },
      webhook: { receive: (_headers, raw) => ({ ok: true, orders: [JSON.parse(raw.toString('utf8')) as IncomingOrder] }) },
    });
    const sync = await startNaiveSync({
      manifest: { channels: [{ channel: 'shop', dialect: 'shopify', baseUrl: 'http://127.0.0.1:1', accessToken: 't', secret: 's', account: 'a' }] },
      stock: new Map([['SKU-1', 10]]),
      port: 0,
      factories: { shopify: fake, woocommerce: fake, amazon: fake, ebay: fake },
    });
    try {
      const send = (orderId: string, quantity: number) =>
        fetch(`${sync.url}/webhooks/shopify/shop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId, lines: [{ sku: 'SKU-1', quantity }] }) });
      await Promise.all([send('a', 2), send('b', 3)]);
      expect(sync.stock.get('SKU-1')).not.toBe(5);
      expect([7, 8]).toContain(sync.stock.get('SKU-1'));
    } finally {
      await sync.close();
    }
  });
});
