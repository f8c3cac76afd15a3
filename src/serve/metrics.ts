/**
 * The service's Prometheus metrics (prom-client, in a registry of its own, so two services in
 * one process never share counters). Event counters are fed as things happen; levels (DLQ depth,
 * freshness, queue length, channel API usage) are read from the current generation at scrape
 * time. `POST /reset` resets every metric with the state it describes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Generation, GenerationEvents } from './generation.js';

/** Seconds: from a fast API round trip to a feed applied half an hour later. */
const LATENCY_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly events: GenerationEvents;

  constructor(current: () => Generation | undefined, channelIds: readonly string[]) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const latency = new Histogram({
      name: 'invsim_propagation_latency_seconds',
      help: "From the commit at the source of truth to the channel's acknowledgement of that version (or a newer one).",
      labelNames: ['channel'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    const mutations = new Counter({
      name: 'invsim_mutations_total',
      help: 'Mutations answered, by kind (order, adjustment), channel and outcome.',
      labelNames: ['kind', 'channel', 'status'],
      registers,
    });
    const oversells = new Counter({
      name: 'invsim_oversells_total',
      help: 'Orders a channel took while its listing showed the units, that the source of truth could not fulfil.',
      labelNames: ['channel'],
      registers,
    });
    const violations = new Counter({
      name: 'invsim_integrity_violations_total',
      help: 'Breaches of the engine invariants (must stay 0).',
      labelNames: ['invariant'],
      registers,
    });
    const parked = new Counter({
      name: 'invsim_dlq_parked_total',
      help: 'Channel updates parked in the dead-letter queue after the last retry.',
      labelNames: ['channel'],
      registers,
    });
    new Gauge({
      name: 'invsim_dlq_depth',
      help: 'Entries in the dead-letter queue now.',
      registers,
      async collect() {
        const g = current();
        // A store that does not answer makes the gauge NaN (unknown), not the scrape fail.
        this.set(g === undefined ? 0 : await g.dlqDepth().catch(() => Number.NaN));
      },
    });
    new Gauge({
      name: 'invsim_listing_freshness',
      help: "Mean confidence of a channel's listings (1 when it matches the source of truth, decaying to 0 over max_staleness_seconds while it does not).",
      labelNames: ['channel'],
      registers,
      collect() {
        const g = current();
        channelIds.forEach((id, c) => this.set({ channel: id }, g === undefined ? 1 : g.freshness(c).meanConfidence));
      },
    });
    new Gauge({
      name: 'invsim_listings_stale',
      help: 'Listings that differ from the source of truth now.',
      labelNames: ['channel'],
      registers,
      collect() {
        const g = current();
        channelIds.forEach((id, c) => this.set({ channel: id }, g === undefined ? 0 : g.freshness(c).staleListings));
      },
    });
    new Gauge({
      name: 'invsim_intake_queue_length',
      help: 'Mutations waiting for a processor worker.',
      registers,
      collect() {
        this.set(current()?.queueLength ?? 0);
      },
    });
    new Gauge({
      name: 'invsim_channel_api_requests',
      help: 'Requests the dispatcher made to each simulated channel API since the start or the last reset, by result.',
      labelNames: ['channel', 'result'],
      registers,
      collect() {
        this.reset();
        for (const channel of current()?.channels ?? []) {
          const s = channel.stats;
          this.set({ channel: channel.id, result: 'all' }, s.calls);
          this.set({ channel: channel.id, result: 'throttled' }, s.throttled);
          this.set({ channel: channel.id, result: 'failed' }, s.failed);
        }
      },
    });
    this.events = {
      delivered: (channel, latencyMs) => latency.observe({ channel }, latencyMs / 1000),
      outcome: (kind, channel, status) => mutations.inc({ kind, channel, status }),
      oversell: (channel) => oversells.inc({ channel }),
      violation: (invariant) => violations.inc({ invariant }),
      parked: (channel) => parked.inc({ channel }),
    };
  }

  /** Zeroes every metric (POST /reset). */
  reset(): void {
    this.registry.resetMetrics();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
