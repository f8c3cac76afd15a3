/**
 * Where InMemoryInventoryStore keeps its idempotency records' expiry times: a port with two
 * implementations that answer identically.
 *
 * - `MapIdempotencyIndex` (the default): a Map from mutation id to expiry, purged in insertion
 *   order through a queue. Any id.
 * - `DenseIdempotencyIndex`: for ids that are a known prefix followed by a small decimal counter
 *   (the simulator's `o123` orders and `r45` restocks), the expiry sits in a Float64Array slot
 *   indexed by the counter: 8 bytes a record instead of a Map entry, a string and two queue
 *   cells (about 150 bytes, and the garbage collector's to trace). Every other id goes to a
 *   `MapIdempotencyIndex` inside it. Each prefix's slots are a window over its counters: purging
 *   walks the window from its low end, clears the expired slots and moves the low end past
 *   every slot that is empty or expired, stopping at the first live record; the space below it
 *   is reused, so the memory held follows the records alive, not the run's length. A counter that
 *   arrives below the window's low end (a mutation first committed after everything older had
 *   expired) or far above its high end goes to the Map: rare, and still correct.
 *
 * Purging is an optimisation, never semantics: a look-up compares the expiry with the time, so a
 * record purged late (one behind a longer-lived one) is still expired on time.
 */

export interface IdempotencyIndex {
  /** The expiry time (ms) of `id`'s record, expired or not, or undefined when it has none. */
  expiryOf(id: string): number | undefined;
  /** Writes `id`'s record, replacing any it had. */
  set(id: string, expiresAtMs: number): void;
  /**
   * Drops records whose expiry is at or before `nowMs` (some may stay until a later purge);
   * `onDropped`, when given, hears each dropped id (the store drops what it keeps beside it).
   */
  purge(nowMs: number, onDropped?: (id: string) => void): void;
  /** Records held: written and not yet purged. */
  readonly size: number;
}

/** A compaction of the purge queue once this many of its cells are dead (and over half of it). */
const QUEUE_COMPACT_AT = 4096;

export class MapIdempotencyIndex implements IdempotencyIndex {
  /** mutationId -> expiry time (ms). */
  private readonly expiry = new Map<string, number>();
  /** Insertion-ordered expiry queue used to purge. */
  private queueIds: string[] = [];
  private queueAt: number[] = [];
  private head = 0;

  get size(): number {
    return this.expiry.size;
  }

  expiryOf(id: string): number | undefined {
    return this.expiry.get(id);
  }

  set(id: string, expiresAtMs: number): void {
    this.expiry.set(id, expiresAtMs);
    this.queueIds.push(id);
    this.queueAt.push(expiresAtMs);
  }

  /**
   * In insertion order. With one TTL (the usual case) insertion order is expiry order; a record
   * with a longer TTL ahead of shorter ones only delays their purge, never their expiry.
   */
  purge(nowMs: number, onDropped?: (id: string) => void): void {
    let head = this.head;
    while (head < this.queueIds.length && this.queueAt[head]! <= nowMs) {
      const id = this.queueIds[head]!;
      // A record written again since (a later expiry) is not this cell's to drop.
      if (this.expiry.get(id) === this.queueAt[head]) {
        this.expiry.delete(id);
        onDropped?.(id);
      }
      head++;
    }
    if (head > QUEUE_COMPACT_AT && head * 2 > this.queueIds.length) {
      this.queueIds = this.queueIds.slice(head);
      this.queueAt = this.queueAt.slice(head);
      head = 0;
    }
    this.head = head;
  }
}

export interface DenseIdempotencyIndexOptions {
  /**
   * The id prefixes whose counters are dense, each a non-empty string of letters: `['o', 'r']`
   * for the simulator's orders and restocks. An id is dense when it is a prefix followed by a
   * decimal counter without leading zeros, below 2^31.
   */
  readonly prefixes: readonly string[];
}

/** No record in a slot (expiry times are finite numbers). */
const EMPTY = Number.NEGATIVE_INFINITY;
const INITIAL_SLOTS = 1024;
/** A counter more than this far above a window's high end goes to the Map instead of growing it. */
const MAX_JUMP = 1 << 20;
const MAX_COUNTER = 2 ** 31 - 1;

/** One prefix's slots: counters `low .. low + slots.length - 1`; every counter below `low` is in the Map. */
class Window {
  slots = new Float64Array(INITIAL_SLOTS).fill(EMPTY);
  /** The counter of slots[0]. */
  offset = 0;
  /** The lowest counter the window still takes. */
  low = 0;
  /** One past the highest counter written. */
  high = 0;
  live = 0;

