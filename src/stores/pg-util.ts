/** PostgreSQL helpers shared by the store and the migration runner. */
import pg from 'pg';
import { errorCode, errorMessage, StoreUnavailableError } from './errors.js';

/** `host:port/database`, for messages (never the password). */
export function describePostgres(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}${parsed.pathname}`;
  } catch {
    return '<unparsable connection string>';
  }
}

/** A quoted identifier. Schema names are validated upstream; quoting is the second line. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A stable 31-bit hash of a name, for advisory lock keys (collisions only cost waiting). */
export function lockId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 1) & 0x7fffffff;
}

/** Advisory lock classes (the first key of the two-int form), one per purpose. */
export const LOCK_CLASS = { outboxBarrier: 0x696e76, migrate: 0x696e77 } as const;

/** A bigint column (pg returns it as a string) as a number, refusing values past 2^53. */
export function toInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`invariant: ${String(value)} is not a safe integer`);
  return n;
}

/** Maps a connection failure to the message a person can act on. */
export function connectError(error: unknown, target: string): StoreUnavailableError {
  const code = errorCode(error);
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return new StoreUnavailableError(`cannot reach postgres at ${target}: ${code}`, code);
  if (/timeout/i.test(errorMessage(error))) return new StoreUnavailableError(`cannot reach postgres at ${target}: connection timed out`, 'ETIMEDOUT');
  return new StoreUnavailableError(`postgres at ${target} refused the connection: ${errorMessage(error)}`, code);
}

/** One connection for short jobs (migrate, probes); fails fast. */
export async function connectClient(url: string, connectTimeoutMs = 5_000): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => {
    // Reported through the failing query; an idle connection's error needs no crash.
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(error, describePostgres(url));
  }
  return client;
}
