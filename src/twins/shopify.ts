/**
 * The Shopify twin: the inventory-sync subset of the Admin GraphQL API, answered through the
 * channel model, and orders/create webhooks signed as Shopify signs them.
 *
 * Shapes follow the Admin GraphQL reference (2025-01): `inventorySetQuantities` and
 * `inventoryAdjustQuantities` return `inventoryAdjustmentGroup { changes { name delta
 * quantityAfterChange item } }` and `userErrors { field message code }`, a stale compare answers
 * code COMPARE_QUANTITY_STALE (InventorySetQuantitiesUserErrorCode, 2024-07..2026-01; from
 * 2026-04 the compare moves to changeFromQuantity / CHANGE_FROM_QUANTITY_STALE, not modelled); every response carries `extensions.cost.throttleStatus
 * { maximumAvailable currentlyAvailable restoreRate }` and a throttled call answers 200 with
 * `errors[0].extensions.code = "THROTTLED"` ("Shopify API rate limits" > GraphQL Admin API).
 * `restoreRate` is points per real second (the preset's rate times the speedup, wire-time.ts), so a
 * client on the wall clock computes its wait right; the points themselves are the preset's.
 * Webhooks: X-Shopify-Topic / Hmac-Sha256 (base64 HMAC of the raw body with the app secret) /
 * Shop-Domain / API-Version / Webhook-Id / Event-Id / Triggered-At; a delivery that does not
 * answer 2xx within 5 s is retried, 8 more times over 4 hours ("About webhooks" > retry frequency).
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Kind, parse, valueFromASTUntyped, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { sampleLatencyMs } from '../model/latency.js';
import { RandomStreams, type Rng } from '../model/random.js';
import { tokenMatches } from '../serve/signature.js';
import type { CallRefusal, ListingWrite } from './channel.js';
import type { TwinOrder, TwinProtocol, TwinProtocolContext, TwinProtocolFactory, WebhookStats } from './protocol.js';
import { realRatePerS } from './wire-time.js';

export const SHOPIFY_LOCATION_ID = 'gid://shopify/Location/1';
const ITEM_PREFIX = 'gid://shopify/InventoryItem/';
const INVALID_TOKEN_BODY = { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' };
/** Shopify's webhook timeout: a delivery not answered within 5 s counts as failed. */
const WEBHOOK_TIMEOUT_REAL_MS = 5_000;
/** Deliveries waiting at once, beyond which new ones are counted abandoned (a limit on everything). */
const MAX_PENDING_DELIVERIES = 100_000;
const MAX_QUANTITIES_PER_CALL = 250;
const MAX_PAGE = 250;
const API_VERSION = '2025-01';

export function inventoryItemGid(index: number): string {
  return `${ITEM_PREFIX}${index + 1}`;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** A resolved value: plain data, or a field with arguments resolved when selected. */
type Node = Json | ((args: Record<string, unknown>) => Node) | Node[] | { [k: string]: Node };

class GraphqlError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Projects a resolved value onto a selection set, as a GraphQL executor does. */
function project(value: Node, selection: SelectionSetNode | undefined, variables: Record<string, unknown>, typeName: string): Json {
  if (typeof value === 'function') throw new GraphqlError(`Field on ${typeName} needs a selection`, 'selectionMismatch');
  if (Array.isArray(value)) return value.map((v) => project(v, selection, variables, typeName));
  if (value === null || typeof value !== 'object' || selection === undefined) return value as Json;
  const out: Record<string, Json> = {};
  for (const sel of selection.selections) {
    if (sel.kind === Kind.INLINE_FRAGMENT) {
      Object.assign(out, project(value, sel.selectionSet, variables, typeName) as Record<string, Json>);
      continue;
    }
    if (sel.kind !== Kind.FIELD) throw new GraphqlError('Fragment spreads are not supported by the twin', 'unsupported');
    const name = sel.name.value;
    const key = sel.alias?.value ?? name;
    if (name === '__typename') {
      out[key] = typeName;
      continue;
    }
    if (!(name in value)) throw new GraphqlError(`Field '${name}' doesn't exist on type '${typeName}'`, 'undefinedField');
    let v: Node = (value as Record<string, Node>)[name] ?? null;
    if (typeof v === 'function') v = v(argsOf(sel, variables));
    out[key] = project(v, sel.selectionSet, variables, name);
  }
  return out;
}

function argsOf(field: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const a of field.arguments ?? []) args[a.name.value] = valueFromASTUntyped(a.value, variables);
  return args;
}

