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
  /** Version held at index 0 of each key's times. */
  private readonly first: Float64Array;
  private readonly length: Int32Array;
  /** The highest version each channel has listed of each key (`c * keys + k`). */
  private readonly listed: Float64Array;

  constructor(
    private readonly keys: number,
    private readonly channels: number,
    /** The channel showing key k, or -1 when every channel does (unpartitioned stock). */
    private readonly onlyChannel: (k: number) => number,
  ) {
    this.arena = new Float64Array(keys * ARENA_SLOTS);
    this.buffers = new Array<Float64Array | undefined>(keys).fill(undefined);
    this.first = new Float64Array(keys).fill(FIRST_COMMITTED_VERSION);
    this.length = new Int32Array(keys);
    this.listed = new Float64Array(keys * channels).fill(1);
  }

  /** Key k's version `version` was committed at `atMs`; versions arrive in order, one by one. */
  committed(k: number, version: number, atMs: number): void {
    const next = this.first[k]! + this.length[k]!;
    if (version !== next) throw new Error(`invariant: key ${k} committed version ${version}, expected ${next}`);
    if (this.length[k] === (this.buffers[k]?.length ?? ARENA_SLOTS)) this.makeRoom(k);
    const own = this.buffers[k];
    const at = this.length[k]!++;
    if (own === undefined) this.arena[k * ARENA_SLOTS + at] = atMs;
    else own[at] = atMs;
  }

  /** When key k's version was committed; undefined if never, or no longer kept. */
  at(k: number, version: number): number | undefined {
    const i = version - this.first[k]!;
    if (!(i >= 0 && i < this.length[k]!)) return undefined;
    const own = this.buffers[k];
    return own === undefined ? this.arena[k * ARENA_SLOTS + i] : own[i];
  }

  /** Channel c now lists key k at `version`. */
  listedBy(c: number, k: number, version: number): void {
    const slot = c * this.keys + k;
    if (version > this.listed[slot]!) this.listed[slot] = version;
  }

  /** The highest version channel c has listed of key k (1: the seeded stock). */
  highestListed(c: number, k: number): number {
    return this.listed[c * this.keys + k]!;
  }

  /** Versions kept over every key (for tests and memory checks). */
  get kept(): number {
    let n = 0;
    for (let k = 0; k < this.keys; k++) n += this.length[k]!;
    return n;
  }

  /**
   * Key k's times are full: the versions every channel showing it has listed are dropped from the
   * front; if that frees less than half, the rest moves to a buffer twice the size.
   */
  private makeRoom(k: number): void {
    const only = this.onlyChannel(k);
    let floor = Number.POSITIVE_INFINITY;
    for (let c = 0; c < this.channels; c++) if (only < 0 || only === c) floor = Math.min(floor, this.listed[c * this.keys + k]!);
    const length = this.length[k]!;
    const drop = Math.min(length, Math.max(0, floor - this.first[k]! + 1));
    const own = this.buffers[k];
    const times = own ?? this.arena.subarray(k * ARENA_SLOTS, (k + 1) * ARENA_SLOTS);
    this.first[k]! += drop;
    this.length[k]! -= drop;
    if (drop * 2 >= times.length) {
      times.copyWithin(0, drop, length);
      return;
    }
    const grown = new Float64Array(times.length * 2);
    grown.set(times.subarray(drop, length));
    this.buffers[k] = grown;
  }
}
