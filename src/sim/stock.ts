/**
 * The warehouse side of a run: the initial stock, its split into channel pools when stock is
 * partitioned, and the periodic restocks. Initial stock is drawn per SKU from its own stream,
 * the same for every strategy, so comparisons share the same catalogue.
 */
import type { ListingPolicy } from '../engine/listing-policy.js';
import type { Rng } from '../model/random.js';
import { restockJobIssue, type RestockJob } from '../model/restock-job.js';
import type { Scenario } from '../scenarios/schema.js';
import type { KeySpace } from './keys.js';

/** Splits units across channel pools by allocation percent; the remainder to the largest share. */
export function poolShares(units: number, channelIds: readonly string[], policy: ListingPolicy): number[] {
  const alloc = policy.allocation ?? {};
  const pct = channelIds.map((id) => {
    const a = alloc[id];
    return a !== undefined && 'percent' in a ? a.percent : 100 / channelIds.length;
  });
  const shares = pct.map((p) => Math.floor((units * p) / 100));
  let largest = 0;
  pct.forEach((p, c) => {
    if (p > pct[largest]!) largest = c;
  });
  const totalPct = pct.reduce((a, b) => a + b, 0);
  if (totalPct >= 99.999) shares[largest] = shares[largest]! + units - shares.reduce((a, b) => a + b, 0);
  return shares;
}

/** Draws every SKU's initial stock and hands each key its held units (pool share or whole). */
export function drawInitialStock(options: {
  readonly catalog: Scenario['catalog'];
  readonly keys: KeySpace;
  readonly rng: Rng;
  readonly shares: (units: number) => number[];
  readonly hold: (k: number, units: number) => void;
  readonly afterSku: (i: number) => void;
}): void {
  const { catalog, keys } = options;
  for (let i = 0; i < keys.nSku; i++) {
    const stock = options.rng.int(catalog.initialStockMin, catalog.initialStockMax + 1);
    const shares = options.shares(stock);
    for (let c = 0; c < keys.poolsPerSku; c++) options.hold(keys.keyOf(c, i), keys.partition ? shares[c]! : stock);
    options.afterSku(i);
  }
}

export interface RestockPorts {
  schedule(delayMs: number, fn: () => void): void;
  /** Units of SKU i the source of truth holds now, all pools together. */
  available(i: number): number;
  shares(units: number): number[];
  /** Whether customers (and so the restock job) are still active. */
  demandOn(): boolean;
  /** Hands restock m to the intake queue (as message -(m + 1)). */
  enqueue(message: number): void;
}

const INITIAL_RESTOCKS = 1024;

/**
 * Restock mutations: each one's key, its delta, how often it was applied and whether the engine
 * has answered it, in typed columns over a sliding window. Restocks answered long ago (before
 * `release`'s bound, which the caller puts past any redelivery) are dropped from the front, so a
 * run of many days keeps the restocks still in play, not every one it issued. Reading one that
 * was dropped is a bug and throws.
 */
export class Restocks {
  /** Restock number of window slot 0. */
  private base = 0;
  private count = 0;
  private key = new Int32Array(INITIAL_RESTOCKS);
  private delta = new Int32Array(INITIAL_RESTOCKS);
  private appliedCount = new Int32Array(INITIAL_RESTOCKS);
  /** When the engine answered it (NaN: not yet). */
  private answeredAtMs = new Float64Array(INITIAL_RESTOCKS).fill(Number.NaN);

  constructor(
    private readonly spec: Scenario['catalog']['restock'],
    private readonly keys: KeySpace,
    private readonly ports: RestockPorts,
    private readonly job?: RestockJob,
  ) {
    const issue = job === undefined ? null : restockJobIssue(job);
    if (issue !== null) throw new RangeError(`restockJob: ${issue}`);
  }

  keyOf(m: number): number {
    return this.key[this.slot(m)]!;
  }

  deltaOf(m: number): number {
    return this.delta[this.slot(m)]!;
  }

  /** Counts one more commit of restock m; returns how many it has now. */
  applied(m: number): number {
    return ++this.appliedCount[this.slot(m)]!;
  }

  /** The engine gave restock m its final answer at `atMs`. */
  answered(m: number, atMs: number): void {
    this.answeredAtMs[this.slot(m)] = atMs;
  }

