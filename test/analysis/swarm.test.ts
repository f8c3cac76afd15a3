// Proves swarm testing does its job: each seed's variation is drawn from the seed alone, turns
// every fault family on in some seeds and off in others, stays within the scenario's `swarm:`
// ranges and is always a valid scenario; the swarm finds every pitfall that breaks an invariant
// and shrinks it, deterministically, to a scenario file of at most 50 orders that replays the
// failure; results do not depend on --workers; and the real engine passes a 1000-seed swarm of
// the flash sale (plus the crash the swarm once found, kept as a fixture).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { shrinkScenario, type RunFailure } from '../../src/analysis/shrink.js';
import { runSwarm } from '../../src/analysis/swarm.js';
import { drawVariation } from '../../src/analysis/swarm-variation.js';
import { getScenario, loadScenarioFile, parseScenarioText } from '../../src/scenarios/load.js';
import { swarmBlock, type Scenario } from '../../src/scenarios/schema.js';
import { simulate } from '../../src/sim/world.js';
import { runCli, spawnCli } from '../cli/helpers.js';

const FILE = 'scenarios.yaml';
const shipped = loadScenarioFile(FILE);
const flash = getScenario(shipped, 'flash-sale');
const pitfalls = getScenario(shipped, 'pitfalls');

describe('swarm variations', () => {
  it('are drawn from the seed alone: the same seed, the same variation; another seed, another', () => {
    expect(JSON.stringify(drawVariation(flash, 7))).toBe(JSON.stringify(drawVariation(flash, 7)));
    expect(JSON.stringify(drawVariation(flash, 8).scenario)).not.toBe(JSON.stringify(drawVariation(flash, 7).scenario));
  });

  it('turn every fault family on in some seeds and off in others', () => {
    const seen: Record<string, { on: number; off: number }> = {};
    const note = (family: string, on: boolean): void => {
      seen[family] ??= { on: 0, off: 0 };
      seen[family][on ? 'on' : 'off']++;
    };
    for (let seed = 1; seed <= 200; seed++) {
      const v = drawVariation(pitfalls, seed).scenario;
      const f = v.faults;
      note('serverErrorRate', f.serverErrorRate > 0);
      note('throttleRate', f.throttleRate > 0);
      note('timeoutRate', f.timeoutRate > 0);
      note('webhookDuplicateRate', f.webhookDuplicateRate > 0);
      note('webhookReorderWindowMs', f.webhookReorderWindowMs > 0);
      note('latencySpikes', f.latencySpikes.length > 0);
      note('outages', f.outages.length > 0);
      note('processorCrashes', f.processorCrashes.length > 0);
      note('dispatcherCrashes', f.dispatcherCrashes.length > 0);
      note('bursts', v.demand.bursts.length > pitfalls.demand.bursts.length);
      note('channel subset', v.channels.length < pitfalls.channels.length);
      note('listing buffer', v.strategies['pitfall-no-locking']!.listingPolicy.bufferUnits !== undefined);
    }
    for (const [family, n] of Object.entries(seen)) {
      expect(n.on, `${family} on`).toBeGreaterThan(40);
      expect(n.off, `${family} off`).toBeGreaterThan(40);
    }
  });

  it('are valid scenarios, for every shipped scenario', () => {
    for (const name of shipped.scenarios.keys()) {
      for (let seed = 1; seed <= 30; seed++) {
        const { name: n, ...spec } = drawVariation(getScenario(shipped, name), seed).scenario;
        expect(() => parseScenarioText(stringify({ scenarios: { [n]: spec } })), `${name} seed ${seed}`).not.toThrow();
      }
    }
  });

  it('stay within the scenario’s swarm: ranges', () => {
    const narrow: Scenario = { ...pitfalls, swarm: { ...swarmBlock.parse({}), serverErrorRateMax: 0.01, outagesMax: 0, processorCrashesMax: 1, burstsMax: 0, bufferUnitsMax: 0 } };
    for (let seed = 1; seed <= 100; seed++) {
      const v = drawVariation(narrow, seed).scenario;
      expect(v.faults.serverErrorRate).toBeLessThanOrEqual(0.01);
      expect(v.faults.outages).toEqual([]);
      expect(v.faults.processorCrashes.length).toBeLessThanOrEqual(1);
      expect(v.demand.bursts).toEqual(pitfalls.demand.bursts);
    }
  });
});

describe('shrinking', () => {
  it('keeps the failure, is bounded, and is deterministic', async () => {
    // A made-up failure: it shows while the scenario has at least 3 SKUs and the amazon channel.
    const run = (s: Scenario): Promise<RunFailure | null> =>
      Promise.resolve(s.catalog.skus >= 3 && s.channels.some((c) => c.id === 'amazon') ? { kinds: ['invariant:lost-update'], details: [] } : null);
    const validate = (s: Scenario): Scenario => s;
    const a = await shrinkScenario(pitfalls, { kinds: ['invariant:lost-update'], details: [] }, { maxAttempts: 500, run, validate });
    const b = await shrinkScenario(pitfalls, { kinds: ['invariant:lost-update'], details: [] }, { maxAttempts: 500, run, validate });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.scenario.catalog.skus).toBe(3);
    expect(a.scenario.channels.map((c) => c.id)).toEqual(['amazon']);
    expect(a.scenario.durationS).toBe(60);
    const bounded = await shrinkScenario(pitfalls, { kinds: ['invariant:lost-update'], details: [] }, { maxAttempts: 3, run, validate });
    expect(bounded.attempts).toBe(3);
  });

  it('does not trade the bug for another: a candidate that only fails differently is not taken', async () => {
    const run = (s: Scenario): Promise<RunFailure | null> =>
      Promise.resolve(s.catalog.skus >= 40 ? { kinds: ['invariant:lost-update'], details: [] } : { kinds: ['not-converged'], details: [] });
    const shrunk = await shrinkScenario(pitfalls, { kinds: ['invariant:lost-update', 'not-converged'], details: [] }, { maxAttempts: 500, run, validate: (s) => s });
    expect(shrunk.scenario.catalog.skus).toBe(40);
    expect(shrunk.failure.kinds).toEqual(['invariant:lost-update']);
  });
});

