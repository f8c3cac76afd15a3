// Proves the `invsim/testing` helper users import in their own suites: a run from a file and the
// same scenario written inline give the identical result; an invalid inline scenario throws a
// ScenarioError listing every problem; the safe loaders return every problem as a value and
// never throw for bad input; and the package export `invsim/testing` resolves from the build
// (dist/testing.js, as package.json declares it).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { safeParseScenarioText } from '../src/scenarios/load.js';
import { loadScenario, runScenario, safeInlineScenario, safeLoadScenario, ScenarioError, type ScenarioInput } from '../src/testing.js';

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

describe('safeLoadScenario and the other safe loaders', () => {
  it('returns the scenario as data when it is valid', () => {
    const r = safeLoadScenario(FILE, 'flash-sale');
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(r.data.name).toBe('flash-sale');
    expect(r.data).toEqual(loadScenario(FILE, 'flash-sale'));
  });

  it('returns every problem of a file with its path and position, without throwing', () => {
    const file = 'test/fixtures/scenarios/three-problems.yaml';
    const r = safeLoadScenario(file, 'flash-sale');
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.file).toBe(file);
    expect(r.issues.map((i) => [i.path, i.line, i.code])).toEqual([
      ['scenarios.flash-sale.channels[2].preset', 12, 'invalid_value'],
      ['scenarios.flash-sale.demand.bursts[0].atS', 16, expect.any(String)],
      ['scenarios.flash-sale.strategies.polling.intervalSec', 22, 'unrecognized_keys'],
    ]);
    // The throwing loader reports the same issues.
    expect(() => loadScenario(file, 'flash-sale')).toThrow(ScenarioError);
  });

  it('an unreadable file, bad YAML, an empty file and an unknown name are issues too', () => {
    const missing = safeLoadScenario('test/fixtures/scenarios/no-such-file.yaml', 'x');
    expect(missing).toMatchObject({ success: false, issues: [{ code: 'file', message: 'cannot read the file: no such file' }] });
    const directory = safeLoadScenario('test/fixtures/scenarios', 'x');
    expect(directory).toMatchObject({ success: false, issues: [{ code: 'file' }] });
    const syntax = safeLoadScenario('test/fixtures/scenarios/bad-syntax.yaml', 'x');
    expect(syntax.success).toBe(false);
    expect(safeParseScenarioText('', 'empty.yaml')).toMatchObject({ success: false, file: 'empty.yaml', issues: [{ code: 'empty' }] });
    const unknown = safeLoadScenario(FILE, 'flash-sail');
    expect(unknown).toMatchObject({ success: false, file: FILE, issues: [{ path: 'scenarios', code: 'unknown_scenario' }] });
    expect(unknown.success ? '' : unknown.issues[0]!.message).toMatch(/did you mean "flash-sale"/);
  });

  it('validates an inline scenario the same way', () => {
    const raw = (parse(readFileSync(FILE, 'utf8')) as { scenarios: Record<string, ScenarioInput> }).scenarios['flash-sale']!;
    const good = safeInlineScenario({ ...raw, name: 'mine' });
    expect(good.success && good.data.name).toBe('mine');
    const bad = safeInlineScenario({ ...raw, durationS: -1 } as ScenarioInput);
    expect(bad).toMatchObject({ success: false, file: '<inline scenario>', issues: [{ path: 'durationS' }] });
  });
});
