// Proves the pieces of `check`: bounds mean what the scenario file says (a number is equality, a
// string compares, null never passes), blocks without `strategies:` skip pitfalls, a failure
// carries its seeds and a replayable command, and the JUnit XML is well formed even when names
// hold XML specials.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { evaluateAssertions, holds, reproducer, scenarioAssertions, type Assertion } from '../../src/analysis/check.js';
import { escapeXml, junitXml } from '../../src/analysis/junit.js';
import type { Observed, RunRecord } from '../../src/analysis/metrics.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';

describe('holds', () => {
  it('treats a number as equality, a boolean as equality, a string as a comparison', () => {
    expect(holds(0, 0)).toBe(true);
    expect(holds(0, 1)).toBe(false);
    expect(holds(true, true)).toBe(true);
    expect(holds(true, false)).toBe(false);
    expect(holds('< 500', 499.9)).toBe(true);
    expect(holds('< 500', 500)).toBe(false);
    expect(holds('<= 500', 500)).toBe(true);
    expect(holds('>= 0.9', 0.89)).toBe(false);
    expect(holds('> 0', 3)).toBe(true);
    expect(holds('== 2', 2)).toBe(true);
    expect(holds('!= 2', 2)).toBe(false);
    expect(holds(' <  1e-3 ', 0.0001)).toBe(true);
  });

  it('never passes a missing value (convergenceMs of a run that did not converge)', () => {
    expect(holds('< 1000', null)).toBe(false);
    expect(holds('>= 0', null)).toBe(false);
  });
});

describe('scenarioAssertions', () => {
  it('applies a block without strategies to every non-pitfall strategy, and an explicit list as given', () => {
    const scenario = getScenario(loadScenarioFile('test/fixtures/cli/flash-sale-pitfall.yaml'), 'flash-sale');
    const list = scenarioAssertions(scenario).map((a) => `${a.block} ${a.strategy} ${a.metric}`);
    expect(list).toEqual([
      '0 event-driven integrityViolations',
      '0 event-driven converged',
      '0 allocation integrityViolations',
      '0 allocation converged',
      '1 allocation oversells',
      '2 pitfall-no-idempotency integrityViolations',
    ]);
  });
});

const observed = (over: Partial<Observed>): Observed =>
  ({
    oversells: 0,
    lostSales: 0,
    integrityViolations: 0,
    latencyMsP99: 0,
    staleWindowMsP99: 0,
    meanConfidence: 1,
    invisibleFraction: 0,
    belowMinConfidenceFraction: 0,
    totalDailyImpact: 0,
    apiCalls: 0,
    apiThrottled: 0,
    dlqParked: 0,
    converged: true,
    convergenceMs: 0,
    ...over,
  }) as Observed;

describe('evaluateAssertions and junitXml', () => {
  const assertions: Assertion[] = [
    { scenario: 's<&>"', strategy: 'a', block: 0, metric: 'oversells', expected: 0 },
    { scenario: 's<&>"', strategy: 'b', block: 0, metric: 'latencyMsP99', expected: '< 500' },
  ];
  const record = (strategy: string, seed: number, over: Partial<Observed>): RunRecord => ({ scenario: 's<&>"', strategy, seed, traceHash: 'h', observed: observed(over) });
  const records = [record('a', 1, {}), record('a', 2, {}), record('b', 1, { latencyMsP99: 499 }), record('b', 2, { latencyMsP99: 812.5 })];
  const report = evaluateAssertions('my file.yaml', assertions, [1, 2], records);

  it('holds only when every seed holds, and replays the first failing seed', () => {
    expect(report.passed).toBe(false);
    expect(report.failed).toBe(1);
    const failure = report.outcomes[1]!;
    expect(failure.failures).toEqual([{ seed: 2, value: 812.5 }]);
    expect(failure.reproduce).toBe(`invsim run 'my file.yaml' --scenario 's<&>"' --strategy b --seed 2`);
    expect(reproducer('scenarios.yaml', 'flash-sale', 'event-driven', 7)).toBe('invsim run scenarios.yaml --scenario flash-sale --strategy event-driven --seed 7');
  });

  it('writes JUnit XML that parses, with one testcase per assertion and one failure per breach', () => {
    const xml = junitXml(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testsuite', 'testcase', 'failure'].includes(name) }).parse(xml) as {
      testsuites: { '@_tests': string; '@_failures': string; testsuite: { '@_name': string; testcase: { failure?: { '#text': string }[] }[] }[] };
    };
    expect(doc.testsuites['@_tests']).toBe('2');
    expect(doc.testsuites['@_failures']).toBe('1');
    const suite = doc.testsuites.testsuite[0]!;
    expect(suite['@_name']).toBe('s<&>"');
    expect(suite.testcase).toHaveLength(2);
    expect(suite.testcase.filter((t) => t.failure !== undefined)).toHaveLength(1);
    expect(suite.testcase[1]!.failure![0]!['#text']).toContain('seed 2: observed 812.5');
  });

  it('escapes the five XML specials and drops characters XML cannot carry', () => {
    expect(escapeXml(`a<b>&"c'\u0001d`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;d');
  });
});
