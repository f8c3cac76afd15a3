/**
 * RedisInventoryStore: the `InventoryStore` port on Redis (7.0 or later), through ioredis.
 *
 * Layout, every key under `invsim:{NAMESPACE}:` (the braces are a hash tag: all keys of a
 * store live in one cluster slot, as a multi-key script needs):
 *   levels            hash  sku -> "quantity:version"
 *   idem:<mutationId> string "expiresAtMs" or "expiresAtMs|A|digest|origin" (A: 1 applied, 0 rejected),
 *                     with a real PX expiry of the TTL
 *   outbox            stream, entry id "<seq>-0", fields sku quantity version mutationId sourceChannel committedAtMs
 *   outbox:seq        string, the last seq handed out
 *   outbox:cursor     string, the highest seq acknowledged through `ackOutbox`
 *   dlq, dlq:order, dlq:n  hash id -> JSON letter, zset of ids in parking order, its counter
 *
 * The commit is one Lua script (see redis-scripts.ts): one round trip, atomic, all or nothing.
 *
 * Idempotency expiry has two clocks on purpose. The logical check compares the record's
 * `expiresAtMs` with the `nowMs` the engine passes (virtual or real), exactly like the
 * in-memory store, so a test or a simulation with a fake clock sees records expire on its
 * clock. The key also gets a real `PX` TTL so Redis reclaims it: with the system clock the
 * two agree; with a virtual clock running slower than real time a record can vanish before
 * its logical expiry, so a simulation that needs idempotency longer than the real TTL must
 * use the in-memory store (or a longer TTL).
 *
 * The outbox is read either through the cursor (`readOutbox`/`ackOutbox`, one dispatcher) or
 * through the consumer group `dispatchers` (`claimOutbox`/`ackOutboxEntries`, several
 * dispatcher processes: XREADGROUP, XACK, XAUTOCLAIM). See `SharedOutbox`.
 *
 * Durability across store instances and processes is Redis's: the DLQ and the outbox survive
 * any client; surviving a server restart needs AOF persistence (`appendonly yes`), which is
 * the operator's choice.
 */
