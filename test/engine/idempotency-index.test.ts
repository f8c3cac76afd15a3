// Proves that the dense idempotency index answers exactly like the Map it stands in for, and holds
// memory in proportion to the records alive, not to the ids ever seen. fast-check drives both
// through the same random writes, look-ups and purges at non-decreasing times, over ids that are
// dense (o3, r0), dense-looking but not (o007, o-1, o, x5, o3#2, counters past 2^31 or far ahead)
// and arbitrary, and compares what the store asks of them: is this id's record alive at this time?
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DenseIdempotencyIndex, InMemoryInventoryStore, MapIdempotencyIndex, type CommitRequest, type IdempotencyIndex } from '../../src/engine/index.js';

const alive = (index: IdempotencyIndex, id: string, nowMs: number): boolean => {
  const at = index.expiryOf(id);
  return at !== undefined && at > nowMs;
};

const ids = fc.oneof(
  fc.nat({ max: 40 }).map((n) => `o${n}`),
  fc.nat({ max: 40 }).map((n) => `r${n}`),
  fc.constantFrom('o007', 'o00', 'o-1', 'o', 'r', 'x5', 'o3#2', 'o2147483648', 'o2147483647', 'o9000000', 'O5', ' o5'),
  fc.string({ maxLength: 4 }),
);

type Op = { kind: 'set'; id: string; ttlMs: number } | { kind: 'look'; id: string } | { kind: 'purge' } | { kind: 'advance'; ms: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), id: ids, ttlMs: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ kind: fc.constant('look' as const), id: ids }),
  fc.constant({ kind: 'purge' as const }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 20 }) }),
);

describe('DenseIdempotencyIndex', () => {
  it('tells alive from expired or absent exactly as the Map does, and never drops a live record', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const dense = new DenseIdempotencyIndex({ prefixes: ['o', 'r'] });
        const map = new MapIdempotencyIndex();
        const written = new Map<string, number>();
        let nowMs = 0;
        const droppedDense: string[] = [];
        for (const o of ops) {
          if (o.kind === 'advance') nowMs += o.ms;
          else if (o.kind === 'set') {
            dense.set(o.id, nowMs + o.ttlMs);
            map.set(o.id, nowMs + o.ttlMs);
            written.set(o.id, nowMs + o.ttlMs);
          } else if (o.kind === 'purge') {
            dense.purge(nowMs, (id) => droppedDense.push(id));
            map.purge(nowMs);
            for (const id of droppedDense.splice(0)) expect(written.get(id), `dropped ${id}, which was never written or is alive`).toBeLessThanOrEqual(nowMs);
          } else expect(alive(dense, o.id, nowMs), `${o.id} at ${nowMs}`).toBe(alive(map, o.id, nowMs));
        }
        for (const [id, at] of written) {
          expect(alive(dense, id, nowMs), `${id} at ${nowMs}`).toBe(at > nowMs);
          if (at > nowMs) expect(dense.expiryOf(id)).toBe(at);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('holds slots for the records alive, not for every id of the run', () => {
    const dense = new DenseIdempotencyIndex({ prefixes: ['o'] });
    // A million orders, one per ms, each record alive for 2 000 ms, committed slightly out of
    // order (each pair swapped), with a purge before every write as the store does.
    for (let n = 0; n < 1_000_000; n++) {
      const id = n % 2 === 0 ? n + 1 : n - 1;
      dense.purge(n);
      dense.set(`o${id}`, n + 2_000);
    }
    expect(dense.size).toBeLessThanOrEqual(2_001);
    expect(dense.denseSlots).toBeLessThanOrEqual(16_384);
    expect(alive(dense, 'o999999', 999_999)).toBe(true);
    expect(alive(dense, 'o0', 999_999)).toBe(false);
  });

  it('keeps ids below its window or far above it in the Map, still correct', () => {
    const dense = new DenseIdempotencyIndex({ prefixes: ['o'] });
    dense.set('o10', 5);
    dense.purge(10); // the window's low end moves past 10
    dense.set('o3', 100); // below the window
    dense.set('o50000000', 100); // far above it
    expect(dense.expiryOf('o3')).toBe(100);
    expect(dense.expiryOf('o50000000')).toBe(100);
    expect(dense.expiryOf('o10')).toBeUndefined();
    expect(dense.denseSlots).toBeLessThan(1 << 16);
  });

  it('refuses prefixes that could make two ids share a slot', () => {
    expect(() => new DenseIdempotencyIndex({ prefixes: ['o1'] })).toThrow(RangeError);
    expect(() => new DenseIdempotencyIndex({ prefixes: [''] })).toThrow(RangeError);
    expect(() => new DenseIdempotencyIndex({ prefixes: ['o', 'o'] })).toThrow(RangeError);
  });
});

describe('InMemoryInventoryStore with a dense idempotency index', () => {
  const request = (mutationId: string, expectedVersion: number, extra: Partial<CommitRequest> = {}): CommitRequest => ({
    effect: 'apply',
    sku: 'A',
    expectedVersion,
    quantity: 10 - expectedVersion,
    mutationId,
    idempotencyTtlMs: 1_000,
    outbox: { sourceChannel: 'shopify', committedAtMs: 0 },
    ...extra,
  });

  it('refuses a redelivery until the record expires, and keeps digests beside dense ids', async () => {
    const store = new InMemoryInventoryStore({ idempotencyIndex: new DenseIdempotencyIndex({ prefixes: ['o'] }) });
    store.seed('A', 10, 1);
    expect(await store.commit(request('o1', 1, { payloadDigest: 'd1', origin: 'webhook' }), 0)).toMatchObject({ ok: true });
    expect(await store.commit(request('o1', 2), 999)).toEqual({ ok: false, reason: 'duplicate', recorded: { applied: true, payloadDigest: 'd1', origin: 'webhook' } });
    expect(await store.recordOf('o1', 999)).toEqual({ applied: true, payloadDigest: 'd1', origin: 'webhook' });
    expect(await store.hasProcessed('o1', 1_000)).toBe(false);
    // The expired record and its digest are purged on the next commit; the id may be used again.
    expect(await store.commit(request('o2', 2), 1_000)).toMatchObject({ ok: true });
    expect(await store.recordOf('o1', 1_000)).toBeUndefined();
    expect(await store.commit(request('o1', 3), 1_001)).toMatchObject({ ok: true });
    expect(store.idempotencyRecords).toBe(2);
  });
});
