// Proves that the service refuses every bad request with the contract's status (401 unsigned or
// wrongly signed, 400 naming each bad field, 413 over 64 KiB, 404 unknown channel or route, 401
// admin calls without the token) and that none of them changes the stock, the audit or a listing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProblemBody } from '../../src/serve/schemas.js';
import { SECRETS, adjust, audit, inventory, shippedScenario, startTestServer, type TestServer } from './helpers.js';
import { signBody } from '../../src/serve/signature.js';

const SKU = 'SKU-GUARD';

interface Attempt {
  readonly name: string;
  readonly path: string;
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly error: string;
  readonly fields?: readonly string[];
}

const signed = (body: string): Record<string, string> => ({ 'content-type': 'application/json', 'x-invsim-signature': signBody(body, SECRETS.webhookSecret) });
const order = (fields: Record<string, unknown>): string => JSON.stringify({ mutationId: 'bad-1', orderId: 'bad-1', sku: SKU, quantity: 1, ...fields });
const good = order({});

const attempts: readonly Attempt[] = [
  { name: 'unsigned', path: '/webhooks/orders/shopify', body: good, headers: { 'content-type': 'application/json' }, status: 401, error: 'invalid_signature' },
  {
    name: 'signed with another secret',
    path: '/webhooks/orders/shopify',
    body: good,
    headers: { 'content-type': 'application/json', 'x-invsim-signature': signBody(good, 'not-the-secret') },
    status: 401,
    error: 'invalid_signature',
  },
  {
    name: 'signature over other bytes (re-serialized body)',
    path: '/webhooks/orders/shopify',
    body: good.replace('{', '{ '),
    headers: signed(good),
    status: 401,
    error: 'invalid_signature',
  },
  { name: 'signature not hex', path: '/webhooks/orders/shopify', body: good, headers: { 'content-type': 'application/json', 'x-invsim-signature': 't=1,v1=zz' }, status: 401, error: 'invalid_signature' },
  { name: 'malformed JSON, signed', path: '/webhooks/orders/shopify', body: '{"mutationId": "x",', headers: signed('{"mutationId": "x",'), status: 400, error: 'malformed_json', fields: ['(body)'] },
  {
    name: 'every field wrong, signed',
    path: '/webhooks/orders/shopify',
    body: JSON.stringify({ mutationId: '', sku: 'has space', quantity: 0, extra: true }),
    headers: signed(JSON.stringify({ mutationId: '', sku: 'has space', quantity: 0, extra: true })),
    status: 400,
    error: 'invalid_request',
    fields: ['orderId', 'extra', 'mutationId', 'sku', 'quantity'],
  },
  { name: 'quantity a string, signed', path: '/webhooks/orders/shopify', body: order({ quantity: '1' }), headers: signed(order({ quantity: '1' })), status: 400, error: 'invalid_request', fields: ['quantity'] },
  { name: 'quantity fractional, signed', path: '/webhooks/orders/shopify', body: order({ quantity: 1.5 }), headers: signed(order({ quantity: 1.5 })), status: 400, error: 'invalid_request', fields: ['quantity'] },
  { name: 'body an array, signed', path: '/webhooks/orders/shopify', body: '[]', headers: signed('[]'), status: 400, error: 'invalid_request', fields: ['(body)'] },
  {
    name: 'over 64 KiB, signed',
    path: '/webhooks/orders/shopify',
    body: order({ orderId: 'x'.repeat(70_000) }),
    headers: signed(order({ orderId: 'x'.repeat(70_000) })),
    status: 413,
    error: 'payload_too_large',
  },
  { name: 'unknown channel, signed', path: '/webhooks/orders/myspace', body: good, headers: signed(good), status: 404, error: 'unknown_channel' },
  { name: 'unknown route', path: '/webhooks/refunds/shopify', body: good, headers: signed(good), status: 404, error: 'not_found' },
  { name: 'text/plain body', path: '/webhooks/orders/shopify', body: good, headers: { ...signed(good), 'content-type': 'text/plain' }, status: 415, error: 'unsupported_media_type' },
  {
    name: 'adjustment without a token',
    path: `/inventory/${SKU}/adjustments`,
    body: JSON.stringify({ mutationId: 'adj-x', quantityDelta: 5 }),
    headers: { 'content-type': 'application/json' },
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'adjustment with a wrong token',
    path: `/inventory/${SKU}/adjustments`,
    body: JSON.stringify({ mutationId: 'adj-x', quantityDelta: 5 }),
    headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'adjustment with the webhook secret as token',
    path: `/inventory/${SKU}/adjustments`,
    body: JSON.stringify({ mutationId: 'adj-x', quantityDelta: 5 }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.webhookSecret}` },
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'adjustment of 0 with the token',
    path: `/inventory/${SKU}/adjustments`,
    body: JSON.stringify({ mutationId: 'adj-x', quantityDelta: 0 }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.adminToken}` },
    status: 400,
    error: 'invalid_request',
    fields: ['quantityDelta'],
  },
  { name: 'reset without a token', path: '/reset', method: 'POST', status: 401, error: 'unauthorized' },
  { name: 'audit without a token', path: '/audit', method: 'GET', status: 401, error: 'unauthorized' },
  { name: 'audit with a Basic header', path: '/audit', method: 'GET', headers: { authorization: `Basic ${Buffer.from(`admin:${SECRETS.adminToken}`).toString('base64')}` }, status: 401, error: 'unauthorized' },
];

describe('bad requests change nothing', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(shippedScenario('flash-sale'), { faults: false });
    expect(await adjust(server.url, SKU, 'stock-load', 10)).toMatchObject({ status: 'applied', quantity: 10 });
    expect(await server.service.settle(10_000)).toBe(true);
  });
  afterAll(async () => {
    await server.close({ drainTimeoutMs: 1_000 });
  });

  it.each(attempts)('$name → $status', async (a) => {
    const before = { level: await inventory(server.url, SKU), audit: await audit(server.url) };
    const res = await fetch(`${server.url}${a.path}`, {
      method: a.method ?? 'POST',
      ...(a.headers === undefined ? {} : { headers: a.headers }),
      ...(a.body === undefined ? {} : { body: a.body }),
    });
    const body = (await res.json()) as ProblemBody;
    expect(res.status).toBe(a.status);
    expect(body.error).toBe(a.error);
    expect(body.message.length).toBeGreaterThan(0);
    if (a.fields !== undefined) expect(body.issues?.map((i) => i.field).sort()).toEqual([...a.fields].sort());
    if (a.status === 401 && a.error === 'unauthorized') expect(res.headers.get('www-authenticate')).toContain('Bearer');

    const after = { level: await inventory(server.url, SKU), audit: await audit(server.url) };
    expect(after.level.body).toEqual(before.level.body);
    expect(after.audit.orders).toEqual(before.audit.orders);
    expect(after.audit.adjustments).toEqual(before.audit.adjustments);
    expect(after.audit.integrityViolations).toBe(0);
  });

  it('names the bad field of a GET path parameter, and 404s a SKU never seen', async () => {
    const bad = await fetch(`${server.url}/inventory/${encodeURIComponent('no spaces')}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ProblemBody).issues?.map((i) => i.field)).toEqual(['params.sku']);
    const unknown = await fetch(`${server.url}/inventory/NEVER-SEEN`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ProblemBody).error).toBe('unknown_sku');
  });

  it('still applies a correct order after all that', async () => {
    const body = order({ mutationId: 'good-1', orderId: 'good-1' });
    const res = await fetch(`${server.url}/webhooks/orders/shopify`, { method: 'POST', headers: signed(body), body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'applied', quantity: 9, version: 2 });
  });
});
