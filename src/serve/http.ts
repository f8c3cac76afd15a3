/**
 * The HTTP layer of `invsim serve` (the contract: loadtest/contract.openapi.yaml), on fastify.
 *
 * Every request is validated against its JSON Schema (ajv with `allErrors`, no type coercion,
 * unknown fields refused rather than dropped), and every 400 names each bad field. Bodies are
 * kept as raw bytes by the content-type parser: a webhook's HMAC-SHA256 signature is checked over
 * exactly the bytes received, before anything is parsed. The order of checks, each answering
 * before anything changes: unknown channel 404 and missing admin token 401 (before the body is
 * read), body over 64 KiB 413, bad signature 401, malformed JSON or fields 400.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { IntakeClosedError, IntakeFullError } from './intake.js';
import { KeyReusedError } from './keys.js';
import { StoreUnavailableError } from '../stores/errors.js';
import { ServiceLimitError, StoreFailureError } from './generation.js';
import {
  Adjustment,
  Audit,
  ChannelParams,
  Health,
  InventoryView,
  MAX_BODY_BYTES,
  MutationResult,
  OrderWebhook,
  Problem,
  Readiness,
  ResetResult,
  StartResult,
  SkuParams,
  type AdjustmentBody,
  type OrderWebhookBody,
  type ProblemBody,
} from './schemas.js';
import { ServiceUnavailableError, type InventoryService } from './service.js';
import { DEFAULT_SIGNATURE_TOLERANCE_S, SIGNATURE_HEADER, tokenMatches, verifySignature, type SignatureCheck } from './signature.js';

export interface Secrets {
  readonly webhookSecret: string;
  readonly adminToken: string;
}

/**
 * What a client may hold of the server, so that slow or idle clients cannot use up its
 * connections: a request's headers must arrive within `headersTimeoutMs` and the whole request
 * (body included) within `requestTimeoutMs` (408 and the connection closed, checked every
 * second), a connection with no traffic for `socketTimeoutMs` is closed, a keep-alive connection
 * idle between requests for `keepAliveTimeoutMs`, and at most `maxConnections` are open at once
 * (more are closed as they arrive).
 */
export interface HttpLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  socketTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 2_000,
};

/** Throws a RangeError naming the limit that is not a positive whole number (or is inconsistent). */
export function validateHttpLimits(limits: HttpLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${String(value)}`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(`headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
}

export interface HttpOptions {
  readonly secrets: Secrets;
  /** How far a webhook's signed time may be from now, either way (default 300 s). */
  readonly signatureToleranceS?: number;
  /** The clock signatures are judged on (tests; default Date.now). */
  readonly nowMs?: () => number;
  /** Default DEFAULT_HTTP_LIMITS. */
  readonly limits?: HttpLimits;
  /** Answers to expect while draining: see `close` in index.ts. */
  readonly logger?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's body must carry a valid X-Invsim-Signature. */
    signed?: boolean;
    /** The route reads the raw bytes itself (a marketplace dialect's webhook, signed its own way). */
    rawBody?: boolean;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const errorResponses = { '4xx': Problem, '5xx': Problem } as const;

interface ValidationIssue {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

export function buildHttpServer(service: InventoryService, options: HttpOptions): FastifyInstance {
  const { secrets } = options;
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  validateHttpLimits(limits);
  const app = Fastify({
    logger: options.logger ?? false,
    // Node checks the header and request deadlines every connectionsCheckingInterval (default 30 s).
    http: { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: 1_000 },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.socketTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });

  app.server.maxConnections = limits.maxConnections;

  // JSON only, kept as raw bytes: signatures are computed over them. Parsed in preValidation.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => done(null, body));

  app.addHook('preValidation', async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : undefined;
    if (request.routeOptions.config.signed === true) {
      const check = verifySignature(request.headers[SIGNATURE_HEADER], raw ?? Buffer.alloc(0), secrets.webhookSecret, {
        toleranceS: options.signatureToleranceS ?? DEFAULT_SIGNATURE_TOLERANCE_S,
        ...(options.nowMs === undefined ? {} : { nowMs: options.nowMs() }),
      });
      if (!check.ok) return problem(reply, 401, 'invalid_signature', signatureProblem(check, options.signatureToleranceS ?? DEFAULT_SIGNATURE_TOLERANCE_S));
    }
    if (raw === undefined || request.routeOptions.config.rawBody === true) return undefined;
    let text: string;
    try {
      text = UTF8.decode(raw);
    } catch {
      // Decoding leniently would turn every invalid sequence into U+FFFD and merge distinct ids.
      return problem(reply, 400, 'malformed_json', 'the body is not valid UTF-8', [{ field: '(body)', message: 'invalid UTF-8 byte sequence' }]);
    }
    try {
      request.body = raw.length === 0 ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      return problem(reply, 400, 'malformed_json', 'the body is not valid JSON', [{ field: '(body)', message: error instanceof Error ? error.message : String(error) }]);
    }
    return undefined;
  });

