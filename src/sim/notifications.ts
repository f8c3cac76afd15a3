/**
 * How an order reaches the engine: a channel's webhook (delayed, reordered within a window,
 * sometimes delivered again) or the engine's next poll of the channel's orders (nothing is
 * fetched while the channel is in an outage). Each channel's webhook draws come from its own
 * `webhooks:<id>` stream. A duplicate is a redelivery, so a channel that does not redeliver
 * (`maxDeliveryAttempts` 1) sends none, and one that does sends at most that many in all.
 */
import type { SimChannel } from '../model/channel.js';
import { sampleLatencyMs } from '../model/latency.js';
import type { RandomStreams } from '../model/random.js';
import type { Scenario } from '../scenarios/schema.js';

export interface NotificationPorts {
  nowMs(): number;
  schedule(delayMs: number, fn: () => void): void;
  /** Faults are on (the measured period). */
  faultsOn(): boolean;
  /** Order n reaches the engine's intake. */
  deliver(n: number): void;
}

export class Notifications {
  private readonly pollBacklog: number[][];

  constructor(
    private readonly channels: readonly SimChannel[],
    private readonly faults: Scenario['faults'],
    private readonly streams: RandomStreams,
    private readonly ports: NotificationPorts,
  ) {
    this.pollBacklog = channels.map(() => []);
  }

  /** Order n was placed on channel c: its notification is on its way, or waits for a poll. */
  notify(c: number, n: number): void {
    const channel = this.channels[c]!;
    const note = channel.preset.orderNotification;
    if (note.mode === 'polling') {
      this.pollBacklog[c]!.push(n);
      return;
    }
    const rng = this.streams.stream(`webhooks:${channel.id}`);
    const f = this.faults;
    const faultsOn = this.ports.faultsOn();
    const reorderMs = note.reorderWindowMs + (faultsOn ? f.webhookReorderWindowMs : 0);
    const delay = (): number => sampleLatencyMs(note.delay, rng) + rng.next() * reorderMs;
    this.ports.schedule(delay(), () => this.ports.deliver(n));
    // A duplicate is a redelivery: the channel did not see its delivery acknowledged and sends
    // it again, at most `maxDeliveryAttempts` times in all, each retry later in its window.
    const dupRate = note.duplicateRate + (faultsOn ? f.webhookDuplicateRate : 0);
    let retryAtMs = 0;
    for (let attempt = 2; attempt <= note.maxDeliveryAttempts && rng.next() < dupRate; attempt++) {
      retryAtMs += Math.max(1_000, note.retryWindowS * 1000 * rng.next() * 0.01);
      this.ports.schedule(delay() + retryAtMs, () => this.ports.deliver(n));
    }
  }

  /** Starts every polling channel's order poll, each at a phase of its interval drawn per seed. */
  startPolling(): void {
    this.channels.forEach((channel, c) => {
      const note = channel.preset.orderNotification;
      if (note.mode !== 'polling') return;
      const intervalMs = note.intervalS * 1000;
      const phase = this.streams.stream(`orderpoll:${channel.id}`).next() * intervalMs;
      const tick = (): void => {
        const backlog = this.pollBacklog[c]!;
        const down = this.ports.faultsOn() && this.inOutage(channel.id, this.ports.nowMs());
        channel.stats.reads++;
        if (!down && backlog.length > 0) {
          for (const n of backlog) this.ports.deliver(n);
          backlog.length = 0;
        }
        this.ports.schedule(intervalMs, tick);
      };
      this.ports.schedule(phase, tick);
    });
  }

  private inOutage(channelId: string, now: number): boolean {
    return this.faults.outages.some((o) => o.channel === channelId && now >= o.startS * 1000 && now < (o.startS + o.durationS) * 1000);
  }
}
