/**
 * PostgresInventoryStore: the `InventoryStore` port on PostgreSQL, through pg's pool. Tables
 * and the commit function (migrations/001_init.sql) live in one schema (default `invsim`;
 * tests use one each).
 *
 * The commit is one call of `invsim_commit(…)`: one round trip, one transaction, all or
 * nothing. Inside it: the idempotency key is inserted unless an unexpired one exists (none
 * inserted: a duplicate, nothing written); for an apply, the outbox event, then the level
 * with `UPDATE … WHERE version = $expected` (or an INSERT for a SKU at version 0), whose
 * missing row is a version conflict that rolls the key and the event back; a reject reads the
 * level FOR SHARE and checks its version. The level row is locked last, for the shortest
 * time: under a flash sale every order of a hot SKU queues on that one row. The outcome
 * precedence is the in-memory store's: duplicate, then version conflict, then a bad quantity
 * (RangeError). A connection killed mid-call is rolled back by the server. One round trip
 * matters: a commit costs a round trip plus the WAL flush, and 1 000 contending orders on a
 * single SKU retry until each wins its turn.
 *
 * Outbox order. A bigserial hands out seqs in nextval order, but transactions commit in
 * another order: a reader that saw seq 6 could advance its cursor past a seq 5 committed a
 * moment later, and lose it. So every commit holds a shared advisory lock (the barrier) for
 * its whole transaction, and readOutbox takes it exclusively before reading: by then every
 * transaction that could hold a seq has finished, and any later one gets a larger seq. The
 * barrier costs a reader a wait for the commits in flight and holds new commits for the
 * duration of one SELECT. The shared-outbox path (claimOutbox, FOR UPDATE SKIP LOCKED) needs
 * no barrier: it claims rows, not a range.
 */