describe('invsim swarm', () => {
  const PITFALL_INVARIANT: Record<string, string> = {
    'pitfall-no-idempotency': 'invariant:mutation-applied-twice',
    'pitfall-no-locking': 'invariant:lost-update',
    'pitfall-silent-dlq-drop': 'invariant:update-lost-without-dlq',
    'pitfall-broadcast-before-persist': 'invariant:',
    'pitfall-overwriting-reconciliation': 'invariant:version-regression',
    'pitfall-fast-polling': 'invariant:version-regression',
  };

  it('finds every pitfall that breaks an invariant and shrinks it to at most 50 orders, replayable from the file', async () => {
    for (const [strategy, kind] of Object.entries(PITFALL_INVARIANT)) {
      const report = await runSwarm({ file: FILE, scenario: pitfalls, strategies: [strategy], seeds: [1, 2], workers: 1, shrinkFindings: 1, maxShrinkRuns: 300 });
      const found = report.findings.find((f) => f.shrunk !== undefined);
      expect(found, strategy).toBeDefined();
      const shrunk = found!.shrunk!;
      expect(shrunk.failure.kinds.some((k) => k.startsWith(kind)), `${strategy}: ${shrunk.failure.kinds.join(', ')}`).toBe(true);
      expect(shrunk.ordersPlaced, strategy).toBeLessThanOrEqual(50);
      const replay = await simulate(getScenario(parseScenarioText(shrunk.yaml), shrunk.name), { strategy, seed: found!.seed });
      expect(replay.orders.placed).toBe(shrunk.ordersPlaced);
      expect(replay.violations.some((v) => kind.endsWith(':') || `invariant:${v.invariant}` === kind), strategy).toBe(true);
    }
  }, 240_000);

  it('the real engine passes a 1000-seed swarm of the flash sale', async () => {
    const report = await runSwarm({ file: FILE, scenario: flash, strategies: ['event-driven'], seeds: Array.from({ length: 1000 }, (_, i) => i + 1), workers: 1, shrinkFindings: 1, maxShrinkRuns: 100 });
    expect(report.findings.map((f) => `seed ${f.seed}: ${f.failure.details.join('; ')}`)).toEqual([]);
    expect(report.runs).toBe(1000);
  }, 240_000);

  it('the crash the swarm found stays fixed: restarted workers take every message', async () => {
    const s = getScenario(loadScenarioFile('test/fixtures/sim/crash-restart-waiters.yaml'), 'crash-restart-waiters');
    const r = await simulate(s, { strategy: 'event-driven', seed: 137 });
    expect(r.violations).toEqual([]);
    expect(r.converged).toBe(true);
    expect(r.engine.processorRestarts).toBe(1);
  });

  it('gives the same JSON with 1 and 2 workers, writes the shrunk file, and exits 1 on a failure', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'invsim-swarm-'));
    const argv = (workers: number): string[] => ['swarm', FILE, '--scenario', 'pitfalls', '--strategies', 'pitfall-no-locking,correct', '--seeds', '6', '--workers', String(workers), '--shrink', '1', '--max-shrink-runs', '60', '--out', dir, '--json'];
    const one = await spawnCli(argv(1));
    const two = await spawnCli(argv(2));
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    expect(two.out).toBe(one.out);
    const doc = JSON.parse(one.out) as { findings: { strategy: string; shrunk: { file: string; scenario: string } | null }[]; runsBySeed: { strategy: string; failure: string[] | null }[] };
    expect(doc.runsBySeed.filter((r) => r.strategy === 'correct').every((r) => r.failure === null)).toBe(true);
    const shrunk = doc.findings.find((f) => f.shrunk !== null)!.shrunk!;
    expect(readFileSync(shrunk.file, 'utf8')).toMatch(/^# Shrunk by invsim swarm in \d+ steps/);
  }, 120_000);

  it('replays one seed with --seed, printing its variation', async () => {
    const r = await runCli(['swarm', FILE, '--scenario', 'flash-sale', '--strategies', 'event-driven', '--seed', '3', '--workers', '1', '--out', mkdtempSync(path.join(tmpdir(), 'invsim-swarm-'))]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('seed 3 varies flash-sale:');
    expect(r.out).toContain('1 runs (event-driven; seeds 3..3), 0 failed');
  });

  it('refuses bad input with the flag and the reason (exit 2)', async () => {
    for (const [args, message] of [
      [['--shrink', '-1'], /--shrink must be an integer >= 0/],
      [['--max-shrink-runs', '0'], /--max-shrink-runs must be an integer from 1/],
      [['--strategies', 'nope'], /no strategy nope/],
      [['--seeds', '0'], /--seeds must be an integer from 1/],
      [['--shard', '0/2'], /--shard 0\/2: the index i must be from 1 to n/],
      [['--shard', '1/2', '--shard-count', '2'], /--shard-count goes with --shard k8s/],
      [['--emit-k8s-job', '0'], /--emit-k8s-job must be an integer from 1/],
    ] as const) {
      const r = await runCli(['swarm', FILE, '--scenario', 'flash-sale', '--workers', '1', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
    }
  });
});
