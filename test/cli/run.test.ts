// Proves the exit code of `invsim run` and `invsim compare` when a run breaks an invariant:
// `run` exits 1 whenever it prints an integrity violation (a pitfall's run included), with the
// JSON document unchanged and a reproducer on stderr; `compare` exits 1 only when a real-engine
// strategy broke one, since a pitfall's violations are the cost a comparison measures.
import { describe, expect, it } from 'vitest';
import { comparePlan, integrityExit } from '../../src/cli/commands/compare.js';
import type { SimulationResult } from '../../src/model/result.js';
import { simulate } from '../../src/sim/world.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { FIXTURES, runCli } from './helpers.js';

const PITFALL = `${FIXTURES}/flash-sale-pitfall.yaml`;
const RUN = ['run', PITFALL, '--scenario', 'flash-sale', '--seed', '1'];

describe('invsim run', () => {
  it('exits 1 when the run it prints has integrity violations, the JSON as simulate() gives it', async () => {
    const r = await runCli([...RUN, '--strategy', 'pitfall-no-idempotency', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as SimulationResult;
    expect(doc.integrityViolations).toBeGreaterThan(0);
    const direct = await simulate(getScenario(loadScenarioFile(PITFALL), 'flash-sale'), { strategy: 'pitfall-no-idempotency', seed: 1 });
    expect(r.out).toBe(`${JSON.stringify(direct, null, 2)}\n`);
    expect(r.err).toContain(`integrity violations (first: ${doc.violations[0]!.invariant})`);
    expect(r.err).toContain(`reproduce: invsim run ${PITFALL} --scenario flash-sale --strategy pitfall-no-idempotency --seed 1\n`);
  });

  it('exits 1 with the readable summary too', async () => {
    const r = await runCli([...RUN, '--strategy', 'pitfall-no-idempotency']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/integrity +[1-9]\d* VIOLATIONS/);
  });

  it('exits 0 when the run has none', async () => {
    const r = await runCli([...RUN, '--strategy', 'event-driven', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as SimulationResult).integrityViolations).toBe(0);
    expect(r.err).toBe('');
  });
});

describe('invsim compare', () => {
  const ARGS = { file: PITFALL, scenario: 'flash-sale', strategies: 'event-driven,pitfall-no-idempotency', seeds: 2, seedStart: 1 };

  it("exits 0 when only a pitfall's runs have violations: that is what it measures", async () => {
    const r = await runCli(['compare', PITFALL, '--scenario', 'flash-sale', '--strategies', ARGS.strategies, '--seeds', '2', '--workers', '1', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { strategies: { strategy: string; metrics: { integrityViolations: { mean: number } } }[] };
    expect(doc.strategies.find((s) => s.strategy === 'pitfall-no-idempotency')!.metrics.integrityViolations.mean).toBeGreaterThan(0);
    expect(r.err).toBe('');
  });

  it('exits 1 naming the runs and a reproducer when a real-engine strategy has a violation', () => {
    const { plan, scenario } = comparePlan(ARGS);
    let err = '';
    const io = { out: () => undefined, err: (t: string) => void (err += t) };
    const runs = [
      { strategy: 'event-driven', seed: 1, metrics: { integrityViolations: 0 } },
      { strategy: 'event-driven', seed: 2, metrics: { integrityViolations: 1 } },
      { strategy: 'pitfall-no-idempotency', seed: 1, metrics: { integrityViolations: 3 } },
    ];
    expect(integrityExit(plan, scenario, runs, io)).toBe(1);
    expect(err).toBe(`invsim compare: integrity violations in event-driven seed 2\nreproduce: invsim run ${PITFALL} --scenario flash-sale --strategy event-driven --seed 2\n`);
    expect(integrityExit(plan, scenario, runs.filter((r) => r.strategy !== 'event-driven' || r.seed === 1), io)).toBe(0);
  });
});