import pg from 'pg';
import type { CommitStep } from '../engine/memory-store.js';
import type { CommitRequest, CommitResult, DeadLetter, IdempotencyRecord, OutboxEvent, StockLevel } from '../engine/ports.js';
import { errorCode, errorMessage, StoreUnavailableError } from './errors.js';
import { migrate, pendingMigrations } from './migrate.js';
import { connectError, describePostgres, LOCK_CLASS, lockId, quoteIdent, toInt } from './pg-util.js';
import { assertLevel } from './shared.js';
import type { SharedOutboxStore } from './types.js';
import { DEFAULT_POSTGRES_POOL, DEFAULT_POSTGRES_SCHEMA, DEFAULT_STORE_CALL_TIMEOUT_MS } from './url.js';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database` (our own `?schema=`/`?pool=` already removed). */
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
  /**
   * Deadline of every store call in ms (default 2 000): the server cancels a statement running
   * longer (statement_timeout) and the client gives up on an answer that does not come (a
   * connection gone silent), the outcome unknown either way.
   */
  readonly callTimeoutMs?: number;
  /** Apply pending migrations when opening (tests, development); otherwise a pending one is an error. */
  readonly migrate?: boolean;
  /** Expired idempotency records are deleted every this many commits of this instance (default 1 000). */
  readonly purgeEveryCommits?: number;
  /** Tests: every commit fails inside the transaction at this step, with a server-side SQL error. */
  readonly failAt?: CommitStep;
}

const PURGE_BATCH = 10_000;
/** The server's clock in ms, for the leases of the shared outbox. */
const SERVER_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

interface Sql {
  readonly read: string;
  readonly hasProcessed: string;
  readonly recordOf: string;
  readonly commit: string;
  readonly readOutbox: string;
  readonly ack: string;
  readonly cursor: string;
  readonly park: string;
  readonly listDlq: string;
  readonly removeDlq: string;
  readonly skus: string;
  readonly seed: string;
  readonly claim: string;
  readonly renew: string;
  readonly ackEntries: string;
  readonly purge: string;
}

function statements(schema: string): Sql {
  const s = quoteIdent(schema);
  const outboxColumns = 'seq, sku, quantity, version, mutation_id, source_channel, committed_at_ms';
  const letterColumns = 'id, sku, channel, quantity, version, committed_at_ms, attempts, last_error, parked_at_ms';
  return {
    read: `SELECT quantity, version FROM ${s}.inventory_levels WHERE sku = $1`,
    hasProcessed: `SELECT 1 FROM ${s}.idempotency_keys WHERE mutation_id = $1 AND expires_at_ms > $2`,
    recordOf: `SELECT applied, payload_digest, origin FROM ${s}.idempotency_keys WHERE mutation_id = $1 AND expires_at_ms > $2`,
    commit: `SELECT o_status, o_quantity, o_version, o_seq, o_applied, o_digest, o_origin FROM ${s}.invsim_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    readOutbox: `SELECT ${outboxColumns} FROM ${s}.outbox WHERE seq > $1 ORDER BY seq LIMIT $2`,
    ack: `WITH c AS (
        INSERT INTO ${s}.outbox_cursor AS c (name, seq) VALUES ('default', $1)
        ON CONFLICT (name) DO UPDATE SET seq = GREATEST(c.seq, EXCLUDED.seq) RETURNING seq)
      DELETE FROM ${s}.outbox WHERE seq <= (SELECT seq FROM c)`,
    cursor: `SELECT seq FROM ${s}.outbox_cursor WHERE name = 'default'`,
    park: `INSERT INTO ${s}.dead_letters (${letterColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      ON CONFLICT (id) DO UPDATE SET sku = EXCLUDED.sku, channel = EXCLUDED.channel, quantity = EXCLUDED.quantity,
        version = EXCLUDED.version, committed_at_ms = EXCLUDED.committed_at_ms, attempts = EXCLUDED.attempts,
        last_error = EXCLUDED.last_error, parked_at_ms = EXCLUDED.parked_at_ms`,
    listDlq: `SELECT ${letterColumns} FROM ${s}.dead_letters ORDER BY parked_seq`,
    removeDlq: `DELETE FROM ${s}.dead_letters WHERE id = $1`,
    skus: `SELECT sku FROM ${s}.inventory_levels ORDER BY sku`,
    seed: `INSERT INTO ${s}.inventory_levels (sku, quantity, version) VALUES ($1, $2, $3)
      ON CONFLICT (sku) DO UPDATE SET quantity = EXCLUDED.quantity, version = EXCLUDED.version`,
    claim: `WITH now AS (SELECT ${SERVER_NOW_MS} AS ms),
      c AS (
        SELECT seq FROM ${s}.outbox, now
        WHERE claimed_by IS NULL OR claimed_at_ms <= now.ms - $3
        ORDER BY seq LIMIT $2
        FOR UPDATE OF outbox SKIP LOCKED)
      UPDATE ${s}.outbox o SET claimed_by = $1, claimed_at_ms = (SELECT ms FROM now), deliveries = o.deliveries + 1
      FROM c WHERE o.seq = c.seq
      RETURNING o.seq, o.sku, o.quantity, o.version, o.mutation_id, o.source_channel, o.committed_at_ms, o.deliveries`,
    renew: `UPDATE ${s}.outbox SET claimed_at_ms = ${SERVER_NOW_MS} WHERE claimed_by = $1 AND seq = ANY($2::bigint[])`,
    ackEntries: `DELETE FROM ${s}.outbox WHERE seq = ANY($1::bigint[])`,
    purge: `DELETE FROM ${s}.idempotency_keys WHERE mutation_id IN (
        SELECT mutation_id FROM ${s}.idempotency_keys WHERE expires_at_ms <= $1 LIMIT ${PURGE_BATCH})`,
  };
}

type Row = Record<string, unknown>;

