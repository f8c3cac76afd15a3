// Proves that `invsim k6` output is usable as written: every shipped scenario's generated bundle
// compiles with the Babel 6.26 that k6 v0.48 embeds (babel-standalone@6.26.0, k6's one plugin),
// its script type-checks with tsc against the type definitions of k6 v0.48 and of the current k6
// (strict), it imports only k6 modules, and its k6 options give every demand source its own k6
// scenario calling a function the bundle exports. (Its life cycle against the real service — stock
// load, signed orders and redeliveries, settled audit — runs on the k6 stand-in in live.test.ts.)
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOptions } from '../../loadtest/lib/options.js';
import { generateK6Script, type GeneratedScript } from '../../src/loadtest/generate.js';
import { maxSpeedup, speedupLimits } from '../../src/loadtest/plan.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { ROOT } from '../serve/helpers.js';

const OUT = join(ROOT, 'test-artifacts/loadtest/scripts');
const file = loadScenarioFile(join(ROOT, 'scenarios.yaml'));
const names = [...file.scenarios.keys()];

/** k6 v0.48's compiler: Babel 6.26 standalone with only transform-es2015-modules-commonjs (loose false). */
const Babel = createRequire(import.meta.url)('babel-standalone') as { version: string; transform(src: string, options: object): { code: string } };
function k6v048Compile(source: string): void {
  Babel.transform(source, { plugins: [['transform-es2015-modules-commonjs', { loose: false }]], babelrc: false });
}

/** The speedup each scenario is generated at here: 30, or less where the scenario allows less. */
function speedupFor(name: string): number {
  return Math.min(30, maxSpeedup(speedupLimits(getScenario(file, name))));
}

function run(command: string, args: readonly string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out: `${stdout}${stderr}` });
    });
  });
}

describe('generated k6 scripts', () => {
  const generated = new Map<string, GeneratedScript>();
  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true });
    for (const name of names) {
      const speedup = speedupFor(name);
      generated.set(name, await generateK6Script(getScenario(file, name), { outDir: OUT, speedup, seed: 1, httpP99Ms: 1000, generatedBy: `invsim k6 scenarios.yaml --scenario ${name} --speedup ${speedup}` }));
    }
  });

  it('covers every shipped scenario', () => {
    expect(names.length).toBeGreaterThan(3);
    expect([...generated.keys()].sort()).toEqual([...names].sort());
  });

  it('type-check with tsc against the type definitions of k6 v0.48 and of the current k6, under strict settings', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const v048 = join(OUT, 'tsconfig.k6-v0.48.json');
    writeFileSync(
      v048,
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { types: ['k6-v0.48'], typeRoots: [join(ROOT, 'node_modules/@types')], paths: { k6: [join(ROOT, 'node_modules/@types/k6-v0.48/index.d.ts')], 'k6/*': [join(ROOT, 'node_modules/@types/k6-v0.48/*')] } },
      }),
    );
    for (const project of [join(OUT, 'tsconfig.json'), v048, join(ROOT, 'loadtest/tsconfig.json'), join(ROOT, 'loadtest/tsconfig.k6-v0.48.json')]) {
      const result = await run(process.execPath, [tsc, '-p', project], ROOT);
      expect(result.out, project).toBe('');
      expect(result.code, project).toBe(0);
    }
  });

  it("compile with k6 v0.48's Babel 6.26, which refuses what the old ES2019 bundles held", () => {
    expect(Babel.version).toBe('6.26.0');
    // The gate has teeth: the syntax that made every ES2019 bundle fail on k6 v0.48.
    expect(() => k6v048Compile('export function f(s) { try { return JSON.parse(s); } catch { return null; } }')).toThrow(/Unexpected token/);
    expect(() => k6v048Compile('export const g = (a) => ({ ...a, b: 1 });')).toThrow(/Unexpected token/);
    for (const [name, g] of generated) {
      expect(() => k6v048Compile(readFileSync(g.jsFile, 'utf8')), name).not.toThrow();
    }
  });

  it('import only k6 modules and export what k6 runs', () => {
    for (const [name, g] of generated) {
      const js = readFileSync(g.jsFile, 'utf8');
      const imports = [...js.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
      expect(new Set(imports), name).toEqual(new Set(['k6', 'k6/crypto', 'k6/execution', 'k6/http', 'k6/metrics']));
      expect(js).toMatch(/export \{[^}]*\bdefault\b[^}]*\boptions\b[^}]*\bsetup\b[^}]*\bteardown\b/s);
      // k6 prints its own end-of-test summary (checks tree, units): no handleSummary of ours.
      expect(js).not.toMatch(/handleSummary/);
    }
  });

  it('give every demand source its own k6 scenario, calling a function the bundle exports', () => {
    const scenariosOf = (name: string): Record<string, string> =>
      Object.fromEntries(Object.entries(buildOptions(generated.get(name)!.config).scenarios).map(([k, v]) => [k, `${v.executor}:${v.exec}`]));
    // flash-sale: steady demand, one burst spread over 50 ms (compressed), a surge.
    expect(scenariosOf('flash-sale')).toEqual({
      orders: 'ramping-arrival-rate:orders',
      burst_0: 'constant-arrival-rate:burst',
      surge: 'constant-arrival-rate:surge',
    });
    for (const [name, g] of generated) {
      const exported = new Set([...readFileSync(g.jsFile, 'utf8').matchAll(/^export \{([^}]*)\};?$/gm)].flatMap((m) => m[1]!.split(',').map((e) => e.trim().split(/\s+as\s+/).pop()!)));
      const execs = Object.values(buildOptions(g.config).scenarios).map((v) => v.exec);
      expect(execs.length, name).toBeGreaterThan(0);
      for (const exec of execs) expect(exported, `${name}: ${exec}`).toContain(exec);
    }
  });

  it('mirror the scenario: time-compressed demand, bursts at their moment and spread, thresholds from the assert block', () => {
    const flash = generated.get('flash-sale')!.config;
    expect(flash.speedup).toBe(30);
    expect(flash.durationMs).toBe(7_200_000 / 30);
    // Orders fall on the channels by their demand weights (3:2:1), as in the simulator.
    expect(flash.bursts).toEqual([{ name: 'burst_0', startTimeMs: 60_000, orders: 150, hotSkus: 3, spreadMs: 50, channels: [0, 1, 2], channelCdf: [0.5, 0.833333333, 1] }]);
    // Shopify redelivers at its own 1% plus the scenario's 5%, a second (compressed) or more later;
    // polled Amazon never, and WooCommerce never either: it does not redeliver (maxDeliveryAttempts 1).
    expect(flash.channels.map((c) => [c.id, c.duplicateRate, c.redeliveryMinMs, c.redeliverySpreadMs])).toEqual([
      ['shopify', 0.06, 1000 / 30, 144_000 / 30],
      ['amazon', 0, 1000 / 30, 0],
      ['woo', 0, 1000 / 30, 0],
    ].map(([id, rate, min, spread]) => [id, rate, Math.round((min as number) * 1000) / 1000, Math.round((spread as number) * 1000) / 1000]));
    expect(flash.thresholds['invsim_integrity_violations']).toEqual(['value==0']);
    expect(flash.notMirrored.some((m) => m.startsWith('converged'))).toBe(true);
    const outage = generated.get('marketplace-outage')!.config;
    expect(outage.thresholds['invsim_dlq_parked']).toEqual(['value>0']);
  });
});
