// Finds out whether the Redis and PostgreSQL servers the store suites need are up, so a
// machine without them skips those suites with a note saying which and why, while CI
// (INVSIM_REQUIRE_SERVICES=1, set by .ci/run) turns a missing server into a failing test.
import { describe, it } from 'vitest';
import { connectClient } from '../../src/stores/pg-util.js';
import { RedisInventoryStore } from '../../src/stores/redis.js';

export const REDIS_URL = process.env['INVSIM_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const POSTGRES_URL = process.env['INVSIM_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const RUN_COMMAND = 'npm run test:stores';

/** `url` with `params` added to its query (which it may already have, e.g. `?sslmode=require`). */
export function withParams(url: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** `url` with another database name (the path), its query kept. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * `host:port/database` of a PostgreSQL URL, as the store's messages name the server (computed
 * here on its own, not with the store's helper, so a test catches the message going wrong).
 */
export function postgresTarget(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port === '' ? '5432' : u.port}${u.pathname}`;
}

/**
 * A PostgreSQL URL at which nothing listens: the environment's URL (its user and database) on a
 * local port reserved by IANA (tcpmux) that no server of these tests opens.
 */
export function unreachablePostgresUrl(): string {
  const u = new URL(POSTGRES_URL);
  u.hostname = '127.0.0.1';
  u.port = '1';
  return u.toString();
}

export interface ServiceStatus {
  readonly name: 'Redis' | 'PostgreSQL';
  readonly up: boolean;
  readonly reason: string;
}

export async function redisStatus(): Promise<ServiceStatus> {
  try {
    const store = await RedisInventoryStore.open({ url: REDIS_URL, namespace: 'probe', connectTimeoutMs: 2_000 });
    await store.close();
    return { name: 'Redis', up: true, reason: '' };
  } catch (error) {
    return { name: 'Redis', up: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export async function postgresStatus(): Promise<ServiceStatus> {
  try {
    const client = await connectClient(POSTGRES_URL, 2_000);
    await client.query('SELECT 1');
    await client.end();
    return { name: 'PostgreSQL', up: true, reason: '' };
  } catch (error) {
    return { name: 'PostgreSQL', up: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Whether to run a service's suites. When the service is down: a console note and `false`
 * (the suites are skipped), or, under INVSIM_REQUIRE_SERVICES=1, a failing test.
 */
export function shouldRun(status: ServiceStatus): boolean {
  if (status.up) return true;
  const start = `Start ${status.name} and run \`${RUN_COMMAND}\` (bash .ci/run starts both servers and runs everything).`;
  if (process.env['INVSIM_REQUIRE_SERVICES'] === '1') {
    describe(`${status.name} service`, () => {
      it('is reachable (INVSIM_REQUIRE_SERVICES=1)', () => {
        throw new Error(`${status.name} is required (INVSIM_REQUIRE_SERVICES=1) but ${status.reason}. ${start}`);
      });
    });
  } else {
    console.warn(`\n[invsim] ${status.name} store tests SKIPPED: ${status.reason}. ${start}\n`);
  }
  return false;
}