export class PostgresInventoryStore implements SharedOutboxStore {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  private readonly sql: Sql;
  private readonly barrierKey: number;
  private readonly barrier: string;
  private readonly purgeEvery: number;
  private commitsSincePurge = 0;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresStoreOptions,
  ) {
    this.schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    this.sql = statements(this.schema);
    this.barrierKey = lockId(this.schema);
    this.barrier = `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_CLASS.outboxBarrier}, ${this.barrierKey})`;
    this.purgeEvery = options.purgeEveryCommits ?? 1_000;
  }

  /**
   * Connects and checks that the schema is migrated (or migrates it with `migrate: true`).
   * Fails fast with StoreUnavailableError: `cannot reach postgres at 127.0.0.1:5433/test: ECONNREFUSED`,
   * `postgres at …: database "x" does not exist`, `schema invsim … is not migrated`.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresInventoryStore> {
    const target = describePostgres(options.url);
    const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_STORE_CALL_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? DEFAULT_POSTGRES_POOL,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: callTimeoutMs,
      query_timeout: callTimeoutMs + 500,
      idle_in_transaction_session_timeout: callTimeoutMs * 5,
    });
    pool.on('error', () => {
      // An idle connection died (server restart); the pool replaces it on the next checkout.
    });
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw connectError(error, target);
    }
    try {
      if (options.migrate === true) {
        await migrate(client, schema);
      } else {
        const pending = await pendingMigrations(client, schema);
        if (pending.length > 0) {
          throw new StoreUnavailableError(
            `postgres schema ${schema} at ${target} is not migrated (pending: ${pending.join(', ')}); run: invsim migrate --store '${migrateUrl(options.url, schema)}'`,
            undefined,
          );
        }
      }
    } catch (error) {
      client.release(true);
      await pool.end().catch(() => undefined);
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`postgres at ${target} is not usable: ${errorMessage(error)}`, undefined);
    }
    client.release();
    // From now on a checkout waits at most the call deadline: a server gone silent must fail the
    // call within it, not after the (longer) connect timeout allowed at start.
    pool.options.connectionTimeoutMillis = Math.min(pool.options.connectionTimeoutMillis ?? callTimeoutMs, callTimeoutMs);
    return new PostgresInventoryStore(pool, options);
  }

  /** Whether a connection can be had and the server answers within the call deadline. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async read(sku: string): Promise<StockLevel> {
    const row = (await this.pool.query(this.sql.read, [sku])).rows[0] as Row | undefined;
    return row === undefined ? { quantity: 0, version: 0 } : toLevel(row);
  }

  async hasProcessed(mutationId: string, nowMs: number): Promise<boolean> {
    return ((await this.pool.query(this.sql.hasProcessed, [mutationId, nowMs])).rowCount ?? 0) > 0;
  }

  async recordOf(mutationId: string, nowMs: number): Promise<IdempotencyRecord | undefined> {
    const row = (await this.pool.query(this.sql.recordOf, [mutationId, nowMs])).rows[0] as Row | undefined;
    if (row === undefined) return undefined;
    return toRecord(row['applied'], row['payload_digest'], row['origin']) ?? { applied: undefined, payloadDigest: undefined, origin: undefined };
  }

  async commit(request: CommitRequest, nowMs: number): Promise<CommitResult> {
    let row: Row;
    try {
      row = (
        await this.pool.query(this.sql.commit, [
          request.sku,
          request.effect === 'apply',
          request.expectedVersion,
          request.quantity,
          request.mutationId,
          nowMs,
          nowMs + request.idempotencyTtlMs,
          request.outbox.sourceChannel,
          request.outbox.committedAtMs,
          LOCK_CLASS.outboxBarrier,
          this.barrierKey,
          this.options.failAt ?? '',
          request.payloadDigest ?? '',
          request.origin ?? '',
        ])
      ).rows[0] as Row;
    } catch (error) {
      if (errorCode(error) === 'IV422') throw new RangeError(errorMessage(error));
      throw error;
    }
    const status = row['o_status'];
    if (status === 'duplicate') {
      const recorded = toRecord(row['o_applied'], row['o_digest'], row['o_origin']);
      return recorded === undefined ? { ok: false, reason: status } : { ok: false, reason: status, recorded };
    }
    if (status === 'version_conflict') return { ok: false, reason: status };
    if (status !== 'ok') throw new Error(`invariant: invsim_commit answered ${String(status)}`);
    if (++this.commitsSincePurge >= this.purgeEvery) {
      this.commitsSincePurge = 0;
      await this.purgeExpired(nowMs);
    }
    return { ok: true, level: { quantity: toInt(row['o_quantity']), version: toInt(row['o_version']) }, outboxSeq: toInt(row['o_seq']) };
  }

  async readOutbox(afterSeq: number, limit: number): Promise<readonly OutboxEvent[]> {
    if (limit <= 0) return [];
    return this.withClient(async (client) => {
      try {
        await client.query(this.barrier);
        const rows = (await client.query(this.sql.readOutbox, [Math.floor(afterSeq), limit])).rows as Row[];
        await client.query('COMMIT');
        return rows.map(toEvent);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async ackOutbox(seq: number): Promise<void> {
    await this.pool.query(this.sql.ack, [Math.floor(seq)]);
  }

  async outboxCursor(): Promise<number> {
    const row = (await this.pool.query(this.sql.cursor)).rows[0] as Row | undefined;
    return row === undefined ? 0 : toInt(row['seq']);
  }

  async parkDeadLetter(l: DeadLetter): Promise<void> {
    await this.pool.query(this.sql.park, [l.id, l.sku, l.channel, l.quantity, l.version, l.committedAtMs, l.attempts, l.lastError, l.parkedAtMs]);
  }

  async listDeadLetters(): Promise<readonly DeadLetter[]> {
    return ((await this.pool.query(this.sql.listDlq)).rows as Row[]).map(toLetter);
  }

  async removeDeadLetter(id: string): Promise<boolean> {
    return ((await this.pool.query(this.sql.removeDlq, [id])).rowCount ?? 0) > 0;
  }

  async skus(): Promise<readonly string[]> {
    return ((await this.pool.query(this.sql.skus)).rows as Row[]).map((r) => String(r['sku']));
  }

  async seed(sku: string, quantity: number, version = 1): Promise<void> {
    assertLevel(quantity, version);
    await this.pool.query(this.sql.seed, [sku, quantity, version]);
  }

  // --- the shared outbox (several dispatchers) ---------------------------------------

  async claimOutbox(consumer: string, limit: number, minIdleMs: number): Promise<readonly OutboxEvent[]> {
    if (limit <= 0) return [];
    const rows = (await this.pool.query(this.sql.claim, [consumer, limit, Math.max(0, Math.floor(minIdleMs))])).rows as Row[];
    // Reclaimed entries first, then new ones; oldest first within each (like XAUTOCLAIM + XREADGROUP).
    const reclaimed = (r: Row): number => (toInt(r['deliveries']) > 1 ? 0 : 1);
    rows.sort((a, b) => reclaimed(a) - reclaimed(b) || toInt(a['seq']) - toInt(b['seq']));
    return rows.map(toEvent);
  }

  async renewOutboxClaims(consumer: string, seqs: readonly number[]): Promise<number> {
    if (seqs.length === 0) return 0;
    return (await this.pool.query(this.sql.renew, [consumer, seqs])).rowCount ?? 0;
  }

  async ackOutboxEntries(seqs: readonly number[]): Promise<number> {
    if (seqs.length === 0) return 0;
    return (await this.pool.query(this.sql.ackEntries, [seqs])).rowCount ?? 0;
  }

  // --- operations and tests ----------------------------------------------------------

  /** Deletes idempotency records expired at `nowMs` (at most 10 000 per call); returns how many. */
  async purgeExpired(nowMs: number): Promise<number> {
    return (await this.pool.query(this.sql.purge, [nowMs])).rowCount ?? 0;
  }

  /**
   * Empties every table (levels, keys, outbox and cursor, dead letters) and restarts the outbox
   * seqs at 1; the schema stays. For a service's reset: every instance on the schema sees it.
   */
  async clear(): Promise<void> {
    const s = quoteIdent(this.schema);
    await this.pool.query(`TRUNCATE ${s}.inventory_levels, ${s}.idempotency_keys, ${s}.outbox, ${s}.outbox_cursor, ${s}.dead_letters RESTART IDENTITY`);
  }

  /** Drops this store's schema and everything in it (tests; an operator wiping a store). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(this.schema)} CASCADE`);
  }

  /** Runs a query on the pool (tests and operators: inspect tables, provoke constraints). */
  query(text: string, params: readonly unknown[] = []): Promise<pg.QueryResult> {
    return this.pool.query(text, [...params]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * A checked-out connection for one transaction. A connection that errs while checked out
   * (killed by the server, network gone) is destroyed instead of returned to the pool.
   */
  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    const onError = (error: unknown): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (error) {
      broken ??= isConnectionError(error) ? error : undefined;
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken === undefined ? undefined : true);
    }
  }
}

