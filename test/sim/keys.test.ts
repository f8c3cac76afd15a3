// Proves that KeySpace finds every key by name, the SKU names read from their digits included,
// and finds nothing for a name the run never made: one of the right length and prefix whose
// number is 0, past the catalogue, or not all digits; another prefix; a pooled name when stock
// is not partitioned. A digit reader that trusted the digits without checking the name, or
// was off by one, fails here.
import { describe, expect, it } from 'vitest';
import { KeySpace } from '../../src/sim/keys.js';

describe('KeySpace.find', () => {
  it('finds every SKU of an unpooled catalogue at its index, and nothing else', () => {
    const keys = new KeySpace({ skuPrefix: 'SKU-', skus: 1200, channelIds: ['a', 'b'], partition: false });
    for (let i = 0; i < keys.nSku; i++) {
      expect(keys.find(keys.skuNames[i]!)).toBe(i);
      // A name built again (another string object, the same text) is the same key.
      expect(keys.indexOf(`SKU-${String(i + 1).padStart(4, '0')}`)).toBe(i);
    }
    for (const name of ['SKU-0000', 'SKU-1201', 'SKU-9999', 'SKU-12a4', 'SKU-001', 'SKU-00001', 'SKX-0001', 'SKU-0001@a', '']) {
      expect({ name, k: keys.find(name) }).toEqual({ name, k: undefined });
    }
    expect(() => keys.indexOf('SKU-1201')).toThrow(/unknown listing key SKU-1201/);
  });

  it('finds every pool of a partitioned catalogue, and no bare SKU name', () => {
    const keys = new KeySpace({ skuPrefix: 'P', skus: 30, channelIds: ['shop', 'amazon'], partition: true });
    for (let c = 0; c < keys.nChannels; c++) {
      for (let i = 0; i < keys.nSku; i++) expect(keys.find(`${keys.skuNames[i]!}@${['shop', 'amazon'][c]!}`)).toBe(keys.keyOf(c, i));
    }
    expect(keys.find(keys.skuNames[0]!)).toBeUndefined();
  });

  it('reads digits after a prefix that itself ends in digits', () => {
    const keys = new KeySpace({ skuPrefix: 'X9-', skus: 10, channelIds: ['a'], partition: false });
    expect(keys.skuNames[9]).toBe('X9-10');
    expect(keys.find('X9-10')).toBe(9);
    expect(keys.find('X9-01')).toBe(0);
    expect(keys.find('X9-00')).toBeUndefined();
  });
});
