/**
 * A scripted channel for engine tests: answers from a script, records every call with its time.
 * With timers that have `after` it offers continuations too (the simulator's form), answering
 * through the same script at the same times, so a test can run the dispatcher on either path.
 */
import type { ChannelClient, ChannelClientContinuations, ChannelListing, ChannelResult, ChannelUpdate, Clock, Timers } from '../../src/engine/ports.js';

export class ScriptedChannel implements ChannelClient {
  readonly calls: { atMs: number; update: ChannelUpdate }[] = [];
  readonly listings = new Map<string, ChannelListing>();
  maxConcurrency = 1;
  readonly continuations?: ChannelClientContinuations;
  constructor(
    readonly id: string,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly script: (call: number, update: ChannelUpdate) => ChannelResult,
    private readonly latencyMs = 100,
  ) {
    const after = timers.after?.bind(timers);
    if (after !== undefined) {
      this.continuations = {
        push: (updates, done) => {
          const n = this.record(updates[0]!);
          after(this.latencyMs, () => done(this.answer(n, updates[0]!)));
        },
        readListing: (sku, done) => after(1, () => done(this.listings.get(sku))),
      };
    }
  }
  async pushListing(update: ChannelUpdate): Promise<ChannelResult> {
    const n = this.record(update);
    await this.timers.sleep(this.latencyMs);
    return this.answer(n, update);
  }
  async readListing(sku: string): Promise<ChannelListing | undefined> {
    await this.timers.sleep(1);
    return this.listings.get(sku);
  }
  private record(update: ChannelUpdate): number {
    this.calls.push({ atMs: this.clock.nowMs(), update });
    return this.calls.length - 1;
  }
  private answer(n: number, update: ChannelUpdate): ChannelResult {
    const result = this.script(n, update);
    if (result.ok) {
      const current = this.listings.get(update.sku);
      if (current !== undefined && current.version > update.version) throw new Error(`version regression on ${this.id}`);
      this.listings.set(update.sku, { quantity: update.quantity, version: update.version });
    }
    return result;
  }
}
