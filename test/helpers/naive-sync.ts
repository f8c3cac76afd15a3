// A deliberately naive sync service for black-box tests against the channel twins: it takes
// Shopify/Woo order webhooks without idempotency, decrements stock by read, delay, write (a
// read-modify-write race), and pushes the new level to every channel with no retry and no
// compare-and-set. It also polls the Amazon/eBay pollers. Its losses are what the twins must see.
import Fastify, { type FastifyInstance } from 'fastify';
import { CONNECTOR_FACTORIES } from '../../src/connectors/index.js';
import type { ChannelManifest, Connector, IncomingOrder } from '../../src/connectors/types.js';
import type { ConnectorFactories } from '../../src/serve/external-channels.js';

export interface NaiveSync {
  readonly url: string;
  readonly stock: Map<string, number>;
  close(): Promise<void>;
}

export async function startNaiveSync(options: {
  readonly manifest: ChannelManifest;
  readonly stock: ReadonlyMap<string, number>;
  readonly port: number;
  readonly delayMs?: number;
  readonly factories?: ConnectorFactories;
}): Promise<NaiveSync> {
  const factories = options.factories ?? CONNECTOR_FACTORIES;
  const stock = new Map(options.stock);
  const connectors = new Map<string, Connector>(options.manifest.channels.map((e) => [e.channel, factories[e.dialect]({ ...e })]));
  const delayMs = options.delayMs ?? 20;
  let version = 0;

  const sell = async (order: IncomingOrder): Promise<void> => {
    for (const line of order.lines) {
      const level = stock.get(line.sku) ?? 0; // read
      await new Promise((resolve) => setTimeout(resolve, delayMs)); // another order reads the same level meanwhile
      const next = level - line.quantity;
      stock.set(line.sku, next); // write: the lost update
      version++;
      for (const c of connectors.values()) void c.client.pushListing({ sku: line.sku, quantity: next, version }).catch(() => undefined);
    }
  };

  const app: FastifyInstance = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post<{ Params: { channel: string } }>('/webhooks/:dialect/:channel', async (request, reply) => {
    const intake = connectors.get(request.params.channel)?.webhook;
    if (intake === undefined) return reply.code(404).send({ error: 'unknown_channel' });
    const parsed = intake.receive(request.headers, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
    if (!parsed.ok) return reply.code(parsed.status).send({ error: parsed.reason });
    await Promise.all(parsed.orders.map(sell));
    return { ok: true };
  });

  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  for (const c of connectors.values()) {
    const poller = c.poller;
    if (poller === undefined) continue;
    const tick = (): void => {
      if (closed) return;
      void poller
        .poll()
        .then((orders) => Promise.all(orders.map(sell)))
        .catch(() => undefined)
        .finally(() => {
          if (!closed) timers.push(setTimeout(tick, poller.intervalMs));
        });
    };
    timers.push(setTimeout(tick, poller.intervalMs));
  }

  const url = await app.listen({ host: '127.0.0.1', port: options.port });
  return {
    url,
    stock,
    close: async () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      await app.close();
    },
  };
}
