/**
 * The service's Prometheus metrics (prom-client, in a registry of its own, so two services in
 * one process never share counters). Event counters are fed as things happen; levels (DLQ depth,
 * freshness, queue length) and the channel API counts are read from the current generation at
 * scrape time. `POST /reset` resets every metric with the state it describes.
 *
 * Prometheus conventions (test/serve/metrics.test.ts checks them with an independent parser):
 * a counter's name ends in `_total`; a label's values partition the family, so summing over a
 * label gives the whole and no value stands for an aggregate; and every labelled counter and
 * histogram has a series at 0 for each label combination the service knows (channels × results,
 * kinds × statuses, invariants) from the start and after a reset, so `rate()` and alerts see the
 * first increment rather than a series appearing out of nothing.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SERVICE_INVARIANTS, type Generation, type GenerationEvents } from './generation.js';
import { ADMIN_SOURCE } from './keys.js';
import { MutationResult } from './schemas.js';

/** Seconds: from a fast API round trip to a feed applied half an hour later. */
const LATENCY_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const STATUSES = MutationResult.properties.status.enum;

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly events: GenerationEvents;
  /** Creates the series at 0 for every known label combination (at start and after a reset). */
  private readonly zero: () => void;

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
      help: `Mutations answered, by kind (order from a channel; adjustment, channel "${ADMIN_SOURCE}") and outcome.`,
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
    // The channel models count their own requests; the counter mirrors those counts at scrape
    // time. They restart at 0 when the measured window opens (POST /start or the first order)
    // and on a reset, which Prometheus reads as a counter reset.
    new Counter({
      name: 'invsim_channel_api_requests_total',
      help: 'Requests the dispatcher made to each simulated channel API in the measured window, by result: ok (answered: accepted, or a stale compare-and-set refused), throttled (429), failed (5xx, outage, timeout, listing revision limit).',
      labelNames: ['channel', 'result'],
      registers,
      collect() {
        this.reset();
        const channels = current()?.channels;
        channelIds.forEach((id, c) => {
          const s = channels?.[c]?.stats ?? { calls: 0, throttled: 0, failed: 0 };
          this.inc({ channel: id, result: 'ok' }, s.calls - s.throttled - s.failed);
          this.inc({ channel: id, result: 'throttled' }, s.throttled);
          this.inc({ channel: id, result: 'failed' }, s.failed);
        });
      },
    });
    this.zero = () => {
      for (const channel of channelIds) {
        latency.zero({ channel });
        oversells.inc({ channel }, 0);
        parked.inc({ channel }, 0);
        for (const status of STATUSES) mutations.inc({ kind: 'order', channel, status }, 0);
      }
      for (const status of STATUSES) mutations.inc({ kind: 'adjustment', channel: ADMIN_SOURCE, status }, 0);
      for (const invariant of SERVICE_INVARIANTS) violations.inc({ invariant }, 0);
    };
    this.zero();
    this.events = {
      delivered: (channel, latencyMs) => latency.observe({ channel }, latencyMs / 1000),
      outcome: (kind, channel, status) => mutations.inc({ kind, channel, status }),
      oversell: (channel) => oversells.inc({ channel }),
      violation: (invariant) => violations.inc({ invariant }),
      parked: (channel) => parked.inc({ channel }),
    };
  }

  /** Zeroes every metric (POST /reset), keeping a series for every known label combination. */
  reset(): void {
    this.registry.resetMetrics();
    this.zero();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
