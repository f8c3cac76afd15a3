// Proves the propagation retry policy keeps every delay inside its bounds: for any valid policy
// and retry number (a seeded fast-check property) the nominal delay is base × multiplier^(k−1)
// until it reaches maxDelayMs and maxDelayMs from there on, and the jittered delay lies in
// [nominal × (1 − jitter), nominal]; then, end to end in virtual time, a dispatcher retrying a
// channel that always fails waits no longer than max_delay_ms between attempts once the
// doubling passes it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import {
  InMemoryInventoryStore,
  InventoryMutationProcessor,
  nominalRetryDelayMs,
  PropagationDispatcher,
  retryDelayMs,
  validateRetryPolicy,
  type RetryPolicy,
} from '../../src/engine/index.js';
import { Kernel } from '../../src/sim/kernel.js';
import { ScriptedChannel } from '../helpers/fake-channel.js';
import { RecordingAlerts, seededRandom } from '../helpers/ports.js';

const policyArb: fc.Arbitrary<RetryPolicy> = fc
  .record({
    maxRetries: fc.integer({ min: 0, max: 20 }),
    baseDelayMs: fc.integer({ min: 0, max: 5_000 }),
    extraMs: fc.integer({ min: 0, max: 60_000 }),
    backoffMultiplier: fc.double({ min: 1, max: 4, noNaN: true }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ extraMs, ...p }) => ({ ...p, maxDelayMs: p.baseDelayMs + extraMs }));

describe('retry delays', () => {
  it('property: nominal delay doubles up to maxDelayMs and stays there; jitter only takes away', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (policy, retry, draw) => {
        expect(validateRetryPolicy(policy)).toEqual([]);
        const uncapped = policy.baseDelayMs * policy.backoffMultiplier ** (retry - 1);
        const nominal = nominalRetryDelayMs(policy, retry);
        expect(nominal).toBeLessThanOrEqual(policy.maxDelayMs);
        expect(nominal).toBe(uncapped <= policy.maxDelayMs ? uncapped : policy.maxDelayMs);
        const delay = retryDelayMs(policy, retry, { next: () => draw });
        expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
        expect(delay).toBeLessThanOrEqual(nominal);
        expect(delay).toBeGreaterThanOrEqual(nominal * (1 - policy.jitter) - 1e-9);
      }),
      { numRuns: 500, seed: 1414 },
    );
  });

  it('the dispatcher never waits longer than max_delay_ms between attempts to a failing channel', async () => {
    const policy: RetryPolicy = { maxRetries: 8, baseDelayMs: 100, maxDelayMs: 500, backoffMultiplier: 2, jitter: 0.2 };
    const latencyMs = 100;
    const kernel = new Kernel({ maxEvents: 100_000, host: nodeKernelHost({ countForeignTicks: true }) });
    const ports = { clock: kernel.clock, timers: kernel.timers, random: seededRandom(11), alerts: new RecordingAlerts() };
    const store = new InMemoryInventoryStore();
    store.seed('A', 10);
    const channel = new ScriptedChannel('ch0', kernel.clock, kernel.timers, () => ({ ok: false, error: 'server_error', message: 'HTTP 503' }), latencyMs);
    const dispatcher = new PropagationDispatcher({ ...ports, store, channels: [channel], retryPolicy: policy });
    const processor = new InventoryMutationProcessor({ ...ports, store, onCommitted: () => void dispatcher.pump() });
    await processor.handle({ mutationId: 'o1', sku: 'A', quantityDelta: -1, sourceChannel: 'shop', orderId: 'o1' });
    await kernel.run();
    const calls = channel.calls;
    expect(calls).toHaveLength(policy.maxRetries + 1);
    const gapsMs = calls.slice(1).map((call, i) => call.atMs - calls[i]!.atMs - latencyMs);
    gapsMs.forEach((gapMs, i) => {
      const nominal = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** i);
      expect(gapMs, `wait before retry ${i + 1}`).toBeLessThanOrEqual(policy.maxDelayMs);
      expect(gapMs, `wait before retry ${i + 1}`).toBeLessThanOrEqual(nominal);
      expect(gapMs, `wait before retry ${i + 1}`).toBeGreaterThanOrEqual(nominal * (1 - policy.jitter));
    });
    // The cap is reached: the last five waits are all near max_delay_ms, not doubling on.
    expect(gapsMs.slice(3).every((gapMs) => gapMs >= policy.maxDelayMs * (1 - policy.jitter))).toBe(true);
    expect(await store.listDeadLetters()).toHaveLength(1);
  });
});