/** The connection string to give `invsim migrate`, password hidden. */
function migrateUrl(url: string, schema: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  if (schema !== DEFAULT_POSTGRES_SCHEMA) parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

/** Errors after which a connection must not be reused: system errors, admin shutdown, protocol loss. */
function isConnectionError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  return /^E[A-Z]+$/.test(code) || code.startsWith('57P') || code.startsWith('08') || /Connection terminated/i.test(errorMessage(error));
}

function toLevel(row: Row): StockLevel {
  return { quantity: toInt(row['quantity']), version: toInt(row['version']) };
}

function toEvent(row: Row): OutboxEvent {
  return {
    seq: toInt(row['seq']),
    sku: String(row['sku']),
    quantity: toInt(row['quantity']),
    version: toInt(row['version']),
    mutationId: String(row['mutation_id']),
    sourceChannel: String(row['source_channel']),
    committedAtMs: Number(row['committed_at_ms']),
  };
}

function toLetter(row: Row): DeadLetter {
  return {
    id: String(row['id']),
    sku: String(row['sku']),
    channel: String(row['channel']),
    quantity: toInt(row['quantity']),
    version: toInt(row['version']),
    committedAtMs: Number(row['committed_at_ms']),
    attempts: toInt(row['attempts']),
    lastError: String(row['last_error']),
    parkedAtMs: Number(row['parked_at_ms']),
  };
}

/** A record's columns (NULL for records written without a digest). */
function toRecord(applied: unknown, digest: unknown, origin: unknown): IdempotencyRecord | undefined {
  if (typeof applied !== 'boolean') return undefined;
  return { applied, payloadDigest: typeof digest === 'string' ? digest : undefined, origin: typeof origin === 'string' ? origin : undefined };
}
