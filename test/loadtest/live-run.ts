// One live run end to end, as a user makes it: `invsim serve --speedup N --storefront` in its own
// process, the bundle `invsim k6 --speedup N` writes run on the k6 stand-in (one instance, or N
// execution segments at once), the service's audit read after the run, and the live report
// built from the stand-in's --summary-export file and that audit. Used by live.test.ts and by
// `npx vite-node test/loadtest/live-check.ts SCENARIO [SPEEDUP] [SEEDS] [SEGMENTS]` to check a
// shipped scenario.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateK6Script, type GeneratedScript } from '../../src/loadtest/generate.js';
import { maxSpeedup, speedupLimits } from '../../src/loadtest/plan.js';
import { liveReport } from '../../src/cli/reports.js';
import { liveStrategy, type LiveResult } from '../../src/reports/live.js';
import type { AuditBody } from '../../src/serve/schemas.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { runStandIn, type StandInOptions, type StandInResult } from './standin/run.js';

const ROOT = new URL('../../', import.meta.url).pathname;
export const SECRETS = { webhookSecret: 'live-run-webhook-secret', adminToken: 'live-run-admin-token' };

export interface LiveRunOptions {
  readonly file: string;
  readonly scenario: string;
  readonly speedup?: number;
  readonly seed?: number;
  /** k6 instances (execution segments) run at once. */
  readonly segments?: number;
  /** Simulated seeds behind the prediction. */
  readonly seeds?: number;
  readonly outDir: string;
  readonly maxVUs?: number;
  /** The script's SETTLE_TIMEOUT_S (default: the generator's). */
  readonly settleTimeoutS?: number;
  readonly log?: (line: string) => void;
  /** Every request an instance sent and its answer (the stand-in's httpDebug). */
  readonly httpDebug?: StandInOptions['httpDebug'];
}

export interface LiveRun {
  readonly generated: GeneratedScript;
  readonly instances: readonly StandInResult[];
  readonly audit: AuditBody;
  readonly report: LiveResult;
  readonly summaryFiles: readonly string[];
}

interface Service {
  readonly url: string;
  readonly child: ChildProcess;
}

function startService(file: string, scenario: string, speedup: number, seed: number): Promise<Service> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/invsim.js'), 'serve', file, '--scenario', scenario, '--speedup', String(speedup), '--seed', String(seed), '--storefront', '--port', '0'],
    { env: { ...process.env, INVSIM_WEBHOOK_SECRET: SECRETS.webhookSecret, INVSIM_ADMIN_TOKEN: SECRETS.adminToken }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m !== null) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`invsim serve exited ${code}: ${err}`)));
  });
}