  /** Restocks issued so far (numbered 0 … issued-1), and how many the window still holds. */
  get issued(): number {
    return this.count;
  }
  get held(): number {
    return this.count - this.base;
  }

  /** Drops the answered restocks at the window's front that were answered before `beforeMs`. */
  release(beforeMs: number): void {
    const live = this.count - this.base;
    let drop = 0;
    while (drop < live && this.answeredAtMs[drop]! < beforeMs) drop++;
    if (drop < INITIAL_RESTOCKS || drop * 2 < live) return;
    for (const column of [this.key, this.delta, this.appliedCount, this.answeredAtMs]) column.copyWithin(0, drop, live);
    this.answeredAtMs.fill(Number.NaN, live - drop, live);
    this.base += drop;
  }

  private slot(m: number): number {
    const s = m - this.base;
    if (s < 0 || m >= this.count) throw new RangeError(`restock r${m} is not in the window (it starts at r${this.base}, ${this.count} issued)`);
    return s;
  }

  private add(k: number, delta: number): number {
    const s = this.count - this.base;
    if (s === this.key.length) this.grow();
    this.key[s] = k;
    this.delta[s] = delta;
    this.appliedCount[s] = 0;
    this.answeredAtMs[s] = Number.NaN;
    return this.count++;
  }

  private grow(): void {
    const size = this.key.length * 2;
    const grown = <T extends Int32Array | Float64Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.key = grown(this.key, new Int32Array(size));
    this.delta = grown(this.delta, new Int32Array(size));
    this.appliedCount = grown(this.appliedCount, new Int32Array(size));
    this.answeredAtMs = grown(this.answeredAtMs, new Float64Array(size).fill(Number.NaN));
  }

  /** Every `everyS`, tops every SKU below `upToUnits` back up (per pool by allocation). */
  start(): void {
    const restock = this.spec;
    if (restock === undefined) return;
    const everyMs = restock.everyS * 1000;
    const ports = this.ports;
    const tick = (): void => {
      if (!ports.demandOn()) return;
      if (this.job === undefined) {
        for (let i = 0; i < this.keys.nSku; i++) this.write(i, this.shortOf(i, restock.upToUnits));
      } else {
        this.runJob(this.job, restock.upToUnits);
      }
      ports.schedule(everyMs, tick);
    };
    ports.schedule(everyMs, tick);
  }

  /** Units SKU i lacks to reach `upToUnits` now (0 at or above it). */
  private shortOf(i: number, upToUnits: number): number {
    return Math.max(0, upToUnits - this.ports.available(i));
  }

  /** Hands SKU i's restock of `units` to the intake queue, split over its pools. */
  private write(i: number, units: number): void {
    if (units <= 0) return;
    const keys = this.keys;
    const shares = this.ports.shares(units);
    for (let c = 0; c < keys.poolsPerSku; c++) {
      const delta = keys.partition ? shares[c]! : units;
      if (delta <= 0) continue;
      const m = this.add(keys.keyOf(c, i), delta);
      this.ports.enqueue(-(m + 1));
    }
  }

  /** One restock as a job (see RestockJob): the read batches, then the write batches. */
  private runJob(job: RestockJob, upToUnits: number): void {
    const nSku = this.keys.nSku;
    const short: { readonly i: number; readonly units: number }[] = [];
    this.overBatches(nSku, job.batch, job.readSpanMs, (k) => {
      const units = this.shortOf(k, upToUnits);
      if (units > 0) short.push({ i: k, units });
    });
    // The writes start when every read is back: their number is known only then.
    this.ports.schedule(job.readSpanMs, () => {
      this.overBatches(short.length, job.batch, job.writeSpanMs, (k) => this.write(short[k]!.i, short[k]!.units));
    });
  }

  /**
   * Calls `each(k)` for k in [0, n), `batch` at a time over `spanMs` from now: every batch has an
   * equal share of the span, and its items reach the store one after another over that share, as a
   * k6 http.batch's requests do when the service answers them in turn.
   */
  private overBatches(n: number, batch: number, spanMs: number, each: (k: number) => void): void {
    const batches = Math.ceil(n / batch);
    for (let b = 0; b < batches; b++) {
      const first = b * batch;
      const size = Math.min(n, first + batch) - first;
      for (let j = 0; j < size; j++) this.ports.schedule((spanMs * (b + (j + 0.5) / size)) / batches, () => each(first + j));
    }
  }
}
