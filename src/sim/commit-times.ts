/**
 * When each version of each listing key was committed, for as long as some channel may still
 * list an older one: propagation to the listing is measured from these times (RunLedger).
 *
 * Versions of a key grow by one per commit, so each key keeps its times in one typed array from
 * its oldest still-needed version on. A version every channel that shows the key has listed (or
 * passed) is never read again, since latency runs to the first time a listing shows a version
 * or a newer one (a listing that went back and forward again shows nothing new): when a key's
 * array is full, those are dropped from its front before it grows, so memory follows the
 * versions still in flight, not the run's length.
 */

const INITIAL_CAPACITY = 8;
/** The seeded stock is version 1; the first commit makes version 2. */
const FIRST_COMMITTED_VERSION = 2;

export class CommitTimes {
  private readonly buffers: Float64Array[];
  /** Version held at index 0 of each key's buffer. */
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
    this.buffers = Array.from({ length: keys }, () => new Float64Array(INITIAL_CAPACITY));
    this.first = new Float64Array(keys).fill(FIRST_COMMITTED_VERSION);
    this.length = new Int32Array(keys);
    this.listed = new Float64Array(keys * channels).fill(1);
  }

  /** Key k's version `version` was committed at `atMs`; versions arrive in order, one by one. */
  committed(k: number, version: number, atMs: number): void {
    const next = this.first[k]! + this.length[k]!;
    if (version !== next) throw new Error(`invariant: key ${k} committed version ${version}, expected ${next}`);
    if (this.length[k] === this.buffers[k]!.length) this.makeRoom(k);
    this.buffers[k]![this.length[k]!] = atMs;
    this.length[k]!++;
  }

  /** When key k's version was committed; undefined if never, or no longer kept. */
  at(k: number, version: number): number | undefined {
    const i = version - this.first[k]!;
    return i >= 0 && i < this.length[k]! ? this.buffers[k]![i] : undefined;
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

  private makeRoom(k: number): void {
    const only = this.onlyChannel(k);
    let floor = Number.POSITIVE_INFINITY;
    for (let c = 0; c < this.channels; c++) if (only < 0 || only === c) floor = Math.min(floor, this.listed[c * this.keys + k]!);
    const drop = Math.min(this.length[k]!, Math.max(0, floor - this.first[k]! + 1));
    const buffer = this.buffers[k]!;
    if (drop * 2 >= buffer.length) {
      buffer.copyWithin(0, drop, this.length[k]!);
      this.first[k]! += drop;
      this.length[k]! -= drop;
      return;
    }
    const grown = new Float64Array(buffer.length * 2);
    grown.set(buffer.subarray(drop, this.length[k]!));
    this.buffers[k] = grown;
    this.first[k]! += drop;
    this.length[k]! -= drop;
  }
}
