// The InventoryStore contract and the shared-outbox contract against PostgreSQL, plus what
// only PostgreSQL shows: migrations apply once and `invsim migrate` reports them, the CHECK
// constraint refuses a negative level, a commit killed by the server after its first writes
// leaves nothing, the outbox read barrier never lets a reader skip a seq that commits late,
// expired idempotency rows are purged, and connection failures are clear at open.
// Every server and database comes from INVSIM_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test);
// skipped, with a note, when none answers there.
import { afterAll, describe, expect, it } from 'vitest';
import { systemTimers } from '../../src/adapters/system.js';
import { migrateCommand, migrateStore } from '../../src/cli/commands/migrate.js';
import { StoreUnavailableError } from '../../src/stores/errors.js';
import { openStore } from '../../src/stores/open.js';
import { connectClient, LOCK_CLASS, lockId } from '../../src/stores/pg-util.js';
import { PostgresInventoryStore } from '../../src/stores/postgres.js';
import { inventoryStoreContract, request, sharedOutboxContract, T0 } from './contract.js';
import { postgresHarness } from './harness.js';
import { POSTGRES_URL, postgresStatus, postgresTarget, shouldRun, unreachablePostgresUrl, withDatabase, withParams } from './services.js';

const status = await postgresStatus();
const run = shouldRun(status);

let counter = 0;
const schemaName = (): string => `invsim_x_${process.pid}_${++counter}`;
const withSchema = (schema: string): string => withParams(POSTGRES_URL, { schema });
/** `host:port/database` of the server under test, as the store's messages name it. */
const TARGET = postgresTarget(POSTGRES_URL);

/** Captures what a command prints. */
function io() {
  const captured = { out: '', err: '' };
  return { captured, io: { out: (t: string) => void (captured.out += t), err: (t: string) => void (captured.err += t) } };
}

/** Polls until `check` returns a value (or throws after `timeoutMs`). */
async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await systemTimers.sleep(10);
  }
}

