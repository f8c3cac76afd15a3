/** Retry policy for channel propagation (the seed's `retry_policy`), with jitter. */
import type { Random } from './ports.js';

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly backoffMultiplier: number;
  /** Fraction of each delay drawn away at random: delay × (1 − jitter × U[0,1)). */
  readonly jitter: number;
}

/** The seed's configuration template: 5 retries, 1 s base, 30 s cap, doubling. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  backoffMultiplier: 2,
  jitter: 0.2,
};

export function validateRetryPolicy(policy: RetryPolicy): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) problems.push('maxRetries must be an integer >= 0');
  if (!(policy.baseDelayMs >= 0) || !Number.isFinite(policy.baseDelayMs)) problems.push('baseDelayMs must be a finite number >= 0');
  if (!(policy.maxDelayMs >= policy.baseDelayMs) || !Number.isFinite(policy.maxDelayMs)) problems.push('maxDelayMs must be finite and >= baseDelayMs');
  if (!(policy.backoffMultiplier >= 1) || !Number.isFinite(policy.backoffMultiplier)) problems.push('backoffMultiplier must be >= 1');
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) problems.push('jitter must be within 0..1');
  return problems;
}

/** The nominal delay before retry number `retry` (1-based): min(max, base × multiplier^(retry−1)). */
export function nominalRetryDelayMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.backoffMultiplier ** (retry - 1));
}

/** The jittered delay: within [nominal × (1 − jitter), nominal]. */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: Random): number {
  return nominalRetryDelayMs(policy, retry) * (1 - policy.jitter * random.next());
}
