/**
 * Schema migrations for the PostgreSQL store: the SQL files in `migrations/` (NNN_name.sql),
 * applied in order inside one schema. Idempotent: applied files are recorded in
 * `<schema>.schema_migrations` with a checksum, and a second run applies nothing. One run is
 * one transaction under an advisory lock, so concurrent runs (several instances starting at
 * once) apply each file exactly once, and a failing file leaves the schema as it was.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { StoreUnavailableError } from './errors.js';
import { LOCK_CLASS, lockId, quoteIdent } from './pg-util.js';

/** `migrations/` at the package root (the same relative path from src/stores and dist/stores). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface Migration {
  /** `001_init` */
  readonly version: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationReport {
  readonly schema: string;
  /** Versions applied by this run, in order. */
  readonly applied: readonly string[];
  /** Every version the schema has now. */
  readonly current: readonly string[];
}

const FILE = /^(\d{3,}_[a-z0-9_]+)\.sql$/;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((name) => FILE.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(`${dir}/${name}`, 'utf8');
      return { version: name.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

async function appliedVersions(client: pg.ClientBase, schema: string): Promise<Map<string, string> | undefined> {
  const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [`${quoteIdent(schema)}.schema_migrations`]);
  if (exists.rows[0]?.ok !== true) return undefined;
  const rows = await client.query<{ version: string; checksum: string }>(`SELECT version, checksum FROM ${quoteIdent(schema)}.schema_migrations ORDER BY version`);
  return new Map(rows.rows.map((r) => [r.version, r.checksum]));
}

function checkHistory(schema: string, applied: Map<string, string>, migrations: readonly Migration[]): void {
  for (const m of migrations) {
    const checksum = applied.get(m.version);
    if (checksum !== undefined && checksum !== m.checksum) {
      throw new StoreUnavailableError(`migration ${m.version}.sql was changed after it was applied to schema ${schema}; add a new migration instead`, undefined);
    }
  }
}

/** Versions not yet applied to `schema` (all of them when the schema does not exist). */
export async function pendingMigrations(client: pg.ClientBase, schema: string, migrations: readonly Migration[] = loadMigrations()): Promise<string[]> {
  const applied = (await appliedVersions(client, schema)) ?? new Map<string, string>();
  checkHistory(schema, applied, migrations);
  return migrations.filter((m) => !applied.has(m.version)).map((m) => m.version);
}

/** Applies every pending migration to `schema` (created if missing), in one transaction. */
export async function migrate(client: pg.ClientBase, schema: string, migrations: readonly Migration[] = loadMigrations()): Promise<MigrationReport> {
  const q = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS.migrate, lockId(schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${q}.schema_migrations (version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = (await appliedVersions(client, schema)) ?? new Map<string, string>();
    checkHistory(schema, applied, migrations);
    const pending = migrations.filter((m) => !applied.has(m.version));
    await client.query(`SET LOCAL search_path TO ${q}`);
    for (const m of pending) {
      await client.query(m.sql);
      await client.query(`INSERT INTO ${q}.schema_migrations (version, checksum) VALUES ($1, $2)`, [m.version, m.checksum]);
    }
    await client.query('COMMIT');
    return { schema, applied: pending.map((m) => m.version), current: [...applied.keys(), ...pending.map((m) => m.version)].sort() };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