async function stopService(service: Service): Promise<void> {
  if (service.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
  service.child.kill('SIGTERM');
  await exited;
}

export async function liveRun(options: LiveRunOptions): Promise<LiveRun> {
  const log = options.log ?? (() => undefined);
  const scenario = getScenario(loadScenarioFile(options.file), options.scenario);
  const speedup = options.speedup ?? maxSpeedup(speedupLimits(scenario));
  const seed = options.seed ?? 1;
  const segments = options.segments ?? 1;
  mkdirSync(options.outDir, { recursive: true });
  const generated = await generateK6Script(scenario, {
    outDir: options.outDir,
    speedup,
    seed,
    httpP99Ms: 1000,
    parallelism: segments,
    generatedBy: `invsim k6 ${options.file} --scenario ${scenario.name} --speedup ${speedup} --seed ${seed}`,
  });
  const service = await startService(options.file, scenario.name, speedup, seed);
  log(`${scenario.name}: speedup ${speedup}, ${(generated.config.durationMs / 1000).toFixed(1)} s of load on ${service.url}, ${segments} instance(s)`);
  try {
    // SETTLE_TIMEOUT_S as a k6 run takes it, with -e.
    const settle = options.settleTimeoutS === undefined ? {} : { SETTLE_TIMEOUT_S: String(options.settleTimeoutS) };
    const env = { BASE_URL: service.url, WEBHOOK_SECRET: SECRETS.webhookSecret, ADMIN_TOKEN: SECRETS.adminToken, RESET: '1', ...settle };
    const summaryFiles = Array.from({ length: segments }, (_, i) => (segments === 1 ? generated.summaryFile : generated.summaryFile.replace(/\.json$/, `.${i}.json`)));
    const instances = await Promise.all(
      summaryFiles.map((summaryExport, index) =>
        runStandIn({
          script: generated.jsFile,
          env,
          summaryExport,
          ...(segments === 1 ? {} : { segment: { index, count: segments } }),
          ...(options.maxVUs === undefined ? {} : { maxVUs: options.maxVUs }),
          ...(options.httpDebug === undefined ? {} : { httpDebug: options.httpDebug }),
          stdout: (line) => log(`  [k6${segments === 1 ? '' : ` ${index}`}] ${line.slice(0, 300)}`),
        }),
      ),
    );
    const res = await fetch(`${service.url}/audit`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
    const audit = (await res.json()) as AuditBody;
    const auditFile = join(options.outDir, `${scenario.name}.audit.json`);
    writeFileSync(auditFile, JSON.stringify(audit, null, 2));
    const predicted = liveStrategy(scenario);
    const built = await liveReport({
      file: options.file,
      scenario: predicted.scenario,
      strategy: predicted.strategy,
      seeds: Array.from({ length: options.seeds ?? 10 }, (_, i) => i + 1),
      k6SummaryPaths: summaryFiles,
      auditPath: auditFile,
      command: 'live-run',
    });
    return { generated, instances, audit, report: built.json.result, summaryFiles };
  } finally {
    await stopService(service);
  }
}

/** `npx vite-node test/loadtest/live-check.ts SCENARIO [SPEEDUP] [SEEDS] [SEGMENTS]`: prints each measure's verdict. */
export async function liveCheck(argv: readonly string[]): Promise<void> {
  const [scenario, speedup, seeds, segments] = argv;
  if (scenario === undefined) throw new Error('usage: live-run.ts SCENARIO [SPEEDUP] [SEEDS] [SEGMENTS]');
  const run = await liveRun({
    file: join(ROOT, 'scenarios.yaml'),
    scenario,
    ...(speedup === undefined || speedup === '-' ? {} : { speedup: Number(speedup) }),
    seeds: seeds === undefined ? 10 : Number(seeds),
    segments: segments === undefined ? 1 : Number(segments),
    maxVUs: Number(process.env['MAX_VUS'] ?? 200),
    ...(process.env['SETTLE_TIMEOUT_S'] === undefined ? {} : { settleTimeoutS: Number(process.env['SETTLE_TIMEOUT_S']) }),
    outDir: join(ROOT, 'test-artifacts/live-run', scenario),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const r = run.report;
  for (const m of r.measures) {
    const p = m.predicted;
    process.stdout.write(
      `${m.id.padEnd(20)} live ${String(m.live).padEnd(12)} predicted ${p === null ? '-' : `${p.mean} [${p.pi95[0]}, ${p.pi95[1]}]`}  ${m.comparable ? (m.withinPrediction ? 'within' : 'OUTSIDE') : `not compared: ${m.reason}`}\n`,
    );
  }
  for (const c of r.channels) process.stdout.write(`  p99 ${c.channel}: live ${c.liveP99Ms} predicted ${c.predictedP99Ms?.mean} [${c.predictedP99Ms?.pi95.join(', ')}]\n`);
  for (const d of r.diagnostics) process.stdout.write(`diagnostic: ${d}\n`);
  process.stdout.write(`k6 exit codes ${run.instances.map((i) => i.exitCode).join(', ')}; thresholds ${r.live.k6.thresholds.map((t) => `${t.metric} ${t.expression} ${t.ok ? 'ok' : 'FAILED'}`).join('; ')}\n`);
  process.stdout.write(`audit: orders ${JSON.stringify(run.audit.orders)} oversells ${run.audit.oversells} violations ${run.audit.integrityViolations} dlq ${JSON.stringify(run.audit.dlq)} settled ${run.audit.settled}\n`);
  process.stdout.write(`audit: lost sales by channel ${JSON.stringify(run.audit.lostSalesByChannel)}, oversells by channel ${JSON.stringify(run.audit.oversellsByChannel)}\n`);
  process.stdout.write(`audit: order processing (scenario ms) ${JSON.stringify(run.audit.orderProcessingMs)}\n`);
}
