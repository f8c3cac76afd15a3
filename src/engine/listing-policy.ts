/**
 * Listing policies that commercial multichannel sync tools offer: how much of the
 * source-of-truth stock a channel is shown.
 *
 * Order of application (each step takes the previous step's quantity `q`):
 *   1. out-of-stock threshold, on the *available* stock: `available <= outOfStockThreshold` → 0;
 *   2. safety buffer: `q = max(0, q - bufferUnits)`;
 *   3. per-channel allocation of the buffered quantity:
 *        `{ percent }` → `floor(q * percent / 100)`, `{ fixed }` → `min(q, fixed)`;
 *      a channel without an allocation entry gets the whole buffered quantity (100%).
 *      Percentages are not required to sum to 100: over-allocation is a deliberate choice
 *      those tools allow (each channel sees the same pool);
 *   4. cap: `q = min(q, maxListed)`.
 * The result is an integer in [0, available] and non-decreasing in `available`.
 */

export type ChannelAllocation = { percent: number } | { fixed: number };

export interface ListingPolicy {
  /** Safety buffer held back from every channel: `max(0, available - bufferUnits)`. */
  bufferUnits?: number;
  /** List 0 when the available stock is at or below this. */
  outOfStockThreshold?: number;
  /** Per channel id. */
  allocation?: Record<string, ChannelAllocation>;
  /** Never list more than this. */
  maxListed?: number;
}

/**
 * True when the policy changes nothing: the listed quantity is the level. Decided here, once,
 * for the dispatcher and the simulator alike: any field set makes a policy, so a field added to
 * `ListingPolicy` is never silently ignored by a caller that lists the fields it knows.
 */
export function isIdentityPolicy(policy: ListingPolicy): boolean {
  return Object.values(policy).every((value) => value === undefined);
}

function isNonNegativeInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkCount(problems: string[], path: string, value: unknown): void {
  if (value !== undefined && !isNonNegativeInteger(value)) {
    problems.push(`${path} must be an integer >= 0`);
  }
}

function checkAllocation(problems: string[], channelId: string, entry: unknown): void {
  const path = `allocation.${channelId}`;
  if (typeof entry !== 'object' || entry === null) {
    problems.push(`${path} must be { percent } or { fixed }`);
    return;
  }
  const hasPercent = 'percent' in entry;
  const hasFixed = 'fixed' in entry;
  if (hasPercent === hasFixed) {
    problems.push(`${path} must have exactly one of percent or fixed`);
    return;
  }
  if (hasPercent) {
    const percent: unknown = entry.percent;
    if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      problems.push(`${path}.percent must be within 0..100`);
    }
    return;
  }
  if ('fixed' in entry) checkCount(problems, `${path}.fixed`, entry.fixed ?? null);
}

/** Every problem in the policy, each naming its field; empty when the policy is valid. */
export function validateListingPolicy(policy: ListingPolicy): string[] {
  const problems: string[] = [];
  checkCount(problems, 'bufferUnits', policy.bufferUnits);
  checkCount(problems, 'outOfStockThreshold', policy.outOfStockThreshold);
  checkCount(problems, 'maxListed', policy.maxListed);
  const allocation: unknown = policy.allocation;
  if (allocation !== undefined) {
    if (typeof allocation !== 'object' || allocation === null) {
      problems.push('allocation must be an object keyed by channel id');
    } else {
      for (const [channelId, entry] of Object.entries(allocation)) checkAllocation(problems, channelId, entry);
    }
  }
  return problems;
}

function allocate(quantity: number, entry: ChannelAllocation | undefined): number {
  if (entry === undefined) return quantity;
  if ('percent' in entry) return Math.floor((quantity * entry.percent) / 100);
  return Math.min(quantity, entry.fixed);
}

/** Policies already validated: the dispatcher calls listedQuantity once per event and channel. */
const validated = new WeakSet<ListingPolicy>();

function assertValidPolicy(policy: ListingPolicy): void {
  if (validated.has(policy)) return;
  const problems = validateListingPolicy(policy);
  if (problems.length > 0) throw new RangeError(`invalid listing policy: ${problems.join('; ')}`);
  // Only frozen policies are remembered: a mutable one could be made invalid after the check.
  if (Object.isFrozen(policy) && (policy.allocation === undefined || Object.isFrozen(policy.allocation))) validated.add(policy);
}

/**
 * The quantity to list on `channelId` when the source of truth has `available` units.
 * Throws a RangeError for a negative or fractional `available` or an invalid policy (all of
 * its problems listed): both are caller bugs, not operating conditions.
 */
export function listedQuantity(available: number, channelId: string, policy: ListingPolicy): number {
  if (!isNonNegativeInteger(available)) {
    throw new RangeError(`available must be an integer >= 0, got ${String(available)}`);
  }
  assertValidPolicy(policy);

  if (available <= (policy.outOfStockThreshold ?? -1)) return 0;
  const buffered = Math.max(0, available - (policy.bufferUnits ?? 0));
  // Own properties only: a channel id such as "constructor" must not find Object.prototype's.
  const { allocation } = policy;
  const entry = allocation !== undefined && Object.hasOwn(allocation, channelId) ? allocation[channelId] : undefined;
  const allocated = allocate(buffered, entry);
  // Math.max(0, …) also turns a -0 (from `percent: -0`) into 0.
  return Math.max(0, Math.min(allocated, policy.maxListed ?? Number.POSITIVE_INFINITY));
}