import { Redis } from 'ioredis';
import type { CommitStep } from '../engine/memory-store.js';
import type { CommitRequest, CommitResult, DeadLetter, IdempotencyRecord, OutboxEvent, StockLevel } from '../engine/ports.js';
import { errorCode, errorMessage, StoreUnavailableError } from './errors.js';
import { ACK_ENTRIES_LUA, ACK_LUA, COMMIT_LUA, LIST_DLQ_LUA, PARK_LUA, REMOVE_DLQ_LUA, RENEW_LUA } from './redis-scripts.js';
import { assertLevel, decodeDeadLetter, encodeDeadLetter, MAX_OUTBOX_LENGTH } from './shared.js';
import type { SharedOutboxStore } from './types.js';
import { DEFAULT_REDIS_NAMESPACE, DEFAULT_STORE_CALL_TIMEOUT_MS } from './url.js';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host[:port][/db]` (our own `?namespace=` already removed). */
  readonly url: string;
  /** Keys live under `invsim:{namespace}:`; tests use one namespace each. */
  readonly namespace?: string;
  readonly connectTimeoutMs?: number;
  /**
   * Deadline of every store call in ms (default 2 000): a call not answered by then fails with
   * StoreUnavailableError, its outcome unknown, as when the connection drops.
   */
  readonly callTimeoutMs?: number;
  /** The consumer group of the shared outbox (default `dispatchers`). */
  readonly group?: string;
  /** Upper bound on outbox entries; a commit beyond it is a loud error (default 10 000 000). */
  readonly maxOutboxLength?: number;
  /** Tests: every commit fails inside the script at this step. */
  readonly failAt?: CommitStep;
}

const MIN_VERSION: readonly [number, number] = [7, 0];
/** Ids per XACK/XCLAIM script call (Lua's unpack has a stack limit). */
const ID_BATCH = 1000;
/** XAUTOCLAIM pages scanned per claim, a bound on one call's work. */
const MAX_CLAIM_PAGES = 100;

class Script {
  private sha: string | undefined;
  constructor(private readonly lua: string) {}

  async load(redis: Redis): Promise<void> {
    this.sha = String(await redis.script('LOAD', this.lua));
  }

  /** EVALSHA, and EVAL once if the server lost the script (SCRIPT FLUSH, restart). */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.sha !== undefined) {
      try {
        return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!errorMessage(error).startsWith('NOSCRIPT')) throw error;
      }
    }
    return redis.eval(this.lua, keys.length, ...keys, ...args);
  }
}

export class RedisInventoryStore implements SharedOutboxStore {
  readonly kind = 'redis' as const;
  readonly namespace: string;
  private readonly prefix: string;
  private readonly group: string;
  private readonly maxOutboxLength: number;
  private readonly failAt: string;
  private readonly scripts = {
    commit: new Script(COMMIT_LUA),
    ack: new Script(ACK_LUA),
    park: new Script(PARK_LUA),
    listDlq: new Script(LIST_DLQ_LUA),
    removeDlq: new Script(REMOVE_DLQ_LUA),
    ackEntries: new Script(ACK_ENTRIES_LUA),
    renew: new Script(RENEW_LUA),
  };
  private groupReady = false;
  private closed = false;
  /** Calls in flight, each with its way to fail: see `guard`. */
  private readonly inFlight = new Set<(error: Error) => void>();
  private readonly callTimeoutMs: number;

  private constructor(
    private readonly redis: Redis,
    options: RedisStoreOptions,
  ) {
    this.namespace = options.namespace ?? DEFAULT_REDIS_NAMESPACE;
    this.prefix = `invsim:{${this.namespace}}:`;
    this.group = options.group ?? 'dispatchers';
    this.maxOutboxLength = options.maxOutboxLength ?? MAX_OUTBOX_LENGTH;
    this.failAt = options.failAt ?? '';
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_STORE_CALL_TIMEOUT_MS;
    // ioredis does not fail the commands in flight when the connection drops: with
    // autoResendUnfulfilledCommands off it forgets them, and their promises never settle.
    redis.on('close', () => this.failInFlight('the connection to redis was lost'));
  }

  /**
   * Runs one store call so that it always settles: with its result, its own error, a
   * StoreUnavailableError when the connection drops while it is in flight, or one at its
   * deadline. The outcome of a commit failed this way is unknown; a redelivery of the mutation
   * gets the true answer from its idempotency record.
   */
  private guard<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => fail(new StoreUnavailableError(`redis did not answer within ${this.callTimeoutMs} ms`, 'ETIMEDOUT')), this.callTimeoutMs);
      const fail = (error: Error): void => {
        if (!this.inFlight.delete(fail)) return;
        clearTimeout(timer);
        reject(error);
      };
      this.inFlight.add(fail);
      call().then(
        (value) => {
          if (!this.inFlight.delete(fail)) return;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => fail(offline(error)),
      );
    });
  }

  private failInFlight(why: string): void {
    if (this.inFlight.size === 0) return;
    const error = new StoreUnavailableError(`${why} (the outcome of the ${this.inFlight.size} calls in flight is unknown)`, 'ECONNRESET');
    for (const fail of [...this.inFlight]) fail(error);
  }

  /** Whether the connection is up and the server answers PING within the call deadline. */
  async ping(): Promise<void> {
    await this.guard(() => this.redis.ping());
  }

  /**
   * Connects, checks the server (Redis 7+) and loads the scripts. Fails fast with
   * StoreUnavailableError (`cannot reach redis at 127.0.0.1:6390: ECONNREFUSED`).
   */
  static async open(options: RedisStoreOptions): Promise<RedisInventoryStore> {
    const target = describeTarget(options.url);
    let lastError: unknown;
    let ready = false;
    const redis = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      // Before the first connection succeeds, fail at once; afterwards reconnect with backoff.
      retryStrategy: (times) => (ready ? Math.min(50 * times, 2_000) : null),
      maxRetriesPerRequest: 2,
      // While the connection is down a call fails at once (503, retried by the client) instead
      // of waiting in an offline queue and running, unseen, after its caller gave up.
      enableOfflineQueue: false,
      // A commit sent before a disconnect has an unknown outcome: fail it rather than resend
      // it (a resend would answer `duplicate` for the caller's own commit). Redelivery of the
      // mutation gets the right answer from the idempotency record.
      autoResendUnfulfilledCommands: false,
      // CLIENT LIST shows which connections are invsim's, and on which namespace.
      connectionName: `invsim:${options.namespace ?? DEFAULT_REDIS_NAMESPACE}`,
    });
    redis.on('error', (error: unknown) => {
      lastError = error;
    });
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      const cause = lastError ?? error;
      const code = errorCode(cause);
      const detail = code !== undefined && /^E[A-Z]+$/.test(code) ? code : errorMessage(cause);
      throw new StoreUnavailableError(`cannot reach redis at ${target}: ${detail}`, code);
    }
    ready = true;
    const store = new RedisInventoryStore(redis, options);
    try {
      await store.checkServer(target);
      for (const script of Object.values(store.scripts)) await script.load(redis);
    } catch (error) {
      redis.disconnect();
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`redis at ${target} is not usable: ${errorMessage(error)}`, errorCode(error));
    }
    return store;
  }

  private async checkServer(target: string): Promise<void> {
    const info = await this.redis.info('server');
    const match = /redis_version:(\d+)\.(\d+)/.exec(info);
    const major = Number(match?.[1] ?? 0);
    const minor = Number(match?.[2] ?? 0);
    if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
      throw new StoreUnavailableError(`redis at ${target} is version ${match?.[1] ?? '?'}.${match?.[2] ?? '?'}; invsim needs ${MIN_VERSION.join('.')} or later`, undefined);
    }
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  read(sku: string): Promise<StockLevel> {
    return this.guard(async () => {
      return parseLevel(await this.redis.hget(this.key('levels'), sku));
    });
  }

  hasProcessed(mutationId: string, nowMs: number): Promise<boolean> {
    return this.guard(async () => {
      return parseRecord(await this.redis.get(this.key(`idem:${mutationId}`)), nowMs) !== undefined;
    });
  }

  recordOf(mutationId: string, nowMs: number): Promise<IdempotencyRecord | undefined> {
    return this.guard(async () => parseRecord(await this.redis.get(this.key(`idem:${mutationId}`)), nowMs));
  }

  commit(request: CommitRequest, nowMs: number): Promise<CommitResult> {
    return this.guard(async () => {
      const expiresAtMs = nowMs + request.idempotencyTtlMs;
      const ttlPx = Math.max(1, Math.ceil(request.idempotencyTtlMs));
      const reply = await this.scripts.commit.run(
        this.redis,
        [this.key('levels'), this.key(`idem:${request.mutationId}`), this.key('outbox'), this.key('outbox:seq')],
        [
          request.sku,
          request.effect,
          String(request.expectedVersion),
          String(request.quantity),
          String(nowMs),
          String(expiresAtMs),
          String(ttlPx),
          request.outbox.sourceChannel,
          String(request.outbox.committedAtMs),
          request.mutationId,
          this.failAt,
          String(this.maxOutboxLength),
          request.payloadDigest ?? '',
          request.origin ?? '',
        ],
      );
      const [ok, a, b, c] = reply as [number, number | string, number | string, number];
      if (ok === 1) return { ok: true, level: { quantity: Number(a), version: Number(b) }, outboxSeq: Number(c) };
      switch (a) {
        case 'duplicate': {
          const recorded = parseRecord(typeof b === 'string' ? b : null, Number.NEGATIVE_INFINITY);
          return recorded === undefined || recorded.applied === undefined ? { ok: false, reason: a } : { ok: false, reason: a, recorded };
        }
        case 'version_conflict':
          return { ok: false, reason: a };
        case 'bad_quantity':
          throw new RangeError(`commit would set ${request.sku} to ${request.quantity}; a level is an integer >= 0`);
        case 'outbox_full':
          throw new Error(`outbox limit reached: ${this.maxOutboxLength} unacknowledged events (is a dispatcher draining it?)`);
        default:
          throw new Error(`invariant: unexpected commit reply ${JSON.stringify(reply)}`);
      }
    });
  }

  readOutbox(afterSeq: number, limit: number): Promise<readonly OutboxEvent[]> {
    return this.guard(async () => {
      if (limit <= 0) return [];
      const entries = await this.redis.xrange(this.key('outbox'), `${Math.floor(afterSeq) + 1}-0`, '+', 'COUNT', limit);
      return entries.map(([id, fields]) => parseEntry(id, fields));
    });
  }

  ackOutbox(seq: number): Promise<void> {
    return this.guard(async () => {
      await this.scripts.ack.run(this.redis, [this.key('outbox:cursor'), this.key('outbox')], [String(Math.floor(seq))]);
    });
  }

  outboxCursor(): Promise<number> {
    return this.guard(async () => {
      return Number((await this.redis.get(this.key('outbox:cursor'))) ?? 0);
    });
  }

  parkDeadLetter(letter: DeadLetter): Promise<void> {
    return this.guard(async () => {
      await this.scripts.park.run(this.redis, [this.key('dlq'), this.key('dlq:order'), this.key('dlq:n')], [letter.id, encodeDeadLetter(letter)]);
    });
  }

  listDeadLetters(): Promise<readonly DeadLetter[]> {
    return this.guard(async () => {
      const reply = (await this.scripts.listDlq.run(this.redis, [this.key('dlq'), this.key('dlq:order')], [])) as string[];
      return reply.map(decodeDeadLetter);
    });
  }

  removeDeadLetter(id: string): Promise<boolean> {
    return this.guard(async () => {
      return Number(await this.scripts.removeDlq.run(this.redis, [this.key('dlq'), this.key('dlq:order')], [id])) > 0;
    });
  }

  skus(): Promise<readonly string[]> {
    return this.guard(async () => {
      return this.redis.hkeys(this.key('levels'));
    });
  }

  seed(sku: string, quantity: number, version = 1): Promise<void> {
    return this.guard(async () => {
      assertLevel(quantity, version);
      await this.redis.hset(this.key('levels'), sku, `${quantity}:${version}`);
    });
  }

  // --- the shared outbox (several dispatchers) ---------------------------------------

  claimOutbox(consumer: string, limit: number, minIdleMs: number): Promise<readonly OutboxEvent[]> {
    return this.guard(async () => {
      if (limit <= 0) return [];
      await this.ensureGroup();
      const stream = this.key('outbox');
      const claimed: OutboxEvent[] = [];
      let start = '0-0';
      for (let page = 0; page < MAX_CLAIM_PAGES && claimed.length < limit; page++) {
        const reply = (await this.redis.call('XAUTOCLAIM', stream, this.group, consumer, Math.max(0, Math.floor(minIdleMs)), start, 'COUNT', limit - claimed.length)) as [
          string,
          ([string, string[]] | null)[],
        ];
        for (const entry of reply[1]) if (entry !== null) claimed.push(parseEntry(entry[0], entry[1]));
        start = reply[0];
        if (start === '0-0') break;
      }
      claimed.sort((x, y) => x.seq - y.seq);
      if (claimed.length < limit) {
        const reply = await this.redis.call('XREADGROUP', 'GROUP', this.group, consumer, 'COUNT', limit - claimed.length, 'STREAMS', stream, '>');
        for (const [id, fields] of streamEntries(reply)) claimed.push(parseEntry(id, fields));
      }
      return claimed;
    });
  }

  renewOutboxClaims(consumer: string, seqs: readonly number[]): Promise<number> {
    return this.guard(async () => {
      if (seqs.length === 0) return 0;
      await this.ensureGroup();
      let renewed = 0;
      for (let i = 0; i < seqs.length; i += ID_BATCH) {
        const ids = seqs.slice(i, i + ID_BATCH).map((s) => `${s}-0`);
        renewed += Number(await this.scripts.renew.run(this.redis, [this.key('outbox')], [this.group, consumer, ...ids]));
      }
      return renewed;
    });
  }

  ackOutboxEntries(seqs: readonly number[]): Promise<number> {
    return this.guard(async () => {
      if (seqs.length === 0) return 0;
      await this.ensureGroup();
      let acked = 0;
      for (let i = 0; i < seqs.length; i += ID_BATCH) {
        const ids = seqs.slice(i, i + ID_BATCH).map((s) => `${s}-0`);
        acked += Number(await this.scripts.ackEntries.run(this.redis, [this.key('outbox')], [this.group, ...ids]));
      }
      return acked;
    });
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.redis.call('XGROUP', 'CREATE', this.key('outbox'), this.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!errorMessage(error).startsWith('BUSYGROUP')) throw error;
    }
    this.groupReady = true;
  }

  // --- operations and tests ----------------------------------------------------------

  /** Empties the store (every key of its namespace); for a service's reset. See `reset`. */
  async clear(): Promise<void> {
    await this.reset();
  }

  /** Deletes every key of this namespace (tests; an operator wiping a store); returns how many. */
  reset(): Promise<number> {
    return this.guard(async () => {
      let cursor = '0';
      let deleted = 0;
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) deleted += await this.redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
      this.groupReady = false;
      return deleted;
    });
  }

  /** The real remaining TTL of an idempotency key in ms (-2 if gone), for tests and operators. */
  idempotencyKeyTtlMs(mutationId: string): Promise<number> {
    return this.guard(async () => {
      return this.redis.pttl(this.key(`idem:${mutationId}`));
    });
  }

  /** Drops the connection at once, without waiting for replies (tests: a crash mid-commit). */
  disconnectNow(): void {
    this.closed = true;
    this.redis.stream.destroy();
    this.redis.disconnect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

/** ioredis's errors for a connection that is down, as the store error they are. */
function offline(error: unknown): Error {
  const message = errorMessage(error);
  if (/Stream isn't writeable|Connection is closed/.test(message)) return new StoreUnavailableError(`redis is not connected (reconnecting): ${message}`, 'ECONNRESET');
  return error instanceof Error ? error : new Error(message);
}

function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}`;
  } catch {
    return url;
  }
}

