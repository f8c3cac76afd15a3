/** A scripted channel for engine tests: answers from a script, records every call with its time. */
import type { ChannelClient, ChannelListing, ChannelResult, ChannelUpdate, Clock, Timers } from '../../src/engine/ports.js';

export class ScriptedChannel implements ChannelClient {
  readonly calls: { atMs: number; update: ChannelUpdate }[] = [];
  readonly listings = new Map<string, ChannelListing>();
  maxConcurrency = 1;
  constructor(
    readonly id: string,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly script: (call: number, update: ChannelUpdate) => ChannelResult,
    private readonly latencyMs = 100,
  ) {}
  async pushListing(update: ChannelUpdate): Promise<ChannelResult> {
    const n = this.calls.length;
    this.calls.push({ atMs: this.clock.nowMs(), update });
    await this.timers.sleep(this.latencyMs);
    const result = this.script(n, update);
    if (result.ok) {
      const current = this.listings.get(update.sku);
      if (current !== undefined && current.version > update.version) throw new Error(`version regression on ${this.id}`);
      this.listings.set(update.sku, { quantity: update.quantity, version: update.version });
    }
    return result;
  }
  async readListing(sku: string): Promise<ChannelListing | undefined> {
    await this.timers.sleep(1);
    return this.listings.get(sku);
  }
}
