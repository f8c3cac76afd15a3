// Pins today's model: every shipped scenario × strategy × seeds 1-5 must give the same result JSON
// (by SHA-256) and the same trace hash as the fixture. A restructuring of the simulator or the
// engine must leave these untouched; only a deliberate model change updates them, by running
// `INVSIM_UPDATE_GOLDEN=1 npx vitest run test/sim/golden.test.ts` and committing the new fixture
// with the reason in the message.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { simulate } from '../../src/sim/world.js';

const FIXTURE = new URL('../fixtures/sim/golden-runs.json', import.meta.url).pathname;
const SEEDS = [1, 2, 3, 4, 5];
const update = process.env['INVSIM_UPDATE_GOLDEN'] !== undefined;

interface Golden {
  readonly json: string;
  readonly traceHash: string;
}

const shipped = loadScenarioFile(new URL('../../scenarios.yaml', import.meta.url).pathname);
const pinned = update ? {} : (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Golden>);
const seen: Record<string, Golden> = {};

describe('golden runs: behaviour is unchanged', () => {
  for (const name of shipped.scenarios.keys()) {
    const scenario = getScenario(shipped, name);
    for (const strategy of Object.keys(scenario.strategies)) {
      it(`${name} / ${strategy}, seeds 1-5`, async () => {
        for (const seed of SEEDS) {
          const key = `${name}/${strategy}/${seed}`;
          const r = await simulate(scenario, { strategy, seed });
          const got: Golden = { json: createHash('sha256').update(JSON.stringify(r)).digest('hex'), traceHash: r.traceHash };
          seen[key] = got;
          if (!update) expect(got, `${key}: replay with invsim run scenarios.yaml --scenario ${name} --strategy ${strategy} --seed ${seed}`).toEqual(pinned[key]);
        }
      }, 120_000);
    }
  }

  it('the fixture holds no run the shipped scenarios no longer have', () => {
    if (update) return;
    const expected = new Set<string>();
    for (const name of shipped.scenarios.keys()) {
      for (const strategy of Object.keys(getScenario(shipped, name).strategies)) for (const seed of SEEDS) expected.add(`${name}/${strategy}/${seed}`);
    }
    expect(Object.keys(pinned).sort()).toEqual([...expected].sort());
  });

  afterAll(() => {
    if (!update) return;
    const sorted = Object.fromEntries(Object.entries(seen).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    writeFileSync(FIXTURE, `${JSON.stringify(sorted, null, 1)}\n`);
  });
});