  has(n: number): boolean {
    return n >= this.low && n < this.offset + this.slots.length;
  }

  /** Makes room for counter n (n >= low); false when it is too far above the window to take. */
  reserve(n: number): boolean {
    if (n < this.offset + this.slots.length) return true;
    if (n - this.high > MAX_JUMP) return false;
    // Slots from `low` to n, twice over: compact in place when that fits, else grow.
    const wanted = Math.max(INITIAL_SLOTS, (n + 1 - this.low) * 2);
    const from = this.low - this.offset;
    const to = this.high - this.offset;
    if (wanted <= this.slots.length) {
      this.slots.copyWithin(0, from, to);
    } else {
      const slots = new Float64Array(wanted);
      slots.set(this.slots.subarray(from, to));
      this.slots = slots;
    }
    this.slots.fill(EMPTY, to - from);
    this.offset = this.low;
    return true;
  }
}

export class DenseIdempotencyIndex implements IdempotencyIndex {
  private readonly prefixes: readonly string[];
  private readonly windows: Window[];
  private readonly others = new MapIdempotencyIndex();

  constructor(options: DenseIdempotencyIndexOptions) {
    for (const p of options.prefixes) {
      if (!/^[A-Za-z]+$/.test(p)) throw new RangeError(`a dense id prefix is one or more letters, got ${JSON.stringify(p)}`);
    }
    if (new Set(options.prefixes).size !== options.prefixes.length) throw new RangeError(`dense id prefixes repeat: ${options.prefixes.join(', ')}`);
    this.prefixes = [...options.prefixes];
    this.windows = this.prefixes.map(() => new Window());
  }

  /** Float64 slots allocated over every prefix: the memory the dense part holds (8 bytes each). */
  get denseSlots(): number {
    let slots = 0;
    for (const w of this.windows) slots += w.slots.length;
    return slots;
  }

  get size(): number {
    let live = this.others.size;
    for (const w of this.windows) live += w.live;
    return live;
  }

  expiryOf(id: string): number | undefined {
    const p = this.prefixOf(id);
    if (p >= 0) {
      const n = counterOf(id, this.prefixes[p]!.length);
      const w = this.windows[p]!;
      if (n >= 0 && w.has(n)) {
        const at = w.slots[n - w.offset]!;
        return at === EMPTY ? undefined : at;
      }
    }
    return this.others.expiryOf(id);
  }

  set(id: string, expiresAtMs: number): void {
    if (!Number.isFinite(expiresAtMs)) throw new RangeError(`an idempotency expiry is a finite time, got ${expiresAtMs}`);
    const p = this.prefixOf(id);
    if (p >= 0) {
      const n = counterOf(id, this.prefixes[p]!.length);
      const w = this.windows[p]!;
      if (n >= w.low && w.reserve(n)) {
        const i = n - w.offset;
        if (w.slots[i] === EMPTY) w.live++;
        w.slots[i] = expiresAtMs;
        if (n >= w.high) w.high = n + 1;
        return;
      }
    }
    this.others.set(id, expiresAtMs);
  }

  purge(nowMs: number, onDropped?: (id: string) => void): void {
    this.others.purge(nowMs, onDropped);
    for (let p = 0; p < this.windows.length; p++) {
      const w = this.windows[p]!;
      let n = w.low;
      while (n < w.high) {
        const i = n - w.offset;
        const at = w.slots[i]!;
        if (at > nowMs) break;
        if (at !== EMPTY) {
          w.slots[i] = EMPTY;
          w.live--;
          onDropped?.(`${this.prefixes[p]!}${n}`);
        }
        n++;
      }
      w.low = n;
    }
  }

  /** The index of the prefix `id` starts with (the longest), or -1. */
  private prefixOf(id: string): number {
    let best = -1;
    for (let p = 0; p < this.prefixes.length; p++) {
      const prefix = this.prefixes[p]!;
      if (id.startsWith(prefix) && (best < 0 || prefix.length > this.prefixes[best]!.length)) best = p;
    }
    return best;
  }
}

/** The decimal counter after `from` in `id` (no sign, no leading zero, below 2^31), or -1. */
function counterOf(id: string, from: number): number {
  const length = id.length - from;
  if (length < 1 || length > 10) return -1;
  const first = id.charCodeAt(from);
  if (first === 48 /* 0 */ && length > 1) return -1;
  let n = 0;
  for (let i = from; i < id.length; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= MAX_COUNTER ? n : -1;
}
