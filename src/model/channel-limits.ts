/**
 * A channel's rate limits as its API applies them: the channel-wide models (buckets, quotas per
 * channel) and the per-listing quotas (eBay's revisions per listing), which a call passes in that
 * order. They count from an origin: virtual time 0 in the simulator; `restart` moves it to a
 * later moment (a service's or the twins' measured window, the load's time 0), with every bucket
 * full and every quota window starting there, as the simulator's limits start at its time 0.
 */
import { createRateLimiters, type AcquireOptions, type Admission, type InspectableRateLimiter, type RateLimitSpec } from './ratelimit.js';

export class ChannelLimits {
  private channel: InspectableRateLimiter;
  private listing: InspectableRateLimiter | undefined;
  private originMs = 0;
  private readonly channelSpecs: readonly RateLimitSpec[];
  private readonly listingSpecs: readonly RateLimitSpec[];

  constructor(specs: readonly RateLimitSpec[]) {
    this.channelSpecs = specs.filter((s) => !isListingQuota(s));
    this.listingSpecs = specs.filter(isListingQuota);
    this.channel = createRateLimiters(this.channelSpecs);
    this.listing = this.listingSpecs.length > 0 ? createRateLimiters(this.listingSpecs) : undefined;
  }

  /** Whether a call must name the listings it touches (a per-listing quota counts them). */
  get perListing(): boolean {
    return this.listing !== undefined;
  }

  /** The channel-wide limits: admits (and consumes) or refuses with the exact wait. */
  admit(nowMs: number, opts: AcquireOptions): Admission {
    return this.channel.tryAcquire(nowMs - this.originMs, opts);
  }

  /** The per-listing quotas, for a call the channel-wide limits admitted (ok when there are none). */
  admitListings(nowMs: number, opts: AcquireOptions): Admission {
    return this.listing === undefined ? { ok: true } : this.listing.tryAcquire(nowMs - this.originMs, opts);
  }

  /** What `admit` would answer at `nowMs`, consuming nothing. */
  peek(nowMs: number, opts: AcquireOptions): Admission {
    return this.channel.peek(nowMs - this.originMs, opts);
  }

  /** Every limit afresh from `originMs` (see the file comment). */
  restart(originMs: number): void {
    if (!Number.isFinite(originMs)) throw new RangeError(`ChannelLimits.restart: originMs must be finite, got ${String(originMs)}`);
    this.originMs = originMs;
    this.channel = createRateLimiters(this.channelSpecs);
    this.listing = this.listingSpecs.length > 0 ? createRateLimiters(this.listingSpecs) : undefined;
  }
}

function isListingQuota(spec: RateLimitSpec): boolean {
  return spec.kind === 'quota' && spec.scope === 'listing';
}