interface CostBucket {
  capacityPoints: number;
  restorePerS: number;
  costPerRequest: number;
  costPerItem: number;
}

type Delivery = { webhookId: string; eventId: string; body: string; url: string; attempt: number; triggeredAt: string };

export const createShopifyTwin: TwinProtocolFactory = (ctx: TwinProtocolContext): TwinProtocol => {
  const { channel } = ctx;
  const spec = channel.preset.rateLimits.find((r) => r.kind === 'cost-bucket');
  const bucket: CostBucket | undefined =
    spec?.kind === 'cost-bucket' ? { capacityPoints: spec.capacityPoints, restorePerS: spec.restorePerS, costPerRequest: spec.costPerRequest, costPerItem: spec.costPerItem ?? 0 } : undefined;
  // A mirror of the channel's cost bucket, fed by the same admissions, so responses can report
  // currentlyAvailable without reaching into the rate limiter.
  let availAt = bucket?.capacityPoints ?? 0;
  let availT = 0;
  const available = (t: number): number => (bucket === undefined ? 0 : Math.min(bucket.capacityPoints, availAt + ((t - availT) * bucket.restorePerS) / 1000));
  const costOf = (items: number): number => (bucket === undefined ? 1 : bucket.costPerRequest + bucket.costPerItem * items);

  const rng: Rng = ctx.rng ?? new RandomStreams(seedOf(channel.id)).stream('twin:shopify:webhooks');
  const subscriptions = new Map<string, string>();
  const stats: WebhookStats = { attempts: 0, failed: 0, abandoned: 0, pending: 0 };
  const aborts = new Set<AbortController>();
  let closed = false;
  let nextId = 1;

  const throttleStatus = (nowMs: number): Json => ({
    maximumAvailable: bucket?.capacityPoints ?? 0,
    currentlyAvailable: Math.floor(available(nowMs)),
    restoreRate: realRatePerS(bucket?.restorePerS ?? 0, ctx.time.speedup),
  });

  const skuIndex = (gid: unknown): number | undefined => {
    if (typeof gid !== 'string' || !gid.startsWith(ITEM_PREFIX)) return undefined;
    const n = Number(gid.slice(ITEM_PREFIX.length));
    return Number.isSafeInteger(n) && n >= 1 && n <= channel.skus.length ? n - 1 : undefined;
  };

  const itemNode = (i: number): Node => {
    const sku = channel.skus[i]!;
    return {
      id: inventoryItemGid(i),
      sku,
      tracked: true,
      inventoryLevel: (args) =>
        args['locationId'] !== SHOPIFY_LOCATION_ID
          ? null
          : {
              id: `gid://shopify/InventoryLevel/${i + 1}?inventory_item_id=${i + 1}`,
              location: { id: SHOPIFY_LOCATION_ID, name: 'Twin warehouse' },
              quantities: (qa) => {
                const names = Array.isArray(qa['names']) ? (qa['names'] as unknown[]) : ['available'];
                const q = channel.quantityOf(sku) ?? 0;
                return names.map((n) => ({ name: String(n), quantity: n === 'available' || n === 'on_hand' ? q : 0 }));
              },
            },
    };
  };

  const userError = (field: string[], message: string, code: string): Node => ({ field, message, code });

  /** Validates a mutation's input before the call; returns the writes or the user errors. */
  const setWrites = (input: Record<string, unknown>): { writes: ListingWrite[]; errors: Node[] } => {
    const errors: Node[] = [];
    const writes: ListingWrite[] = [];
    const name = input['name'];
    if (name !== 'available' && name !== 'on_hand') errors.push(userError(['input', 'name'], 'The quantity name must be either available or on_hand.', 'INVALID_NAME'));
    const ignore = input['ignoreCompareQuantity'] === true;
    const qs = Array.isArray(input['quantities']) ? (input['quantities'] as Record<string, unknown>[]) : [];
    if (qs.length > MAX_QUANTITIES_PER_CALL) errors.push(userError(['input', 'quantities'], `The quantities can't exceed ${MAX_QUANTITIES_PER_CALL}.`, 'INVALID_QUANTITY_TOO_HIGH'));
    qs.forEach((q, n) => {
      const i = skuIndex(q['inventoryItemId']);
      if (i === undefined) return void errors.push(userError(['input', 'quantities', String(n), 'inventoryItemId'], 'The specified inventory item could not be found.', 'INVALID_INVENTORY_ITEM'));
      if (q['locationId'] !== SHOPIFY_LOCATION_ID) return void errors.push(userError(['input', 'quantities', String(n), 'locationId'], 'The specified location could not be found.', 'INVALID_LOCATION'));
      const quantity = q['quantity'];
      if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 0) return void errors.push(userError(['input', 'quantities', String(n), 'quantity'], 'The quantity is invalid.', 'INVALID_QUANTITY_NEGATIVE'));
      const cmp = q['compareQuantity'];
      if (!ignore && typeof cmp !== 'number') return void errors.push(userError(['input', 'quantities', String(n), 'compareQuantity'], 'The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.', 'COMPARE_QUANTITY_REQUIRED'));
      writes.push(ignore || typeof cmp !== 'number' ? { sku: channel.skus[i]!, set: quantity } : { sku: channel.skus[i]!, set: quantity, compareQuantity: cmp });
    });
    return { writes, errors };
  };

  const adjustWrites = (input: Record<string, unknown>): { writes: ListingWrite[]; errors: Node[] } => {
    const errors: Node[] = [];
    const writes: ListingWrite[] = [];
    if (input['name'] !== 'available' && input['name'] !== 'on_hand') errors.push(userError(['input', 'name'], 'The quantity name must be either available or on_hand.', 'INVALID_QUANTITY_NAME'));
    const cs = Array.isArray(input['changes']) ? (input['changes'] as Record<string, unknown>[]) : [];
    if (cs.length > MAX_QUANTITIES_PER_CALL) errors.push(userError(['input', 'changes'], `The changes can't exceed ${MAX_QUANTITIES_PER_CALL}.`, 'MAX_ONE_LEDGER_DOCUMENT'));
    cs.forEach((c, n) => {
      const i = skuIndex(c['inventoryItemId']);
      if (i === undefined) return void errors.push(userError(['input', 'changes', String(n), 'inventoryItemId'], 'The specified inventory item could not be found.', 'INVALID_INVENTORY_ITEM'));
      if (c['locationId'] !== SHOPIFY_LOCATION_ID) return void errors.push(userError(['input', 'changes', String(n), 'locationId'], 'The specified location could not be found.', 'INVALID_LOCATION'));
      const delta = c['delta'];
      if (typeof delta !== 'number' || !Number.isSafeInteger(delta)) return void errors.push(userError(['input', 'changes', String(n), 'delta'], 'The delta is invalid.', 'INVALID_QUANTITY_TOO_LOW'));
      writes.push({ sku: channel.skus[i]!, delta });
    });
    return { writes, errors };
  };

  /** Applies writes (all or nothing) and answers the mutation payload. */
  const applyMutation = (input: Record<string, unknown>, writes: ListingWrite[], errors: Node[]): Node => {
    if (errors.length > 0) return { inventoryAdjustmentGroup: null, userErrors: errors };
    const before = writes.map((w) => channel.quantityOf(w.sku) ?? 0);
    const r = channel.write(writes);
    if (!r.ok) {
      const n = writes.findIndex((w) => w.sku === r.sku);
      const e =
        r.reason === 'compare_mismatch'
          ? userError(['input', 'quantities', String(n), 'compareQuantity'], 'The specified compare quantity does not match the current quantity.', 'COMPARE_QUANTITY_STALE')
          : userError(['input', 'quantities', String(n)], `The update was refused (${r.reason}).`, 'INVALID_QUANTITY_TOO_HIGH');
      return { inventoryAdjustmentGroup: null, userErrors: [e] };
    }
    const changes: Node[] = writes.map((w, n) => {
      const after = channel.quantityOf(w.sku) ?? 0;
      const i = channel.skus.indexOf(w.sku);
      return { name: String(input['name']), delta: after - before[n]!, quantityAfterChange: after, item: { id: inventoryItemGid(i), sku: w.sku }, location: { id: SHOPIFY_LOCATION_ID } };
    });
    return {
      inventoryAdjustmentGroup: { id: `gid://shopify/InventoryAdjustmentGroup/${nextId++}`, reason: String(input['reason'] ?? 'correction'), createdAt: new Date(ctx.time.wallClockMs(ctx.time.nowMs())).toISOString(), changes },
      userErrors: [],
    };
  };

  const itemsConnection = (args: Record<string, unknown>): Node => {
    const first = typeof args['first'] === 'number' ? Math.min(MAX_PAGE, Math.max(1, args['first'])) : 50;
    const after = typeof args['after'] === 'string' ? Number(Buffer.from(args['after'], 'base64').toString('utf8')) : 0;
    const query = typeof args['query'] === 'string' ? args['query'] : '';
    const skuFilter = /sku:("?)([^"\s]+)\1/.exec(query)?.[2];
    const matches: number[] = [];
    channel.skus.forEach((s, i) => {
      if (skuFilter === undefined || s === skuFilter) matches.push(i);
    });
    const start = Number.isSafeInteger(after) ? matches.findIndex((i) => i + 1 > after) : -1;
    const page = start < 0 ? [] : matches.slice(start, start + first);
    const last = page[page.length - 1];
    const cursor = (i: number): string => Buffer.from(String(i + 1)).toString('base64');
    return {
      nodes: page.map(itemNode),
      edges: page.map((i) => ({ cursor: cursor(i), node: itemNode(i) })),
      pageInfo: { hasNextPage: start >= 0 && start + first < matches.length, endCursor: last === undefined ? null : cursor(last), hasPreviousPage: start > 0, startCursor: page[0] === undefined ? null : cursor(page[0]) },
    };
  };

  const subscribe = (args: Record<string, unknown>): Node => {
    const sub = (args['webhookSubscription'] ?? {}) as Record<string, unknown>;
    const url = sub['callbackUrl'];
    if (args['topic'] !== 'ORDERS_CREATE') return { webhookSubscription: null, userErrors: [{ field: ['topic'], message: 'The twin delivers ORDERS_CREATE only' }] };
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return { webhookSubscription: null, userErrors: [{ field: ['webhookSubscription', 'callbackUrl'], message: 'Address is invalid' }] };
    const id = `gid://shopify/WebhookSubscription/${subscriptions.size + 1}`;
    subscriptions.set(url, id);
    return { webhookSubscription: { id, topic: 'ORDERS_CREATE', format: 'JSON', endpoint: { __typename: 'WebhookHttpEndpoint', callbackUrl: url }, callbackUrl: url }, userErrors: [] };
  };

  /** Top-level fields: what each needs (items, read) before the call and how it resolves. */
  const plan = (op: OperationDefinitionNode, field: FieldNode, variables: Record<string, unknown>): { items: number; read: boolean; resolve: () => Node } => {
    const args = argsOf(field, variables);
    const name = field.name.value;
    const input = (args['input'] ?? {}) as Record<string, unknown>;
    if (op.operation === 'mutation' && name === 'inventorySetQuantities') {
      const { writes, errors } = setWrites(input);
      return { items: writes.length, read: false, resolve: () => applyMutation(input, writes, errors) };
    }
    if (op.operation === 'mutation' && name === 'inventoryAdjustQuantities') {
      const { writes, errors } = adjustWrites(input);
      return { items: writes.length, read: false, resolve: () => applyMutation(input, writes, errors) };
    }
    if (op.operation === 'mutation' && name === 'webhookSubscriptionCreate') return { items: 0, read: false, resolve: () => subscribe(args) };
    if (op.operation === 'query' && name === 'inventoryItems') return { items: 0, read: true, resolve: () => itemsConnection(args) };
    if (op.operation === 'query' && name === 'inventoryItem') {
      return { items: 0, read: true, resolve: () => { const i = skuIndex(args['id']); return i === undefined ? null : itemNode(i); } };
    }
    if (op.operation === 'query' && name === 'locations') {
      return { items: 0, read: true, resolve: () => ({ nodes: [{ id: SHOPIFY_LOCATION_ID, name: 'Twin warehouse', isActive: true }], edges: [{ cursor: 'MQ==', node: { id: SHOPIFY_LOCATION_ID, name: 'Twin warehouse', isActive: true } }], pageInfo: { hasNextPage: false, endCursor: 'MQ==' } }) };
    }
    if (op.operation === 'query' && name === 'shop') return { items: 0, read: true, resolve: () => ({ name: ctx.credentials.account, myshopifyDomain: shopDomain() }) };
    throw new GraphqlError(`Field '${name}' doesn't exist on type '${op.operation === 'mutation' ? 'Mutation' : 'QueryRoot'}'`, 'undefinedField');
  };

  const shopDomain = (): string => `${ctx.credentials.account}.myshopify.com`;

  const refusal = async (reply: FastifyReply, r: CallRefusal, cost: number, nowMs: number): Promise<FastifyReply> => {
    switch (r.kind) {
      case 'throttled':
      case 'listing_quota':
        return reply.code(200).send({
          errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
          extensions: { cost: { requestedQueryCost: cost, actualQueryCost: null, throttleStatus: throttleStatus(nowMs) } },
        });
      case 'server_error':
        return reply.code(500).send({ errors: [{ message: 'Internal error. Looks like something went wrong on our end.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      case 'unavailable':
        return reply.code(503).send({ errors: 'Service Unavailable' });
      case 'timeout':
        // channel.call has already held the answer for the timeout; the client sees a gateway timeout.
        return reply.code(504).send({ errors: 'Gateway Timeout' });
    }
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const token = request.headers['x-shopify-access-token'];
    if (typeof token !== 'string' || !tokenMatches(token, ctx.credentials.accessToken)) return reply.code(401).send(INVALID_TOKEN_BODY);
    let body: unknown;
    try {
      body = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch {
      return reply.code(400).send({ errors: 'Invalid JSON in request body' });
    }
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b['query'] !== 'string' || b['query'] === '') return reply.code(400).send({ errors: { query: 'Required parameter missing or invalid' } });
    const variables = (typeof b['variables'] === 'object' && b['variables'] !== null ? b['variables'] : {}) as Record<string, unknown>;
    const nowMs = ctx.time.nowMs();
    try {
      const doc = parse(b['query']);
      const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const op = typeof b['operationName'] === 'string' ? ops.find((o) => o.name?.value === b['operationName']) : ops[0];
      if (op === undefined) throw new GraphqlError('No operation named in the document', 'operationNotFound');
      if (op.operation === 'subscription') throw new GraphqlError('Subscriptions are not supported', 'unsupported');
      const fields = op.selectionSet.selections.map((s) => {
        if (s.kind !== Kind.FIELD) throw new GraphqlError('Fragments at the root are not supported by the twin', 'unsupported');
        return { field: s, plan: plan(op, s, variables) };
      });
      const items = fields.reduce((n, f) => n + f.plan.items, 0);
      const cost = costOf(items);
      const outcome = await channel.call({ items, read: fields.every((f) => f.plan.read) }, () => {
        // Mirror the bucket's admission at the time the channel model took it.
        availAt = available(nowMs) - cost;
        availT = nowMs;
        const data: Record<string, Json> = {};
        for (const f of fields) data[f.field.alias?.value ?? f.field.name.value] = project(f.plan.resolve(), f.field.selectionSet, variables, f.field.name.value);
        return data;
      });
      if (!outcome.ok) return await refusal(reply, outcome, cost, nowMs);
      return await reply.code(200).send({ data: outcome.value, extensions: { cost: { requestedQueryCost: cost, actualQueryCost: cost, throttleStatus: throttleStatus(ctx.time.nowMs()) } } });
    } catch (e) {
      if (e instanceof GraphqlError) return reply.code(200).send({ errors: [{ message: e.message, extensions: { code: e.code } }] });
      if (e instanceof Error && e.name === 'GraphQLError') return reply.code(200).send({ errors: [{ message: e.message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
      throw e;
    }
  };

  // ---- webhooks --------------------------------------------------------------------------

  const notification = channel.preset.orderNotification;

  const sign = (body: string): string => createHmac('sha256', ctx.credentials.secret).update(body).digest('base64');

  /** Real ms a scenario delay takes (RealTimeSource compresses by its speedup). */
  const attemptDelayMs = (attempt: number): number => {
    if (notification.mode !== 'webhook' || notification.maxDeliveryAttempts <= 1) return 0;
    // Exponential backoff whose steps sum to the retry window: step k = base * 2^(k-1).
    const retries = notification.maxDeliveryAttempts - 1;
    const base = (notification.retryWindowS * 1000) / (2 ** retries - 1);
    return base * 2 ** (attempt - 1);
  };

  const deliver = (d: Delivery): void => {
    if (closed) return;
    stats.attempts++;
    const controller = new AbortController();
    aborts.add(controller);
    const timer = setTimeout(() => controller.abort(), WEBHOOK_TIMEOUT_REAL_MS);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-hmac-sha256': sign(d.body),
      'x-shopify-shop-domain': shopDomain(),
      'x-shopify-api-version': API_VERSION,
      'x-shopify-webhook-id': d.webhookId,
      'x-shopify-event-id': d.eventId,
      'x-shopify-triggered-at': d.triggeredAt,
    };
    void fetch(d.url, { method: 'POST', headers, body: d.body, signal: controller.signal })
      .then(async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        return res.ok;
      })
      .catch(() => false)
      .then((ok) => {
        clearTimeout(timer);
        aborts.delete(controller);
        if (closed) return;
        if (ok) {
          stats.pending--;
          return;
        }
        stats.failed++;
        const max = notification.mode === 'webhook' ? notification.maxDeliveryAttempts : 1;
        if (d.attempt >= max) {
          stats.pending--;
          stats.abandoned++;
          return;
        }
        const next = { ...d, attempt: d.attempt + 1 };
        ctx.time.schedule(attemptDelayMs(d.attempt), () => deliver(next));
      });
  };

  const enqueue = (d: Delivery, delayMs: number): void => {
    if (stats.pending >= MAX_PENDING_DELIVERIES) {
      stats.abandoned++;
      return;
    }
    stats.pending++;
    ctx.time.schedule(delayMs, () => deliver(d));
  };

  const payload = (order: TwinOrder): string => {
    const id = 5_000_000_000 + order.number;
    const createdAt = new Date(ctx.time.wallClockMs(order.placedAtMs)).toISOString();
    const skuI = channel.skus.indexOf(order.sku);
    const price = '10.00';
    const total = (10 * order.units).toFixed(2);
    return JSON.stringify({
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${1000 + order.number}`,
      order_number: 1000 + order.number,
      created_at: createdAt,
      updated_at: createdAt,
      processed_at: createdAt,
      currency: 'USD',
      financial_status: 'paid',
      fulfillment_status: null,
      confirmed: true,
      test: false,
      total_price: total,
      subtotal_price: total,
      source_name: 'web',
      line_items: [
        {
          id: 10_000_000_000 + order.number,
          admin_graphql_api_id: `gid://shopify/LineItem/${10_000_000_000 + order.number}`,
          variant_id: 40_000_000_000 + skuI + 1,
          product_id: 7_000_000_000 + skuI + 1,
          sku: order.sku,
          title: order.sku,
          quantity: order.units,
          current_quantity: order.units,
          fulfillable_quantity: order.units,
          price,
          requires_shipping: true,
          fulfillment_service: 'manual',
        },
      ],
    });
  };

  return {
    dialect: 'shopify',
    register(app: FastifyInstance): void {
      // Encapsulated so the raw-string JSON parser (to answer malformed bodies in Shopify's shape) stays local.
      void app.register(async (scope) => {
        scope.removeContentTypeParser('application/json');
        scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, raw, done) => done(null, raw));
        scope.post('/admin/api/:version/graphql.json', handle);
      });
    },
    orderPlaced(order: TwinOrder): void {
      if (closed || notification.mode !== 'webhook') return;
      const urls = [...subscriptions.keys()];
      if (ctx.webhookUrl !== undefined && !subscriptions.has(ctx.webhookUrl)) urls.push(ctx.webhookUrl);
      const body = payload(order);
      const triggeredAt = new Date(ctx.time.wallClockMs(order.placedAtMs)).toISOString();
      for (const url of urls) {
        const n = nextId++;
        const d: Delivery = { webhookId: `twin-${channel.id}-${n}`, eventId: `twin-event-${channel.id}-${order.number}`, body, url, attempt: 1, triggeredAt };
        enqueue(d, sampleLatencyMs(notification.delay, rng));
        // At-least-once: a separate delivery of the same webhook id, as Shopify's duplicates are.
        if (rng.next() < notification.duplicateRate) enqueue(d, sampleLatencyMs(notification.delay, rng) + notification.reorderWindowMs * rng.next());
      }
    },
    webhookStats: () => ({ ...stats }),
    close(): Promise<void> {
      closed = true;
      for (const c of aborts) c.abort();
      aborts.clear();
      return Promise.resolve();
    },
  };
};

/** A stable 32-bit seed from the channel id when the context brings no stream. */
function seedOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return h;
}