  const requireAdmin = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const header = request.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (token !== undefined && tokenMatches(token, secrets.adminToken)) return undefined;
    void reply.header('www-authenticate', 'Bearer realm="invsim-admin"');
    return problem(reply, 401, 'unauthorized', 'admin endpoints need "Authorization: Bearer <admin token>"');
  };

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation !== undefined) {
      const issues = error.validation.map((v) => issueOf(v as ValidationIssue, error.validationContext));
      return problem(reply, 400, 'invalid_request', `${issues.length} invalid field${issues.length === 1 ? '' : 's'}: ${issues.map((i) => i.field).join(', ')}`, issues);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return problem(reply, 413, 'payload_too_large', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return problem(reply, 415, 'unsupported_media_type', 'send Content-Type: application/json');
    if (error instanceof IntakeFullError) {
      void reply.header('retry-after', '1');
      return problem(reply, 503, 'overloaded', error.message);
    }
    if (error instanceof IntakeClosedError || error instanceof ServiceUnavailableError) return problem(reply, 503, 'unavailable', error.message);
    if (error instanceof StoreFailureError || error instanceof StoreUnavailableError) {
      // The mutation's outcome may be unknown (a commit whose answer was lost): a redelivery
      // carries the same mutationId and gets the true answer from the idempotency record.
      void reply.header('retry-after', '1');
      return problem(reply, 503, 'store_unavailable', error.message);
    }
    if (error instanceof ServiceLimitError) return problem(reply, 503, 'limit_reached', error.message);
    if (error instanceof KeyReusedError) return problem(reply, 409, 'idempotency_key_reused', error.message);
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) process.stderr.write(`invsim serve: internal error: ${error.stack ?? error.message}\n`);
    return problem(reply, status, status === 500 ? 'internal_error' : 'bad_request', status === 500 ? 'internal error (see the service log)' : error.message);
  });

  app.setNotFoundHandler((request, reply) => problem(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`));

  app.post<{ Params: { channel: string }; Body: OrderWebhookBody }>(
    '/webhooks/orders/:channel',
    {
      config: { signed: true },
      schema: { params: ChannelParams, body: OrderWebhook, response: { 200: MutationResult, ...errorResponses } },
      onRequest: async (request, reply) => {
        if (service.hasChannel(request.params.channel)) return undefined;
        return problem(reply, 404, 'unknown_channel', `no channel ${request.params.channel} in scenario ${service.scenario.name} (it has: ${service.channelIds.join(', ')})`);
      },
    },
    async (request) => service.receiveOrder(request.params.channel, request.body),
  );

  // External-channel mode: the marketplaces' own order webhooks, verified and parsed by the
  // channel's connector over the raw bytes (Shopify's X-Shopify-Hmac-Sha256, Woo's X-WC-Webhook-Signature).
  for (const dialect of ['shopify', 'woocommerce'] as const) {
    app.post<{ Params: { channel: string } }>(
      `/webhooks/${dialect}/:channel`,
      {
        config: { rawBody: true },
        schema: { params: ChannelParams },
        onRequest: async (request, reply) => {
          if (service.webhookIntake(request.params.channel) !== undefined && service.dialectOf(request.params.channel) === dialect) return undefined;
          return problem(reply, 404, 'unknown_channel', `no ${dialect} webhook channel ${request.params.channel} (the external channels are: ${service.channelIds.join(', ')})`);
        },
      },
      async (request, reply) => {
        const intake = service.webhookIntake(request.params.channel)!;
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const parsed = intake.receive(request.headers, raw);
        if (!parsed.ok) return problem(reply, parsed.status, parsed.status === 401 ? 'invalid_signature' : 'invalid_request', parsed.reason);
        const results = [];
        for (const order of parsed.orders) results.push(...(await service.receiveIncoming(request.params.channel, order)));
        return { results };
      },
    );
  }

  app.post<{ Params: { sku: string }; Body: AdjustmentBody }>(
    '/inventory/:sku/adjustments',
    { onRequest: requireAdmin, schema: { params: SkuParams, body: Adjustment, response: { 200: MutationResult, ...errorResponses } } },
    async (request) => service.adjust(request.params.sku, request.body),
  );

  app.get<{ Params: { sku: string } }>(
    '/inventory/:sku',
    { schema: { params: SkuParams, response: { 200: InventoryView, ...errorResponses } } },
    async (request, reply) => {
      const view = await service.inventory(request.params.sku);
      if (view === undefined) return problem(reply, 404, 'unknown_sku', `no SKU ${request.params.sku} (it has never been stocked or ordered)`);
      return view;
    },
  );

  app.get('/audit', { onRequest: requireAdmin, schema: { response: { 200: Audit, ...errorResponses } } }, async () => service.audit());

  app.post('/reset', { onRequest: requireAdmin, schema: { response: { 200: ResetResult, ...errorResponses } } }, async () => {
    await service.reset();
    return { status: 'reset' as const };
  });

  app.post('/start', { onRequest: requireAdmin, schema: { response: { 200: StartResult, ...errorResponses } } }, async () => ({ status: 'started' as const, ...service.start() }));

  app.get('/metrics', async (_request, reply) => {
    const text = await service.metrics.text();
    return reply.header('content-type', service.metrics.contentType).send(text);
  });

  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const, scenario: service.scenario.name, uptimeS: service.uptimeS() }));

  // Liveness (/healthz) says the process serves HTTP; readiness says it can take traffic now.
  app.get('/readyz', { schema: { response: { 200: Readiness, 503: Readiness } } }, async (_request, reply) => {
    const r = await service.readiness();
    if (r.ready) return { status: 'ready' as const, store: service.storeName };
    return reply.code(503).send({ status: 'unavailable' as const, store: service.storeName, reason: r.reason });
  });

  return app;
}

function signatureProblem(check: Exclude<SignatureCheck, { ok: true }>, toleranceS: number): string {
  switch (check.reason) {
    case 'missing':
      return 'no X-Invsim-Signature header';
    case 'malformed':
      return 'X-Invsim-Signature must be "t=<unix seconds>,v1=<64 hex digits>" (HMAC-SHA256 of "<t>.<body>")';
    case 'mismatch':
      return 'X-Invsim-Signature does not match the body and its timestamp';
    case 'expired':
      return `X-Invsim-Signature was made ${Math.abs(check.skewS)} s ${check.skewS > 0 ? 'ago' : 'ahead of this server\'s clock'}; at most ${toleranceS} s is accepted (a replayed or delayed webhook)`;
  }
}

function problem(reply: FastifyReply, status: number, error: string, message: string, issues?: ProblemBody['issues']): FastifyReply {
  const body: ProblemBody = issues === undefined ? { error, message } : { error, message, issues };
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
}

/** One ajv error as `{ field, message }`, the field a dotted path such as `quantity`. */
function issueOf(v: ValidationIssue, context: string | undefined): { field: string; message: string } {
  const path = v.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = v.keyword === 'required' ? v.params['missingProperty'] : undefined;
  const extra = v.keyword === 'additionalProperties' ? v.params['additionalProperty'] : undefined;
  if (typeof missing === 'string') path.push(missing);
  if (typeof extra === 'string') path.push(extra);
  const where = path.length === 0 ? `(${context ?? 'body'})` : path.join('.');
  const field = context === undefined || context === 'body' || path.length === 0 ? where : `${context}.${where}`;
  let message = v.message ?? v.keyword;
  if (typeof missing === 'string') message = 'is required';
  else if (typeof extra === 'string') message = 'is not an allowed field';
  else if (v.keyword === 'not') message = 'must not be 0';
  return { field, message };
}
