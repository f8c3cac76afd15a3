// Proves listedQuantity applies threshold → buffer → allocation → cap in that order on worked
// examples, and under fast-check always lists an integer in [0, available] that never decreases as
// available grows; and that validateListingPolicy names every bad field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listedQuantity, validateListingPolicy } from '../../src/engine/listing-policy.js';
import type { ChannelAllocation, ListingPolicy } from '../../src/engine/listing-policy.js';

describe('listedQuantity examples', () => {
  it('lists everything under the empty policy', () => {
    expect(listedQuantity(0, 'shopify', {})).toBe(0);
    expect(listedQuantity(37, 'shopify', {})).toBe(37);
  });

  it('holds back a safety buffer, never below 0', () => {
    expect(listedQuantity(10, 'shopify', { bufferUnits: 3 })).toBe(7);
    expect(listedQuantity(3, 'shopify', { bufferUnits: 3 })).toBe(0);
    expect(listedQuantity(2, 'shopify', { bufferUnits: 3 })).toBe(0);
  });

  it('lists 0 at or below the out-of-stock threshold, on available stock', () => {
    expect(listedQuantity(5, 'shopify', { outOfStockThreshold: 5 })).toBe(0);
    expect(listedQuantity(6, 'shopify', { outOfStockThreshold: 5 })).toBe(6);
    expect(listedQuantity(0, 'shopify', { outOfStockThreshold: 0 })).toBe(0);
    expect(listedQuantity(1, 'shopify', { outOfStockThreshold: 0 })).toBe(1);
    // The threshold looks at available (6 > 5), not at the buffered 4.
    expect(listedQuantity(6, 'shopify', { outOfStockThreshold: 5, bufferUnits: 2 })).toBe(4);
  });

  it('allocates a floored percentage or a fixed amount of the buffered quantity', () => {
    const policy: ListingPolicy = { bufferUnits: 2, allocation: { ebay: { percent: 30 }, amazon: { fixed: 5 } } };
    expect(listedQuantity(12, 'ebay', policy)).toBe(3); // floor(10 × 30%)
    expect(listedQuantity(12, 'amazon', policy)).toBe(5);
    expect(listedQuantity(5, 'amazon', policy)).toBe(3); // min(5 - 2, 5)
    expect(listedQuantity(12, 'shopify', policy)).toBe(10); // no entry: the whole buffered quantity
    expect(listedQuantity(12, 'ebay', { allocation: { ebay: { percent: 0 } } })).toBe(0);
    expect(listedQuantity(12, 'ebay', { allocation: { ebay: { percent: 100 } } })).toBe(12);
    expect(listedQuantity(7, 'ebay', { allocation: { ebay: { percent: 33.3 } } })).toBe(2);
  });

  it('caps last', () => {
    expect(listedQuantity(1000, 'shopify', { maxListed: 50 })).toBe(50);
    expect(listedQuantity(40, 'shopify', { maxListed: 50 })).toBe(40);
    const all: ListingPolicy = { outOfStockThreshold: 2, bufferUnits: 5, allocation: { ebay: { percent: 50 } }, maxListed: 20 };
    expect(listedQuantity(100, 'ebay', all)).toBe(20); // floor(95 × 50%) = 47, capped at 20
    expect(listedQuantity(25, 'ebay', all)).toBe(10); // floor(20 × 50%)
    expect(listedQuantity(2, 'ebay', all)).toBe(0);
  });

  it('ignores inherited properties when looking up a channel', () => {
    expect(listedQuantity(9, 'constructor', { allocation: { ebay: { percent: 10 } } })).toBe(9);
    expect(listedQuantity(9, 'toString', { allocation: {} })).toBe(9);
  });

  it('rejects a negative or fractional available and an invalid policy', () => {
    expect(() => listedQuantity(-1, 'shopify', {})).toThrow(/available/);
    expect(() => listedQuantity(1.5, 'shopify', {})).toThrow(RangeError);
    expect(() => listedQuantity(Number.NaN, 'shopify', {})).toThrow(RangeError);
    expect(() => listedQuantity(5, 'ebay', { allocation: { ebay: { percent: 120 } } })).toThrow(/allocation\.ebay\.percent/);
  });
});

describe('validateListingPolicy', () => {
  it('accepts valid policies', () => {
    expect(validateListingPolicy({})).toEqual([]);
    expect(
      validateListingPolicy({ bufferUnits: 0, outOfStockThreshold: 3, maxListed: 0, allocation: { a: { percent: 0 }, b: { percent: 100 }, c: { fixed: 0 } } }),
    ).toEqual([]);
  });

  it('names every bad field at once', () => {
    const problems = validateListingPolicy({
      bufferUnits: -1,
      outOfStockThreshold: 1.5,
      maxListed: Number.NaN,
      allocation: { ebay: { percent: 101 }, amazon: { fixed: -2 }, etsy: { percent: Number.NaN } },
    });
    expect(problems).toEqual([
      'bufferUnits must be an integer >= 0',
      'outOfStockThreshold must be an integer >= 0',
      'maxListed must be an integer >= 0',
      'allocation.ebay.percent must be within 0..100',
      'allocation.amazon.fixed must be an integer >= 0',
      'allocation.etsy.percent must be within 0..100',
    ]);
  });

  it('rejects allocation entries with both or neither kind (from untyped input)', () => {
    const both = { percent: 10, fixed: 3 } as unknown as ChannelAllocation;
    const neither = {} as unknown as ChannelAllocation;
    const missingValue = { fixed: undefined } as unknown as ChannelAllocation;
    expect(validateListingPolicy({ allocation: { ebay: both, etsy: neither, walmart: missingValue } })).toEqual([
      'allocation.ebay must have exactly one of percent or fixed',
      'allocation.etsy must have exactly one of percent or fixed',
      'allocation.walmart.fixed must be an integer >= 0',
    ]);
    expect(validateListingPolicy({ allocation: { ebay: null as unknown as ChannelAllocation } })).toEqual([
      'allocation.ebay must be { percent } or { fixed }',
    ]);
  });
});

const count = fc.integer({ min: 0, max: 500 });
const allocationEntry: fc.Arbitrary<ChannelAllocation> = fc.oneof(
  fc.record({ percent: fc.double({ min: 0, max: 100, noNaN: true }) }),
  fc.record({ fixed: count }),
);
const policyArb: fc.Arbitrary<ListingPolicy> = fc.record(
  {
    bufferUnits: count,
    outOfStockThreshold: count,
    allocation: fc.dictionary(fc.constantFrom('ebay', 'amazon', 'etsy'), allocationEntry),
    maxListed: count,
  },
  { requiredKeys: [] },
);
const channel = fc.constantFrom('ebay', 'amazon', 'etsy', 'shopify');

describe('listedQuantity properties', () => {
  it('lists an integer in [0, available]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), channel, policyArb, (available, channelId, policy) => {
        expect(validateListingPolicy(policy)).toEqual([]);
        const listed = listedQuantity(available, channelId, policy);
        expect(Number.isInteger(listed)).toBe(true);
        expect(listed).toBeGreaterThanOrEqual(0);
        expect(listed).toBeLessThanOrEqual(available);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it('never decreases when available grows', () => {
    fc.assert(
      fc.property(count, count, channel, policyArb, (low, extra, channelId, policy) => {
        expect(listedQuantity(low + extra, channelId, policy)).toBeGreaterThanOrEqual(listedQuantity(low, channelId, policy));
      }),
      { numRuns: 1000, seed: 12 },
    );
  });
});
