// Proves that an invalid scenario file is refused with every problem at once, each at its exact
// YAML path and line with the rule broken and a "did you mean" where one helps, both from the
// library (parseScenarioText) and from the CLI (exit 2, no stack trace, nothing run), and that
// the shipped scenarios.yaml validates cleanly.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { formatIssue, getScenario, loadScenarioFile, parseScenarioText, ScenarioError, type ScenarioIssue } from '../../src/scenarios/load.js';
import { closestMatch } from '../../src/scenarios/suggest.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/scenarios');

/** A valid scenario; each case below changes one or two lines of it (line numbers on the right). */
const BASE = `scenarios:
  shop:
    durationS: 3600
    catalog:
      skus: 20
      initialStockMin: 5
      initialStockMax: 10
    channels:
      - id: shopify
        preset: shopify-graphql
      - id: amazon
        preset: amazon-listings
    demand:
      ordersPerDay: 500
      bursts:
        - { atS: 600, orders: 50, hotSkus: 2, spreadMs: 1000 }
    faults:
      outages:
        - { channel: amazon, startS: 600, durationS: 600 }
    economics:
      averageOrderValue: 80
      customerLifetimeValue: 400
      churnMultiplier: 0.3
    strategies:
      polling: { kind: polling, intervalS: 900 }
      event-driven: { kind: event-driven }
      allocation:
        kind: event-driven
        partitionStock: true
        listingPolicy:
          allocation: { shopify: { percent: 60 }, amazon: { percent: 40 } }
    assert:
      strategies: [event-driven]
      oversells: 0
`;
//  line  3: durationS          line 10: preset of channels[0]   line 16: bursts[0]
//  line 19: outages[0]         line 25: strategies.polling      line 31: allocation
//  line 33: assert.strategies

