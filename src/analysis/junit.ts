/**
 * JUnit XML for `invsim check --junit FILE`, in the shape Jenkins, GitLab, GitHub Actions
 * reporters and Azure read: one <testsuite> per scenario, one <testcase> per (assertion,
 * strategy), a <failure> holding the observed values and the reproducer. No timing attributes:
 * the file is a deterministic function of the results.
 */
import type { AssertionOutcome, CheckReport } from './check.js';
import { describeAssertion } from './check.js';

/** Characters XML 1.0 cannot carry at all (even escaped) are dropped; the five specials are escaped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function attrs(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

export function failureSummary(o: AssertionOutcome, seedCount: number): string {
  const first = o.failures[0];
  if (first === undefined) return 'held';
  return `${describeAssertion(o)} broken: observed ${JSON.stringify(first.value)} on seed ${first.seed} (failed on ${o.failures.length} of ${seedCount} seeds)`;
}

function testcase(o: AssertionOutcome, seedCount: number): string {
  const head = `    <testcase${attrs({ classname: `${o.scenario}.${o.strategy}`, name: `assert[${o.block}] ${describeAssertion(o)}` })}`;
  if (o.passed) return `${head}/>`;
  const body = [
    ...o.failures.map((f) => `seed ${f.seed}: observed ${JSON.stringify(f.value)}`),
    `reproduce: ${o.reproduce ?? ''}`,
  ].join('\n');
  return [`${head}>`, `      <failure${attrs({ type: 'AssertionFailed', message: failureSummary(o, seedCount) })}>${escapeXml(body)}</failure>`, '    </testcase>'].join('\n');
}

export function junitXml(report: CheckReport): string {
  const seedCount = report.seeds.length;
  const suites = new Map<string, AssertionOutcome[]>();
  for (const o of report.outcomes) suites.set(o.scenario, [...(suites.get(o.scenario) ?? []), o]);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${attrs({ name: 'invsim check', tests: report.assertions, failures: report.failed, errors: 0 })}>`];
  for (const [scenario, outcomes] of suites) {
    const failures = outcomes.filter((o) => !o.passed).length;
    lines.push(`  <testsuite${attrs({ name: scenario, tests: outcomes.length, failures, errors: 0, skipped: 0 })}>`);
    lines.push(`    <properties><property${attrs({ name: 'file', value: report.file })}/><property${attrs({ name: 'seeds', value: report.seeds.join(',') })}/></properties>`);
    for (const o of outcomes) lines.push(testcase(o, seedCount));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
