/**
 * The run's books: what the source of truth holds (mirrored from every commit, synchronously,
 * inside the store), what the applied mutations say it should hold, when each version was
 * committed, and the invariant checks on commits, listing changes and parked updates. The
 * checks themselves are the shared `InvariantLedger`'s (src/model/ledger.ts), the same the
 * service keeps.
 */
import type { LatencyObserver } from '../engine/latency-observer.js';
import type { CommitRequest, StockLevel } from '../engine/ports.js';
import { INVARIANTS, InvariantLedger } from '../model/ledger.js';
import { MAX_VIOLATIONS_LISTED } from '../model/result.js';
import { CommitTimes } from './commit-times.js';
import type { KeySpace } from './keys.js';
import type { OrderBook } from './orders.js';
import type { Restocks } from './stock.js';
import { TRACE, type TraceRecorder } from './trace.js';

const CHAR_O = 111; // 'o': an order's mutation id is o<n>; a restock's r<m>

export interface RunLedgerPorts {
  readonly nowMs: () => number;
  readonly keys: KeySpace;
  readonly orders: OrderBook;
  readonly restocks: () => Restocks;
  readonly trace: TraceRecorder;
  /** Propagation to the listing changing, per channel: commit of v → first listing of v or newer. */
  readonly listingObserver: LatencyObserver;
  /** Key k's level changed: listings that show it may have turned stale or fresh. */
  readonly onSourceChanged: (k: number) => void;
}

export class RunLedger {
  readonly invariants: InvariantLedger;
  /** The source of truth per key, as of the last commit. */
  readonly quantity: Int32Array;
  readonly version: Float64Array;
  readonly lastCommitAtMs: Float64Array;
  /** What the applied mutations sum to, per key. */
  private readonly expected: Float64Array;
  /** When key k's version v was committed (1 is the seeded stock), while a listing may still need it. */
  private readonly commitTimes: CommitTimes;

  constructor(private readonly ports: RunLedgerPorts) {
    const n = ports.keys.size;
    this.quantity = new Int32Array(n);
    this.version = new Float64Array(n);
    this.lastCommitAtMs = new Float64Array(n);
    this.expected = new Float64Array(n);
    this.commitTimes = new CommitTimes(n, ports.keys.nChannels, (k) => ports.keys.keyChannel[k]!);
    this.invariants = new InvariantLedger({
      nowMs: ports.nowMs,
      maxListed: MAX_VIOLATIONS_LISTED,
      onViolation: (invariant) => ports.trace.record(TRACE.violation, INVARIANTS.indexOf(invariant), 0, 0, 0, 0, ports.nowMs()),
    });
  }

  /** The seeded stock of key k, at version 1. */
  seed(k: number, units: number): void {
    this.quantity[k] = units;
    this.version[k] = 1;
    this.expected[k] = units;
  }

  /** Units of SKU i in the source of truth, all pools together. */
  available(i: number): number {
    const keys = this.ports.keys;
    if (!keys.partition) return this.quantity[i]!;
    let total = 0;
    for (let c = 0; c < keys.nChannels; c++) total += this.quantity[c * keys.nSku + i]!;
    return total;
  }

  /** Called inside every successful store commit, synchronously. */
  onCommitted(request: CommitRequest, level: StockLevel, nowMs: number): void {
    const { keys, orders, trace } = this.ports;
    const id = request.mutationId;
    const hash = id.indexOf('#');
    const isOrder = id.charCodeAt(0) === CHAR_O;
    // The record the store holds under an order's own id (pitfalls that rename ids hold
    // nothing under it): the outcome a later `duplicate` answer stands for.
    if (isOrder && hash < 0) orders.noteCommitted(Number(id.slice(1)), request.effect === 'apply' ? 'applied' : 'rejected');
    if (request.effect !== 'apply') return;
    const k = keys.indexOf(request.sku);
    const n = Number(id.slice(1, hash < 0 ? undefined : hash));
    let delta: number;
    if (isOrder) {
      delta = -orders.unitsOf(n);
      this.invariants.checkApplyCount(`order o${n}`, request.sku, orders.applied(n));
    } else {
      const restocks = this.ports.restocks();
      delta = restocks.deltaOf(n);
      this.invariants.checkApplyCount(`restock r${n}`, request.sku, restocks.applied(n));
    }
    this.expected[k] = this.expected[k]! + delta;
    this.invariants.checkStockLevel(request.sku, level.quantity);
    if (!this.invariants.checkLevelSum(request.sku, { quantity: level.quantity }, { quantity: this.expected[k]! })) this.expected[k] = level.quantity;
    this.quantity[k] = level.quantity;
    this.version[k] = level.version;
    this.lastCommitAtMs[k] = nowMs;
    this.commitTimes.committed(k, level.version, nowMs);
    trace.record(TRACE.commit, k, level.quantity, level.version, id.charCodeAt(0), n, nowMs);
    this.ports.onSourceChanged(k);
  }

  /** A channel's listing of key k changed to `version` (from `previousVersion`) at `nowMs`. */
  onListingChanged(channel: { id: string; index: number }, key: string, k: number, update: { quantity: number; version: number }, previousVersion: number, nowMs: number): void {
    this.invariants.checkListingChange(channel.id, key, update.version, previousVersion, this.version[k]!);
    this.ports.trace.record(TRACE.apply, channel.index, k, update.quantity, update.version, 0, nowMs);
    const times = this.commitTimes;
    // From each version's commit to the first time this listing showed it or a newer one: a
    // listing that went back (an older update applied late) and forward again shows nothing new.
    for (let v = Math.max(previousVersion + 1, times.highestListed(channel.index, k) + 1, 2); v <= update.version; v++) {
      const at = times.at(k, v);
      if (at !== undefined) this.ports.listingObserver.recordPropagation(channel.id, nowMs - at);
    }
    times.listedBy(channel.index, k, update.version);
  }

  /** Every order a channel accepted must end applied or rejected. */
  checkOutcomes(pending: Iterable<number>): void {
    for (const n of pending) this.invariants.checkOutcome(`order o${n}`, false);
  }
}
