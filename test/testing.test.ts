// Proves the `invsim/testing` helper users import in their own suites: a run from a file and the
// same scenario written inline give the identical result; an invalid inline scenario throws a
// ScenarioError listing every problem; and the package export `invsim/testing` resolves from the
// build (dist/testing.js, as package.json declares it).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runScenario, ScenarioError, type ScenarioInput } from '../src/testing.js';

const FILE = 'test/fixtures/cli/flash-sale-pass.yaml';
const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('runScenario', () => {
  it('gives the same result for a file and for the same scenario inline', async () => {
    const fromFile = await runScenario({ file: FILE, scenario: 'flash-sale', strategy: 'allocation', seed: 3 });
    const raw = (parse(readFileSync(FILE, 'utf8')) as { scenarios: Record<string, ScenarioInput> }).scenarios['flash-sale']!;
    const inline = await runScenario({ scenario: { ...raw, name: 'flash-sale' }, strategy: 'allocation', seed: 3 });
    expect(inline).toEqual(fromFile);
    expect(fromFile.seed).toBe(3);
    expect(fromFile.oversells).toBe(0);
  });

  it('rejects an invalid inline scenario with every problem and its path', async () => {
    const raw = (parse(readFileSync(FILE, 'utf8')) as { scenarios: Record<string, ScenarioInput> }).scenarios['flash-sale']!;
    const bad = { ...raw, durationS: -1, demand: { ...raw.demand, ordersPerDay: 'many' } } as unknown as ScenarioInput;
    const error = await runScenario({ scenario: bad, strategy: 'allocation' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).issues.map((i) => i.path).sort()).toEqual(['demand.ordersPerDay', 'durationS']);
  });

  it("resolves as 'invsim/testing' through the package exports", () => {
    const script = `import { runScenario } from 'invsim/testing';
      const r = await runScenario({ file: '${FILE}', scenario: 'flash-sale', strategy: 'event-driven', seed: 1 });
      console.log(JSON.stringify({ scenario: r.scenario, integrityViolations: r.integrityViolations }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ scenario: 'flash-sale', integrityViolations: 0 });
  });
});