/** BASE with each `from` (which must occur) replaced by `to`. */
function variant(...replacements: readonly [from: string, to: string][]): string {
  let text = BASE;
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`BASE has no ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return text;
}

function problems(text: string): readonly ScenarioIssue[] {
  try {
    parseScenarioText(text, 'case.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error('expected the scenario to be refused');
}

interface Case {
  readonly name: string;
  readonly text: string;
  readonly path: string;
  readonly line: number;
  readonly column?: number;
  readonly code: string;
  /** Words the message must contain. */
  readonly words: readonly string[];
  /** The number of problems the file has, when the case is about exactly one. */
  readonly count?: number;
}

const CASES: readonly Case[] = [
  {
    name: 'a string where a number belongs',
    text: variant(['durationS: 3600', 'durationS: one hour']),
    path: 'scenarios.shop.durationS',
    line: 3,
    column: 5,
    code: 'invalid_type',
    words: ['expected a number', 'got the string "one hour"'],
    count: 1,
  },
  {
    name: 'a number with its unit written in',
    text: variant(['intervalS: 900', 'intervalS: 15m']),
    path: 'scenarios.shop.strategies.polling.intervalS',
    line: 25,
    code: 'invalid_type',
    words: ['got the string "15m"', 'the unit is in the key name'],
    count: 1,
  },
  {
    name: 'a list where a mapping belongs',
    text: variant(['    economics:\n', '    economics: [80, 400, 0.3]\n    _economics:\n']),
    path: 'scenarios.shop.economics',
    line: 20,
    code: 'invalid_type',
    words: ['expected a mapping', 'got a list'],
  },
  {
    name: 'a misspelt key, with the closest allowed key of that object',
    text: variant(['      skus: 20', '      skuz: 20']),
    path: 'scenarios.shop.catalog.skuz',
    line: 5,
    column: 7,
    code: 'unrecognized_keys',
    words: ['unknown key "skuz"', 'did you mean "skus"?'],
    // One mistake, one problem: the "did you mean" replaces "missing required key skus".
    count: 1,
  },
  {
    name: 'an unknown key with no close match lists the allowed keys',
    text: variant(['      churnMultiplier: 0.3', '      churnMultiplier: 0.3\n      taxRate: 0.2']),
    path: 'scenarios.shop.economics.taxRate',
    line: 24,
    code: 'unrecognized_keys',
    words: ['unknown key "taxRate"', 'allowed keys: averageOrderValue, customerLifetimeValue, churnMultiplier, occurrencesPerYear, seedModel'],
    count: 1,
  },
  {
    name: "a key of another strategy kind says whose it is",
    text: variant(['event-driven: { kind: event-driven }', 'event-driven: { kind: event-driven, intervalS: 60 }']),
    path: 'scenarios.shop.strategies.event-driven.intervalS',
    line: 26,
    code: 'unrecognized_keys',
    words: ['unknown key "intervalS"', 'belongs to kind "polling"'],
    count: 1,
  },
  {
    name: 'a negative rate names the bound and the value',
    text: variant(['ordersPerDay: 500', 'ordersPerDay: -5']),
    path: 'scenarios.shop.demand.ordersPerDay',
    line: 14,
    column: 7,
    code: 'too_small',
    words: ['must be >= 0, got -5'],
    count: 1,
  },
  {
    name: 'a probability above 1',
    text: variant(['    faults:\n', '    faults:\n      serverErrorRate: 1.5\n']),
    path: 'scenarios.shop.faults.serverErrorRate',
    line: 18,
    code: 'too_big',
    words: ['must be <= 1, got 1.5'],
    count: 1,
  },
  {
    name: 'a fractional SKU count',
    text: variant(['skus: 20', 'skus: 20.5']),
    path: 'scenarios.shop.catalog.skus',
    line: 5,
    code: 'invalid_type',
    words: ['must be an integer, got 20.5'],
    count: 1,
  },
  {
    name: 'an unknown preset, with the closest preset',
    text: variant(['preset: shopify-graphql', 'preset: shopify-graphq']),
    path: 'scenarios.shop.channels[0].preset',
    line: 10,
    column: 9,
    code: 'invalid_value',
    words: ['unknown preset "shopify-graphq"', 'did you mean "shopify-graphql"?'],
    count: 1,
  },
  {
    name: 'an unknown preset with no close match lists the presets',
    text: variant(['preset: amazon-listings', 'preset: shopee']),
    path: 'scenarios.shop.channels[1].preset',
    line: 12,
    code: 'invalid_value',
    words: ['unknown preset "shopee"', 'expected one of shopify-graphql, shopify-rest, amazon-listings'],
    count: 1,
  },
  {
    name: 'a misspelt strategy kind (a discriminated union), with the closest kind',
    text: variant(['{ kind: polling, intervalS: 900 }', '{ kind: poling, intervalS: 900 }']),
    path: 'scenarios.shop.strategies.polling.kind',
    line: 25,
    code: 'invalid_value',
    words: ['unknown kind "poling"', 'did you mean "polling"?'],
    count: 1,
  },
  {
    name: 'a strategy without a kind lists the kinds',
    text: variant(['event-driven: { kind: event-driven }', 'event-driven: { description: fast }']),
    path: 'scenarios.shop.strategies.event-driven.kind',
    line: 26,
    code: 'missing_key',
    words: ['missing required key "kind"', 'polling, event-driven, event-batched, hybrid'],
    count: 1,
  },
  {
    name: 'a misspelt pitfall, with the closest pitfall',
    text: variant(['event-driven: { kind: event-driven }', 'event-driven: { kind: event-driven, pitfall: no-lockin }']),
    path: 'scenarios.shop.strategies.event-driven.pitfall',
    line: 26,
    code: 'invalid_value',
    words: ['unknown pitfall "no-lockin"', 'did you mean "no-locking"?'],
    count: 1,
  },
  {
    name: 'a misspelt allocation key (a union of two shapes)',
    text: variant(['{ shopify: { percent: 60 }', '{ shopify: { percnt: 60 }']),
    path: 'scenarios.shop.strategies.allocation.listingPolicy.allocation.shopify.percnt',
    line: 31,
    code: 'unrecognized_keys',
    words: ['unknown key "percnt"', 'did you mean "percent"?'],
    count: 1,
  },
  {
    name: 'a missing required key',
    text: variant(['      churnMultiplier: 0.3\n', '']),
    path: 'scenarios.shop.economics.churnMultiplier',
    line: 20,
    code: 'missing_key',
    words: ['missing required key "churnMultiplier"', 'a number'],
    count: 1,
  },
  {
    name: 'a scenario name with a space',
    text: variant(['  shop:', '  my shop:']),
    path: 'scenarios["my shop"]',
    line: 2,
    code: 'invalid_key',
    words: ['invalid scenario name "my shop"', 'letters, digits'],
    count: 1,
  },
  {
    name: 'a burst that ends after the run',
    text: variant(['atS: 600, orders: 50', 'atS: 3599.5, orders: 50']),
    path: 'scenarios.shop.demand.bursts[0].atS',
    line: 16,
    code: 'outside_duration',
    words: ['ends at 3600.5 s', 'atS 3599.5 + spreadMs 1000', 'after the end of the run (durationS 3600)'],
    count: 1,
  },
  {
    name: 'a burst on an undeclared channel',
    text: variant(['spreadMs: 1000 }', 'spreadMs: 1000, channels: [shopify, amazn] }']),
    path: 'scenarios.shop.demand.bursts[0].channels[1]',
    line: 16,
    code: 'unknown_channel',
    words: ['unknown channel "amazn"', 'did you mean "amazon"?'],
    count: 1,
  },
  {
    name: 'an outage on an undeclared channel',
    text: variant(['{ channel: amazon, startS: 600', '{ channel: ebay, startS: 600']),
    path: 'scenarios.shop.faults.outages[0].channel',
    line: 19,
    code: 'unknown_channel',
    words: ['unknown channel "ebay"', 'declared channels: shopify, amazon'],
    count: 1,
  },
  {
    name: 'a latency spike on a misspelt channel',
    text: variant(['      outages:\n', '      latencySpikes: [{ channel: shopfy, startS: 0, durationS: 60, multiplier: 3 }]\n      outages:\n']),
    path: 'scenarios.shop.faults.latencySpikes[0].channel',
    line: 18,
    code: 'unknown_channel',
    words: ['unknown channel "shopfy"', 'did you mean "shopify"?'],
    count: 1,
  },
  {
    name: 'an outage that starts after the run',
    text: variant(['startS: 600, durationS: 600 }', 'startS: 4000, durationS: 600 }']),
    path: 'scenarios.shop.faults.outages[0].startS',
    line: 19,
    code: 'outside_duration',
    words: ['starts at 4000 s', 'would never happen'],
    count: 1,
  },
  {
    name: 'a processor crash window past the end of the run',
    text: variant(['      outages:\n', '      processorCrashes: [{ atS: 3000, downS: 900 }]\n      outages:\n']),
    path: 'scenarios.shop.faults.processorCrashes[0].atS',
    line: 18,
    code: 'outside_duration',
    words: ['processor crash ends at 3900 s', 'atS 3000 + downS 900'],
    count: 1,
  },
  {
    name: 'duplicate channel ids',
    text: variant(['      - id: amazon\n        preset: amazon-listings', '      - id: shopify\n        preset: amazon-listings']),
    path: 'scenarios.shop.channels[1].id',
    line: 11,
    code: 'duplicate_id',
    words: ['duplicate channel id "shopify"', 'channels[0] has it already'],
  },
  {
    name: 'initialStockMax below initialStockMin',
    text: variant(['initialStockMax: 10', 'initialStockMax: 3']),
    path: 'scenarios.shop.catalog.initialStockMax',
    line: 7,
    code: 'stock_range',
    words: ['must be >= initialStockMin (5), got 3'],
    count: 1,
  },
  {
    name: 'partitioned allocations over 100%',
    text: variant(['amazon: { percent: 40 }', 'amazon: { percent: 50 }']),
    path: 'scenarios.shop.strategies.allocation.listingPolicy.allocation',
    line: 31,
    code: 'allocation',
    words: ['add up to 110', '<= 100'],
    count: 1,
  },
  {
    name: 'partitioned stock without a percent for every channel',
    text: variant([', amazon: { percent: 40 } }', ' }']),
    path: 'scenarios.shop.strategies.allocation.listingPolicy.allocation',
    line: 31,
    code: 'allocation',
    words: ['a percent for every channel', 'missing: amazon'],
    count: 1,
  },
  {
    name: 'partitioned stock without an allocation',
    text: variant(['        listingPolicy:\n          allocation: { shopify: { percent: 60 }, amazon: { percent: 40 } }\n', '']),
    path: 'scenarios.shop.strategies.allocation.partitionStock',
    line: 29,
    code: 'allocation',
    words: ['partitionStock needs listingPolicy.allocation'],
    count: 1,
  },
  {
    name: 'an allocation for an undeclared channel',
    text: variant(['amazon: { percent: 40 } }', 'amazon: { percent: 30 }, ebay: { percent: 10 } }']),
    path: 'scenarios.shop.strategies.allocation.listingPolicy.allocation.ebay',
    line: 31,
    code: 'unknown_channel',
    words: ['unknown channel "ebay"'],
    count: 1,
  },
  {
    name: 'an assert block on an undeclared strategy',
    text: variant(['strategies: [event-driven]', 'strategies: [event-drive]']),
    path: 'scenarios.shop.assert.strategies[0]',
    line: 33,
    code: 'unknown_strategy',
    words: ['unknown strategy "event-drive"', 'did you mean "event-driven"?'],
    count: 1,
  },
  {
    name: 'a malformed assertion bound',
    text: variant(['oversells: 0', 'oversells: "< lots"']),
    path: 'scenarios.shop.assert.oversells',
    line: 34,
    code: 'invalid_format',
    words: ['a comparison like "< 500"', 'got "< lots"'],
    count: 1,
  },
  {
    name: 'no strategies at all',
    text: `scenarios:
  tiny:
    durationS: 60
    catalog: { skus: 1, initialStockMin: 1, initialStockMax: 1 }
    channels: [{ id: shop, preset: etsy }]
    demand: { ordersPerDay: 1 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 1 }
    strategies: {}
`,
    path: 'scenarios.tiny.strategies',
    line: 8,
    code: 'no_strategies',
    words: ['at least one strategy'],
    count: 1,
  },
  {
    name: 'preset overrides that make the preset invalid',
    text: variant([
      '        preset: shopify-graphql',
      '        preset: shopify-graphql\n        overrides: { rateLimits: [{ kind: leaky-bucket, capacity: 0.5, leakPerS: 1 }] }',
    ]),
    path: 'scenarios.shop.channels[0].overrides.rateLimits[0].capacity',
    line: 11,
    code: 'invalid_preset',
    words: ['shopify-graphql preset is invalid', 'capacity must be >= 1'],
    count: 1,
  },
  {
    name: 'a retry policy whose max delay is below the default base delay',
    text: variant(['    economics:\n', '    inventory_sync:\n      retry_policy: { max_delay_ms: 500 }\n    economics:\n']),
    path: 'scenarios.shop.inventory_sync.retry_policy.max_delay_ms',
    line: 21,
    code: 'delay_range',
    words: ['max_delay_ms 500 must be >= base_delay_ms 1000 (the default)'],
    count: 1,
  },
  // ---- bounds (issue 11, items 7 and 9): a value that would hang or crash a run ----
  {
    name: 'an order rate that never ends (ordersPerDay 1e12)',
    text: variant(['ordersPerDay: 500', 'ordersPerDay: 1e12']),
    path: 'scenarios.shop.demand.ordersPerDay',
    line: 14,
    column: 7,
    code: 'too_big',
    words: ['must be <= 1000000000, got 1000000000000'],
    count: 1,
  },
  {
    name: 'a reorder window past the kernel horizon (webhookReorderWindowMs 1e12)',
    text: variant(['    faults:\n', '    faults:\n      webhookReorderWindowMs: 1e12\n']),
    path: 'scenarios.shop.faults.webhookReorderWindowMs',
    line: 18,
    column: 7,
    code: 'too_big',
    words: ['must be <= 86400000, got 1000000000000'],
    count: 1,
  },
  {
    name: 'a run longer than the histograms hold (durationS 1e12)',
    text: variant(['durationS: 3600', 'durationS: 1e12']),
    path: 'scenarios.shop.durationS',
    line: 3,
    column: 5,
    code: 'too_big',
    words: ['must be <= 7776000, got 1000000000000'],
    count: 1,
  },
  {
    name: 'stock above the maximum level (initialStockMax 3e9)',
    text: variant(['initialStockMax: 10', 'initialStockMax: 3000000000']),
    path: 'scenarios.shop.catalog.initialStockMax',
    line: 7,
    column: 7,
    code: 'too_big',
    words: ['must be <= 2147483647, got 3000000000'],
    count: 1,
  },
  {
    name: 'a listing-policy level above the maximum',
    text: variant(['event-driven: { kind: event-driven }', 'event-driven: { kind: event-driven, listingPolicy: { maxListed: 2147483648 } }']),
    path: 'scenarios.shop.strategies.event-driven.listingPolicy.maxListed',
    line: 26,
    code: 'too_big',
    words: ['must be <= 2147483647, got 2147483648'],
    count: 1,
  },
  {
    name: 'restocks that can stack above the maximum level',
    text: variant(['      initialStockMax: 10\n', '      initialStockMax: 10\n      restock: { everyS: 600, upToUnits: 1000000000 }\n']),
    path: 'scenarios.shop.catalog.restock.upToUnits',
    line: 8,
    code: 'stock_bound',
    words: ['could raise a level to 7,000,000,000 units', 'maximum stock level 2,147,483,647', '6 ticks of everyS 600'],
    count: 1,
  },
  {
    name: 'a run with more orders than the budget',
    text: variant(['ordersPerDay: 500', 'ordersPerDay: 300000000']),
    path: 'scenarios.shop.demand.ordersPerDay',
    line: 14,
    code: 'run_budget',
    words: ['a run would place about 12,500,050 orders', 'ordersPerDay × durationS / 86400 = 12,500,000, bursts 50', 'at most 10,000,000 per run'],
    count: 1,
  },
  {
    name: 'a webhook wait, all windows added, longer than a day',
    text: variant(['    faults:\n', '    faults:\n      webhookReorderWindowMs: 86400000\n']),
    path: 'scenarios.shop.faults.webhookReorderWindowMs',
    line: 18,
    code: 'wait_too_long',
    words: ['a webhook of shopify can arrive after', 'more than one day (86,400,000 ms)'],
    count: 1,
  },
  {
    name: 'a rate limit whose Retry-After is longer than a day',
    text: variant([
      '        preset: shopify-graphql',
      '        preset: shopify-graphql\n        overrides: { rateLimits: [{ kind: token-bucket, ratePerS: 0.00001, burst: 1 }] }',
    ]),
    path: 'scenarios.shop.channels[0].overrides.rateLimits[0].ratePerS',
    line: 11,
    code: 'wait_too_long',
    words: ['token-bucket can ask a full request to wait (Retry-After) = 100,000,000 ms'],
    count: 1,
  },
  {
    name: 'full syncs that visit more listings than the budget',
    text: variant(['skus: 20', 'skus: 100000'], ['intervalS: 900', 'intervalS: 1']),
    path: 'scenarios.shop.strategies.polling.intervalS',
    line: 25,
    code: 'run_budget',
    words: ['25,200 full syncs', '200,000 listings', 'at most 200,000,000 per run'],
    count: 1,
  },
  {
    name: 'bad YAML syntax',
    text: variant(['preset: amazon-listings', 'preset: @amazon-listings']),
    path: 'scenarios.shop.channels[1].preset',
    line: 12,
    column: 17,
    code: 'yaml_syntax',
    words: ['cannot start with reserved character @'],
    count: 1,
  },
  {
    name: 'a missing comma in a flow mapping',
    text: variant(['orders: 50, hotSkus: 2', 'orders: 50 hotSkus: 2']),
    path: 'scenarios.shop.demand.bursts[0].orders',
    line: 16,
    column: 31,
    code: 'yaml_syntax',
    words: ['Block collections are not allowed within flow collections'],
    count: 1,
  },
  {
    name: 'a mapping inside a one-line value',
    text: variant(['averageOrderValue: 80', 'averageOrderValue: 80: 90']),
    path: 'scenarios.shop.economics.averageOrderValue',
    line: 21,
    column: 26,
    code: 'yaml_syntax',
    words: ['Nested mappings are not allowed'],
    count: 1,
  },
  {
    name: 'a key indented less than its siblings',
    text: variant(['      initialStockMax: 10', '     initialStockMax: 10']),
    path: 'scenarios.shop',
    line: 7,
    code: 'yaml_syntax',
    words: ['same column'],
  },
  {
    name: 'a tab used for indentation',
    text: variant(['      skus: 20', '\tskus: 20']),
    path: '',
    line: 5,
    column: 1,
    code: 'yaml_syntax',
    words: ['Tabs are not allowed'],
  },
  {
    name: 'a duplicate key',
    text: variant(['      initialStockMax: 10', '      initialStockMax: 10\n      skus: 30']),
    path: 'scenarios.shop.catalog.skus',
    line: 8,
    column: 7,
    code: 'duplicate_key',
    words: ['duplicate key "skus"', 'first at line 5'],
    count: 1,
  },
  {
    name: 'an alias without its anchor',
    text: variant(['durationS: 3600', 'durationS: *hour']),
    path: 'scenarios.shop.durationS',
    line: 3,
    code: 'yaml_syntax',
    words: ['unknown alias *hour'],
    count: 1,
  },
  {
    name: 'an empty file',
    text: '\n# nothing here yet\n',
    path: '',
    line: 1,
    code: 'empty',
    words: ['the file is empty', '`scenarios`'],
    count: 1,
  },
  {
    name: 'a file without scenarios',
    text: 'version: 1\n',
    path: 'scenarios',
    line: 1,
    code: 'missing_key',
    words: ['missing required key "scenarios"'],
    count: 1,
  },
  {
    name: 'a list instead of a mapping at the top',
    text: '- shop\n- outage\n',
    path: '',
    line: 1,
    code: 'invalid_type',
    words: ['must be a mapping with a "scenarios" key', 'got a list'],
    count: 1,
  },
  {
    name: 'a reference strategy the scenario does not declare',
    text: variant(['durationS: 3600', 'durationS: 3600\n    reference: event-drive']),
    path: 'scenarios.shop.reference',
    line: 4,
    code: 'unknown_strategy',
    words: ['unknown strategy "event-drive"', 'did you mean "event-driven"?'],
    count: 1,
  },
  {
    name: 'an event that happens more often than its runs fit in a year',
    text: variant(['churnMultiplier: 0.3', 'churnMultiplier: 0.3\n      occurrencesPerYear: 9000']),
    path: 'scenarios.shop.economics.occurrencesPerYear',
    line: 24,
    code: 'too_often',
    words: ['a run of 3600 s fits at most 8760 times in a year', 'got 9000'],
    count: 1,
  },
  {
    name: 'an event that never happens',
    text: variant(['churnMultiplier: 0.3', 'churnMultiplier: 0.3\n      occurrencesPerYear: 0']),
    path: 'scenarios.shop.economics.occurrencesPerYear',
    line: 24,
    code: 'too_small',
    words: ['0'],
    count: 1,
  },
];

describe('each malformed scenario is refused with its path, line and rule', () => {
  it('the base scenario of the cases is valid', () => {
    expect([...parseScenarioText(BASE).scenarios.keys()]).toEqual(['shop']);
  });

  it.each(CASES)('$name', (c) => {
    const issues = problems(c.text);
    if (c.count !== undefined) expect(issues, JSON.stringify(issues, null, 2)).toHaveLength(c.count);
    const issue = issues.find((i) => i.path === c.path && i.code === c.code);
    expect(issue, `no ${c.code} at ${c.path} in ${JSON.stringify(issues, null, 2)}`).toBeDefined();
    expect(issue!.line).toBe(c.line);
    if (c.column !== undefined) expect(issue!.column).toBe(c.column);
    for (const w of c.words) expect(issue!.message).toContain(w);
  });
});

describe('every problem at once', () => {
  it('reports problems from YAML, the schema and the cross-field rules together, in file order', () => {
    const text = variant(
      ['      skus: 20', '      skuz: 20\n      skus: 20'],
      ['preset: amazon-listings', 'preset: amazon-listing'],
      ['ordersPerDay: 500', 'ordersPerDay: -1'],
      ['atS: 600, orders: 50', 'atS: 3600, orders: 50'],
      ['{ channel: amazon, startS: 600', '{ channel: amazn, startS: 600'],
      ['amazon: { percent: 40 }', 'amazon: { percent: 41 }'],
    );
    const issues = problems(text);
    expect(issues.map((i) => [i.line, i.path, i.code])).toEqual([
      [5, 'scenarios.shop.catalog.skuz', 'unrecognized_keys'],
      [13, 'scenarios.shop.channels[1].preset', 'invalid_value'],
      [15, 'scenarios.shop.demand.ordersPerDay', 'too_small'],
      [17, 'scenarios.shop.demand.bursts[0].atS', 'outside_duration'],
      [20, 'scenarios.shop.faults.outages[0].channel', 'unknown_channel'],
      [32, 'scenarios.shop.strategies.allocation.listingPolicy.allocation', 'allocation'],
    ]);
  });

  it('a cross-field rule stays silent about a value the schema already refuses', () => {
    // durationS is not a number, so no burst or outage can be judged against it: one problem.
    const issues = problems(variant(['durationS: 3600', 'durationS: -1'], ['atS: 600, orders: 50', 'atS: 99999, orders: 50']));
    expect(issues.map((i) => i.code)).toEqual(['too_small']);
  });

  it('prints each problem on one line: file:line:col, path, message, [rule]', () => {
    const issue = problems(variant(['preset: shopify-graphql', 'preset: shopify-graphq']))[0]!;
    expect(formatIssue('scenarios.yaml', issue)).toBe(
      '  scenarios.yaml:10:9  scenarios.shop.channels[0].preset: unknown preset "shopify-graphq"; did you mean "shopify-graphql"? [invalid_value]',
    );
  });

  it('caps the printed list and says how many more there are', () => {
    const bursts = Array.from({ length: 150 }, (_, i) => `        - { atS: ${4000 + i}, orders: 1, hotSkus: 1, spreadMs: 0 }`).join('\n');
    const text = variant(['        - { atS: 600, orders: 50, hotSkus: 2, spreadMs: 1000 }', bursts]);
    try {
      parseScenarioText(text, 'many.yaml');
      expect.unreachable();
    } catch (error) {
      const e = error as ScenarioError;
      expect(e.issues).toHaveLength(150);
      expect(e.message.split('\n')).toHaveLength(1 + 100 + 1);
      expect(e.message).toContain('… and 50 more');
    }
  });
});

describe('the shipped file and the loader API', () => {
  it('the shipped scenarios.yaml validates cleanly', () => {
    const file = loadScenarioFile(join(ROOT, 'scenarios.yaml'));
    expect(file.scenarios.size).toBeGreaterThan(0);
    for (const scenario of file.scenarios.values()) expect(Object.keys(scenario.strategies).length).toBeGreaterThan(0);
  });

  it('an unknown scenario name suggests the closest one', () => {
    const file = parseScenarioText(BASE, 'base.yaml');
    expect(() => getScenario(file, 'shops')).toThrow(/no scenario named "shops"; did you mean "shop"\?/);
  });

  it('a missing file is a ScenarioError, not a crash', () => {
    expect(() => loadScenarioFile(join(FIXTURES, 'no-such-file.yaml'))).toThrow(/cannot read the file: no such file/);
  });

  it('"did you mean" ignores case and separators but not unrelated words', () => {
    expect(closestMatch('Shopify_GraphQL', ['shopify-graphql', 'shopify-rest'])).toBe('shopify-graphql');
    expect(closestMatch('intervalSec', ['intervalS', 'kind'])).toBe('intervalS');
    expect(closestMatch('x', ['y', 'z'])).toBeUndefined();
    expect(closestMatch('taxRate', ['averageOrderValue', 'churnMultiplier'])).toBeUndefined();
  });
});

// ---- CLI: spawn the built CLI (npm test builds dist/ first) ----------------------------------

const BIN = join(ROOT, 'bin/invsim.js');
const scratch = mkdtempSync(join(tmpdir(), 'invsim-validation-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `invsim run FILE --scenario S --strategy X` in a child process (tests run them in parallel). */
function runCli(file: string, scenario = 'shop', strategy = 'event-driven'): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'run', file, '--scenario', scenario, '--strategy', strategy], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

function expectRefused(expect: ExpectStatic, r: CliResult): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe(''); // nothing ran
  expect(r.stderr).toMatch(/^invsim: invalid scenario\n/);
  expect(r.stderr).not.toMatch(/^ {4}at /m); // no stack trace
}

describe.concurrent('the CLI refuses each malformed file with exit 2, path and line, and no stack trace', () => {
  it.for(CASES)('$name', async (c, { expect }) => {
    const file = join(scratch, `${c.name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, c.text);
    const r = await runCli(file);
    expectRefused(expect, r);
    expect(r.stderr).toContain(`${file}:${c.line}:`);
    expect(r.stderr).toContain(`  ${c.path || '(root)'}: `);
    expect(r.stderr).toContain(`[${c.code}]`);
  });

  it('three problems in one fixture are all printed, each on its line', async ({ expect }) => {
    const file = 'test/fixtures/scenarios/three-problems.yaml';
    const r = await runCli(file, 'flash-sale', 'polling');
    expectRefused(expect, r);
    expect(r.stderr).toContain(`${file}: 3 problems`);
    expect(r.stderr).toContain(`${file}:12:20  scenarios.flash-sale.channels[2].preset: unknown preset "shopify-graphq"; did you mean "shopify-graphql"? [invalid_value]`);
    expect(r.stderr).toContain(`${file}:16:13  scenarios.flash-sale.demand.bursts[0].atS: the burst ends at 3600.5 s`);
    expect(r.stderr).toContain(`${file}:22:33  scenarios.flash-sale.strategies.polling.intervalSec: unknown key "intervalSec"; did you mean "intervalS"? [unrecognized_keys]`);
  });

  it.for([
    ['bad-syntax.yaml', 4, 'scenarios.baseline.catalog.initialStockMax', 'yaml_syntax'],
    ['empty.yaml', 1, '(root)', 'empty'],
    ['no-scenarios.yaml', 1, 'scenarios', 'missing_key'],
    ['duplicate-keys.yaml', 11, 'scenarios.baseline.durationS', 'duplicate_key'],
    ['outage-unknown-channel.yaml', 11, 'scenarios.marketplace-outage.faults.outages[0].channel', 'unknown_channel'],
  ] as const)('fixture %s: line %i, %s [%s]', async ([name, line, path, code], { expect }) => {
    const file = `test/fixtures/scenarios/${name}`;
    const r = await runCli(file);
    expectRefused(expect, r);
    expect(r.stderr).toContain(`${file}:${line}:`);
    expect(r.stderr).toContain(`  ${path}: `);
    expect(r.stderr).toContain(`[${code}]`);
  });

  it('a missing file is exit 2 without a stack trace', async ({ expect }) => {
    const r = await runCli('test/fixtures/scenarios/does-not-exist.yaml');
    expectRefused(expect, r);
    expect(r.stderr).toContain('cannot read the file: no such file');
  });
});
