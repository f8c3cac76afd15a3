// Proves the PostgreSQL commit checks the version where the race is really decided, at the level
// row, and undoes everything when it loses there. Another session updates the level row and
// holds its lock while a commit that read the old version passes the early version check and
// writes its idempotency key and outbox event; when the other session commits, the commit's
// version-checked UPDATE (or, for a reject, its FOR SHARE read) finds the version gone: the
// answer is a version conflict, the level is the other session's, and neither the key nor the
// event is left behind, so the processor's retry applies the order once. Skipped, with a note,
// when no PostgreSQL answers (INVSIM_TEST_POSTGRES_URL).
import { afterAll, describe, expect, it } from 'vitest';
import { systemTimers } from '../../src/adapters/system.js';
import { InventoryMutationProcessor } from '../../src/engine/index.js';
import { connectClient } from '../../src/stores/pg-util.js';
import type { PostgresInventoryStore } from '../../src/stores/postgres.js';
import { order, ports, request, T0 } from './contract.js';
import { postgresHarness } from './harness.js';
import { POSTGRES_URL, postgresStatus, shouldRun } from './services.js';

const run = shouldRun(await postgresStatus());

/** Waits until a commit of `store` is blocked on a lock; returns its backend pid. */
async function blockedCommitPid(store: PostgresInventoryStore): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const rows = await store.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
      [`%"${store.schema}".invsim_commit%`],
    );
    const pid = (rows.rows[0] as { pid: number } | undefined)?.pid;
    if (pid !== undefined) return pid;
    if (Date.now() > deadline) throw new Error('no commit blocked on the level row within 5 s');
    await systemTimers.sleep(10);
  }
}

describe.skipIf(!run)('PostgreSQL commit races at the level row', () => {
  const harness = postgresHarness();
  afterAll(() => harness.cleanup());

  /** Runs `commit` while another session moves A from (5, v1) to (3, v2) and holds the row until the commit waits on it. */
  async function raced<T>(commit: (store: PostgresInventoryStore) => Promise<T>) {
    const { store } = await harness.create();
    await store.seed('A', 5);
    const other = await connectClient(POSTGRES_URL);
    try {
      await other.query(`BEGIN; UPDATE "${store.schema}".inventory_levels SET quantity = 3, version = 2 WHERE sku = 'A'`);
      const pending = commit(store);
      await blockedCommitPid(store);
      await other.query('COMMIT');
      return { store, result: await pending };
    } finally {
      await other.end();
    }
  }

  it('an apply that loses the row is a version conflict and leaves no key and no event; the retry applies once', async () => {
    const { store, result } = await raced((s) => s.commit(request({ mutationId: 'late', expectedVersion: 1, quantity: 4 }), T0));
    expect(result).toEqual({ ok: false, reason: 'version_conflict' });
    expect(await store.read('A')).toEqual({ quantity: 3, version: 2 });
    expect(await store.hasProcessed('late', T0)).toBe(false);
    expect(await store.readOutbox(0, 10)).toEqual([]);
    const processor = new InventoryMutationProcessor({ ...ports(), store });
    expect(await processor.handle(order('late'))).toMatchObject({ status: 'applied', quantity: 2, version: 3 });
    expect((await store.readOutbox(0, 10)).map((e) => ({ mutationId: e.mutationId, version: e.version }))).toEqual([{ mutationId: 'late', version: 3 }]);
  });

  it('a reject that loses the row is a version conflict and records nothing', async () => {
    const { store, result } = await raced((s) => s.commit(request({ mutationId: 'late-r', effect: 'reject', expectedVersion: 1, quantity: 5 }), T0));
    expect(result).toEqual({ ok: false, reason: 'version_conflict' });
    expect(await store.hasProcessed('late-r', T0)).toBe(false);
    expect(await store.read('A')).toEqual({ quantity: 3, version: 2 });
  });

  it('through the processor: an order racing another session is applied once, on top of it', async () => {
    const { store, result } = await raced((s) => new InventoryMutationProcessor({ ...ports(), store: s }).handle(order('o1', 'A', -2)));
    expect(result).toMatchObject({ status: 'applied', quantity: 1, version: 3 });
    expect(await store.read('A')).toEqual({ quantity: 1, version: 3 });
    expect((await store.readOutbox(0, 10)).map((e) => e.mutationId)).toEqual(['o1']);
  });
});
