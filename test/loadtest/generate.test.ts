// Proves that `invsim k6` output is usable as written: every shipped scenario's generated bundle
// compiles with the Babel 6.26 that k6 v0.48 embeds (babel-standalone@6.26.0, k6's one plugin),
// its script type-checks with tsc against the type definitions of k6 v0.48 and of the current k6
// (strict), it imports only k6 modules, and — run on a k6 stand-in against the real service — it
// loads the stock, sends orders and redeliveries the service accepts (signatures included),
// waits for the service to settle and reads /audit.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateK6Script, type GeneratedScript } from '../../src/loadtest/generate.js';
import { maxSpeedup, speedupLimits } from '../../src/loadtest/plan.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { verifySignature } from '../../src/serve/signature.js';
import { ROOT, SECRETS, audit, inventory, startTestServer, type TestServer } from '../serve/helpers.js';

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

  it('mirror the scenario: time-compressed demand, bursts at their moment and spread, thresholds from the assert block', () => {
    const flash = generated.get('flash-sale')!.config;
    expect(flash.speedup).toBe(30);
    expect(flash.durationMs).toBe(7_200_000 / 30);
    // Orders fall on the channels by their demand weights (3:2:1), as in the simulator.
    expect(flash.bursts).toEqual([{ name: 'burst_0', startTimeMs: 60_000, orders: 150, hotSkus: 3, spreadMs: 50, channels: [0, 1, 2], channelCdf: [0.5, 0.833333333, 1] }]);
    // Shopify redelivers at its own 1% plus the scenario's 5%, a second (compressed) or more later;
    // polled Amazon never, nor WooCommerce, which delivers each webhook once (maxDeliveryAttempts 1).
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

  describe('run on a k6 stand-in against the service', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(getScenario(file, 'flash-sale'), { faults: false, speedup: 30 });
    });
    afterAll(async () => {
      await server.close({ drainTimeoutMs: 2_000 });
    });

    it('loads the stock, sends accepted orders and redeliveries, waits for the service to settle, reads the audit', async () => {
      const g = generated.get('flash-sale')!;
      const bundle = join(ROOT, 'test-artifacts/loadtest/flash-sale.runner.mjs');
      await build({
        entryPoints: [join(ROOT, 'test/loadtest/k6-runner.ts')],
        outfile: bundle,
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        logLevel: 'silent',
        plugins: [
          {
            name: 'k6-stand-in',
            setup(b) {
              b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => ({ path: args.path, namespace: 'k6' }));
              b.onLoad({ filter: /.*/, namespace: 'k6' }, (args) => {
                const shim = JSON.stringify(join(ROOT, 'test/loadtest/k6-shim.ts'));
                const exports: Record<string, string> = {
                  k6: `export { check, randomSeed, sleep } from ${shim};`,
                  'k6/crypto': `export { hmac } from ${shim};`,
                  'k6/execution': `import { exec } from ${shim}; export default exec;`,
                  'k6/http': `import { http } from ${shim}; export default http;`,
                  'k6/metrics': `export { Counter, Gauge } from ${shim};`,
                };
                return { contents: exports[args.path] ?? `throw new Error('no stand-in for ${args.path}');`, resolveDir: ROOT, loader: 'js' };
              });
              b.onResolve({ filter: /script-under-test\.js$/ }, () => ({ path: g.tsFile }));
            },
          },
        ],
      });
      const env = { BASE_URL: server.url, WEBHOOK_SECRET: SECRETS.webhookSecret, ADMIN_TOKEN: SECRETS.adminToken };
      const result = await new Promise<{
        data: { runId: string; stockLoaded: number };
        options: { scenarios: Record<string, { executor: string; exec: string }> };
        state: {
          requests: { method: string; url: string; body: string | null; headers: Record<string, string>; tags: Record<string, string>; status: number; responseBody: string | null }[];
          checks: Record<string, { passes: number; fails: number }>;
          metrics: Record<string, number[]>;
          logs: string[];
        };
      }>((resolve, reject) => {
        const worker = new Worker(bundle, { workerData: { env, plan: { orders: 200, burst: 40, seed: 7 } } });
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`runner exited ${code}`))));
      });
      const { state } = result;

      // k6's options: one scenario per demand source, each calling an exported function.
      expect(Object.fromEntries(Object.entries(result.options.scenarios).map(([k, v]) => [k, `${v.executor}:${v.exec}`]))).toEqual({
        orders: 'ramping-arrival-rate:orders',
        burst_0: 'constant-arrival-rate:burst',
        surge: 'constant-arrival-rate:surge',
      });

      // setup loaded the simulator's initial stock on every SKU.
      expect(result.data.stockLoaded).toBe(g.config.skus.length);
      const loads = state.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/adjustments'));
      expect(loads.map((r) => [decodeURIComponent(r.url.split('/inventory/')[1]!.split('/')[0]!), (JSON.parse(r.body!) as { quantityDelta: number }).quantityDelta])).toEqual(
        g.config.skus.map((sku, i) => [sku, g.config.initialStock[i]]),
      );
      const coldest = await inventory(server.url, g.config.skus[g.config.skus.length - 1]!);
      expect(coldest.body.quantity).toBeLessThanOrEqual(g.config.initialStock[g.config.skus.length - 1]!);

      // Every webhook was acknowledged, every redelivery answered duplicate, every signature verifies.
      const webhooks = state.requests.filter((r) => r.tags['kind'] === 'webhook');
      const redeliveries = webhooks.filter((r) => r.tags['redelivery'] === 'true');
      expect(webhooks.length).toBe(240 + redeliveries.length);
      expect(redeliveries.length).toBeGreaterThan(0);
      expect(webhooks.every((r) => r.status === 200)).toBe(true);
      for (const r of webhooks) expect(verifySignature(r.headers['X-Invsim-Signature'], Buffer.from(r.body!), SECRETS.webhookSecret)).toEqual({ ok: true });
      expect(state.checks['webhook acknowledged (200 applied|duplicate|rejected)']).toEqual({ passes: 240, fails: 0 });
      expect(state.checks['redelivery answered duplicate']).toEqual({ passes: redeliveries.length, fails: 0 });
      expect(state.checks['stock adjustment applied']?.fails).toBe(0);

      // The service saw exactly these orders, and teardown put its audit into the gauges.
      const a = await audit(server.url);
      expect(a.orders.distinct).toBe(240);
      expect(a.orders.duplicates).toBe(redeliveries.length);
      expect(a.orders.applied + a.orders.rejected).toBe(240);
      expect((state.metrics['invsim_orders_applied'] ?? []).length).toBe(a.orders.applied);
      expect(state.metrics['invsim_integrity_violations']).toEqual([0]);
      expect(state.logs.some((l) => l.startsWith('invsim-audit {'))).toBe(true);
      expect(state.checks['service settled before the audit']).toEqual({ passes: 1, fails: 0 });
    });
  });
});
