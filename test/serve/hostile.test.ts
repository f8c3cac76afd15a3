// Proves the service holds against hostile or careless clients and keeps its ledger exact when
// a store answer is lost (in-process, on the embedded store): slow request bodies are cut at the
// request deadline and the connection cap closes what is over it, so honest clients are served;
// ids are printable text, refused (400, naming the field) when they hold U+0000, a lone
// surrogate or invalid UTF-8, and distinct ids never merge; idempotency is per (source, kind,
// id), and a key reused for another payload is refused 409 and counted; a webhook signed
// outside the tolerance is refused as a replay; and a commit whose answer was lost to a store
// failure (503) is learned from the store's record, so the audit's `pending` clears.
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryInventoryStore } from '../../src/engine/memory-store.js';
import { startServer, type RunningServer, type StoreFactory } from '../../src/serve/index.js';
import { idempotencyKey } from '../../src/serve/keys.js';
import type { ProblemBody } from '../../src/serve/schemas.js';
import { signBody } from '../../src/serve/signature.js';
import { StoreUnavailableError } from '../../src/stores/errors.js';
import { SECRETS, adjust, audit, inventory, memoryStoreWithCommit, postOrder, shippedScenario } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const scenario = shippedScenario('baseline');

async function level(url: string, sku: string): Promise<number> {
  const view = await inventory(url, sku);
  expect(view.status).toBe(200);
  return view.body.quantity;
}

/** Every test SKU stocked with 100 units (the service starts empty, as k6's setup finds it). */
async function stock(url: string, skus: readonly string[]): Promise<void> {
  for (const sku of skus) expect((await adjust(url, sku, `stock-${sku}`, 100)).status).toBe('applied');
}

async function sendRaw(url: string, channel: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; problem: ProblemBody }> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const res = await fetch(`${url}/webhooks/orders/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-invsim-signature': signBody(bytes, SECRETS.webhookSecret), ...headers },
    body: bytes,
  });
  return { status: res.status, problem: (await res.json()) as ProblemBody };
}

describe('slow and idle clients', () => {
  let server: RunningServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = await startServer({
      scenario,
      host: '127.0.0.1',
      port: 0,
      secrets: SECRETS,
      faults: false,
      limits: { headersTimeoutMs: 500, requestTimeoutMs: 1_000, socketTimeoutMs: 5_000, keepAliveTimeoutMs: 1_000, maxConnections: 40 },
    });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await server.close({ drainTimeoutMs: 500 });
  });

  it('cuts request bodies sent a byte at a time at the request deadline, and closes connections over the cap', async () => {
    const { port } = new URL(server.url);
    const closedAt: number[] = [];
    const started = performance.now();
    // 40 clients that announce a body and trickle it, one byte every 200 ms (no credentials needed).
    for (let i = 0; i < 40; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => closedAt.push(performance.now() - started));
      socket.write(`POST /webhooks/orders/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('{')), 200);
      socket.on('close', () => clearInterval(timer));
    }
    await sleep(300);
    // At the cap: one more connection is closed at once, without an answer.
    const extra = connect(Number(port), '127.0.0.1');
    extra.on('error', () => undefined);
    const extraClosed = await new Promise<boolean>((resolve) => {
      extra.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2_000);
    });
    expect(extraClosed).toBe(true);
    // Every trickling client is cut within the request deadline plus the 1 s check interval.
    for (let i = 0; i < 60 && closedAt.length < 40; i++) await sleep(100);
    expect(closedAt).toHaveLength(40);
    expect(Math.max(...closedAt)).toBeLessThan(3_500);
    // And an honest client is served again.
    const r = await postOrder(server.url, 'shopify', { mutationId: 'after-slow', orderId: 'after-slow', sku: 'SKU-00001', quantity: 1 });
    expect(r.status).toBe(200);
  });
});

