/**
 * An order's life, from the customer to its outcome. A customer buys only what the channel's
 * listing shows (else a lost sale, when the source of truth had the units); the channel
 * decrements its listing at once and notifies the engine. The engine's outcome settles the
 * order: applied (fulfilled) or rejected (an oversell: the channel sold units that were gone,
 * and the order must be cancelled). Counts per run and per channel, and the first oversells
 * explained.
 */
import { LatencyObserver } from '../engine/latency-observer.js';
import type { MutationOutcome } from '../engine/mutation.js';
import type { SimChannel } from '../model/channel.js';
import type { OversellExplanation } from '../model/result.js';
import type { KeySpace } from './keys.js';
import type { RunLedger } from './ledger.js';
import { ORDER_STATUS, type OrderBook } from './orders.js';
import { TRACE, type TraceRecorder } from './trace.js';

const OVERSELL_EXAMPLES = 5;
const OUTCOMES = ['applied', 'duplicate', 'rejected'] as const;

export interface SalesPorts {
  nowMs(): number;
  demandOn(): boolean;
  /** Listing (c, i) changed (the customer's purchase decremented it). */
  restale(c: number, i: number): void;
  /** Order n, placed on channel c, is on its way to the engine. */
  notify(c: number, n: number): void;
}

export class Sales {
  arrivals = 0;
  lostSales = 0;
  fulfilled = 0;
  oversold = 0;
  duplicatesIgnored = 0;
  /** Orders placed that have no terminal outcome yet. */
  pending = 0;
  readonly lostSalesByChannel: number[];
  readonly placedByChannel: number[];
  readonly oversellExamples: OversellExplanation[] = [];
  /** From each order's first delivery to its final answer (series `orders`): a measure, never an alert. */
  readonly processing = new LatencyObserver({ alertThresholdMs: Number.MAX_VALUE });

  constructor(
    private readonly channels: readonly SimChannel[],
    private readonly keys: KeySpace,
    private readonly orders: OrderBook,
    private readonly ledger: RunLedger,
    private readonly trace: TraceRecorder,
    private readonly ports: SalesPorts,
  ) {
    this.lostSalesByChannel = new Array<number>(channels.length).fill(0);
    this.placedByChannel = new Array<number>(channels.length).fill(0);
  }

  /** A customer looks at channel c's listing of SKU i and buys if it shows enough. */
  arrive(c: number, i: number, units: number): void {
    if (!this.ports.demandOn()) return;
    this.arrivals++;
    const channel = this.channels[c]!;
    const shown = channel.quantity[i]!;
    const now = this.ports.nowMs();
    if (shown < units) {
      if (this.ledger.available(i) >= units) {
        this.lostSales++;
        this.lostSalesByChannel[c]!++;
        this.trace.record(TRACE.lostSale, c, i, units, 0, 0, now);
      }
      return;
    }
    channel.sell(i, units);
    const k = this.keys.keyOf(c, i);
    const n = this.orders.add({ sku: i, channel: c, units, placedAtMs: now, shown, sourceQuantity: this.ledger.quantity[k]!, sourceChangedAtMs: this.ledger.lastCommitAtMs[k]! });
    this.placedByChannel[c]!++;
    this.pending++;
    this.trace.record(TRACE.order, n, c, i, units, shown, now);
    this.ports.restale(c, i);
    this.ports.notify(c, n);
  }

  /** The engine answered order n. */
  settle(n: number, outcome: MutationOutcome): void {
    this.trace.record(TRACE.outcome, n, OUTCOMES.indexOf(outcome.status), 0, 0, 0, this.ports.nowMs());
    if (outcome.status === 'duplicate') this.duplicatesIgnored++;
    // A crash while a commit is in flight loses its answer, not the commit: the redelivery is
    // then answered `duplicate`, and the store's record under the order's id is the outcome.
    // A `duplicate` with no record there settles nothing; the order stays pending and the
    // end-of-run check reports it.
    const orders = this.orders;
    const settled = outcome.status === 'duplicate' ? orders.committedAs(n) : outcome.status;
    if (settled === undefined || orders.statusOf(n) !== ORDER_STATUS.pending) return;
    this.pending--;
    const deliveredAt = orders.deliveredAtOf(n);
    if (!Number.isNaN(deliveredAt)) this.processing.recordPropagation('orders', this.ports.nowMs() - deliveredAt);
    if (settled === 'applied') {
      orders.setStatus(n, ORDER_STATUS.fulfilled);
      this.fulfilled++;
      return;
    }
    orders.setStatus(n, ORDER_STATUS.oversold);
    this.oversold++;
    if (this.oversellExamples.length < OVERSELL_EXAMPLES) this.explainOversell(n);
  }

  private explainOversell(n: number): void {
    const orders = this.orders;
    const c = orders.channelOf(n);
    const i = orders.skuOf(n);
    const changedAt = orders.sourceChangedAtOf(n);
    const updatedAt = this.channels[c]!.updatedAtMs[i]!;
    this.oversellExamples.push({
      orderId: `o${n}`,
      channel: this.channels[c]!.id,
      sku: this.keys.skuNames[i]!,
      placedAtMs: round3(orders.placedAtOf(n)),
      listedQuantity: orders.shownOf(n),
      sourceQuantityAtPlacement: orders.sourceQuantityOf(n),
      sourceChangedAtMs: changedAt > 0 ? round3(changedAt) : null,
      channelUpdatedAtMs: updatedAt > changedAt ? round3(updatedAt) : null,
    });
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
