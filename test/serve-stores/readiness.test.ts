// Proves that the service answers within seconds whatever its store's network does, and that
// /readyz (readiness) tells the store's state while /healthz (liveness) stays up. The service
// (in-process) reaches Redis, then PostgreSQL, through a TCP proxy the test controls: first a
// black hole (connections stay open, nothing comes back: a partition, a hung server), then a
// refusal (every connection cut, new ones refused: a failover), then the way is open again.
// Each time: a webhook is answered 503 store_unavailable within 5 s, /readyz 503 with the
// reason, /healthz 200; once the way is open, /readyz 200 and orders are applied again within
// 5 s. Skipped, with a note, when Redis or PostgreSQL is not up (required under
// INVSIM_REQUIRE_SERVICES=1).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, sharedStoreFactory, type RunningServer } from '../../src/serve/index.js';
import { openStore, type AnyStore } from '../../src/stores/open.js';
import type { PostgresInventoryStore } from '../../src/stores/postgres.js';
import type { RedisInventoryStore } from '../../src/stores/redis.js';
import { SECRETS, adjust, postOrder, shippedScenario } from '../serve/helpers.js';
import { POSTGRES_URL, REDIS_URL, postgresStatus, redisStatus, shouldRun, withParams } from '../stores/services.js';

const WITHIN_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Mode = 'open' | 'blackhole' | 'refuse';

/** A TCP proxy to `target` whose way the test opens, blocks silently, or refuses. */
class Proxy {
  mode: Mode = 'open';
  private readonly pairs = new Set<[Socket, Socket]>();
  private server: Server | undefined;
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.mode === 'refuse') {
        client.destroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = (): void => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      // In a black hole the bytes are read and dropped: the connection looks alive.
      client.on('data', (chunk: Buffer) => void (this.mode === 'open' && upstream.write(chunk)));
      upstream.on('data', (chunk: Buffer) => void (this.mode === 'open' && client.write(chunk)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
  }

  set(mode: Mode): void {
    this.mode = mode;
    // A black hole's connections stay open; a refusal cuts them. Opening again cuts them too:
    // what a black hole swallowed is lost, as after a real partition, and the clients reconnect.
    if (mode === 'blackhole') return;
    for (const [a, b] of [...this.pairs]) {
      a.destroy();
      b.destroy();
    }
  }

  async stop(): Promise<void> {
    this.set('refuse');
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

const [redis, postgres] = await Promise.all([redisStatus(), postgresStatus()]);
const unique = `${process.pid}_${Math.floor(Math.random() * 1e9)}`;

const cases = [
  {
    name: 'Redis',
    run: shouldRun(redis),
    target: new URL(REDIS_URL),
    defaultPort: 6379,
    url: (port: number) => {
      const u = new URL(REDIS_URL);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      u.searchParams.set('namespace', `ready_${unique}`);
      return u.toString();
    },
    prepare: async () => undefined,
    cleanup: async (store: AnyStore) => void (await (store as RedisInventoryStore).reset()),
  },
  {
    name: 'PostgreSQL',
    run: shouldRun(postgres),
    target: new URL(POSTGRES_URL),
    defaultPort: 5432,
    url: (port: number) => {
      const u = new URL(POSTGRES_URL);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      u.searchParams.set('schema', `ready_${unique}`);
      return u.toString();
    },
    // The schema is migrated directly, as an operator would before starting the service.
    prepare: async () => {
      const direct = await openStore(withParams(POSTGRES_URL, { schema: `ready_${unique}` }), { migrate: true });
      await direct.close();
    },
    cleanup: async (store: AnyStore) => void (await (store as PostgresInventoryStore).dropSchema()),
  },
] as const;

for (const c of cases) {
  describe.skipIf(!c.run)(`a service whose ${c.name} goes silent, then away, then comes back`, () => {
    let proxy: Proxy;
    let store: AnyStore;
    let server: RunningServer;
    let n = 0;
    const order = () => {
      n++;
      return { mutationId: `r-${n}`, orderId: `r-${n}`, sku: 'SKU-R', quantity: 1 };
    };
    const timed = async <T,>(f: () => Promise<T>): Promise<{ value: T; ms: number }> => {
      const started = performance.now();
      const value = await f();
      return { value, ms: performance.now() - started };
    };
    const readyz = async () => {
      const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(WITHIN_MS + 1_000) });
      return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
    };

    beforeAll(async () => {
      proxy = new Proxy({ host: c.target.hostname, port: Number(c.target.port === '' ? c.defaultPort : c.target.port) });
      await proxy.start();
      await c.prepare();
      store = await openStore(c.url(proxy.port));
      server = await startServer({ scenario: shippedScenario('baseline'), host: '127.0.0.1', port: 0, secrets: SECRETS, faults: false, store: sharedStoreFactory(store, c.name) });
      await server.service.reset();
      await adjust(server.url, 'SKU-R', 'stock-r', 1_000);
    });
    afterAll(async () => {
      proxy.set('open');
      await sleep(500);
      await server?.close({ drainTimeoutMs: 500 });
      const direct = await openStore(c.name === 'Redis' ? withParams(REDIS_URL, { namespace: `ready_${unique}` }) : withParams(POSTGRES_URL, { schema: `ready_${unique}` }));
      await c.cleanup(direct);
      await direct.close();
      await proxy.stop();
    });

    it.each(['blackhole', 'refuse'] as const)('%s: 503 within 5 s, not ready, still live; then ready and serving within 5 s of the way opening', async (mode) => {
      expect((await readyz()).status).toBe(200);
      expect((await postOrder(server.url, 'shopify', order())).body.status).toBe('applied');

      proxy.set(mode);
      const during = await timed(() => postOrder(server.url, 'shopify', order()));
      expect(during.value.status).toBe(503);
      expect(during.ms).toBeLessThan(WITHIN_MS);
      const notReady = await timed(readyz);
      expect(notReady.value.status).toBe(503);
      expect(notReady.value.body.reason).toMatch(/the store does not answer/);
      expect(notReady.ms).toBeLessThan(WITHIN_MS);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

      proxy.set('open');
      const opened = performance.now();
      let ready = false;
      while (!ready && performance.now() - opened < WITHIN_MS) {
        ready = (await readyz()).status === 200;
        if (!ready) await sleep(100);
      }
      expect(ready, JSON.stringify(await readyz())).toBe(true);
      const after = await postOrder(server.url, 'shopify', order());
      expect(after.status).toBe(200);
      expect(performance.now() - opened).toBeLessThan(WITHIN_MS);
    }, 30_000);
  });
}
