// Shared set-up for the multi-instance tests: `invsim serve` processes (the built CLI, `node
// bin/invsim.js serve`, as an operator runs it) on 127.0.0.1 with port 0, sharing one Redis
// namespace or PostgreSQL schema of their own; a sender that signs webhooks and redelivers the
// unacknowledged ones; and a server-side record of every applied commit (Redis MONITOR, a
// PostgreSQL trigger) to check "applied exactly once" per mutation. Every process started here
// is tracked and killed by `stopAll`, which the tests call in afterAll, failure or not.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { openStore } from '../../src/stores/open.js';
import { connectClient } from '../../src/stores/pg-util.js';
import type { PostgresInventoryStore } from '../../src/stores/postgres.js';
import type { RedisInventoryStore } from '../../src/stores/redis.js';
import type { AuditBody, InventoryViewBody, MutationResultBody } from '../../src/serve/schemas.js';
import { ROOT, SECRETS, adminHeaders } from '../serve/helpers.js';
import { signBody } from '../../src/serve/signature.js';
import { POSTGRES_URL, REDIS_URL, postgresStatus, redisStatus, shouldRun, withParams } from '../stores/services.js';

export const SCENARIO_FILE = `${ROOT}test/serve-stores/scenarios.yaml`;
export const SCENARIO = 'shared-burst';
export const CHANNELS = ['shopify', 'amazon', 'woo'] as const;
const BIN = `${ROOT}bin/invsim.js`;
const START_TIMEOUT_MS = 20_000;

// ---- serve processes ------------------------------------------------------------------------

export interface ServeProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** stderr so far (for failure messages). */
  log(): string;
  readonly exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();
// The last resort, should the test process end without its afterAll: no server outlives it.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `invsim serve` on 127.0.0.1:0 and resolves once it says where it listens. */
export async function startServe(store: string, name: string, scenario: string = SCENARIO): Promise<ServeProcess> {
  if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error('dist/ is missing: these tests run the built CLI (npm test builds first; or npx tsc -p tsconfig.build.json)');
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      SCENARIO_FILE,
      '--scenario',
      scenario,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--store',
      store,
      '--instance',
      name,
      // A dead instance's claims are taken over after 1 s; channel models reconciled twice a second.
      '--claim-idle-s',
      '1',
      '--reconcile-every-s',
      '0.5',
      '--drain-timeout-s',
      '2',
    ],
    { env: { ...process.env, INVSIM_WEBHOOK_SECRET: SECRETS.webhookSecret, INVSIM_ADMIN_TOKEN: SECRETS.adminToken }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(child);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not listen within ${START_TIMEOUT_MS} ms:\n${stderr}`)), START_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${stderr}`));
    });
  });
  return { name, url, child, log: () => stderr, exited };
}

/** SIGKILL: no drain, no goodbye (a crash). */
export async function crash(p: ServeProcess): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

/** Every process still running: SIGTERM (they drain for at most 2 s), SIGKILL after 5 s. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...live].map(async (child) => {
      const gone = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }),
  );
}

// ---- requests -----------------------------------------------------------------------------

export interface Order {
  readonly mutationId: string;
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
}

export function orders(count: number, sku: string, prefix = 'order'): Order[] {
  return Array.from({ length: count }, (_, n) => ({ mutationId: `${prefix}-${n}`, orderId: `${prefix}-${n}`, sku, quantity: 1 }));
}

export async function postOrder(url: string, channel: string, order: Order): Promise<{ status: number; body: MutationResultBody }> {
  const body = JSON.stringify(order);
  const res = await fetch(`${url}/webhooks/orders/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-invsim-signature': signBody(body, SECRETS.webhookSecret) },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as MutationResultBody };
}

export async function adjust(url: string, sku: string, mutationId: string, quantityDelta: number): Promise<MutationResultBody> {
  const res = await fetch(`${url}/inventory/${sku}/adjustments`, { method: 'POST', headers: adminHeaders(), body: JSON.stringify({ mutationId, quantityDelta }) });
  if (res.status !== 200) throw new Error(`adjustment answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as MutationResultBody;
}

export async function reset(url: string): Promise<void> {
  const res = await fetch(`${url}/reset`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
  if (res.status !== 200) throw new Error(`/reset answered ${res.status}: ${await res.text()}`);
}

export async function audit(url: string): Promise<AuditBody> {
  const res = await fetch(`${url}/audit`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
  if (res.status !== 200) throw new Error(`/audit answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as AuditBody;
}

export async function inventory(url: string, sku: string): Promise<InventoryViewBody> {
  const res = await fetch(`${url}/inventory/${sku}`);
  if (res.status !== 200) throw new Error(`/inventory/${sku} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as InventoryViewBody;
}

/** Polls `check` until it passes or `timeoutMs` runs out; then it throws the last failure. */
export async function eventually(check: () => Promise<void>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

/** Every channel model of every instance lists the store's level (`/inventory` on each). */
export async function expectConverged(urls: readonly string[], sku: string, level: { quantity: number; version: number }, timeoutMs: number): Promise<void> {
  await eventually(async () => {
    for (const url of urls) {
      const view = await inventory(url, sku);
      expect({ url, quantity: view.quantity, version: view.version }).toEqual({ url, ...level });
      for (const listing of view.channels) expect({ url, channel: listing.channel, quantity: listing.quantity, version: listing.version }).toEqual({ url, channel: listing.channel, ...level });
    }
  }, timeoutMs);
}

// ---- the stores under test ------------------------------------------------------------------

/**
 * One isolated store for a test (a Redis namespace or a PostgreSQL schema of its own), the URL
 * the instances get, the store opened in the test for checks, and a record of every applied
 * commit made on it, kept by the server: each commit's outbox append is the one write only an
 * applied commit makes, inside the same atomic step.
 */
export interface StoreUnderTest {
  readonly kind: 'redis' | 'postgres';
  readonly url: string;
  readonly store: RedisInventoryStore | PostgresInventoryStore;
  /** mutationIds of every applied commit since `startRecording`, in commit order. */
  applied(): Promise<string[]>;
  /** Outbox entries not yet acknowledged (claimed or not). */
  outboxLength(): Promise<number>;
  /** Outbox entries claimed by an instance (`--instance` name) and not acknowledged. */
  claimedBy(instance: string): Promise<number>;
  /**
   * Cuts, on the server, every connection to this namespace or schema (Redis CLIENT KILL,
   * PostgreSQL pg_terminate_backend), as a failover or a network blip would; returns how many.
   */
  cutConnections(): Promise<number>;
  cleanup(): Promise<void>;
}

function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
}

