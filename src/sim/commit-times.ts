/**
 * When each version of each listing key was committed, for as long as some channel may still
 * list an older one: propagation to the listing is measured from these times (RunLedger).
 *
 * Versions of a key grow by one per commit, so each key keeps its times in one run of slots from
 * its oldest still-needed version on: eight slots of a shared arena, then a typed array of its
 * own if it needs more. A version every channel that shows the key has listed (or passed) is
 * never read again, since latency runs to the first time a listing shows a version or a newer
 * one (a listing that went back and forward again shows nothing new): when a key's slots are
 * full, those are dropped from their front before they grow, so memory follows the versions
 * still in flight, not the run's length.
 */

/** Versions each key keeps in the shared arena before it needs a buffer of its own. */
const ARENA_SLOTS = 8;
/** The seeded stock is version 1; the first commit makes version 2. */
const FIRST_COMMITTED_VERSION = 2;
/** Offsets in a key's record (see `records`). */
const FIRST = 0;
const LENGTH = 1;
const OWN = 2;
const LISTED = 3;

export class CommitTimes {
  /**
   * Key k's times while it keeps at most ARENA_SLOTS versions: slots [k * ARENA_SLOTS, +8) of
   * one array for every key. Most keys never need more, and a lookup there is one read in a
   * contiguous block, where a typed array per key is an object, an array buffer and a backing
   * store of its own (three places to miss in the cache, and thousands of buffers for the
   * garbage collector to track in a large catalogue).
   */
  private readonly arena: Float64Array;
  /** A key's own buffer once it needed more than the arena holds (undefined until then). */
  private readonly buffers: (Float64Array | undefined)[];
  /**
   * Per key, side by side from k * stride (a commit and a listing change read one record, not
   * four arrays): the version held at index 0 of its times, how many it holds, 1 once it has a
   * buffer of its own (0 before), then the highest version each channel has listed of it.
   */
  private readonly records: Float64Array;
  private readonly stride: number;

  constructor(
    private readonly keys: number,
    private readonly channels: number,
    /** The channel showing key k, or -1 when every channel does (unpartitioned stock). */
    private readonly onlyChannel: (k: number) => number,
  ) {
    this.arena = new Float64Array(keys * ARENA_SLOTS);
    this.buffers = new Array<Float64Array | undefined>(keys).fill(undefined);
    this.stride = LISTED + channels;
    this.records = new Float64Array(keys * this.stride);
    for (let k = 0; k < keys; k++) {
      const at = k * this.stride;
      this.records[at + FIRST] = FIRST_COMMITTED_VERSION;
      this.records.fill(1, at + LISTED, at + this.stride);
    }
  }

  /** Key k's version `version` was committed at `atMs`; versions arrive in order, one by one. */
  committed(k: number, version: number, atMs: number): void {
    const records = this.records;
    const r = k * this.stride;
    const next = records[r + FIRST]! + records[r + LENGTH]!;
    if (version !== next) throw new Error(`invariant: key ${k} committed version ${version}, expected ${next}`);
    if (records[r + LENGTH] === (records[r + OWN] === 0 ? ARENA_SLOTS : this.buffers[k]!.length)) this.makeRoom(k);
    const own = records[r + OWN] === 0 ? undefined : this.buffers[k];
    const at = records[r + LENGTH]!;
    records[r + LENGTH] = at + 1;
    if (own === undefined) this.arena[k * ARENA_SLOTS + at] = atMs;
    else own[at] = atMs;
  }

  /** When key k's version was committed; undefined if never, or no longer kept. */
  at(k: number, version: number): number | undefined {
    const r = k * this.stride;
    const i = version - this.records[r + FIRST]!;
    if (!(i >= 0 && i < this.records[r + LENGTH]!)) return undefined;
    return this.records[r + OWN] === 0 ? this.arena[k * ARENA_SLOTS + i] : this.buffers[k]![i];
  }

  /** Channel c now lists key k at `version`. */
  listedBy(c: number, k: number, version: number): void {
    const slot = k * this.stride + LISTED + c;
    if (version > this.records[slot]!) this.records[slot] = version;
  }

  /** The highest version channel c has listed of key k (1: the seeded stock). */
  highestListed(c: number, k: number): number {
    return this.records[k * this.stride + LISTED + c]!;
  }

  /** Versions kept over every key (for tests and memory checks). */
  get kept(): number {
    let n = 0;
    for (let k = 0; k < this.keys; k++) n += this.records[k * this.stride + LENGTH]!;
    return n;
  }

  /**
   * Key k's times are full: the versions every channel showing it has listed are dropped from the
   * front; if that frees less than half, the rest moves to a buffer twice the size.
   */
  private makeRoom(k: number): void {
    const only = this.onlyChannel(k);
    const records = this.records;
    const r = k * this.stride;
    let floor = Number.POSITIVE_INFINITY;
    for (let c = 0; c < this.channels; c++) if (only < 0 || only === c) floor = Math.min(floor, records[r + LISTED + c]!);
    const length = records[r + LENGTH]!;
    const drop = Math.min(length, Math.max(0, floor - records[r + FIRST]! + 1));
    const own = records[r + OWN] === 0 ? undefined : this.buffers[k];
    const times = own ?? this.arena.subarray(k * ARENA_SLOTS, (k + 1) * ARENA_SLOTS);
    records[r + FIRST] = records[r + FIRST]! + drop;
    records[r + LENGTH] = length - drop;
    if (drop * 2 >= times.length) {
      times.copyWithin(0, drop, length);
      return;
    }
    const grown = new Float64Array(times.length * 2);
    grown.set(times.subarray(drop, length));
    this.buffers[k] = grown;
    records[r + OWN] = 1;
  }
}