describe('ids, idempotency scope, key reuse and signed time', () => {
  let server: RunningServer;
  const stores: InMemoryInventoryStore[] = [];
  const memory: StoreFactory = {
    name: 'memory',
    shared: false,
    create: () => {
      const store = new InMemoryInventoryStore();
      stores.push(store);
      return store;
    },
  };
  beforeAll(async () => {
    server = await startServer({ scenario, host: '127.0.0.1', port: 0, secrets: SECRETS, faults: false, store: memory });
    await stock(server.url, ['SKU-00002', 'SKU-00003', 'SKU-00004', 'SKU-00005', 'SKU-00006', 'SKU-00007']);
  });
  afterAll(async () => {
    await server.close({ drainTimeoutMs: 500 });
  });

  it.each([
    ['U+0000', '"order\\u0000x"'],
    ['a lone high surrogate', '"order\\ud800"'],
    ['a lone low surrogate', '"\\udc00order"'],
    ['a line separator', '"a\\u2028b"'],
    ['an escape character', '"a\\u001bb"'],
  ])('refuses a mutationId with %s (400, naming the field), and nothing is recorded', async (_what, literal) => {
    const body = `{"mutationId":${literal},"orderId":"o","sku":"SKU-00002","quantity":1}`;
    const { status, problem } = await sendRaw(server.url, 'shopify', body);
    expect(status).toBe(400);
    expect(problem.error).toBe('invalid_request');
    expect(problem.issues?.map((i) => i.field)).toEqual(['mutationId']);
  });

  it('refuses a body that is not valid UTF-8 instead of merging distinct ids into U+FFFD', async () => {
    const before = await audit(server.url);
    const head = Buffer.from('{"mutationId":"utf-', 'utf8');
    const tail = Buffer.from('","orderId":"o","sku":"SKU-00002","quantity":1}', 'utf8');
    for (const bad of [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80])]) {
      const { status, problem } = await sendRaw(server.url, 'shopify', Buffer.concat([head, bad, tail]));
      expect(status).toBe(400);
      expect(problem.message).toMatch(/not valid UTF-8/);
    }
    expect((await audit(server.url)).orders.distinct).toBe(before.orders.distinct);
  });

  it('keeps distinct printable ids distinct: composed and decomposed accents, emoji, the U+FFFD character itself', async () => {
    const ids = ['café', 'cafe\u0301', 'order-😀', 'order-\ufffd', 'order-\ufffd\ufffd'];
    for (const id of ids) {
      const r = await postOrder(server.url, 'shopify', { mutationId: id, orderId: id, sku: 'SKU-00003', quantity: 1 });
      expect({ id, status: r.status, outcome: r.body.status }).toEqual({ id, status: 200, outcome: 'applied' });
    }
    // Stored under exactly these strings: each key is found as sent, and no other spelling is.
    const store = stores.at(-1)!;
    for (const id of ids) expect(await store.hasProcessed(idempotencyKey('order', 'shopify', id), 0)).toBe(true);
    expect(await store.hasProcessed(idempotencyKey('order', 'shopify', 'order-\ufffd\ufffd\ufffd'), 0)).toBe(false);
  });

  it('takes order 1001 from two channels as two orders, and an admin id that a webhook also uses as its own', async () => {
    const sku = 'SKU-00004';
    const before = await level(server.url, sku);
    const a = await postOrder(server.url, 'shopify', { mutationId: '1001', orderId: '1001', sku, quantity: 1 });
    const b = await postOrder(server.url, 'amazon', { mutationId: '1001', orderId: '1001', sku, quantity: 1 });
    expect([a.body.status, b.body.status]).toEqual(['applied', 'applied']);
    // A webhook whose id an admin restock also uses: the restock is not pre-empted.
    const w = await postOrder(server.url, 'shopify', { mutationId: 'restock-7', orderId: 'restock-7', sku, quantity: 1 });
    const restock = await adjust(server.url, sku, 'restock-7', 5);
    expect([w.body.status, restock.status]).toEqual(['applied', 'applied']);
    expect(await level(server.url, sku)).toBe(before - 3 + 5);
  });

  it('refuses a key reused for another SKU or quantity (409, counted), and still answers a true redelivery duplicate', async () => {
    const before = await audit(server.url);
    const first = await postOrder(server.url, 'shopify', { mutationId: 'reuse-1', orderId: 'reuse-1', sku: 'SKU-00005', quantity: 1 });
    expect(first.body.status).toBe('applied');
    const untouched = await level(server.url, 'SKU-00006');
    for (const changed of [{ sku: 'SKU-00006', quantity: 1 }, { sku: 'SKU-00005', quantity: 2 }]) {
      const res = await fetch(`${server.url}/webhooks/orders/shopify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-invsim-signature': signBody(JSON.stringify({ mutationId: 'reuse-1', orderId: 'reuse-1', ...changed }), SECRETS.webhookSecret) },
        body: JSON.stringify({ mutationId: 'reuse-1', orderId: 'reuse-1', ...changed }),
      });
      expect(res.status).toBe(409);
      expect(((await res.json()) as ProblemBody).error).toBe('idempotency_key_reused');
    }
    const again = await postOrder(server.url, 'shopify', { mutationId: 'reuse-1', orderId: 'reuse-1', sku: 'SKU-00005', quantity: 1 });
    expect(again.body.status).toBe('duplicate');
    expect(await level(server.url, 'SKU-00006')).toBe(untouched);
    const after = await audit(server.url);
    expect(after.orders.keyReused - before.orders.keyReused).toBe(2);
    expect(after.orders.distinct - before.orders.distinct).toBe(1);
  });

  it('bounds quantities: an adjustment past 2³¹ − 1 is refused by the schema, a level past it is rejected (above_max_level)', async () => {
    const res = await fetch(`${server.url}/inventory/SKU-BIG/adjustments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRETS.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mutationId: 'too-big', quantityDelta: 3_000_000_000 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ProblemBody).issues?.map((i) => i.field)).toEqual(['quantityDelta']);
    expect((await adjust(server.url, 'SKU-BIG', 'big-1', 2_000_000_000)).status).toBe('applied');
    expect(await adjust(server.url, 'SKU-BIG', 'big-2', 1_000_000_000)).toEqual({ status: 'rejected', reason: 'above_max_level', quantity: 2_000_000_000 });
    const view = await inventory(server.url, 'SKU-BIG');
    expect(view.body.quantity).toBe(2_000_000_000);
    for (const listing of view.body.channels) expect(listing.quantity).toBeGreaterThanOrEqual(0);
  });

  it('refuses a webhook signed more than 5 minutes ago or ahead (a replay), and takes one signed now', async () => {
    const body = JSON.stringify({ mutationId: 'timed-1', orderId: 'timed-1', sku: 'SKU-00007', quantity: 1 });
    // 10 s past the window each way: a signature ahead of the server by 301 s could land inside it
    // when the request reaches the server a second boundary later (a loaded machine).
    for (const offsetMs of [-310_000, 310_000]) {
      const { status, problem } = await sendRaw(server.url, 'shopify', body, { 'x-invsim-signature': signBody(body, SECRETS.webhookSecret, Date.now() + offsetMs) });
      expect(status).toBe(401);
      expect(problem.message).toMatch(/at most 300 s is accepted/);
    }
    const old = await sendRaw(server.url, 'shopify', body, { 'x-invsim-signature': signBody(body, SECRETS.webhookSecret, Date.now() - 250_000) });
    expect(old.status).toBe(200);
    // The old scheme, the body's HMAC alone, carries no time: refused.
    const legacy = await sendRaw(server.url, 'shopify', body, { 'x-invsim-signature': 'sha256=' + '0'.repeat(64) });
    expect(legacy.status).toBe(401);
  });
});