describe.skipIf(!run)('PostgreSQL store', () => {
  inventoryStoreContract(postgresHarness());
  sharedOutboxContract(postgresHarness());

  describe('PostgreSQL specifics', () => {
    const opened: PostgresInventoryStore[] = [];
    const schemas: string[] = [];
    async function open(options: { schema?: string } = {}) {
      const schema = options.schema ?? schemaName();
      if (!schemas.includes(schema)) schemas.push(schema);
      const store = await PostgresInventoryStore.open({ url: POSTGRES_URL, schema, migrate: true });
      opened.push(store);
      return store;
    }
    afterAll(async () => {
      const admin = opened[0];
      for (const schema of schemas) await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(opened.map((s) => s.close()));
    });

    it('migrate applies every migration once, in order; a second run applies nothing; the command says so', async () => {
      const schema = schemaName();
      schemas.push(schema);
      const all = ['001_init', '002_idempotency_records'];
      const first = await migrateStore(withSchema(schema));
      expect(first.report).toEqual({ schema, applied: all, current: all });
      const second = await migrateStore(withSchema(schema));
      expect(second.report).toEqual({ schema, applied: [], current: all });
      const { captured, io: cli } = io();
      expect(await migrateCommand({ store: withSchema(schema), json: false }, cli)).toBe(0);
      expect(captured.out).toContain(`schema ${schema} at ${TARGET} is up to date (${all.join(', ')})`);
      const store = await open({ schema });
      expect((await store.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).rows).toEqual(all.map((version) => ({ version })));
    });

    it('concurrent migrate runs (instances starting at once) apply each file exactly once', async () => {
      const schema = schemaName();
      schemas.push(schema);
      const reports = await Promise.all(Array.from({ length: 4 }, () => migrateStore(withSchema(schema))));
      expect(reports.map((r) => r.report?.applied.length).sort()).toEqual([0, 0, 0, 2]);
    });

    it('opening an unmigrated schema fails at once and names the command that fixes it', async () => {
      const schema = schemaName();
      const error = await openStore(withSchema(schema)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message.startsWith(`postgres schema ${schema} at ${TARGET} is not migrated (pending: 001_init, 002_idempotency_records); run: invsim migrate --store '`)).toBe(true);
      expect((error as Error).message).toContain(`schema=${schema}`);
    });

    it('the CHECK constraint refuses a negative level even outside the store', async () => {
      const store = await open();
      await store.seed('A', 1);
      await expect(store.query(`UPDATE "${store.schema}".inventory_levels SET quantity = -1 WHERE sku = 'A'`)).rejects.toThrow(/check constraint/);
    });

    it('a commit killed by the server after writing its key and outbox event, before its level, leaves nothing', async () => {
      const store = await open();
      await store.seed('A', 5);
      // Another session holds the level row, so the commit stops at its last write, with the
      // idempotency key and the outbox event already written inside its transaction.
      const blocker = await connectClient(POSTGRES_URL);
      await blocker.query(`BEGIN; SELECT * FROM "${store.schema}".inventory_levels WHERE sku = 'A' FOR UPDATE`);
      const commit = store.commit(request({ mutationId: 'victim' }), T0).then(
        () => 'committed',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      const pid = await until(async () => {
        const rows = await store.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
          [`%"${store.schema}".invsim_commit%`],
        );
        return (rows.rows[0] as { pid: number } | undefined)?.pid;
      });
      const inFlight = await store.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND locktype = 'transactionid' AND granted AND mode = 'ExclusiveLock'`,
        [pid],
      );
      expect((inFlight.rows[0] as { n: number }).n).toBeGreaterThan(0); // it has written: it holds a transaction id
      expect((await store.query('SELECT pg_terminate_backend($1) AS ok', [pid])).rows).toEqual([{ ok: true }]);
      expect(await commit).toMatch(/terminat|Connection/i);
      await blocker.query('ROLLBACK');
      await blocker.end();
      expect(await store.read('A')).toEqual({ quantity: 5, version: 1 });
      expect(await store.hasProcessed('victim', T0)).toBe(false);
      expect(await store.readOutbox(0, 10)).toEqual([]);
      // The pool replaced the dead connection: the next commit goes through.
      const next = await store.commit(request({ mutationId: 'victim' }), T0);
      expect(next.ok && next.level).toEqual({ quantity: 4, version: 2 });
    });

    it('readOutbox waits for a transaction holding a lower seq instead of skipping it', async () => {
      const store = await open();
      await store.seed('B', 5);
      const barrier = [LOCK_CLASS.outboxBarrier, lockId(store.schema)];
      // An in-flight commit, by hand: holds the barrier shared and a seq, not committed yet.
      const slow = await connectClient(POSTGRES_URL);
      await slow.query('BEGIN');
      await slow.query('SELECT pg_advisory_xact_lock_shared($1, $2)', barrier);
      const slowSeq = Number(
        (await slow.query(`INSERT INTO "${store.schema}".outbox (sku, quantity, version, mutation_id, source_channel, committed_at_ms) VALUES ('A', 1, 2, 'slow', 's', 0) RETURNING seq`)).rows[0].seq,
      );
      const fast = await store.commit(request({ mutationId: 'fast', sku: 'B' }), T0);
      if (!fast.ok) throw new Error('fast commit failed');
      expect(fast.outboxSeq).toBeGreaterThan(slowSeq);
      let read: readonly { seq: number; mutationId: string }[] | undefined;
      const reading = store.readOutbox(0, 10).then((events) => (read = events));
      await systemTimers.sleep(200);
      expect(read).toBeUndefined();
      await slow.query('COMMIT');
      await slow.end();
      await reading;
      expect(read?.map((e) => e.mutationId)).toEqual(['slow', 'fast']);
    });

    it('a commit takes the barrier: it waits while a reader holds it', async () => {
      const store = await open();
      await store.seed('A', 5);
      const reader = await connectClient(POSTGRES_URL);
      await reader.query('BEGIN');
      await reader.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS.outboxBarrier, lockId(store.schema)]);
      let done = false;
      const commit = store.commit(request({ mutationId: 'm1' }), T0).then((r) => ((done = true), r));
      await systemTimers.sleep(200);
      expect(done).toBe(false);
      await reader.query('COMMIT');
      await reader.end();
      expect((await commit).ok).toBe(true);
    });

    it('clear empties every table and restarts the outbox seqs, keeping the schema', async () => {
      const store = await open();
      await store.seed('A', 5);
      await store.commit(request({ mutationId: 'm1' }), T0);
      await store.parkDeadLetter({ id: 'x', sku: 'A', channel: 'c', quantity: 1, version: 2, committedAtMs: 0, attempts: 1, lastError: 'e', parkedAtMs: 0 });
      await store.ackOutbox(1);
      await store.clear();
      expect(await store.skus()).toEqual([]);
      expect(await store.hasProcessed('m1', T0)).toBe(false);
      expect(await store.outboxCursor()).toBe(0);
      expect(await store.listDeadLetters()).toEqual([]);
      const again = await store.commit(request({ mutationId: 'm1', expectedVersion: 0, quantity: 3 }), T0);
      expect(again).toEqual({ ok: true, level: { quantity: 3, version: 1 }, outboxSeq: 1 });
    });

    it('expired idempotency rows are purged; live ones stay', async () => {
      const store = await open();
      await store.seed('A', 5);
      await store.commit(request({ mutationId: 'short', idempotencyTtlMs: 100 }), T0);
      await store.commit(request({ mutationId: 'long', expectedVersion: 2, quantity: 3, idempotencyTtlMs: 100_000 }), T0);
      expect(await store.purgeExpired(T0 + 99)).toBe(0);
      expect(await store.purgeExpired(T0 + 100)).toBe(1);
      const rows = await store.query(`SELECT mutation_id FROM "${store.schema}".idempotency_keys`);
      expect(rows.rows).toEqual([{ mutation_id: 'long' }]);
    });
  });
});

describe('PostgreSQL connection failures', () => {
  it('an unreachable server fails at open, fast, naming the address and the reason', async () => {
    const started = Date.now();
    const url = unreachablePostgresUrl();
    const error = await openStore(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe(`cannot reach postgres at ${postgresTarget(url)}: ECONNREFUSED`);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('bad connection strings are StoreUrlErrors', async () => {
    await expect(openStore('postgres://127.0.0.1:5432')).rejects.toThrow(/bad connection string .*no database name/);
    await expect(openStore(withSchema('Bad-Name'))).rejects.toThrow(/schema must match/);
    await expect(openStore(withParams(POSTGRES_URL, { pool: '0' }))).rejects.toThrow(/pool must be an integer/);
  });

  it('invsim migrate: exit 2 for a bad string, 1 with the reason for an unreachable server, 0 for redis', async () => {
    const bad = io();
    expect(await migrateCommand({ store: 'mysql://x/y', json: false }, bad.io)).toBe(2);
    expect(bad.captured.err).toMatch(/^invsim: bad connection string 'mysql:\/\/x\/y': unknown scheme 'mysql:'/);
    const down = io();
    const unreachable = unreachablePostgresUrl();
    expect(await migrateCommand({ store: unreachable, json: false }, down.io)).toBe(1);
    expect(down.captured.err).toBe(`invsim: cannot reach postgres at ${postgresTarget(unreachable)}: ECONNREFUSED\n`);
    const redis = io();
    expect(await migrateCommand({ store: 'redis://127.0.0.1:6379', json: true }, redis.io)).toBe(0);
    expect(JSON.parse(redis.captured.out)).toEqual({ store: 'redis://127.0.0.1:6379', kind: 'redis' });
    const none = io();
    expect(await migrateCommand({ store: undefined, json: false }, none.io)).toBe(2);
  });

  it.skipIf(!run)('a database that does not exist is named in the message', async () => {
    const url = withDatabase(POSTGRES_URL, 'no_such_db_invsim');
    await expect(openStore(url)).rejects.toThrow(`postgres at ${postgresTarget(url)} refused the connection: database "no_such_db_invsim" does not exist`);
  });

  it.skipIf(!run)('a bare connection works for probes', async () => {
    const client = await connectClient(POSTGRES_URL);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });
});