/** An idempotency key's value ("expiresAtMs" or "expiresAtMs|A|digest|origin", see COMMIT_LUA), if unexpired at nowMs. */
function parseRecord(value: string | null, nowMs: number): IdempotencyRecord | undefined {
  if (value === null) return undefined;
  const [expires, applied, digest, ...rest] = value.split('|');
  if (!(Number(expires) > nowMs)) return undefined;
  if (applied === undefined || digest === undefined) return { applied: undefined, payloadDigest: undefined, origin: undefined };
  const origin = rest.join('|'); // the digest is base64url; an origin may hold '|'
  return { applied: applied === '1', payloadDigest: digest, origin: origin === '' ? undefined : origin };
}

function parseLevel(value: string | null): StockLevel {
  if (value === null) return { quantity: 0, version: 0 };
  const sep = value.indexOf(':');
  return { quantity: Number(value.slice(0, sep)), version: Number(value.slice(sep + 1)) };
}

type RawEntry = [string, string[]];

/**
 * The entries of a one-stream XREAD/XREADGROUP reply: RESP2 gives `[[key, entries]]`, RESP3
 * (ioredis's default, legacy mapping) a flat map `[key, entries]`; null when there are none.
 */
function streamEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const first: unknown = reply[0];
  const entries: unknown = typeof first === 'string' ? reply[1] : Array.isArray(first) ? first[1] : undefined;
  return Array.isArray(entries) ? (entries as RawEntry[]) : [];
}

function parseEntry(id: string, fields: readonly string[]): OutboxEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const field = (name: string): string => {
    const value = map.get(name);
    if (value === undefined) throw new Error(`invariant: outbox entry ${id} has no ${name}`);
    return value;
  };
  return {
    seq: Number(id.slice(0, id.indexOf('-'))),
    sku: field('sku'),
    quantity: Number(field('quantity')),
    version: Number(field('version')),
    mutationId: field('mutationId'),
    sourceChannel: field('sourceChannel'),
    committedAtMs: Number(field('committedAtMs')),
  };
}
