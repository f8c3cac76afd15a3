// Proves the processor's backoff after a lost optimistic commit is capped: on a hot SKU whose
// commits keep losing (a store that answers every commit with a version conflict), each wait
// before attempt k+1 is full jitter under min(maxDelayMs, base × 2^(k−1)), never above
// maxDelayMs, for any policy (a seeded fast-check property) and for the default one, and the
// mutation ends rejected with an alert after maxAttempts commits, not before and not after;
// through both drivers (`handle` sleeps, `handleThen` waits with `timers.after`), which must
// ask for the very same waits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFLICT_RETRY, type CommitResult, type ConflictRetryPolicy, type Random } from '../../src/engine/index.js';
import { forwardStore } from '../../src/engine/forward-store.js';
import { seededRandom } from '../helpers/ports.js';
import { PROCESSOR_DRIVERS, processorBench, type ProcessorDriver } from '../helpers/processor-drivers.js';

/**
 * Runs one order through `driver` against a store whose every commit loses (in promise and
 * continuation form); returns the waits the processor asked its timers for.
 */
async function loseEveryCommit(driver: ProcessorDriver, retry: ConflictRetryPolicy, random: Random) {
  let commits = 0;
  const sleepsMs: number[] = [];
  const b = processorBench(driver, {
    random,
    conflictRetry: retry,
    wrap: (inner, kernel) => {
      const lost: CommitResult = { ok: false, reason: 'version_conflict' };
      return forwardStore(inner, {
        commit: () => {
          commits++;
          return Promise.resolve(lost);
        },
        continuations: {
          ...inner.continuations!,
          commit: (_request, _nowMs, done) => {
            commits++;
            kernel.after(0, () => done(lost));
          },
        },
      });
    },
    timers: (timers) => ({
      sleep: (ms) => (sleepsMs.push(ms), timers.sleep(ms)),
      after: (ms, fn) => (sleepsMs.push(ms), timers.after!(ms, fn)),
    }),
  });
  b.store.seed('A', 10);
  const outcome = await b.handle({ mutationId: 'o1', sku: 'A', quantityDelta: -1, sourceChannel: 'shop', orderId: 'o1' });
  return { outcome, sleepsMs, commits, alerts: b.alerts.alerts, stats: b.processor.stats, endMs: b.kernel.nowMs() };
}

const ceilingMs = (retry: ConflictRetryPolicy, attempt: number): number => Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));

describe.each(PROCESSOR_DRIVERS)('conflict backoff through %s', (driver) => {
  it('waits exactly draw × min(max, base × 2^(k−1)): with draws near 1 the cap shows', async () => {
    const retry: ConflictRetryPolicy = { maxAttempts: 12, baseDelayMs: 1, maxDelayMs: 100 };
    const run = await loseEveryCommit(driver, retry, { next: () => 0.999 });
    expect(run.commits).toBe(12);
    expect(run.sleepsMs).toHaveLength(11);
    run.sleepsMs.forEach((ms, i) => expect(ms).toBeCloseTo(0.999 * ceilingMs(retry, i + 1), 9));
    // 1, 2, 4, …, 64, then 100 four times: the doubling stops at maxDelayMs.
    expect(run.sleepsMs.slice(7).every((ms) => ms <= retry.maxDelayMs && ms > 99)).toBe(true);
    expect(run.outcome).toEqual({ status: 'rejected', reason: 'conflict_retries_exhausted' });
    expect(run.alerts.map((a) => a.kind)).toEqual(['conflict_retries_exhausted']);
    expect(run.stats).toMatchObject({ versionConflicts: 12, rejectedConflicts: 1, applied: 0 });
  });

  it('with the default policy (64 attempts, cap 100 ms) no wait exceeds 100 ms and all of them together 6.3 s', async () => {
    const run = await loseEveryCommit(driver, DEFAULT_CONFLICT_RETRY, seededRandom(8));
    expect(run.sleepsMs).toHaveLength(DEFAULT_CONFLICT_RETRY.maxAttempts - 1);
    expect(Math.max(...run.sleepsMs)).toBeLessThanOrEqual(DEFAULT_CONFLICT_RETRY.maxDelayMs);
    expect(run.sleepsMs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual((DEFAULT_CONFLICT_RETRY.maxAttempts - 1) * DEFAULT_CONFLICT_RETRY.maxDelayMs);
  });

  it('property: for any policy every wait lies in [0, min(max, base × 2^(k−1))]', async () => {
    const policyArb = fc
      .record({ maxAttempts: fc.integer({ min: 1, max: 40 }), baseDelayMs: fc.integer({ min: 0, max: 50 }), extraMs: fc.integer({ min: 0, max: 500 }) })
      .map(({ extraMs, ...p }) => ({ ...p, maxDelayMs: p.baseDelayMs + extraMs }));
    await fc.assert(
      fc.asyncProperty(policyArb, fc.integer({ min: 1, max: 1_000_000 }), async (retry, seed) => {
        const run = await loseEveryCommit(driver, retry, seededRandom(seed));
        expect(run.commits).toBe(retry.maxAttempts);
        expect(run.sleepsMs).toHaveLength(retry.maxAttempts - 1);
        run.sleepsMs.forEach((ms, i) => {
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(ceilingMs(retry, i + 1));
        });
      }),
      { numRuns: 200, seed: 808 },
    );
  });
});

describe('conflict backoff on both drivers', () => {
  it('asks for the same waits, draw for draw, and ends at the same virtual time', async () => {
    const retry: ConflictRetryPolicy = { maxAttempts: 20, baseDelayMs: 2, maxDelayMs: 50 };
    const promised = await loseEveryCommit('handle', retry, seededRandom(5));
    const continued = await loseEveryCommit('handleThen', retry, seededRandom(5));
    expect(promised.sleepsMs).toHaveLength(19);
    expect(promised.endMs).toBeGreaterThan(0);
    expect(continued).toEqual(promised);
  });
});