/**
 * The stores the multi-instance suites run on, each with whether to run (a server that is down
 * skips its suite with a note, or fails it under INVSIM_REQUIRE_SERVICES=1) and how to open it.
 */
export async function storesUnderTest(): Promise<readonly { name: 'Redis' | 'PostgreSQL'; run: boolean; open: () => Promise<StoreUnderTest> }[]> {
  const [redis, postgres] = await Promise.all([redisStatus(), postgresStatus()]);
  return [
    { name: 'Redis', run: shouldRun(redis), open: redisUnderTest },
    { name: 'PostgreSQL', run: shouldRun(postgres), open: postgresUnderTest },
  ];
}

export async function redisUnderTest(): Promise<StoreUnderTest> {
  const namespace = uniqueName('serve');
  const url = withParams(REDIS_URL, { namespace });
  const store = (await openStore(url)) as RedisInventoryStore;
  const outboxKey = `invsim:{${namespace}}:outbox`;
  const applied: string[] = [];
  // MONITOR shows every command a script runs ("lua" as the source): the commit script's XADD
  // on this namespace's outbox is an applied commit, with its mutationId among the fields.
  const monitor = await new Redis(REDIS_URL).monitor();
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toUpperCase() !== 'XADD' || args[1] !== outboxKey) return;
    const i = args.indexOf('mutationId');
    if (i > 0) applied.push(args[i + 1]!);
  });
  const probe = new Redis(REDIS_URL);
  return {
    kind: 'redis',
    url,
    store,
    applied: async () => [...applied],
    outboxLength: async () => probe.xlen(outboxKey),
    claimedBy: async (instance) => {
      // XPENDING's summary: [count, first, last, [[consumer, count], …]]; consumers are `<instance>#<generation>`.
      const summary = (await probe.xpending(outboxKey, 'dispatchers')) as [number, string, string, [string, string][] | null];
      return (summary[3] ?? []).filter(([consumer]) => consumer.startsWith(`${instance}#`)).reduce((t, [, n]) => t + Number(n), 0);
    },
    cutConnections: async () => {
      // The store names its connections `invsim:<namespace>` (CLIENT SETNAME).
      const list = String(await probe.call('CLIENT', 'LIST', 'TYPE', 'normal'));
      const ids = list
        .split('\n')
        .filter((line) => line.includes(` name=invsim:${namespace} `))
        .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => id !== undefined);
      for (const id of ids) await probe.call('CLIENT', 'KILL', 'ID', id);
      return ids.length;
    },
    cleanup: async () => {
      monitor.disconnect();
      probe.disconnect();
      await store.reset();
      await store.close();
    },
  };
}

export async function postgresUnderTest(): Promise<StoreUnderTest> {
  const schema = uniqueName('invsim_serve');
  const url = withParams(POSTGRES_URL, { schema });
  // Migrating first, as an operator would (`invsim migrate`); the instances refuse an unmigrated schema.
  const store = (await openStore(url, { migrate: true })) as PostgresInventoryStore;
  const s = `"${schema}"`;
  // A trigger on the outbox runs inside the commit's transaction: it rolls back with it.
  await store.query(`CREATE TABLE ${s}.applied_log (n bigserial PRIMARY KEY, mutation_id text NOT NULL)`);
  await store.query(
    `CREATE FUNCTION ${s}.log_applied() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ${s}.applied_log (mutation_id) VALUES (NEW.mutation_id); RETURN NEW; END $$`,
  );
  await store.query(`CREATE TRIGGER log_applied AFTER INSERT ON ${s}.outbox FOR EACH ROW EXECUTE FUNCTION ${s}.log_applied()`);
  return {
    kind: 'postgres',
    url,
    store,
    applied: async () => (await store.query(`SELECT mutation_id FROM ${s}.applied_log ORDER BY n`)).rows.map((r) => String((r as { mutation_id: string }).mutation_id)),
    outboxLength: async () => Number((await store.query(`SELECT count(*) AS n FROM ${s}.outbox`)).rows[0]?.n ?? -1),
    claimedBy: async (instance) => Number((await store.query(`SELECT count(*) AS n FROM ${s}.outbox WHERE claimed_by LIKE $1`, [`${instance}#%`])).rows[0]?.n ?? -1),
    cutConnections: async () => {
      // Every statement the store sends names its schema: the sessions whose last query did.
      const killer = await connectClient(POSTGRES_URL);
      try {
        const r = await killer.query(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND position($1 in query) > 0`,
          [s],
        );
        return r.rows.filter((row) => (row as { ok: boolean }).ok).length;
      } finally {
        await killer.end();
      }
    },
    cleanup: async () => {
      await store.dropSchema();
      await store.close();
    },
  };
}
