/**
 * The orders customers placed, as typed columns in a sliding window: bytes per order rather
 * than objects, and orders that ended long ago (placed more than `keepMs` before the oldest
 * still-pending one, and past any redelivery) are dropped from the front, so a run of millions
 * of orders keeps memory bounded by the orders still in play.
 */

export const ORDER_STATUS = { pending: 0, fulfilled: 1, oversold: 2 } as const;

/** What the store committed under an order's own id (`o<n>`), if anything. */
export type CommittedRecord = 'applied' | 'rejected';
const RECORD_CODE = { none: 0, applied: 1, rejected: 2 } as const;

const INITIAL = 4096;

export class OrderBook {
  /** Order number of window slot 0. */
  private base = 0;
  private count = 0;
  private sku = new Int32Array(INITIAL);
  private channel = new Int32Array(INITIAL);
  private units = new Int32Array(INITIAL);
  private statusCol = new Uint8Array(INITIAL);
  private appliedCol = new Uint8Array(INITIAL);
  private recordCol = new Uint8Array(INITIAL);
  private placedAt = new Float64Array(INITIAL);
  private shownCol = new Int32Array(INITIAL);
  private sourceAt = new Int32Array(INITIAL);
  private sourceChangedAt = new Float64Array(INITIAL);
  /**
   * How long after its placing its notification first reached the engine's intake (NaN: not
   * yet). Float32: a delay, not a time, so 4 bytes keep it to the millisecond for hours.
   */
  private deliveredAfter = new Float32Array(INITIAL);

  /** Orders placed so far (order numbers are 0 … size-1). */
  get size(): number {
    return this.count;
  }

  add(o: { sku: number; channel: number; units: number; placedAtMs: number; shown: number; sourceQuantity: number; sourceChangedAtMs: number }): number {
    const n = this.count++;
    const s = n - this.base;
    if (s >= this.sku.length) this.grow();
    this.sku[s] = o.sku;
    this.channel[s] = o.channel;
    this.units[s] = o.units;
    this.statusCol[s] = ORDER_STATUS.pending;
    this.appliedCol[s] = 0;
    this.recordCol[s] = RECORD_CODE.none;
    this.placedAt[s] = o.placedAtMs;
    this.shownCol[s] = o.shown;
    this.sourceAt[s] = o.sourceQuantity;
    this.sourceChangedAt[s] = o.sourceChangedAtMs;
    this.deliveredAfter[s] = Number.NaN;
    return n;
  }

  skuOf(n: number): number {
    return this.sku[this.slot(n)]!;
  }
  channelOf(n: number): number {
    return this.channel[this.slot(n)]!;
  }
  unitsOf(n: number): number {
    return this.units[this.slot(n)]!;
  }
  statusOf(n: number): number {
    return this.statusCol[this.slot(n)]!;
  }
  setStatus(n: number, status: number): void {
    this.statusCol[this.slot(n)] = status;
  }
  /** Counts one more application of order n's mutation; returns the new count. */
  applied(n: number): number {
    const s = this.slot(n);
    const count = Math.min(255, this.appliedCol[s]! + 1);
    this.appliedCol[s] = count;
    return count;
  }
  /**
   * The store committed order n's mutation under the order's own id. An order released from
   * the window ended long ago and is past any redelivery, so nothing waits on its record.
   */
  noteCommitted(n: number, record: CommittedRecord): void {
    if (n < this.base) return;
    this.recordCol[this.slot(n)] = RECORD_CODE[record];
  }
  /** The record the store holds under order n's own id: what a `duplicate` answer for n stands for. */
  committedAs(n: number): CommittedRecord | undefined {
    if (n < this.base) return undefined;
    const code = this.recordCol[this.slot(n)]!;
    return code === RECORD_CODE.applied ? 'applied' : code === RECORD_CODE.rejected ? 'rejected' : undefined;
  }
  placedAtOf(n: number): number {
    return this.placedAt[this.slot(n)]!;
  }
  shownOf(n: number): number {
    return this.shownCol[this.slot(n)]!;
  }
  sourceQuantityOf(n: number): number {
    return this.sourceAt[this.slot(n)]!;
  }
  sourceChangedAtOf(n: number): number {
    return this.sourceChangedAt[this.slot(n)]!;
  }
  /** Order n's notification reached the engine at `atMs`; only the first delivery counts. */
  delivered(n: number, atMs: number): void {
    if (n < this.base) return;
    const s = this.slot(n);
    if (Number.isNaN(this.deliveredAfter[s]!)) this.deliveredAfter[s] = atMs - this.placedAt[s]!;
  }
  /** When order n first reached the engine (NaN: not yet). */
  deliveredAtOf(n: number): number {
    const s = this.slot(n);
    return this.placedAt[s]! + this.deliveredAfter[s]!;
  }

  /** Order numbers still pending, oldest first. */
  *pending(): Generator<number> {
    for (let n = this.base; n < this.count; n++) if (this.statusCol[n - this.base] === ORDER_STATUS.pending) yield n;
  }

  /**
   * Drops ended orders from the front of the window that were placed before `beforeMs`. The
   * caller picks `beforeMs` so that no redelivery of a dropped order can still arrive.
   */
  release(beforeMs: number): void {
    let drop = 0;
    const live = this.count - this.base;
    while (drop < live && this.statusCol[drop] !== ORDER_STATUS.pending && this.placedAt[drop]! < beforeMs) drop++;
    if (drop < INITIAL || drop * 2 < live) return;
    for (const col of this.columns()) col.copyWithin(0, drop, live);
    this.base += drop;
  }

  private slot(n: number): number {
    const s = n - this.base;
    if (s < 0 || n >= this.count) throw new RangeError(`order o${n} is not in the order book (window starts at o${this.base}, ${this.count} placed)`);
    return s;
  }

  private columns(): (Int32Array | Uint8Array | Float32Array | Float64Array)[] {
    return [this.sku, this.channel, this.units, this.statusCol, this.appliedCol, this.recordCol, this.placedAt, this.shownCol, this.sourceAt, this.sourceChangedAt, this.deliveredAfter];
  }

  private grow(): void {
    const size = this.sku.length * 2;
    const grown = <T extends Int32Array | Uint8Array | Float32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.sku = grown(this.sku, (n) => new Int32Array(n));
    this.channel = grown(this.channel, (n) => new Int32Array(n));
    this.units = grown(this.units, (n) => new Int32Array(n));
    this.statusCol = grown(this.statusCol, (n) => new Uint8Array(n));
    this.appliedCol = grown(this.appliedCol, (n) => new Uint8Array(n));
    this.recordCol = grown(this.recordCol, (n) => new Uint8Array(n));
    this.placedAt = grown(this.placedAt, (n) => new Float64Array(n));
    this.shownCol = grown(this.shownCol, (n) => new Int32Array(n));
    this.sourceAt = grown(this.sourceAt, (n) => new Int32Array(n));
    this.sourceChangedAt = grown(this.sourceChangedAt, (n) => new Float64Array(n));
    this.deliveredAfter = grown(this.deliveredAfter, (n) => new Float32Array(n));
  }
}
