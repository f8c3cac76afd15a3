/**
 * The planted defects of issue 14 ("tests with teeth"), as mutants: each is a small textual
 * patch of the engine, a store or a migration, and names the test files of which at least one
 * must fail while it is in place. `npm run test:mutants` (test/mutants/run.ts) applies each to a
 * copy of the repository and runs its tests; test/mutants/mutants.test.ts checks, on every CI
 * run, that each patch still applies exactly once. docs/testing.md lists them by defect.
 *
 * A patch's `find` must occur exactly once in its file (after the mutant's earlier patches);
 * most mutants are one patch, a few move a write from one place to another and need two or three.
 */

export interface Patch {
  /** Path from the repository root. */
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface Mutant {
  /** kebab-case, unique: `npx vite-node test/mutants/run.ts NAME` runs just this one. */
  readonly name: string;
  /** The defect's number in issue 14. */
  readonly defect: number;
  /** What the patch plants, in a line. */
  readonly plants: string;
  readonly patches: readonly Patch[];
  /** Test files (from the repository root) of which at least one must fail. */
  readonly tests: readonly string[];
}

/** The defects of issue 14, by number. */
export const DEFECTS: Readonly<Record<number, string>> = {
  1: 'a redelivery applies twice (idempotency check skipped)',
  2: 'no compare-and-set (commit ignores expectedVersion)',
  3: 'outbox event written before, or outside, the atomic commit',
  4: 'a DLQ that drops (parkDeadLetter does nothing)',
  5: 'a DLQ entry not persisted (kept in the process, lost on store reopen)',
  6: 'a reconciler that overwrites a channel holding a newer version',
  7: "a retry delay above the retry policy's max_delay_ms",
  8: "a conflict backoff without a cap (the processor's version-conflict retries)",
  9: 'Retry-After ignored (a throttled lane or channel retried before retryAfterMs)',
  10: 'a redrive that sends the parked payload instead of the current level',
  11: "an off-by-one percentile (the latency observer's nearest rank)",
  12: 'a non-atomic idempotency record (written apart from the commit)',
  13: 'an older version replacing a newer pending one in a dispatcher lane',
  14: 'stock reaching -1 (insufficient-stock check off by one)',
  15: 'an idempotency TTL ignored (records never expire, or expire at once)',
  16: 'the outbox position (cursor/ack) moving before delivery',
  17: 'the Redis and PostgreSQL commits without a version check',
};

const lines = (...parts: string[]): string => parts.join('\n');

const MEMORY = 'src/engine/memory-store.ts';
const PROCESSOR = 'src/engine/processor.ts';
const DISPATCHER = 'src/engine/dispatcher.ts';
const RECONCILER = 'src/engine/reconciler.ts';
const RETRY = 'src/engine/retry.ts';
const OBSERVER = 'src/engine/latency-observer.ts';
const REDIS = 'src/stores/redis.ts';
const LUA = 'src/stores/redis-scripts.ts';
const POSTGRES = 'src/stores/postgres.ts';
const SQL = 'migrations/002_idempotency_records.sql';

const T = {
  processor: 'test/engine/processor.test.ts',
  conflictBackoff: 'test/engine/conflict-backoff.test.ts',
  dispatcher: 'test/engine/dispatcher.test.ts',
  storeFailures: 'test/engine/dispatcher-store-failures.test.ts',
  lanes: 'test/engine/dispatcher-lanes.test.ts',
  retryAfter: 'test/engine/dispatcher-retry-after.test.ts',
  redrive: 'test/engine/dispatcher-redrive.test.ts',
  reconciler: 'test/engine/reconciler-options.test.ts',
  retry: 'test/engine/retry.test.ts',
  observer: 'test/engine/latency-observer.test.ts',
  quantiles: 'test/engine/latency-observer-quantiles.test.ts',
  memory: 'test/stores/memory.test.ts',
  redis: 'test/stores/redis.test.ts',
  postgres: 'test/stores/postgres.test.ts',
  pgRaces: 'test/stores/postgres-races.test.ts',
} as const;

/** The Lua commit's duplicate check (defects 1 and 15 each change it their own way). */
const LUA_DUPLICATE = "if recorded and tonumber(string.match(recorded, '^[^|]*')) > tonumber(ARGV[5]) then return {0, 'duplicate', recorded} end";
/** The SQL commit's upsert of the idempotency key: only an expired key is replaced. */
const SQL_KEY_EXPIRED = 'WHERE k.expires_at_ms <= p_now_ms;';
const SQL_OUTBOX_INSERT = lines(
  '      INSERT INTO outbox AS o (sku, quantity, version, mutation_id, source_channel, committed_at_ms)',
  '        VALUES (p_sku, p_quantity::integer, p_expected + 1, p_mutation_id, p_source_channel, p_committed_at_ms)',
  '        RETURNING o.seq INTO v_seq;',
  '',
);
const SQL_KEY_BLOCK_START = lines('  BEGIN', '    INSERT INTO idempotency_keys AS k (mutation_id, expires_at_ms, applied, payload_digest, origin)');

export const MUTANTS: readonly Mutant[] = [
  // 1. A redelivery applies twice.
  {
    name: 'memory-skips-idempotency-check',
    defect: 1,
    plants: 'the in-memory commit never looks at the idempotency record',
    patches: [{ file: MEMORY, find: 'if (this.isRecorded(request.mutationId, nowMs)) {', replace: 'if (false) {' }],
    tests: [T.processor, T.memory],
  },
  {
    name: 'redis-skips-idempotency-check',
    defect: 1,
    plants: 'the Lua commit never answers duplicate',
    patches: [{ file: LUA, find: LUA_DUPLICATE, replace: "if false then return {0, 'duplicate', recorded} end" }],
    tests: [T.redis],
  },
  {
    name: 'pg-duplicate-overwrites-key',
    defect: 1,
    plants: 'the SQL commit replaces an unexpired idempotency key instead of answering duplicate',
    patches: [{ file: SQL, find: SQL_KEY_EXPIRED, replace: 'WHERE true;' }],
    tests: [T.postgres],
  },

  // 2. No compare-and-set.
  {
    name: 'memory-ignores-expected-version',
    defect: 2,
    plants: 'the in-memory commit applies whatever version was read',
    patches: [{ file: MEMORY, find: "if (current.version !== request.expectedVersion) return { ok: false, reason: 'version_conflict' };", replace: '' }],
    tests: [T.processor, T.memory],
  },

  // 3. The outbox event outside the atomic commit.
  {
    name: 'memory-outbox-before-commit',
    defect: 3,
    plants: 'the in-memory commit appends the outbox event before its last step can still fail',
    patches: [
      {
        file: MEMORY,
        find: lines(
          "    hook?.('apply', request);",
          '    if (event !== undefined) {',
          '      this.levels.set(request.sku, level);',
          '      this.outbox.push(event);',
          '      this.nextSeq++;',
          '    }',
        ),
        replace: lines(
          '    if (event !== undefined) {',
          '      this.outbox.push(event);',
          '      this.nextSeq++;',
          '    }',
          "    hook?.('apply', request);",
          '    if (event !== undefined) this.levels.set(request.sku, level);',
        ),
      },
    ],
    tests: [T.processor, T.memory],
  },
  {
    name: 'redis-outbox-before-last-check',
    defect: 3,
    plants: 'the Lua commit appends to the outbox stream before its last failure point',
    patches: [
      { file: LUA, find: lines("fault('apply')", 'if apply then'), replace: 'if apply then' },
      { file: LUA, find: "'committedAtMs', ARGV[9])\n", replace: "'committedAtMs', ARGV[9])\n  fault('apply')\n" },
    ],
    tests: [T.redis],
  },
  {
    name: 'pg-outbox-outside-subtransaction',
    defect: 3,
    plants: 'the SQL commit inserts the outbox event before the block a version conflict rolls back',
    patches: [
      { file: SQL, find: SQL_OUTBOX_INSERT, replace: '' },
      {
        file: SQL,
        find: SQL_KEY_BLOCK_START,
        replace: lines(
          '  IF p_apply AND v_valid THEN',
          '    INSERT INTO outbox AS o (sku, quantity, version, mutation_id, source_channel, committed_at_ms)',
          '      VALUES (p_sku, p_quantity::integer, p_expected + 1, p_mutation_id, p_source_channel, p_committed_at_ms)',
          '      RETURNING o.seq INTO v_seq;',
          '  END IF;',
          SQL_KEY_BLOCK_START,
        ),
      },
    ],
    tests: [T.pgRaces, T.postgres],
  },

  // 4. A DLQ that drops.
  {
    name: 'memory-dlq-drops',
    defect: 4,
    plants: 'the in-memory parkDeadLetter keeps nothing',
    patches: [{ file: MEMORY, find: 'this.deadLetters.set(letter.id, letter);', replace: 'void letter;' }],
    tests: [T.dispatcher, T.storeFailures, T.memory],
  },
  {
    name: 'redis-dlq-drops',
    defect: 4,
    plants: 'the Lua park script writes no letter',
    patches: [{ file: LUA, find: "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n", replace: '' }],
    tests: [T.redis],
  },

  // 5. A DLQ entry kept in the process only.
  {
    name: 'redis-dlq-in-process',
    defect: 5,
    plants: 'the Redis store keeps dead letters in a Map of the instance',
    patches: [
      {
        file: REDIS,
        find: lines(
          '  parkDeadLetter(letter: DeadLetter): Promise<void> {',
          '    return this.guard(async () => {',
          "      await this.scripts.park.run(this.redis, [this.key('dlq'), this.key('dlq:order'), this.key('dlq:n')], [letter.id, encodeDeadLetter(letter)]);",
          '    });',
          '  }',
          '',
          '  listDeadLetters(): Promise<readonly DeadLetter[]> {',
          '    return this.guard(async () => {',
          "      const reply = (await this.scripts.listDlq.run(this.redis, [this.key('dlq'), this.key('dlq:order')], [])) as string[];",
          '      return reply.map(decodeDeadLetter);',
          '    });',
          '  }',
          '',
          '  removeDeadLetter(id: string): Promise<boolean> {',
          '    return this.guard(async () => {',
          "      return Number(await this.scripts.removeDlq.run(this.redis, [this.key('dlq'), this.key('dlq:order')], [id])) > 0;",
          '    });',
          '  }',
        ),
        replace: lines(
          '  private readonly lettersHere = new Map<string, DeadLetter>();',
          '  parkDeadLetter(letter: DeadLetter): Promise<void> {',
          '    this.lettersHere.set(letter.id, letter);',
          '    return Promise.resolve();',
          '  }',
          '  listDeadLetters(): Promise<readonly DeadLetter[]> {',
          '    return Promise.resolve([...this.lettersHere.values()]);',
          '  }',
          '  removeDeadLetter(id: string): Promise<boolean> {',
          '    return Promise.resolve(this.lettersHere.delete(id));',
          '  }',
        ),
      },
    ],
    tests: [T.redis],
  },
  {
    name: 'pg-dlq-in-process',
    defect: 5,
    plants: 'the PostgreSQL store keeps dead letters in a Map of the instance',
    patches: [
      {
        file: POSTGRES,
        find: lines(
          '  async parkDeadLetter(l: DeadLetter): Promise<void> {',
          '    await this.pool.query(this.sql.park, [l.id, l.sku, l.channel, l.quantity, l.version, l.committedAtMs, l.attempts, l.lastError, l.parkedAtMs]);',
          '  }',
          '',
          '  async listDeadLetters(): Promise<readonly DeadLetter[]> {',
          '    return ((await this.pool.query(this.sql.listDlq)).rows as Row[]).map(toLetter);',
          '  }',
          '',
          '  async removeDeadLetter(id: string): Promise<boolean> {',
          '    return ((await this.pool.query(this.sql.removeDlq, [id])).rowCount ?? 0) > 0;',
          '  }',
        ),
        replace: lines(
          '  private readonly lettersHere = new Map<string, DeadLetter>();',
          '  async parkDeadLetter(l: DeadLetter): Promise<void> {',
          '    this.lettersHere.set(l.id, l);',
          '  }',
          '  async listDeadLetters(): Promise<readonly DeadLetter[]> {',
          '    return [...this.lettersHere.values()];',
          '  }',
          '  async removeDeadLetter(id: string): Promise<boolean> {',
          '    return this.lettersHere.delete(id);',
          '  }',
        ),
      },
    ],
    tests: [T.postgres],
  },

  // 6. A reconciler that overwrites a newer listing.
  {
    name: 'reconciler-overwrites-newer-listing',
    defect: 6,
    plants: 'the reconciler corrects a channel whatever version it holds',
    patches: [{ file: RECONCILER, find: 'if (listedVersion > level.version) {', replace: 'if (false) {' }],
    tests: [T.dispatcher, T.reconciler],
  },

  // 7. A retry delay above max_delay_ms.
  {
    name: 'retry-delay-uncapped',
    defect: 7,
    plants: 'the retry policy ignores maxDelayMs',
    patches: [
      {
        file: RETRY,
        find: 'return Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.backoffMultiplier ** (retry - 1));',
        replace: 'return policy.baseDelayMs * policy.backoffMultiplier ** (retry - 1);',
      },
    ],
    tests: [T.retry, T.dispatcher],
  },

  // 8. A conflict backoff without a cap.
  {
    name: 'conflict-backoff-uncapped',
    defect: 8,
    plants: "the processor's conflict backoff ignores maxDelayMs",
    patches: [
      {
        file: PROCESSOR,
        find: 'const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));',
        replace: 'const ceiling = this.retry.baseDelayMs * 2 ** (attempt - 1);',
      },
    ],
    tests: [T.conflictBackoff, T.processor],
  },

  // 9. Retry-After ignored.
  {
    name: 'retry-after-ignored-by-lane',
    defect: 9,
    plants: "a failed lane waits its own backoff, not the answer's Retry-After",
    patches: [{ file: DISPATCHER, find: 'const delayMs = Math.max(backoff, result.retryAfterMs ?? 0);', replace: 'const delayMs = backoff;' }],
    tests: [T.retryAfter, T.dispatcher],
  },
  {
    name: 'retry-after-ignored-by-channel',
    defect: 9,
    plants: 'a 429 no longer pauses the channel',
    patches: [{ file: DISPATCHER, find: 'channel.pausedUntilMs = Math.max(channel.pausedUntilMs, now + result.retryAfterMs);', replace: 'void now;' }],
    tests: [T.retryAfter, T.dispatcher],
  },

  // 10. A redrive that sends the parked payload.
  {
    name: 'redrive-sends-parked-payload',
    defect: 10,
    plants: "redrive submits the letter's quantity and version",
    patches: [
      {
        file: DISPATCHER,
        find: '{ sku: letter.sku, quantity, version: level.version }',
        replace: '{ sku: letter.sku, quantity: letter.quantity, version: letter.version }',
      },
    ],
    tests: [T.redrive, T.dispatcher],
  },

  // 11. An off-by-one percentile.
  {
    name: 'percentile-rank-one-above',
    defect: 11,
    plants: 'the nearest rank is ceil(n·q) + 1',
    patches: [
      {
        file: OBSERVER,
        find: 'return Math.max(1, Math.floor((count * q.num + q.den - 1) / q.den));',
        replace: 'return Math.max(1, Math.floor((count * q.num + q.den - 1) / q.den) + 1);',
      },
    ],
    tests: [T.observer, T.quantiles],
  },
  {
    name: 'percentile-rank-floor',
    defect: 11,
    plants: 'the nearest rank is floor(n·q): one sample low whenever n·q is not whole',
    patches: [
      {
        file: OBSERVER,
        find: 'return Math.max(1, Math.floor((count * q.num + q.den - 1) / q.den));',
        replace: 'return Math.max(1, Math.floor((count * q.num) / q.den));',
      },
    ],
    tests: [T.observer, T.quantiles],
  },
  {
    name: 'percentile-reads-next-rank',
    defect: 11,
    plants: 'the histogram is asked for the middle of rank k + 1',
    patches: [{ file: OBSERVER, find: '(100 * (rank - 0.5)) / count', replace: '(100 * (rank + 0.5)) / count' }],
    tests: [T.observer, T.quantiles],
  },

  // 12. A non-atomic idempotency record.
  {
    name: 'memory-idempotency-before-commit',
    defect: 12,
    plants: 'the in-memory commit records the key before its later steps can still fail',
    patches: [
      {
        file: MEMORY,
        find: lines('    const expiresAtMs = nowMs + request.idempotencyTtlMs;', "    hook?.('outbox', request);"),
        replace: lines('    const expiresAtMs = nowMs + request.idempotencyTtlMs;', '    this.idempotency.set(request.mutationId, expiresAtMs);', "    hook?.('outbox', request);"),
      },
    ],
    tests: [T.processor, T.memory],
  },
  {
    name: 'redis-idempotency-before-checks',
    defect: 12,
    plants: 'the Lua commit sets the key before its outbox checks and writes',
    patches: [{ file: LUA, find: lines("fault('outbox')", 'local seq = 0'), replace: lines("redis.call('SET', KEYS[2], expiresAt, 'PX', ARGV[7])", "fault('outbox')", 'local seq = 0') }],
    tests: [T.redis],
  },
  {
    name: 'pg-idempotency-outside-subtransaction',
    defect: 12,
    plants: 'the SQL commit inserts the key before the block a version conflict rolls back',
    patches: [
      { file: SQL, find: SQL_KEY_BLOCK_START, replace: '    INSERT INTO idempotency_keys AS k (mutation_id, expires_at_ms, applied, payload_digest, origin)' },
      {
        file: SQL,
        find: "    IF p_fail_at = 'idempotency' THEN RAISE EXCEPTION 'injected fault at idempotency'; END IF;",
        replace: lines('  BEGIN', "    IF p_fail_at = 'idempotency' THEN RAISE EXCEPTION 'injected fault at idempotency'; END IF;"),
      },
    ],
    tests: [T.pgRaces, T.postgres],
  },

  // 13. An older version overtaking a newer one in a lane.
  {
    name: 'lane-older-replaces-pending',
    defect: 13,
    plants: 'a submitted version replaces the waiting one even when older',
    patches: [{ file: DISPATCHER, find: 'if (lane.next !== undefined && update.version <= lane.next.version) {', replace: 'if (false) {' }],
    tests: [T.lanes, T.dispatcher],
  },
  {
    name: 'lane-older-queued-behind-in-flight',
    defect: 13,
    plants: 'a version older than the one in flight is queued to go after it',
    patches: [{ file: DISPATCHER, find: 'if (lane.sending !== undefined && update.version <= lane.sending.version) {', replace: 'if (false) {' }],
    tests: [T.lanes, T.dispatcher],
  },
  {
    name: 'lane-resends-older-than-acked',
    defect: 13,
    plants: 'a version older than the acknowledged one is sent again',
    patches: [{ file: DISPATCHER, find: 'if (update.version <= lane.ackedVersion) {', replace: 'if (update.version < -1) {' }],
    tests: [T.lanes, T.dispatcher],
  },

  // 14. Stock reaching -1.
  {
    name: 'processor-allows-minus-one',
    defect: 14,
    plants: 'the processor rejects only below -1',
    patches: [{ file: PROCESSOR, find: "const effect = next < 0 || tooHigh ? 'reject' : 'apply';", replace: "const effect = next < -1 || tooHigh ? 'reject' : 'apply';" }],
    tests: [T.processor],
  },
  {
    name: 'processor-refuses-last-unit',
    defect: 14,
    plants: 'the processor rejects an order that takes stock to exactly 0 (<= for <)',
    patches: [{ file: PROCESSOR, find: "const effect = next < 0 || tooHigh ? 'reject' : 'apply';", replace: "const effect = next <= 0 || tooHigh ? 'reject' : 'apply';" }],
    tests: [T.processor],
  },
  {
    name: 'memory-store-accepts-minus-one',
    defect: 14,
    plants: 'the in-memory store accepts a level of -1',
    patches: [{ file: MEMORY, find: 'request.quantity < 0) {', replace: 'request.quantity < -1) {' }],
    tests: [T.memory],
  },
  {
    name: 'redis-accepts-minus-one',
    defect: 14,
    plants: 'the Lua commit accepts a level of -1',
    patches: [{ file: LUA, find: 'newQuantity < 0 or', replace: 'newQuantity < -1 or' }],
    tests: [T.redis],
  },

  // 15. An idempotency TTL ignored.
  {
    name: 'processor-ignores-ttl-option',
    defect: 15,
    plants: 'the processor always uses the default TTL',
    patches: [{ file: PROCESSOR, find: 'this.ttlMs = options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;', replace: 'this.ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS;' }],
    tests: [T.processor],
  },
  {
    name: 'memory-records-never-expire',
    defect: 15,
    plants: 'an in-memory record counts whatever its expiry',
    patches: [{ file: MEMORY, find: 'return expiresAtMs !== undefined && expiresAtMs > nowMs;', replace: 'return expiresAtMs !== undefined;' }],
    tests: [T.processor, T.memory],
  },
  {
    name: 'memory-records-expire-at-once',
    defect: 15,
    plants: 'an in-memory record expires the moment it is written',
    patches: [{ file: MEMORY, find: 'const expiresAtMs = nowMs + request.idempotencyTtlMs;', replace: 'const expiresAtMs = nowMs;' }],
    tests: [T.processor, T.memory],
  },
  {
    name: 'redis-records-never-expire',
    defect: 15,
    plants: 'the Lua commit answers duplicate for an expired record',
    patches: [{ file: LUA, find: LUA_DUPLICATE, replace: "if recorded then return {0, 'duplicate', recorded} end" }],
    tests: [T.redis],
  },
  {
    name: 'redis-key-expires-at-once',
    defect: 15,
    plants: 'the Redis key gets a real expiry of 1 ms',
    patches: [{ file: REDIS, find: 'const ttlPx = Math.max(1, Math.ceil(request.idempotencyTtlMs));', replace: 'const ttlPx = 1;' }],
    tests: [T.redis],
  },
  {
    name: 'pg-records-never-expire',
    defect: 15,
    plants: 'the SQL commit never replaces an expired key',
    patches: [{ file: SQL, find: SQL_KEY_EXPIRED, replace: 'WHERE false;' }],
    tests: [T.postgres],
  },

  // 16. The outbox position moving before delivery.
  {
    name: 'outbox-acked-on-read',
    defect: 16,
    plants: 'the dispatcher acknowledges outbox events as soon as it reads them',
    patches: [
      {
        file: DISPATCHER,
        find: '      for (const event of events) this.accept(event);',
        replace: lines('      for (const event of events) this.accept(event);', '      if (events.length > 0) void store.ackOutbox(events[events.length - 1]!.seq);'),
      },
    ],
    tests: [T.dispatcher, T.storeFailures],
  },
  {
    name: 'outbox-settled-on-send',
    defect: 16,
    plants: 'a lane settles its outbox events when it sends them, not when the channel has them',
    patches: [
      {
        file: DISPATCHER,
        find: '      lane.sendingCovers = lane.covers;',
        replace: lines('      lane.sendingCovers = lane.covers;', '      for (let c = lane.covers; c !== NO_COVERS; c = this.coverLists.nextOf(c)) if (this.coverLists.slotOf(c) >= 0) this.settle(this.coverLists.slotOf(c));'),
      },
    ],
    tests: [T.dispatcher, T.storeFailures],
  },

  // 17. Network-store commits without a version check.
  {
    name: 'redis-ignores-expected-version',
    defect: 17,
    plants: 'the Lua commit never answers version_conflict',
    patches: [{ file: LUA, find: "if version ~= tonumber(ARGV[3]) then return {0, 'version_conflict'} end", replace: '' }],
    tests: [T.redis],
  },
  {
    name: 'pg-ignores-expected-version',
    defect: 17,
    plants: 'the SQL commit checks the version nowhere (early check, UPDATE, reject)',
    patches: [
      { file: SQL, find: '  IF coalesce(v_version, 0) <> p_expected AND NOT EXISTS (', replace: '  IF false AND NOT EXISTS (' },
      { file: SQL, find: 'WHERE l.sku = p_sku AND l.version = p_expected', replace: 'WHERE l.sku = p_sku' },
      { file: SQL, find: "IF v_version <> p_expected THEN RAISE EXCEPTION USING ERRCODE = 'IV409'", replace: "IF false THEN RAISE EXCEPTION USING ERRCODE = 'IV409'" },
    ],
    tests: [T.postgres, T.pgRaces],
  },
  {
    name: 'pg-update-without-version',
    defect: 17,
    plants: 'the SQL UPDATE of the level drops its version condition (only the early check is left)',
    patches: [{ file: SQL, find: 'WHERE l.sku = p_sku AND l.version = p_expected', replace: 'WHERE l.sku = p_sku' }],
    tests: [T.pgRaces],
  },
  {
    name: 'pg-reject-without-version',
    defect: 17,
    plants: 'the SQL reject path drops its version check (only the early check is left)',
    patches: [{ file: SQL, find: "IF v_version <> p_expected THEN RAISE EXCEPTION USING ERRCODE = 'IV409'", replace: "IF false THEN RAISE EXCEPTION USING ERRCODE = 'IV409'" }],
    tests: [T.pgRaces],
  },
];
