/**
 * Customers: when they arrive, on which channel, for which SKU and how many units. Poisson
 * arrivals with an hourly profile, Zipf popularity over the catalogue, channels by demand
 * weight; bursts (a flash sale's hot SKUs) and a surge on top. Every draw comes from the
 * `demand.*` streams, so every strategy meets the same customers.
 */
import { ZipfSampler, type RandomStreams, type Rng } from '../model/random.js';
import type { Scenario } from '../scenarios/schema.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface DemandPorts {
  scheduleAt(timeMs: number, fn: () => void): void;
  /** A customer looks at channel c's listing of SKU i, wanting `units`. */
  arrive(c: number, i: number, units: number): void;
}

export class Demand {
  private readonly zipf: ZipfSampler;
  private readonly rng: { arrivals: Rng; sku: Rng; channel: Rng; qty: Rng; burst: Rng };
  private readonly weights: number[];
  private readonly weightTotal: number;
  private readonly profile: number[];
  private readonly durationMs: number;

  constructor(
    private readonly scenario: Scenario,
    streams: RandomStreams,
    private readonly ports: DemandPorts,
  ) {
    const cat = scenario.catalog;
    this.durationMs = scenario.durationS * 1000;
    this.zipf = new ZipfSampler(cat.skus, cat.zipfExponent);
    this.rng = {
      arrivals: streams.stream('demand.arrivals'),
      sku: streams.stream('demand.sku'),
      channel: streams.stream('demand.channel'),
      qty: streams.stream('demand.units'),
      burst: streams.stream('demand.bursts'),
    };
    this.weights = scenario.channels.map((c) => c.demandWeight);
    this.weightTotal = this.weights.reduce((a, b) => a + b, 0);
    const raw = scenario.demand.dailyProfile ?? new Array<number>(24).fill(1);
    const mean = raw.reduce((a, b) => a + b, 0) / 24;
    this.profile = raw.map((v) => (mean > 0 ? v / mean : 0));
  }

  /** Schedules the bursts' orders and the surge. */
  scheduleBursts(): void {
    const rng = this.rng.burst;
    const sc = this.scenario;
    const nSku = sc.catalog.skus;
    for (const burst of sc.demand.bursts) {
      const channelIdx = (burst.channels ?? sc.channels.map((c) => c.id)).map((id) => this.channelIndex(id));
      // A burst's orders fall on its channels in proportion to their demand weights, as all demand does.
      const weights = channelIdx.map((c) => this.weights[c]!);
      const total = weights.reduce((t, w) => t + w, 0);
      const hot = Math.min(burst.hotSkus, nSku);
      for (let j = 0; j < burst.orders; j++) {
        const at = burst.atS * 1000 + rng.next() * burst.spreadMs;
        const i = rng.int(0, hot);
        const c = channelIdx[pickWeighted(weights, total, rng.next())]!;
        this.ports.scheduleAt(at, () => this.ports.arrive(c, i, 1));
      }
    }
    const surge = sc.demand.surge;
    if (surge !== undefined) {
      const rate = surge.ordersPerHour / HOUR_MS;
      const end = Math.min(this.durationMs, (surge.startS + surge.durationS) * 1000);
      const next = (from: number): void => {
        const at = from + rng.exponential(rate);
        if (at >= end) return;
        this.ports.scheduleAt(at, () => {
          const i = rng.int(0, Math.min(surge.hotSkus, nSku));
          this.ports.arrive(this.pickChannel(), i, 1);
          next(at);
        });
      };
      if (rate > 0) next(surge.startS * 1000);
    }
  }

  /** Starts the Poisson arrivals at time 0. */
  startArrivals(): void {
    this.scheduleNextArrival(0);
  }

  private ratePerMs(atMs: number): number {
    const hour = Math.floor(atMs / HOUR_MS) % 24;
    return (this.scenario.demand.ordersPerDay / DAY_MS) * this.profile[hour]!;
  }

  /** Poisson arrivals with a piecewise-constant hourly rate: exact by redrawing at each hour. */
  private scheduleNextArrival(fromMs: number): void {
    const rate = this.ratePerMs(fromMs);
    const hourEnd = (Math.floor(fromMs / HOUR_MS) + 1) * HOUR_MS;
    const gap = rate > 0 ? this.rng.arrivals.exponential(rate) : Number.POSITIVE_INFINITY;
    const at = fromMs + gap;
    if (at >= this.durationMs && hourEnd >= this.durationMs) return;
    if (at >= hourEnd) {
      this.ports.scheduleAt(hourEnd, () => this.scheduleNextArrival(hourEnd));
      return;
    }
    this.ports.scheduleAt(at, () => {
      const i = this.zipf.sample(this.rng.sku);
      const c = this.pickChannel();
      const units = this.rng.qty.int(1, this.scenario.demand.unitsPerOrderMax + 1);
      this.ports.arrive(c, i, units);
      this.scheduleNextArrival(at);
    });
  }

  private pickChannel(): number {
    return pickWeighted(this.weights, this.weightTotal, this.rng.channel.next());
  }

  private channelIndex(id: string): number {
    const c = this.scenario.channels.findIndex((ch) => ch.id === id);
    if (c < 0) throw new RangeError(`unknown channel ${id}`);
    return c;
  }
}

/** The index whose cumulative weight first exceeds u × total (u in [0, 1)). */
export function pickWeighted(weights: readonly number[], total: number, u: number): number {
  let left = u * total;
  for (let k = 0; k < weights.length; k++) {
    left -= weights[k]!;
    if (left < 0) return k;
  }
  return weights.length - 1;
}
