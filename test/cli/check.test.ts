// Proves `invsim check` as CI runs it (a child process, its exit code): 0 when every assertion
// holds on every seed; 1 when a pitfall strategy is asserted on, with the assertion, the observed
// value and a reproducer line that `invsim run` accepts; JUnit XML that parses with one testcase
// per (assertion, strategy) and one failure per breach.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runCli, spawnCli } from './helpers.js';

const PASS = `${FIXTURES}/flash-sale-pass.yaml`;
const PITFALL = `${FIXTURES}/flash-sale-pitfall.yaml`;

type Junit = { testsuites: { '@_tests': string; '@_failures': string; testsuite: { testcase: { '@_classname': string; failure?: unknown[] }[] }[] } };

function parseJunit(path: string): Junit {
  const xml = readFileSync(path, 'utf8');
  expect(XMLValidator.validate(xml)).toBe(true);
  return new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testsuite', 'testcase', 'failure'].includes(name) }).parse(xml) as Junit;
}

describe('invsim check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'invsim-check-'));

  it('exits 0 when every assertion holds on every seed', async () => {
    const junit = join(dir, 'pass.xml');
    const r = await spawnCli(['check', PASS, '--seeds', '2', '--junit', junit]);
    expect(r.err).not.toContain('internal error');
    expect(r.code).toBe(0);
    expect(r.out).toContain('all 5 assertions held on every seed');
    const doc = parseJunit(junit);
    expect(doc.testsuites['@_tests']).toBe('5');
    expect(doc.testsuites['@_failures']).toBe('0');
  });

  it('exits 1 with the assertion, the observed value and a reproducer when a pitfall is asserted on', async () => {
    const junit = join(dir, 'reports', 'pitfall.xml');
    const r = await spawnCli(['check', PITFALL, '--seeds', '2', '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL +flash-sale \/ pitfall-no-idempotency +integrityViolations: 0\n +observed [1-9]\d* on seed [12]/);
    const repro = /reproduce: (invsim run .*)$/m.exec(r.out)?.[1];
    expect(repro).toMatch(new RegExp(`^invsim run ${PITFALL} --scenario flash-sale --strategy pitfall-no-idempotency --seed [12]$`));
    expect(r.out).toContain('1 of 6 assertions failed');

    // The reproducer replays the breach.
    const replay = await spawnCli([...repro!.split(' ').slice(1), '--json']);
    expect(replay.code).toBe(1); // the replayed run prints its violations: an invariant failed
    expect((JSON.parse(replay.out) as { integrityViolations: number }).integrityViolations).toBeGreaterThan(0);

    const doc = parseJunit(junit);
    const cases = doc.testsuites.testsuite.flatMap((s) => s.testcase);
    expect(cases).toHaveLength(6);
    const failed = cases.filter((c) => c.failure !== undefined);
    expect(failed.map((c) => c['@_classname'])).toEqual(['flash-sale.pitfall-no-idempotency']);
    expect(doc.testsuites['@_failures']).toBe('1');
  });

  it('prints the same report as JSON, and exits 2 on an unknown scenario', async () => {
    const r = await runCli(['check', PITFALL, '--seeds', '2', '--workers', '1', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { passed: boolean; failed: number; outcomes: { strategy: string; passed: boolean; reproduce: string | null }[] };
    expect(report.passed).toBe(false);
    expect(report.outcomes.filter((o) => !o.passed).map((o) => o.strategy)).toEqual(['pitfall-no-idempotency']);
    expect(r.err).toContain('reproduce: invsim run');
    const unknown = await runCli(['check', PASS, '--scenario', 'nope']);
    expect(unknown.code).toBe(2);
  });
});
