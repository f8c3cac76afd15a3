// Proves sweep parameters: dotted paths parse (with [i] or .i indices), an override replaces one
// leaf and nothing else, a missing path names where it stops and what exists there, and a value
// the scenario schema refuses is a ScenarioError naming the scenario path.
import { describe, expect, it } from 'vitest';
import { AnalysisInputError } from '../../src/analysis/errors.js';
import { applyOverride, parseParamPath, parseParamValue, parseParamValues } from '../../src/analysis/params.js';
import { getScenario, loadScenarioFile, ScenarioError } from '../../src/scenarios/load.js';

const flashSale = (): ReturnType<typeof getScenario> => getScenario(loadScenarioFile('test/fixtures/cli/flash-sale-pass.yaml'), 'flash-sale');

describe('parseParamPath', () => {
  it('splits dots and indices', () => {
    expect(parseParamPath('strategies.polling-15m.intervalS')).toEqual(['strategies', 'polling-15m', 'intervalS']);
    expect(parseParamPath('channels[2].demandWeight')).toEqual(['channels', 2, 'demandWeight']);
    expect(parseParamPath('demand.bursts.0.orders')).toEqual(['demand', 'bursts', 0, 'orders']);
  });

  it('rejects empty segments', () => {
    expect(() => parseParamPath('demand..ordersPerDay')).toThrow(AnalysisInputError);
  });
});

describe('parseParamValue(s)', () => {
  it('reads numbers and booleans, keeps other text', () => {
    expect(parseParamValues('30, 60,1e3')).toEqual([30, 60, 1000]);
    expect(parseParamValue('true')).toBe(true);
    expect(parseParamValue('shopify-rest')).toBe('shopify-rest');
    expect(() => parseParamValues(' , ')).toThrow(AnalysisInputError);
  });
});

describe('applyOverride', () => {
  it('replaces exactly one leaf and keeps the name', () => {
    const base = flashSale();
    const modified = applyOverride(base, { param: 'demand.bursts[0].orders', value: 10 }, 'f.yaml');
    expect(modified.demand.bursts[0]!.orders).toBe(10);
    expect(modified.name).toBe('flash-sale');
    expect({ ...modified, demand: base.demand }).toEqual(base);
    expect(base.demand.bursts[0]!.orders).toBe(150);
  });

  it('names the missing key and what exists there', () => {
    expect(() => applyOverride(flashSale(), { param: 'demand.orderPerDay', value: 1 }, 'f.yaml')).toThrow(/demand has no key "orderPerDay" \(it has keys: ordersPerDay/);
    expect(() => applyOverride(flashSale(), { param: 'channels[7].demandWeight', value: 1 }, 'f.yaml')).toThrow(/channels has no index 7/);
    expect(() => applyOverride(flashSale(), { param: 'catalog', value: 1 }, 'f.yaml')).toThrow(/names an object/);
  });

  it('re-validates: a value the schema refuses is a ScenarioError with the scenario path', () => {
    let error: unknown;
    try {
      applyOverride(flashSale(), { param: 'demand.ordersPerDay', value: -5 }, 'f.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).issues[0]!.path).toBe('scenarios.flash-sale.demand.ordersPerDay');
    expect(() => applyOverride(flashSale(), { param: 'channels[0].preset', value: 'bogus' }, 'f.yaml')).toThrow(ScenarioError);
  });
});
