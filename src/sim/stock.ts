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

/** Restock mutations: each one's key, its delta, and how often it was applied. */
export class Restocks {
  private readonly key: number[] = [];
  private readonly delta: number[] = [];
  private readonly appliedCount: number[] = [];

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
    return this.key[m]!;
  }

  deltaOf(m: number): number {
    return this.delta[m]!;
  }

  /** Counts one more commit of restock m; returns how many it has now. */
  applied(m: number): number {
    return ++this.appliedCount[m]!;
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
      const m = this.delta.length;
      this.delta.push(delta);
      this.key.push(keys.keyOf(c, i));
      this.appliedCount.push(0);
      this.ports.enqueue(-(m + 1));
    }
  }

  /** One restock as a job (see RestockJob): the read batches, then the write batches. */
  private runJob(job: RestockJob, upToUnits: number): void {
    const nSku = this.keys.nSku;
    const readBatches = Math.ceil(nSku / job.batch);
    const short: { readonly i: number; readonly units: number }[] = [];
    for (let b = 0; b < readBatches; b++) {
      this.ports.schedule((job.readSpanMs * (b + 0.5)) / readBatches, () => {
        for (let i = b * job.batch; i < Math.min(nSku, (b + 1) * job.batch); i++) {
          const units = this.shortOf(i, upToUnits);
          if (units > 0) short.push({ i, units });
        }
      });
    }
    // The writes start when every read is back: their number is known only then.
    this.ports.schedule(job.readSpanMs, () => {
      const writeBatches = Math.ceil(short.length / job.batch);
      for (let b = 0; b < writeBatches; b++) {
        const batch = short.slice(b * job.batch, (b + 1) * job.batch);
        this.ports.schedule((job.writeSpanMs * (b + 0.5)) / writeBatches, () => {
          for (const s of batch) this.write(s.i, s.units);
        });
      }
    });
  }
}
