// Proves the k6 scripts' pure request module (loadtest/lib/requests.ts) directly: the exact bytes
// it signs, signatures equal to node's HMAC-SHA256 and accepted by the running service (a changed
// byte is not), and its helpers (weighted picks, stock deltas, environment checks).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SIGNATURE_HEADER,
  adjustmentRequest,
  baseUrlOf,
  isAcknowledgement,
  isFirstSegment,
  iterationSeed,
  mutationIdOf,
  orderBody,
  orderRequest,
  pickIndex,
  pickUniform,
  redeliveryDelayMs,
  requireEnv,
  signatureHeader,
  stockDelta,
  type HmacSha256Hex,
} from '../../loadtest/lib/requests.js';
import { verifySignature } from '../../src/serve/signature.js';
import { SECRETS, shippedScenario, startTestServer, type TestServer } from '../serve/helpers.js';

const nodeHmac: HmacSha256Hex = (secret, message) => createHmac('sha256', secret).update(message).digest('hex');
const order = { mutationId: 'run1-o-7', orderId: 'run1-o-7', sku: 'SKU-01', quantity: 2 };

describe('request building', () => {
  it('signs exactly the bytes it sends, with fixed key order', () => {
    expect(orderBody({ quantity: 2, sku: 'SKU-01', orderId: 'run1-o-7', mutationId: 'run1-o-7' })).toBe('{"mutationId":"run1-o-7","orderId":"run1-o-7","sku":"SKU-01","quantity":2}');
    const sentAtMs = Date.UTC(2026, 0, 1, 12, 0, 0, 750);
    const req = orderRequest('http://127.0.0.1:8080', 'shopify', order, 'k', nodeHmac, sentAtMs);
    const t = Math.floor(sentAtMs / 1000);
    expect(req).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:8080/webhooks/orders/shopify', body: orderBody(order) });
    expect(req.headers['Content-Type']).toBe('application/json');
    expect(req.headers[SIGNATURE_HEADER]).toBe(`t=${t},v1=${createHmac('sha256', 'k').update(`${t}.${req.body!}`).digest('hex')}`);
    // The service's own check agrees, at the time it was sent and within the tolerance, not after.
    expect(verifySignature(req.headers[SIGNATURE_HEADER], Buffer.from(req.body!), 'k', { nowMs: sentAtMs })).toEqual({ ok: true });
    expect(verifySignature(req.headers[SIGNATURE_HEADER], Buffer.from(req.body!), 'k', { nowMs: sentAtMs + 300_000 })).toEqual({ ok: true });
    expect(verifySignature(req.headers[SIGNATURE_HEADER], Buffer.from(req.body!), 'k', { nowMs: sentAtMs + 301_000 })).toEqual({ ok: false, reason: 'expired', skewS: 301 });
    expect(verifySignature(req.headers[SIGNATURE_HEADER], Buffer.from(req.body!.replace('2}', '3}')), 'k', { nowMs: sentAtMs })).toEqual({ ok: false, reason: 'mismatch' });
    expect(signatureHeader('x', 'k', () => 'ABCDEF', 5_000)).toBe('t=5,v1=abcdef');
  });

  it('builds admin requests with the bearer token and a path-safe SKU', () => {
    const req = adjustmentRequest('http://h:1', 'SKU@shop', 'm1', -3, 'tok');
    expect(req.url).toBe('http://h:1/inventory/SKU%40shop/adjustments');
    expect(JSON.parse(req.body!)).toEqual({ mutationId: 'm1', quantityDelta: -3 });
    expect(req.headers['Authorization']).toBe('Bearer tok');
  });

  it('picks by cumulative weight and uniformly, always in range', () => {
    const cdf = [0.5, 0.8333, 1];
    expect([0, 0.4999, 0.5, 0.8332, 0.8333, 0.9999].map((u) => pickIndex(cdf, u))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(pickIndex([1], 0.3)).toBe(0);
    expect([0, 0.33, 0.34, 0.99999].map((u) => pickUniform(3, u))).toEqual([0, 0, 1, 2]);
  });

  it('computes the stock-load adjustment and ids, and checks its inputs', () => {
    expect(stockDelta(0, 50)).toBe(50);
    expect(stockDelta(60, 50)).toBe(-10);
    expect(stockDelta(50, 50)).toBeNull();
    expect(mutationIdOf('k6abc', 'burst_0', 12)).toBe('k6abc-burst_0-12');
    expect(baseUrlOf(' http://127.0.0.1:8080// ')).toBe('http://127.0.0.1:8080');
    expect(() => baseUrlOf('127.0.0.1:8080')).toThrow(/BASE_URL must look like/);
    expect(() => requireEnv({ A: ' ' }, 'A', 'hint')).toThrow(/set A \(hint\)/);
    expect(requireEnv({ A: 'v' }, 'A', 'hint')).toBe('v');
    expect(isAcknowledgement(200, '{"status":"duplicate"}')).toBe(true);
    expect(isAcknowledgement(200, '{"status":"lost"}')).toBe(false);
    expect(isAcknowledgement(401, '{"status":"applied"}')).toBe(false);
    expect(isAcknowledgement(200, 'not json')).toBe(false);
  });
});

describe('the service accepts what the module signs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(shippedScenario('flash-sale'), { faults: false });
  });
  afterAll(async () => {
    await server.close({ drainTimeoutMs: 1_000 });
  });

  it('applies a signed order, and refuses one signed with another secret', async () => {
    const stock = adjustmentRequest(server.url, 'SKU-01', 'stock-1', 5, SECRETS.adminToken);
    expect((await fetch(stock.url, { method: 'POST', headers: stock.headers, body: stock.body })).status).toBe(200);

    const good = orderRequest(server.url, 'woo', order, SECRETS.webhookSecret, nodeHmac);
    const res = await fetch(good.url, { method: 'POST', headers: good.headers, body: good.body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'applied', quantity: 3, version: 2 });

    const forged = orderRequest(server.url, 'woo', { ...order, mutationId: 'other' }, 'wrong-secret', nodeHmac);
    expect((await fetch(forged.url, { method: 'POST', headers: forged.headers, body: forged.body })).status).toBe(401);
  });
});

describe('reproducible load and segments', () => {
  it("seeds each iteration from (seed, stream, iteration) alone: the same draws whichever VU or instance runs it", () => {
    expect(iterationSeed(7, 'o', 12)).toBe(iterationSeed(7, 'o', 12));
    const seeds = new Set<number>();
    for (const seed of [1, 2]) for (const stream of ['o', 's', 'burst_0']) for (let n = 0; n < 200; n++) seeds.add(iterationSeed(seed, stream, n));
    // 1 200 distinct inputs, 1 200 distinct positive 31-bit seeds.
    expect(seeds.size).toBe(1_200);
    for (const s of seeds) expect(s > 0 && s <= 2 ** 31 && Number.isInteger(s)).toBe(true);
  });

  it('waits at least the minimum before a redelivery, spread over the window', () => {
    expect(redeliveryDelayMs(33, 4_800, 0)).toBe(33);
    expect(redeliveryDelayMs(33, 4_800, 0.5)).toBe(2_400);
    expect(redeliveryDelayMs(33, 0, 0.9)).toBe(33);
  });

  it("tells the first execution segment (or an unsplit test) from the others, as k6 writes them", () => {
    for (const first of [null, undefined, '', '0:1/4', '0:1', '0/1:1/2']) expect(isFirstSegment(first), String(first)).toBe(true);
    for (const other of ['1/4:1/2', '1/2:1', '3/4:1']) expect(isFirstSegment(other), other).toBe(false);
  });
});
