/**
 * `invsim serve` as a library: start the reference service on a host and port, stop it with a
 * graceful drain. The CLI command (src/cli/commands/serve.ts) and the tests both use this.
 */
import type { FastifyInstance } from 'fastify';
import { buildHttpServer, type HttpLimits, type Secrets } from './http.js';
import type { AuditBody } from './schemas.js';
import { InventoryService, type InventoryServiceOptions } from './service.js';

export { InventoryService, type InventoryServiceOptions } from './service.js';
export { buildHttpServer, DEFAULT_HTTP_LIMITS, type HttpLimits, type Secrets } from './http.js';
export {
  DEFAULT_CLAIM_IDLE_MS,
  memoryStoreFactory,
  openStoreFactory,
  sharedStoreFactory,
  UnsupportedStoreError,
  type OpenStoreFactoryOptions,
  type StoreFactory,
  type StoreContext,
} from './store.js';
export { DEFAULT_SIGNATURE_TOLERANCE_S, signBody, verifySignature, SIGNATURE_HEADER } from './signature.js';
export { combineAudits, type ClusterAudit, type ClusterViolation, type StoreLevelView } from './cluster.js';

export interface ServeOptions extends InventoryServiceOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly secrets: Secrets;
  /** Timeouts and the connection cap (default DEFAULT_HTTP_LIMITS). */
  readonly limits?: HttpLimits;
  /** How far a webhook's signed time may be from now (default 300 s). */
  readonly signatureToleranceS?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly service: InventoryService;
  /**
   * Graceful stop: refuse new requests (503), let those in flight finish, give propagation up to
   * the rest of `drainTimeoutMs` to reach the channels, then stop the engine. Resolves with the
   * audit taken after the drain.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<{ drained: boolean; settled: boolean; audit: AuditBody | undefined }>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const service = await InventoryService.create(options);
  let app: FastifyInstance;
  try {
    app = buildHttpServer(service, {
      secrets: options.secrets,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.signatureToleranceS === undefined ? {} : { signatureToleranceS: options.signatureToleranceS }),
    });
  } catch (error) {
    await service.close();
    throw error;
  }
  let draining = false;
  // While draining, every answer closes its connection, so a keep-alive client cannot hold the
  // server open after its last request.
  app.addHook('onSend', async (_request, reply) => {
    if (draining) void reply.header('connection', 'close');
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await service.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<{ drained: boolean; settled: boolean; audit: AuditBody | undefined }> | undefined;
  return {
    url: `http://${host}:${port}`,
    app,
    service,
    close: ({ drainTimeoutMs = 10_000 } = {}) => {
      closing ??= (async () => {
        const started = performance.now();
        draining = true;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), drainTimeoutMs);
        });
        const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
        const drained = await Promise.race([app.close().then(() => true as const), timedOut]);
        clearInterval(sweeper);
        clearTimeout(timer);
        if (!drained) app.server.closeAllConnections();
        const left = Math.max(0, drainTimeoutMs - (performance.now() - started));
        const settled = await service.settle(left);
        const audit = await service.audit().catch(() => undefined);
        await service.close();
        return { drained, settled, audit };
      })();
      return closing;
    },
  };
}
