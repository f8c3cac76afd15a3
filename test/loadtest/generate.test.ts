// Proves that `invsim k6` output is usable as written: every shipped scenario's generated script
// type-checks with tsc and @types/k6 (strict), bundles to ES2019 with only k6 modules left as
// imports, and — run on a k6 stand-in against the real service — loads the stock, sends orders and
// redeliveries the service accepts (signatures included), reads /audit and writes its summaries.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build, transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateK6Script, type GeneratedScript } from '../../src/loadtest/generate.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { verifySignature } from '../../src/serve/signature.js';
import { ROOT, SECRETS, audit, inventory, startTestServer, type TestServer } from '../serve/helpers.js';

const OUT = join(ROOT, 'test-artifacts/loadtest/scripts');
const file = loadScenarioFile(join(ROOT, 'scenarios.yaml'));
const names = [...file.scenarios.keys()];

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
      generated.set(name, await generateK6Script(getScenario(file, name), { outDir: OUT, speedup: 60, seed: 1, httpP99Ms: 1000, generatedBy: `invsim k6 scenarios.yaml --scenario ${name} --speedup 60` }));
    }
  });

  it('covers every shipped scenario', () => {
    expect(names.length).toBeGreaterThan(3);
    expect([...generated.keys()].sort()).toEqual([...names].sort());
  });

  it('type-check with tsc and @types/k6 under strict settings', async () => {
    const tsc = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(OUT, 'tsconfig.json')], ROOT);
    expect(tsc.out).toBe('');
    expect(tsc.code).toBe(0);
    const lib = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'loadtest/tsconfig.json')], ROOT);
    expect(lib.out).toBe('');
    expect(lib.code).toBe(0);
  });

  it('bundle to ES2019 modules that import only k6', async () => {
    for (const [name, g] of generated) {
      const js = readFileSync(g.jsFile, 'utf8');
      const imports = [...js.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
      expect(new Set(imports), name).toEqual(new Set(['k6', 'k6/crypto', 'k6/execution', 'k6/http', 'k6/metrics']));
      // Re-parsing for ES2019 fails on any later syntax (?., ??, class fields, …).
      await expect(transform(js, { loader: 'js', format: 'esm', target: 'es2019', supported: { 'optional-chain': false, 'nullish-coalescing': false } })).resolves.toBeDefined();
      expect(js).toMatch(/export \{[^}]*\bdefault\b[^}]*\bhandleSummary\b[^}]*\boptions\b/s);
    }
  });

  it('mirror the scenario: time-compressed demand, bursts at their moment, thresholds from the assert block', () => {
    const flash = generated.get('flash-sale')!.config;
    expect(flash.durationMs).toBe(7_200_000 / 60);
    expect(flash.bursts).toEqual([{ name: 'burst_0', startTimeMs: 30_000, orders: 150, hotSkus: 3, spreadMs: 1500, channels: [0, 1, 2] }]);
    expect(flash.thresholds['invsim_integrity_violations']).toEqual(['value==0']);
    expect(flash.notMirrored.some((m) => m.startsWith('converged'))).toBe(true);
    const outage = generated.get('marketplace-outage')!.config;
    expect(outage.thresholds['invsim_dlq_parked']).toEqual(['value>0']);
  });

  describe('run on a k6 stand-in against the service', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(getScenario(file, 'flash-sale'), { faults: false });
    });
    afterAll(async () => {
      await server.close({ drainTimeoutMs: 2_000 });
    });

    it('loads the stock, sends accepted orders and redeliveries, reads the audit, writes both summaries', async () => {
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
                  k6: `export { check, sleep } from ${shim};`,
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
        summary: Record<string, string>;
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

      // handleSummary: text on stdout, the JSON document under its file name.
      expect(result.summary['stdout']).toContain("✓ checks rate>0.99");
      expect(JSON.parse(result.summary['flash-sale.summary.json']!)).toMatchObject({ state: { testRunDurationMs: 1234 } });
    });
  });
});
