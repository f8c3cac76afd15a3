// Shared set-up for the service tests: start `invsim serve`'s server in-process on 127.0.0.1
// (port 0), sign requests the way a channel would, and read the admin endpoints.
import { fileURLToPath } from 'node:url';
import { InMemoryInventoryStore } from '../../src/engine/memory-store.js';
import type { Alert, CommitRequest, CommitResult } from '../../src/engine/ports.js';
import { getScenario, loadScenarioFile, parseScenarioText } from '../../src/scenarios/load.js';
import type { Scenario } from '../../src/scenarios/schema.js';
import { startServer, type RunningServer, type StoreFactory } from '../../src/serve/index.js';
import type { AuditBody, InventoryViewBody, MutationResultBody } from '../../src/serve/schemas.js';
import { signBody } from '../../src/serve/signature.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SECRETS = { webhookSecret: 'test-webhook-secret', adminToken: 'test-admin-token' } as const;

export function shippedScenario(name: string): Scenario {
  return getScenario(loadScenarioFile(`${ROOT}scenarios.yaml`), name);
}

export interface TestServer extends RunningServer {
  readonly alerts: Alert[];
}

/**
 * The embedded store with its commit wrapped: `wrap` gets the real commit and the request, so a
 * test can hold a commit, lose its answer, or fail it.
 */
export function memoryStoreWithCommit(name: string, wrap: (commit: (request: CommitRequest, nowMs: number) => Promise<CommitResult>, request: CommitRequest, nowMs: number) => Promise<CommitResult>): StoreFactory {
  return {
    name,
    shared: false,
    create: () => {
      const store = new InMemoryInventoryStore();
      const commit = store.commit.bind(store);
      store.commit = (request, nowMs) => wrap(commit, request, nowMs);
      return store;
    },
  };
}

export async function startTestServer(scenario: Scenario, options: { faults?: boolean; speedup?: number; storefront?: boolean; store?: StoreFactory } = {}): Promise<TestServer> {
  const alerts: Alert[] = [];
  const server = await startServer({
    scenario,
    host: '127.0.0.1',
    port: 0,
    secrets: SECRETS,
    faults: options.faults ?? true,
    ...(options.speedup === undefined ? {} : { speedup: options.speedup }),
    ...(options.storefront === undefined ? {} : { storefront: options.storefront }),
    ...(options.store === undefined ? {} : { store: options.store }),
    alerts: { raise: (a) => void alerts.push(a) },
  });
  return Object.assign(server, { alerts });
}

export async function postOrder(url: string, channel: string, order: { mutationId: string; orderId: string; sku: string; quantity: number }): Promise<{ status: number; body: MutationResultBody }> {
  const body = JSON.stringify(order);
  const res = await fetch(`${url}/webhooks/orders/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-invsim-signature': signBody(body, SECRETS.webhookSecret) },
    body,
  });
  return { status: res.status, body: (await res.json()) as MutationResultBody };
}

export function adminHeaders(): Record<string, string> {
  return { authorization: `Bearer ${SECRETS.adminToken}`, 'content-type': 'application/json' };
}

export async function adjust(url: string, sku: string, mutationId: string, quantityDelta: number): Promise<MutationResultBody> {
  const res = await fetch(`${url}/inventory/${sku}/adjustments`, { method: 'POST', headers: adminHeaders(), body: JSON.stringify({ mutationId, quantityDelta }) });
  if (res.status !== 200) throw new Error(`adjustment answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as MutationResultBody;
}

export async function audit(url: string): Promise<AuditBody> {
  const res = await fetch(`${url}/audit`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
  if (res.status !== 200) throw new Error(`/audit answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as AuditBody;
}

export async function inventory(url: string, sku: string): Promise<{ status: number; body: InventoryViewBody }> {
  const res = await fetch(`${url}/inventory/${sku}`);
  return { status: res.status, body: (await res.json()) as InventoryViewBody };
}

/** Two channels, one of them (`broken`) in an outage for the whole hour, with one quick retry: its updates park. */
export function brokenChannelScenario(): Scenario {
  return getScenario(parseScenarioText(`
scenarios:
  broken:
    durationS: 3600
    catalog: { skus: 5, initialStockMin: 1, initialStockMax: 5 }
    channels:
      - { id: good, preset: shopify-rest }
      - { id: broken, preset: woocommerce }
    demand: { ordersPerDay: 100 }
    faults: { outages: [{ channel: broken, startS: 0, durationS: 3600 }] }
    inventory_sync:
      retry_policy: { max_retries: 1, base_delay_ms: 5, max_delay_ms: 10, backoff_multiplier: 2 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies:
      event-driven: { kind: event-driven }
`), 'broken');
}
