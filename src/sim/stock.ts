/**
 * The warehouse side of a run: the initial stock, its split into channel pools when stock is
 * partitioned, and the periodic restocks. Initial stock is drawn per SKU from its own stream,
 * the same for every strategy, so comparisons share the same catalogue.
 */
import type { ListingPolicy } from '../engine/listing-policy.js';
import type { Rng } from '../model/random.js';
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
  ) {}

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
    const keys = this.keys;
    const ports = this.ports;
    const tick = (): void => {
      if (!ports.demandOn()) return;
      for (let i = 0; i < keys.nSku; i++) {
        const total = ports.available(i);
        if (total >= restock.upToUnits) continue;
        const shares = ports.shares(restock.upToUnits - total);
        for (let c = 0; c < keys.poolsPerSku; c++) {
          const delta = keys.partition ? shares[c]! : restock.upToUnits - total;
          if (delta <= 0) continue;
          const m = this.delta.length;
          this.delta.push(delta);
          this.key.push(keys.keyOf(c, i));
          this.appliedCount.push(0);
          ports.enqueue(-(m + 1));
        }
      }
      ports.schedule(everyMs, tick);
    };
    ports.schedule(everyMs, tick);
  }
}
