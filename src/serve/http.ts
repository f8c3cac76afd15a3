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
  ResetResult,
  SkuParams,
  type AdjustmentBody,
  type OrderWebhookBody,
  type ProblemBody,
} from './schemas.js';
import { ServiceUnavailableError, type InventoryService } from './service.js';
import { SIGNATURE_HEADER, tokenMatches, verifySignature } from './signature.js';

export interface Secrets {
  readonly webhookSecret: string;
  readonly adminToken: string;
}

export interface HttpOptions {
  readonly secrets: Secrets;
  /** Answers to expect while draining: see `close` in index.ts. */
  readonly logger?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's body must carry a valid X-Invsim-Signature. */
    signed?: boolean;
  }
}

const errorResponses = { '4xx': Problem, '5xx': Problem } as const;

interface ValidationIssue {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

export function buildHttpServer(service: InventoryService, options: HttpOptions): FastifyInstance {
  const { secrets } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });

  // JSON only, kept as raw bytes: signatures are computed over them. Parsed in preValidation.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => done(null, body));

  app.addHook('preValidation', async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : undefined;
    if (request.routeOptions.config.signed === true) {
      const check = verifySignature(request.headers[SIGNATURE_HEADER], raw ?? Buffer.alloc(0), secrets.webhookSecret);
      if (!check.ok) {
        const why = { missing: 'no X-Invsim-Signature header', malformed: 'X-Invsim-Signature must be "sha256=<64 hex digits>"', mismatch: 'X-Invsim-Signature does not match the body' }[check.reason];
        return problem(reply, 401, 'invalid_signature', why);
      }
    }
    if (raw === undefined) return undefined;
    try {
      request.body = raw.length === 0 ? undefined : (JSON.parse(raw.toString('utf8')) as unknown);
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
    if (error instanceof StoreFailureError) {
      // The mutation's outcome may be unknown (a commit whose answer was lost): a redelivery
      // carries the same mutationId and gets the true answer from the idempotency record.
      void reply.header('retry-after', '1');
      return problem(reply, 503, 'store_unavailable', error.message);
    }
    if (error instanceof ServiceLimitError) return problem(reply, 503, 'limit_reached', error.message);
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

  app.get('/metrics', async (_request, reply) => {
    const text = await service.metrics.text();
    return reply.header('content-type', service.metrics.contentType).send(text);
  });

  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const, scenario: service.scenario.name, uptimeS: service.uptimeS() }));

  return app;
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
