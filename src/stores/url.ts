/**
 * Store connection strings: `memory`, `redis://[user:password@]host[:port][/db][?namespace=NAME]`
 * and `postgres://[user[:password]@]host[:port]/database[?schema=NAME&pool=N]`. The query
 * parameters named here are ours and are removed before the URL reaches the client library.
 */
import { redactUrl, StoreUrlError } from './errors.js';

export const DEFAULT_REDIS_NAMESPACE = 'main';
export const DEFAULT_POSTGRES_SCHEMA = 'invsim';
export const DEFAULT_POSTGRES_POOL = 10;
/** Every store call's deadline (ms) unless the connection string says `?timeout_ms=N`. */
export const DEFAULT_STORE_CALL_TIMEOUT_MS = 2_000;

export type StoreLocation =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string; readonly namespace: string; readonly callTimeoutMs: number; readonly display: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string; readonly poolSize: number; readonly callTimeoutMs: number; readonly display: string };

const EXPECTED = 'expected memory, redis://host:port[/db][?namespace=NAME] or postgres://user@host:port/database[?schema=NAME]';
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

export function parseStoreUrl(text: string): StoreLocation {
  const trimmed = text.trim();
  if (trimmed === 'memory' || trimmed === 'memory:' || trimmed === 'memory://') return { kind: 'memory' };
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new StoreUrlError(`bad connection string '${trimmed === '' ? '' : redactUrl(trimmed)}': ${EXPECTED}`);
  }
  const display = redactUrl(trimmed);
  const known = ['redis:', 'rediss:', 'postgres:', 'postgresql:'];
  if (!known.includes(url.protocol)) throw new StoreUrlError(`bad connection string '${display}': unknown scheme '${url.protocol}' (${EXPECTED})`);
  if (url.hostname === '') throw new StoreUrlError(`bad connection string '${display}': no host (${EXPECTED})`);
  switch (url.protocol) {
    case 'redis:':
    case 'rediss:':
      return parseRedis(url, display);
    default:
      return parsePostgres(url, display);
  }
}

function parseRedis(url: URL, display: string): StoreLocation {
  const namespace = take(url, 'namespace') ?? DEFAULT_REDIS_NAMESPACE;
  if (!NAMESPACE.test(namespace)) {
    throw new StoreUrlError(`bad connection string '${display}': namespace must match ${String(NAMESPACE)}, got '${namespace}'`);
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new StoreUrlError(`bad connection string '${display}': the path must be a database number, got '${db}'`);
  const callTimeoutMs = takeTimeout(url, display);
  rejectUnknown(url, display);
  return { kind: 'redis', url: url.toString(), namespace, callTimeoutMs, display: redactUrl(url.toString()) };
}

function parsePostgres(url: URL, display: string): StoreLocation {
  const schema = take(url, 'schema') ?? DEFAULT_POSTGRES_SCHEMA;
  if (!SCHEMA.test(schema)) throw new StoreUrlError(`bad connection string '${display}': schema must match ${String(SCHEMA)}, got '${schema}'`);
  const poolText = take(url, 'pool');
  const poolSize = poolText === undefined ? DEFAULT_POSTGRES_POOL : Number(poolText);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    throw new StoreUrlError(`bad connection string '${display}': pool must be an integer within 1..1000, got '${poolText ?? ''}'`);
  }
  if (url.pathname === '' || url.pathname === '/') throw new StoreUrlError(`bad connection string '${display}': no database name (${EXPECTED})`);
  const callTimeoutMs = takeTimeout(url, display);
  // Other parameters (sslmode, application_name, …) are the driver's.
  return { kind: 'postgres', url: url.toString(), schema, poolSize, callTimeoutMs, display: redactUrl(url.toString()) };
}

/** `?timeout_ms=N`: every store call's deadline, 50 ms to 60 s. */
function takeTimeout(url: URL, display: string): number {
  const text = take(url, 'timeout_ms');
  if (text === undefined) return DEFAULT_STORE_CALL_TIMEOUT_MS;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 50 || ms > 60_000) throw new StoreUrlError(`bad connection string '${display}': timeout_ms must be an integer within 50..60000, got '${text}'`);
  return ms;
}

function take(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name);
  url.searchParams.delete(name);
  return value ?? undefined;
}

function rejectUnknown(url: URL, display: string): void {
  const names = [...url.searchParams.keys()];
  if (names.length > 0) throw new StoreUrlError(`bad connection string '${display}': unknown parameter ${names.map((n) => `'${n}'`).join(', ')} (redis takes 'namespace' and 'timeout_ms')`);
}
