/**
 * What each dispatcher lane's waiting or in-flight update covers: lists of (outbox slot, commit
 * time) entries, all of them in one pool of typed arrays.
 *
 * A list is the index of its first entry (`NO_COVERS` for none). Entries are handed out from a
 * free list and returned when their list is done with, so the memory held follows the entries in
 * use, not the run's length, and a lane holds two small integers instead of arrays of objects of
 * its own. Why: a lane is touched once every few thousand events; its own arrays were cold cache
 * lines (and garbage the collector promoted and traced) on every outbox event and every answer,
 * where pool entries are reused as soon as they are free and so are usually still in the cache.
 *
 * Each entry is four doubles, side by side: the slot (negative for an update that owes no outbox
 * event; -2 marks a freed entry), the commit time (NaN for none), the next entry's index
 * (`NO_COVERS` at the end) and, in a list's first entry only, the index of its last one, so
 * appending and joining are O(1).
 * Entry indices are read back with `| 0`: a small integer, which V8 keeps unboxed in a lane's
 * fields, where a double read from the array as it is would make every lane box them. (Slots are
 * not: they count a long-lived service's outbox events, and never sit in a lane.)
 * Lists keep the order entries were added in: the first is the oldest.
 */

import { InvariantError } from './invariant.js';

/** The empty list. */
export const NO_COVERS = -1;

const STRIDE = 4;
const SLOT = 0;
const AT = 1;
const NEXT = 2;
const LAST = 3;
const INITIAL_ENTRIES = 256;
/** A freed entry's slot: freeing it again, or reading it, is a bug. */
const FREED = -2;

export class CoverChains {
  private cells = new Float64Array(INITIAL_ENTRIES * STRIDE);
  /** Entries ever handed out; those below it are in a list or on the free list. */
  private made = 0;
  private freeHead = NO_COVERS;
  private inUse = 0;

  /** Entries in lists now (for tests and limits). */
  get size(): number {
    return this.inUse;
  }

  /** `list` with (slot, committedAtMs) added at its end; the list's index (new when `list` was empty). */
  append(list: number, slot: number, committedAtMs: number): number {
    const entry = this.take();
    const cells = this.cells;
    const at = entry * STRIDE;
    cells[at + SLOT] = slot;
    cells[at + AT] = committedAtMs;
    cells[at + NEXT] = NO_COVERS;
    cells[at + LAST] = entry;
    if (list === NO_COVERS) return entry;
    const head = list * STRIDE;
    cells[(cells[head + LAST]! | 0) * STRIDE + NEXT] = entry;
    cells[head + LAST] = entry;
    return list;
  }

  /** `first` followed by `second`, as one list (both are consumed). */
  join(first: number, second: number): number {
    if (first === NO_COVERS) return second;
    if (second === NO_COVERS) return first;
    const cells = this.cells;
    const head = first * STRIDE;
    cells[(cells[head + LAST]! | 0) * STRIDE + NEXT] = second;
    cells[head + LAST] = cells[second * STRIDE + LAST]!;
    return first;
  }

  slotOf(entry: number): number {
    const slot = this.cells[entry * STRIDE + SLOT]!;
    if (slot === FREED) throw new InvariantError(`dispatcher: cover entry ${entry} read after it was freed`);
    return slot;
  }

  committedAtOf(entry: number): number {
    return this.cells[entry * STRIDE + AT]!;
  }

  /** The entry after `entry` in its list, `NO_COVERS` at the end. */
  nextOf(entry: number): number {
    return this.cells[entry * STRIDE + NEXT]! | 0;
  }

  /**
   * Returns one entry to the pool. Read its next entry first: a list is freed entry by entry as
   * it is walked, so code called on an entry may take pool entries of its own meanwhile.
   */
  free(entry: number): void {
    const at = entry * STRIDE;
    if (this.cells[at + SLOT] === FREED) throw new InvariantError(`dispatcher: cover entry ${entry} freed twice`);
    this.cells[at + SLOT] = FREED;
    this.cells[at + NEXT] = this.freeHead;
    this.freeHead = entry;
    this.inUse--;
  }

  /** Returns a whole list to the pool. */
  freeList(list: number): void {
    for (let entry = list; entry !== NO_COVERS; ) {
      const next = this.nextOf(entry);
      this.free(entry);
      entry = next;
    }
  }

  private take(): number {
    this.inUse++;
    const free = this.freeHead;
    if (free !== NO_COVERS) {
      this.freeHead = this.cells[free * STRIDE + NEXT]! | 0;
      return free;
    }
    if (this.made * STRIDE === this.cells.length) {
      const grown = new Float64Array(this.cells.length * 2);
      grown.set(this.cells);
      this.cells = grown;
    }
    return this.made++;
  }
}
