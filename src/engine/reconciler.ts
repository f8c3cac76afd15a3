/**
 * Reconciler: the periodic audit. For each SKU and channel it compares the channel's listing
 * with the source of truth and corrects the channel only when the version the channel holds
 * is older than the source's. Corrections go through the dispatcher's lanes, which never send
 * a version older than one in flight or acknowledged, so a correction cannot overwrite a newer
 * update that raced it.
 */
import type { PropagationDispatcher } from './dispatcher.js';
import { listedQuantity, type ListingPolicy } from './listing-policy.js';
import type { AlertSink, ChannelClient, Clock, InventoryStore } from './ports.js';

export interface ReconcilerOptions {
  readonly store: InventoryStore;
  readonly channels: readonly ChannelClient[];
  readonly dispatcher: PropagationDispatcher;
  readonly clock: Clock;
  readonly alerts: AlertSink;
  readonly listingPolicy?: ListingPolicy;
  /** The channels a SKU is listed on (default: every channel). */
  readonly channelsFor?: (sku: string) => readonly string[] | undefined;
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

  constructor(options: ReconcilerOptions) {
    this.opts = options;
  }

  async reconcile(skus?: readonly string[]): Promise<ReconcileReport> {
    const { store, channels, dispatcher, clock } = this.opts;
    const report: ReconcileReport = { checked: 0, drifted: 0, corrected: 0, newerOnChannel: 0 };
    for (const sku of skus ?? (await store.skus())) {
      const level = await store.read(sku);
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
        if (listedVersion === level.version) continue;
        report.drifted++;
        const quantity = listedQuantity(level.quantity, channel.id, this.opts.listingPolicy ?? {});
        if (dispatcher.submit(channel.id, { sku, quantity, version: level.version }, clock.nowMs(), { resend: true })) report.corrected++;
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
}
