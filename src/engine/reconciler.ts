/**
 * Reconciler: the periodic audit. For each SKU and channel it compares the channel's listing
 * with the source of truth and corrects the channel only when the version the channel holds
 * is older than the source's. Corrections go through the dispatcher's lanes, which never send
 * a version older than one in flight or acknowledged, so a correction cannot overwrite a newer
 * update that raced it.
 */
import type { PropagationDispatcher } from './dispatcher.js';
import { listedQuantity, type ListingPolicy } from './listing-policy.js';
import type { AlertSink, ChannelClient, ChannelListing, Clock, InventoryStore, StockLevel } from './ports.js';

/** What the reconciler needs of a channel: its listings. Corrections go through the dispatcher. */
export type ListingSource = Pick<ChannelClient, 'id' | 'readListing'>;

export interface ReconcilerOptions {
  readonly store: InventoryStore;
  readonly channels: readonly ListingSource[];
  readonly dispatcher: PropagationDispatcher;
  readonly clock: Clock;
  readonly alerts: AlertSink;
  readonly listingPolicy?: ListingPolicy;
  /** The channels a SKU is listed on (default: every channel). */
  readonly channelsFor?: (sku: string) => readonly string[] | undefined;
  /**
   * Store levels read at once (default 1: one SKU after another). Over a network store a pass
   * costs its round trips, which several reads in flight overlap.
   */
  readonly readsInFlight?: number;
  /**
   * Whether a listing at the source's version must also show the quantity the level gives, and
   * is corrected when it does not (default: never; a channel's own sales move its quantity
   * between updates). Asked per listing whose version matches.
   */
  readonly checkQuantity?: (channelId: string, sku: string) => boolean;
  /**
   * Whether a correction's delivery counts as a propagation latency, measured from the pass
   * (default true). False: corrections carry none, and latency is measured from commits only.
   */
  readonly timeCorrections?: boolean;
}

export interface ReconcileReport {
  checked: number;
  drifted: number;
  corrected: number;
  /** Channel listings holding a newer version than the one read from the store: left alone. */
  newerOnChannel: number;
}

export class Reconciler {
  private readonly opts: ReconcilerOptions;
  private readonly readsInFlight: number;

  constructor(options: ReconcilerOptions) {
    const readsInFlight = options.readsInFlight ?? 1;
    if (!(Number.isSafeInteger(readsInFlight) && readsInFlight >= 1)) throw new RangeError(`readsInFlight must be an integer >= 1, got ${readsInFlight}`);
    this.opts = options;
    this.readsInFlight = readsInFlight;
  }

  async reconcile(skus?: readonly string[]): Promise<ReconcileReport> {
    const { store, channels, dispatcher, clock } = this.opts;
    const report: ReconcileReport = { checked: 0, drifted: 0, corrected: 0, newerOnChannel: 0 };
    const all = skus ?? (await store.skus());
    const n = this.readsInFlight;
    for (let k = 0; k < all.length; k += n) {
      const batch = all.slice(k, k + n);
      // One read is awaited alone: a pass takes the same steps whatever the batching.
      const levels = n === 1 ? [await store.read(batch[0]!)] : await Promise.all(batch.map((sku) => store.read(sku)));
      for (let j = 0; j < batch.length; j++) {
        const sku = batch[j]!;
        const level = levels[j]!;
        const listedOn = this.opts.channelsFor?.(sku);
        for (const channel of channels) {
          if (listedOn !== undefined && !listedOn.includes(channel.id)) continue;
          report.checked++;
          const listing = await channel.readListing(sku);
          const listedVersion = listing?.version ?? -1;
          if (listedVersion > level.version) {
            report.newerOnChannel++;
            continue;
          }
          if (listedVersion === level.version && !this.quantityDrifted(channel.id, sku, listing, level)) continue;
          report.drifted++;
          const quantity = listedQuantity(level.quantity, channel.id, this.opts.listingPolicy ?? {});
          const committedAtMs = this.opts.timeCorrections === false ? Number.NaN : clock.nowMs();
          if (dispatcher.submit(channel.id, { sku, quantity, version: level.version }, committedAtMs, { resend: true })) report.corrected++;
        }
      }
    }
    if (report.drifted > 0) {
      this.opts.alerts.raise({
        kind: 'reconciliation_drift',
        severity: 'warning',
        message: `reconciliation found ${report.drifted} stale listings, corrected ${report.corrected}`,
        atMs: clock.nowMs(),
        detail: { drifted: report.drifted, corrected: report.corrected },
      });
    }
    return report;
  }

  /** A listing at the level's version whose quantity must match, and does not. */
  private quantityDrifted(channelId: string, sku: string, listing: ChannelListing | undefined, level: StockLevel): boolean {
    if (listing === undefined || this.opts.checkQuantity?.(channelId, sku) !== true) return false;
    return listing.quantity !== listedQuantity(level.quantity, channelId, this.opts.listingPolicy ?? {});
  }
}