describe('a commit whose answer is lost to a store failure', () => {
  let server: RunningServer;
  /** Mutation keys whose first commit applies and then "loses its answer". */
  const lose = new Set<string>();
  const factory = memoryStoreWithCommit('memory-losing-answers', async (commit, request, nowMs) => {
    const result = await commit(request, nowMs);
    if (lose.delete(request.mutationId)) throw new StoreUnavailableError('the connection to the store was lost', 'ECONNRESET');
    return result;
  });
  beforeAll(async () => {
    server = await startServer({ scenario, host: '127.0.0.1', port: 0, secrets: SECRETS, faults: false, store: factory });
    await stock(server.url, ['SKU-00008']);
  });
  afterEach(() => lose.clear());
  afterAll(async () => {
    await server.close({ drainTimeoutMs: 500 });
  });

  it('answers 503, learns the outcome from the idempotency record, and leaves nothing pending', async () => {
    const sku = 'SKU-00008';
    const before = await level(server.url, sku);
    lose.add(idempotencyKey('order', 'shopify', 'lost-1'));
    const first = await postOrder(server.url, 'shopify', { mutationId: 'lost-1', orderId: 'lost-1', sku, quantity: 1 });
    expect(first.status).toBe(503);
    // The redelivery: already decided, so `duplicate`; the ledger learns it was applied.
    const again = await postOrder(server.url, 'shopify', { mutationId: 'lost-1', orderId: 'lost-1', sku, quantity: 1 });
    expect(again.body.status).toBe('duplicate');
    expect(await level(server.url, sku)).toBe(before - 1);
    for (let i = 0; i < 40; i++) {
      const a = await audit(server.url);
      if (a.orders.pending === 0) break;
      await sleep(50);
    }
    const a = await audit(server.url);
    expect({ pending: a.orders.pending, applied: a.orders.applied, learned: a.outcomesLearned, commits: a.commits.applied }).toMatchObject({ pending: 0, learned: 1 });
    expect(a.orders.applied).toBe(a.orders.distinct - a.orders.rejected);
    expect(a.integrityViolations, JSON.stringify(a.violations)).toBe(0);
  });
});
