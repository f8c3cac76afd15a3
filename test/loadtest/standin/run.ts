// A k6 stand-in runner: runs a k6 script (an ES module importing k6, k6/http, k6/crypto,
// k6/execution, k6/metrics) the way `k6 run` does, on Node. The script is bundled with esbuild
// onto vu.ts; every VU is a worker thread that evaluates it once (its init context) and runs
// iterations synchronously; HTTP goes through the main thread (one client per VU). Life cycle,
// executors, VU pool, dropped iterations, execution segments, metrics, thresholds, exit codes and
// both summary shapes follow k6's own code; runStandIn's doc comment lists what is not reproduced.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { build, type Plugin } from 'esbuild';
import { VuHttpClient, runBatch } from './http-client.js';
import { DEFAULT_TREND_STATS, MetricsEngine, legacyExport, validateTrendStats, type LegacySummaryExport, type SummaryData } from './metrics.js';
import { LIVE, type FromVu, type HttpAnswer, type HttpRequestSpec, type MetricDef, type ProgressSpec, type Sample, type ToVu, type VuWorkerData } from './protocol.js';
import {
  constantArrivals,
  globalIndex,
  parseDuration,
  rampingArrivals,
  scaleCount,
  segmentStrings,
  validateSegment,
  type Arrival,
  type Segment,
} from './schedule.js';

export type { LegacySummaryExport, SummaryData } from './metrics.js';

export interface StandInOptions {
  /** Path to an ES-module k6 script (the bundle `invsim k6` writes, or any k6 script). */
  readonly script: string;
  /** __ENV. */
  readonly env: Record<string, string>;
  /** This instance is segment index/count of an execution-segmented run. */
  readonly segment?: { readonly index: number; readonly count: number };
  /** Cap on VU threads actually started (default 48; the setup/teardown VU 0 not counted). */
  readonly maxVUs?: number;
  /** Write k6's legacy --summary-export JSON here. */
  readonly summaryExport?: string;
  /** Console output of the script, line by line (default: collect only). */
  readonly stdout?: (line: string) => void;
  /** Base of relative handleSummary() file names (default process.cwd(), as k6). */
  readonly cwd?: string;
  /** Every request as sent and its answer, once answered: what `k6 run --http-debug=full` prints, as data. */
  readonly httpDebug?: (request: HttpRequestSpec, answer: HttpAnswer) => void;
}

export interface StandInResult {
  /** 0 ok; 99 a threshold failed; 100/101 setup/teardown timed out; 104 invalid options; 107 the script threw in init/setup/teardown; 108 exec.test.abort(). */
  readonly exitCode: number;
  /** The same object written to summaryExport. */
  readonly summary: LegacySummaryExport;
  readonly logs: readonly string[];
  /** Completed iterations per k6 scenario name. */
  readonly iterations: Readonly<Record<string, number>>;
  readonly droppedIterations: number;
  /** iterationInTest values run, per scenario. */
  readonly iterationIds: Readonly<Record<string, readonly number[]>>;
  /** What handleSummary() returned (file name or stdout/stderr → content), or null. */
  readonly handleSummaryOutput: Readonly<Record<string, string>> | null;
  /** The data handed (or that would be handed) to handleSummary(). */
  readonly summaryData: SummaryData;
  /** The script's exported `options` as the stand-in read them (JSON values); {} when its init context failed. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** k6's exit codes (errext/exitcodes). */
export const EXIT = {
  OK: 0,
  THRESHOLDS_FAILED: 99,
  SETUP_TIMEOUT: 100,
  TEARDOWN_TIMEOUT: 101,
  INVALID_CONFIG: 104,
  SCRIPT_EXCEPTION: 107,
  SCRIPT_ABORTED: 108,
} as const;

const VU_SOURCE = fileURLToPath(new URL('./vu.ts', import.meta.url));

const K6_MODULES: Record<string, string> = {
  k6: `import { k6 } from './vu.mjs'; export const { check, fail, group, randomSeed, sleep } = k6; export default k6;`,
  'k6/http': `import { http } from './vu.mjs'; export const { request, get, head, options, del, post, put, patch, batch, expectedStatuses, setResponseCallback, file } = http; export default http;`,
  'k6/crypto': `import { crypto } from './vu.mjs'; export const { hmac, md4, md5, sha1, sha256, sha384, sha512, sha512_224, sha512_256, ripemd160, randomBytes } = crypto; export default crypto;`,
  'k6/execution': `import { exec } from './vu.mjs'; export default exec;`,
  'k6/metrics': `import { Counter, Gauge, Rate, Trend } from './vu.mjs'; export { Counter, Gauge, Rate, Trend }; export default { Counter, Gauge, Rate, Trend };`,
  'k6/encoding': `import { encoding } from './vu.mjs'; export const { b64encode, b64decode } = encoding; export default encoding;`,
  'k6/data': `import { SharedArray } from './vu.mjs'; export { SharedArray }; export default { SharedArray };`,
};

function k6Plugin(outDir: string): Plugin {
  return {
    name: 'k6-stand-in',
    setup(b) {
      b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => ({ path: args.path, namespace: 'k6' }));
      b.onResolve({ filter: /^\.\/vu\.mjs$/, namespace: 'k6' }, () => ({ path: './vu.mjs', external: true }));
      b.onResolve({ filter: /^https?:\/\// }, (args) => ({ errors: [{ text: `remote module ${args.path}: the k6 stand-in runs offline` }] }));
      b.onLoad({ filter: /.*/, namespace: 'k6' }, (args) => {
        const contents = K6_MODULES[args.path];
        if (contents === undefined) return { errors: [{ text: `the k6 stand-in has no module "${args.path}"` }] };
        return { contents, loader: 'js', resolveDir: outDir };
      });
    },
  };
}

async function bundle(script: string, outDir: string): Promise<void> {
  const common = { bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent' } as const;
  await build({ ...common, entryPoints: [VU_SOURCE], outfile: join(outDir, 'vu.mjs') });
  await build({ ...common, entryPoints: [script], outfile: join(outDir, 'script.mjs'), sourcemap: 'inline', plugins: [k6Plugin(outDir)] });
}

// ---------------------------------------------------------------------------------------------
// Scenario plans (options.scenarios, normalized and scaled to this instance's segment)

interface BasePlan {
  readonly name: string;
  readonly executor: string;
  readonly exec: string;
  readonly startTimeMs: number;
  readonly gracefulStopMs: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  /** VUs this instance plans for the scenario, and how long it may hold them (k6's execution plan). */
  readonly plannedVUs: number;
  readonly windowMs: number;
  readonly progress: ProgressSpec;
}
interface ArrivalPlan extends BasePlan {
  readonly kind: 'arrival';
  readonly durationMs: number;
  readonly maxVUs: number;
  readonly arrivals: () => Generator<Arrival>;
}
interface SharedPlan extends BasePlan {
  readonly kind: 'shared';
  readonly vus: number;
  readonly iterations: number;
  readonly maxDurationMs: number;
}
interface PerVuPlan extends BasePlan {
  readonly kind: 'per-vu';
  readonly vus: number;
  readonly iterations: number;
  readonly maxDurationMs: number;
}
interface ConstantVusPlan extends BasePlan {
  readonly kind: 'constant-vus';
  readonly vus: number;
  readonly durationMs: number;
}
type Plan = ArrivalPlan | SharedPlan | PerVuPlan | ConstantVusPlan;

class ConfigError extends Error {}

function int(v: unknown, what: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ConfigError(`${what} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function stringRecord(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object') throw new ConfigError(`${what} must be an object`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
}

function duration(v: unknown, what: string, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  try {
    return parseDuration(v, what);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

/** options without `scenarios`: k6's execution shortcuts (vus, iterations, duration). */
function shortcutScenarios(options: Record<string, unknown>): Record<string, Record<string, unknown>> {
  if (options['stages'] !== undefined) throw new ConfigError('the k6 stand-in does not support `stages` (ramping-vus)');
  const vus = options['vus'] ?? 1;
  if (options['iterations'] !== undefined) return { default: { executor: 'shared-iterations', vus, iterations: options['iterations'], maxDuration: options['duration'] ?? '10m' } };
  if (options['duration'] !== undefined) return { default: { executor: 'constant-vus', vus, duration: options['duration'] } };
  return { default: { executor: 'per-vu-iterations', vus, iterations: 1 } };
}

function planScenarios(options: Record<string, unknown>, exportsList: readonly string[], segment: Segment | undefined): Plan[] {
  const raw = options['scenarios'] === undefined ? shortcutScenarios(options) : options['scenarios'];
  if (typeof raw !== 'object' || raw === null) throw new ConfigError('options.scenarios must be an object');
  const plans: Plan[] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[0-9a-zA-Z_-]+$/.test(name)) throw new ConfigError(`scenario name "${name}" may only contain letters, digits, '_' and '-'`);
    const c = value as Record<string, unknown>;
    const executor = String(c['executor']);
    const exec = c['exec'] === undefined ? 'default' : String(c['exec']);
    if (!exportsList.includes(exec)) throw new ConfigError(`executor ${name}: function '${exec}' not found in exports`);
    const base = {
      name,
      executor,
      exec,
      startTimeMs: duration(c['startTime'], `${name}.startTime`, 0),
      gracefulStopMs: duration(c['gracefulStop'], `${name}.gracefulStop`, 30_000),
      tags: stringRecord(c['tags'], `${name}.tags`),
      env: stringRecord(c['env'], `${name}.env`),
    };
    switch (executor) {
      case 'constant-arrival-rate':
      case 'ramping-arrival-rate': {
        const timeUnitMs = duration(c['timeUnit'], `${name}.timeUnit`, 1000);
        const pre = int(c['preAllocatedVUs'], `${name}.preAllocatedVUs`, 0);
        const max = c['maxVUs'] === undefined ? pre : int(c['maxVUs'], `${name}.maxVUs`, pre);
        let durationMs: number;
        let arrivals: () => Generator<Arrival>;
        if (executor === 'constant-arrival-rate') {
          durationMs = duration(c['duration'], `${name}.duration`);
          const rate = int(c['rate'], `${name}.rate`, 0);
          arrivals = () => constantArrivals(rate, timeUnitMs, durationMs, segment);
        } else {
          if (!Array.isArray(c['stages']) || c['stages'].length === 0) throw new ConfigError(`${name}.stages must be a non-empty array`);
          const stages = (c['stages'] as Record<string, unknown>[]).map((s, i) => ({ durationMs: duration(s['duration'], `${name}.stages[${i}].duration`), target: int(s['target'], `${name}.stages[${i}].target`, 0) }));
          const startRate = c['startRate'] === undefined ? 0 : int(c['startRate'], `${name}.startRate`, 0);
          durationMs = stages.reduce((t, s) => t + s.durationMs, 0);
          arrivals = () => rampingArrivals(startRate, timeUnitMs, stages, segment);
        }
        const maxVUs = scaleCount(max, segment);
        plans.push({
          ...base,
          kind: 'arrival',
          durationMs,
          maxVUs,
          arrivals,
          plannedVUs: Math.min(scaleCount(pre, segment), maxVUs),
          windowMs: durationMs + base.gracefulStopMs,
          progress: { kind: 'time', durationMs },
        });
        break;
      }
      case 'shared-iterations': {
        const vus = scaleCount(c['vus'] === undefined ? 1 : int(c['vus'], `${name}.vus`, 0), segment);
        const iterations = scaleCount(c['iterations'] === undefined ? 1 : int(c['iterations'], `${name}.iterations`, 0), segment);
        const maxDurationMs = duration(c['maxDuration'], `${name}.maxDuration`, 600_000);
        plans.push({ ...base, kind: 'shared', vus, iterations, maxDurationMs, plannedVUs: vus, windowMs: maxDurationMs + base.gracefulStopMs, progress: { kind: 'count', total: iterations } });
        break;
      }
      case 'per-vu-iterations': {
        const vus = scaleCount(c['vus'] === undefined ? 1 : int(c['vus'], `${name}.vus`, 0), segment);
        const iterations = c['iterations'] === undefined ? 1 : int(c['iterations'], `${name}.iterations`, 0);
        const maxDurationMs = duration(c['maxDuration'], `${name}.maxDuration`, 600_000);
        plans.push({ ...base, kind: 'per-vu', vus, iterations, maxDurationMs, plannedVUs: vus, windowMs: maxDurationMs + base.gracefulStopMs, progress: { kind: 'count', total: vus * iterations } });
        break;
      }
      case 'constant-vus': {
        const vus = scaleCount(c['vus'] === undefined ? 1 : int(c['vus'], `${name}.vus`, 0), segment);
        const durationMs = duration(c['duration'], `${name}.duration`);
        plans.push({ ...base, kind: 'constant-vus', vus, durationMs, plannedVUs: vus, windowMs: durationMs + base.gracefulStopMs, progress: { kind: 'time', durationMs } });
        break;
      }
      default:
        throw new ConfigError(`executor "${executor}" of scenario ${name} is not supported by the k6 stand-in`);
    }
  }
  return plans;
}

/** The most VUs the plan holds at once (k6 initializes that many before setup). */
function maxPlannedVUs(plans: readonly Plan[]): number {
  const events: [number, number][] = [];
  for (const p of plans) {
    if (p.plannedVUs === 0) continue;
    events.push([p.startTimeMs, p.plannedVUs], [p.startTimeMs + p.windowMs, -p.plannedVUs]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of events) {
    now += d;
    max = Math.max(max, now);
  }
  return max;
}

// ---------------------------------------------------------------------------------------------
// VUs

type Done = Extract<FromVu, { kind: 'done' }>;
interface Ready {
  readonly metrics: readonly MetricDef[];
  readonly options: Record<string, unknown>;
  readonly exports: readonly string[];
}

class Vu {
  readonly worker: Worker;
  readonly client = new VuHttpClient();
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  state: 'starting' | 'idle' | 'busy' | 'dead' = 'starting';
  hasSetupData = false;
  readonly ready: Promise<Ready>;
  private pending: ((d: Done | null) => void) | null = null;

  constructor(
    private readonly run: TestRun,
    readonly idInInstance: number,
    readonly idInTest: number,
  ) {
    run.created.add(this);
    const channel = new MessageChannel();
    this.port = channel.port1;
    const flag = new SharedArrayBuffer(4);
    this.flag = new Int32Array(flag);
    const data: VuWorkerData = {
      scriptUrl: pathToFileURL(join(run.outDir, 'script.mjs')).href,
      scriptDir: dirname(resolve(run.options.script)),
      idInInstance,
      idInTest,
      env: run.options.env,
      flag,
      live: run.liveBuffer,
      port: channel.port2,
      ...segmentStrings(run.segment),
    };
    this.worker = new Worker(join(run.outDir, 'vu.mjs'), { workerData: data, transferList: [channel.port2], stdout: false, stderr: false });
    this.ready = new Promise<Ready>((resolveReady, rejectReady) => {
      this.worker.on('message', (m: FromVu) => {
        switch (m.kind) {
          case 'ready':
            this.state = 'idle';
            resolveReady({ metrics: m.metrics, options: m.options as Record<string, unknown>, exports: m.exports });
            return;
          case 'init-error':
            rejectReady(new Error(m.error));
            this.kill();
            return;
          case 'log':
            this.run.consoleLine(m.level, m.line);
            return;
          case 'http':
            this.run.engine.ingest(m.samples);
            void runBatch(this.client, m.requests, this.run.batch, this.run.batchPerHost).then((answers) => {
              const debug = this.run.options.httpDebug;
              if (debug !== undefined) m.requests.forEach((request, i) => debug(request, answers[i]!));
              if (this.state === 'dead') return;
              this.port.postMessage({ answers });
              Atomics.store(this.flag, 0, 1);
              Atomics.notify(this.flag, 0);
            });
            return;
          case 'done': {
            this.run.engine.ingest(m.samples);
            const p = this.pending;
            this.pending = null;
            p?.(m);
            return;
          }
        }
      });
      this.worker.on('error', (error) => {
        rejectReady(error);
        this.run.log('error', `VU ${idInInstance}: ${error.stack ?? String(error)}`);
        this.kill();
      });
      this.worker.on('exit', () => {
        rejectReady(new Error(`VU ${idInInstance} exited`));
        this.markDead();
      });
    });
    this.ready.catch(() => undefined);
  }

  post(cmd: ToVu): void {
    this.worker.postMessage(cmd);
  }

  /** Sends a command that answers `done`; resolves null when the VU is stopped first. */
  command(cmd: ToVu): Promise<Done | null> {
    if (this.state === 'dead') return Promise.resolve(null);
    return new Promise<Done | null>((res) => {
      this.pending = res;
      this.state = 'busy';
      this.post(cmd);
    }).then((d) => {
      if (this.state !== 'dead') this.state = 'idle';
      return d;
    });
  }

  private markDead(): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    this.client.close();
    this.port.close();
    const p = this.pending;
    this.pending = null;
    p?.(null);
    this.run.pool.forget(this);
  }

  /** Hard stop (k6 interrupts the VU's context): the worker is terminated. */
  kill(): void {
    if (this.state === 'dead') return;
    this.markDead();
    void this.worker.terminate();
  }
}

class Pool {
  private readonly alive = new Set<Vu>();
  private readonly free: Vu[] = [];
  private nextId = 1;
  constructor(
    private readonly run: TestRun,
    private readonly cap: number,
  ) {}

  get initialized(): number {
    return this.alive.size;
  }

  /** A new VU, initialized; null when the cap is reached or its init context threw. */
  async spawn(): Promise<Vu | null> {
    if (this.alive.size >= this.cap) return null;
    const id = this.nextId++;
    const vu = new Vu(this.run, id, globalIndex(id - 1, this.run.segment) + 1);
    this.alive.add(vu);
    this.run.publishLive();
    try {
      await vu.ready;
      return vu;
    } catch (error) {
      this.run.initFailure(error);
      vu.kill();
      return null;
    }
  }

  async prestart(n: number): Promise<void> {
    const vus = await Promise.all(Array.from({ length: Math.min(n, this.cap) }, () => this.spawn()));
    for (const vu of vus) if (vu !== null) this.free.push(vu);
  }

  /** Up to n VUs: free ones first, then new ones within the cap. */
  async acquire(n: number): Promise<Vu[]> {
    const out = this.free.splice(0, n).filter((v) => v.state !== 'dead');
    const more = await Promise.all(Array.from({ length: Math.max(0, Math.min(n - out.length, this.cap - this.alive.size)) }, () => this.spawn()));
    for (const vu of more) if (vu !== null) out.push(vu);
    return out;
  }

  /** k6's GetUnplannedVU: a free VU if there is one, else a new one. */
  async unplanned(): Promise<Vu | null> {
    const free = this.free.pop();
    if (free !== undefined) return free;
    return this.spawn();
  }

  release(vu: Vu): void {
    if (vu.state !== 'dead' && !this.free.includes(vu)) this.free.push(vu);
  }

  forget(vu: Vu): void {
    this.alive.delete(vu);
    const i = this.free.indexOf(vu);
    if (i >= 0) this.free.splice(i, 1);
    this.run.publishLive();
  }

  killAll(): void {
    for (const vu of [...this.alive]) vu.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// The test run

interface ScenarioRun {
  readonly plan: Plan;
  readonly tags: Record<string, string>;
  readonly metricTags: Record<string, string>;
  readonly held: Set<Vu>;
  readonly idle: Vu[];
  readonly running: Map<Vu, Promise<void>>;
  readonly ids: number[];
  startEpochMs: number;
  started: number;
  completed: number;
  dropped: number;
  closed: boolean;
}

class TestRun {
  readonly engine = new MetricsEngine();
  readonly logs: string[] = [];
  readonly liveBuffer = new SharedArrayBuffer(LIVE.slots * 8);
  private readonly live = new Float64Array(this.liveBuffer);
  readonly segment: Segment | undefined;
  readonly pool: Pool;
  /** Every VU ever started, VU 0 included, so that none outlives the run. */
  readonly created = new Set<Vu>();
  batch = 20;
  batchPerHost = 6;
  private runTags: Record<string, string> = {};
  private readonly wakers = new Set<() => void>();
  private stopped: { code: number; reason: string } | null = null;
  private initError: string | null = null;
  private completed = 0;
  private interrupted = 0;
  private readonly scenarioRuns: ScenarioRun[] = [];
  private scriptOptions: Record<string, unknown> = {};

  constructor(
    readonly options: StandInOptions,
    readonly outDir: string,
  ) {
    this.segment = options.segment;
    this.pool = new Pool(this, options.maxVUs ?? 48);
  }

  log(level: 'info' | 'warn' | 'error', line: string): void {
    const text = level === 'info' ? line : `${level === 'warn' ? 'WARN' : 'ERROR'} ${line}`;
    this.logs.push(text);
    this.options.stdout?.(text);
  }

  consoleLine(level: 'info' | 'warn' | 'error' | 'debug', line: string): void {
    if (level !== 'debug') this.log(level, line); // k6 prints console.debug only with --verbose
  }

  initFailure(error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    if (this.initError === null) this.initError = text;
  }

  publishLive(): void {
    let active = 0;
    for (const s of this.scenarioRuns) if (!s.closed) active += s.held.size;
    this.live[LIVE.vusActive] = active;
    this.live[LIVE.vusInitialized] = this.pool.initialized;
    this.live[LIVE.iterationsCompleted] = this.completed;
    this.live[LIVE.iterationsInterrupted] = this.interrupted;
  }

  private vusSamples(): Sample[] {
    this.publishLive();
    return [
      ['vus', this.live[LIVE.vusActive]!, this.runTags],
      ['vus_max', this.pool.initialized, this.runTags],
    ];
  }

  /** Sleeps, waking early when the test is stopped. */
  sleep(ms: number): Promise<void> {
    if (this.stopped !== null || ms <= 0) return Promise.resolve();
    return new Promise<void>((res) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        res();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /** Stops the test now (k6: test.abort() or an abortOnFail threshold): running iterations are interrupted. */
  stop(code: number, reason: string): void {
    if (this.stopped !== null) return;
    this.stopped = { code, reason };
    this.log('error', reason);
    for (const wake of [...this.wakers]) wake();
    for (const s of this.scenarioRuns) for (const vu of s.running.keys()) vu.kill();
  }

  private startIteration(sr: ScenarioRun, vu: Vu, setupJson: string | undefined): Promise<void> {
    const local = sr.started++;
    const n = globalIndex(local, this.segment);
    sr.ids.push(n);
    if (!vu.hasSetupData) {
      vu.post({ kind: 'setup-data', json: setupJson });
      vu.hasSetupData = true;
    }
    const p = vu
      .command({
        kind: 'run',
        fn: sr.plan.exec,
        scenario: { name: sr.plan.name, executor: sr.plan.executor, startTime: sr.startEpochMs, iterationInInstance: local, iterationInTest: n, progress: sr.plan.progress },
        env: sr.plan.env,
        tags: sr.tags,
      })
      .then((done) => {
        sr.running.delete(vu);
        if (done === null) {
          this.interrupted++;
        } else if (done.abort !== null) {
          this.interrupted++;
          this.stop(EXIT.SCRIPT_ABORTED, done.abort);
        } else {
          if (done.error !== null) this.log('error', `${done.error}  executor=${sr.plan.executor} scenario=${sr.plan.name} source=stacktrace`);
          sr.completed++;
          this.completed++;
        }
        this.publishLive();
      });
    sr.running.set(vu, p);
    return p;
  }

  /** Waits up to gracefulStop for running iterations, then interrupts the rest. */
  private async gracefulStop(sr: ScenarioRun): Promise<void> {
    if (sr.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(sr.running.values()), new Promise<void>((res) => (timer = setTimeout(res, sr.plan.gracefulStopMs)))]);
      clearTimeout(timer);
    }
    for (const vu of [...sr.running.keys()]) vu.kill();
    await Promise.all(sr.running.values());
  }

  private hold(sr: ScenarioRun, vus: readonly Vu[]): void {
    for (const vu of vus) {
      sr.held.add(vu);
      sr.idle.push(vu);
    }
    // k6 samples vus/vus_max every second; sampling at each change as well keeps min/max exact.
    this.engine.ingest(this.vusSamples());
  }

  private closeScenario(sr: ScenarioRun): void {
    sr.closed = true;
    for (const vu of sr.held) this.pool.release(vu);
    sr.held.clear();
    sr.idle.length = 0;
    this.engine.ingest(this.vusSamples());
  }

  private async runArrival(sr: ScenarioRun, p: ArrivalPlan, setupJson: string | undefined): Promise<void> {
    const pre = await this.pool.acquire(p.plannedVUs);
    if (pre.length < p.plannedVUs) this.log('warn', `k6 stand-in: scenario ${p.name} got ${pre.length} of its ${p.plannedVUs} pre-allocated VUs (maxVUs cap ${this.options.maxVUs ?? 48})`);
    this.hold(sr, pre);
    let remainingUnplanned = p.maxVUs - pre.length;
    let allocating = false;
    let warned = false;
    const t0 = performance.now();
    sr.startEpochMs = Date.now();
    for (const a of p.arrivals()) {
      if (this.stopped !== null) break;
      // Timers have 1 ms resolution: an arrival due sooner than that starts now (k6's Go timers
      // are finer). A late main thread still starts every arrival scheduled within the duration.
      const wait = t0 + a.atMs - performance.now();
      if (wait >= 1) await this.sleep(wait);
      if (this.stopped !== null) break;
      const vu = sr.idle.pop();
      if (vu !== undefined) {
        void this.startIteration(sr, vu, setupJson).then(() => {
          if (!sr.closed && vu.state !== 'dead') sr.idle.push(vu);
        });
        continue;
      }
      sr.dropped++;
      this.engine.ingest([['dropped_iterations', 1, sr.metricTags]]);
      if (remainingUnplanned <= 0) {
        if (!warned) this.log('warn', `Insufficient VUs, reached ${p.maxVUs} active VUs and cannot initialize more  executor=${p.executor} scenario=${p.name}`);
        warned = true;
        continue;
      }
      if (!allocating) {
        // One unplanned VU at a time, in the background, as k6; one the cap refused is retried at the next drop.
        allocating = true;
        void this.pool.unplanned().then((fresh) => {
          allocating = false;
          if (fresh === null) return;
          remainingUnplanned--;
          if (sr.closed) this.pool.release(fresh);
          else this.hold(sr, [fresh]);
        });
      }
    }
    const left = t0 + p.durationMs - performance.now();
    if (left > 0) await this.sleep(left);
    await this.gracefulStop(sr);
  }

  private async runLooping(sr: ScenarioRun, p: SharedPlan | PerVuPlan | ConstantVusPlan, setupJson: string | undefined): Promise<void> {
    if (p.vus === 0) {
      if (p.kind !== 'constant-vus' && p.iterations > 0) this.log('warn', `k6 stand-in: scenario ${p.name} has no VU in this execution segment; its iterations do not run here (as in k6)`);
      return;
    }
    const vus = await this.pool.acquire(p.vus);
    if (vus.length < p.vus) this.log('warn', `k6 stand-in: scenario ${p.name} got ${vus.length} of its ${p.vus} VUs (maxVUs cap ${this.options.maxVUs ?? 48})`);
    this.hold(sr, vus);
    const t0 = performance.now();
    sr.startEpochMs = Date.now();
    const limitMs = p.kind === 'constant-vus' ? p.durationMs : p.maxDurationMs;
    const deadline = t0 + limitMs;
    let handedOut = 0;
    const loop = async (vu: Vu): Promise<void> => {
      for (let own = 0; ; own++) {
        if (this.stopped !== null || vu.state === 'dead' || sr.closed || performance.now() >= deadline) return;
        if (p.kind === 'shared') {
          if (handedOut >= p.iterations) return;
          handedOut++;
        } else if (p.kind === 'per-vu' && own >= p.iterations) return;
        await this.startIteration(sr, vu, setupJson);
      }
    };
    const loops = Promise.all(vus.map(loop));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([loops, new Promise<void>((res) => (timer = setTimeout(res, limitMs)))]);
    clearTimeout(timer);
    await this.gracefulStop(sr);
    await loops;
  }

  private async runScenario(plan: Plan, setupJson: string | undefined): Promise<void> {
    const tags = { ...this.runTags, ...plan.tags, scenario: plan.name };
    const sr: ScenarioRun = {
      plan,
      tags,
      metricTags: { ...this.runTags, scenario: plan.name },
      held: new Set(),
      idle: [],
      running: new Map(),
      ids: [],
      startEpochMs: 0,
      started: 0,
      completed: 0,
      dropped: 0,
      closed: false,
    };
    this.scenarioRuns.push(sr);
    await this.sleep(plan.startTimeMs);
    if (this.stopped === null) {
      if (plan.kind === 'arrival') {
        if (plan.maxVUs > 0) await this.runArrival(sr, plan, setupJson);
      } else {
        await this.runLooping(sr, plan, setupJson);
      }
    }
    this.closeScenario(sr);
  }

  private async timed(vu: Vu, cmd: ToVu, ms: number): Promise<Done | 'timeout' | null> {
    let timer: NodeJS.Timeout | undefined;
    const out = await Promise.race([vu.command(cmd), new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), ms)))]);
    clearTimeout(timer);
    if (out === 'timeout') vu.kill();
    return out;
  }

  private async freshVu0(): Promise<Vu | null> {
    const vu = new Vu(this, 0, 0);
    try {
      await vu.ready;
      return vu;
    } catch (error) {
      this.initFailure(error);
      vu.kill();
      return null;
    }
  }

  async execute(): Promise<StandInResult> {
    const o = this.options;
    validateSegment(o.segment);
    const emptySummary = (): { data: SummaryData; legacy: LegacySummaryExport } => {
      const data = this.engine.summaryData(DEFAULT_TREND_STATS, 0);
      return { data, legacy: legacyExport(data) };
    };
    const finish = (exitCode: number, data: SummaryData, legacy: LegacySummaryExport, handleSummaryOutput: Record<string, string> | null): StandInResult => {
      const iterations: Record<string, number> = {};
      const iterationIds: Record<string, number[]> = {};
      let dropped = 0;
      for (const s of this.scenarioRuns) {
        iterations[s.plan.name] = s.completed;
        iterationIds[s.plan.name] = [...s.ids].sort((a, b) => a - b);
        dropped += s.dropped;
      }
      return { exitCode, summary: legacy, logs: [...this.logs], iterations, droppedIterations: dropped, iterationIds, handleSummaryOutput, summaryData: data, options: this.scriptOptions };
    };

    // Init: bundle, then VU 0 (setup/teardown) reveals the options and custom metrics.
    try {
      await bundle(o.script, this.outDir);
    } catch (error) {
      this.log('error', `could not load ${o.script}: ${(error as Error).message}`);
      const e = emptySummary();
      return finish(EXIT.SCRIPT_EXCEPTION, e.data, e.legacy, null);
    }
    const vu0 = await this.freshVu0();
    if (vu0 === null) {
      this.log('error', this.initError ?? 'the init context failed');
      const e = emptySummary();
      return finish(EXIT.SCRIPT_EXCEPTION, e.data, e.legacy, null);
    }
    const ready = await vu0.ready;
    const options = ready.options;
    this.scriptOptions = options;
    let plans: Plan[];
    let trendStats: string[];
    let setupTimeoutMs: number;
    let teardownTimeoutMs: number;
    try {
      for (const def of ready.metrics) this.engine.define(def);
      this.runTags = stringRecord(options['tags'], 'options.tags');
      trendStats = options['summaryTrendStats'] === undefined ? [...DEFAULT_TREND_STATS] : validateTrendStats(options['summaryTrendStats'] as unknown[]);
      plans = planScenarios(options, ready.exports, this.segment);
      this.engine.configureThresholds((options['thresholds'] ?? {}) as Record<string, unknown>, (v) => duration(v, 'delayAbortEval'));
      setupTimeoutMs = duration(options['setupTimeout'], 'setupTimeout', 60_000);
      teardownTimeoutMs = duration(options['teardownTimeout'], 'teardownTimeout', 60_000);
      if (typeof options['batch'] === 'number') this.batch = options['batch'];
      if (typeof options['batchPerHost'] === 'number') this.batchPerHost = options['batchPerHost'];
    } catch (error) {
      this.log('error', (error as Error).message);
      vu0.kill();
      const e = emptySummary();
      return finish(EXIT.INVALID_CONFIG, e.data, e.legacy, null);
    }

    // k6 initializes the planned VUs before setup().
    await this.pool.prestart(maxPlannedVUs(plans));
    if (this.initError !== null) {
      this.log('error', this.initError);
      vu0.kill();
      this.pool.killAll();
      const e = emptySummary();
      return finish(EXIT.SCRIPT_EXCEPTION, e.data, e.legacy, null);
    }

    const testStart = performance.now();
    this.live[LIVE.testStartEpochMs] = Date.now();
    this.engine.ingest(this.vusSamples());
    let exitCode: number = EXIT.OK;
    let vuZero: Vu | null = vu0;

    // setup()
    let setupJson: string | undefined;
    let setupOk = true;
    if (ready.exports.includes('setup')) {
      const r = await this.timed(vu0, { kind: 'setup', tags: this.runTags }, setupTimeoutMs);
      if (r === 'timeout' || r === null) {
        this.log('error', `setup() execution timed out after ${setupTimeoutMs / 1000} seconds`);
        exitCode = EXIT.SETUP_TIMEOUT;
        setupOk = false;
        vuZero = null;
      } else if (r.abort !== null) {
        this.log('error', r.abort);
        exitCode = EXIT.SCRIPT_ABORTED;
        setupOk = false;
      } else if (r.error !== null) {
        this.log('error', `${r.error}  hint="script exception"`);
        exitCode = EXIT.SCRIPT_EXCEPTION;
        setupOk = false;
      } else setupJson = r.json;
    }

    // The scenarios, each from its startTime; abortOnFail thresholds checked every 2 s.
    if (setupOk) {
      let ticks = 0;
      const ticker = setInterval(() => {
        this.engine.ingest(this.vusSamples());
        if (++ticks % 2 !== 0) return;
        const elapsedMs = performance.now() - testStart;
        const reason = this.engine.shouldAbort(elapsedMs / 1000, elapsedMs);
        if (reason !== null) this.stop(EXIT.THRESHOLDS_FAILED, reason);
      }, 1000);
      try {
        await Promise.all(plans.map((p) => this.runScenario(p, setupJson)));
      } finally {
        clearInterval(ticker);
      }
      this.engine.ingest(this.vusSamples());
      if (this.stopped !== null) exitCode = this.stopped.code;

      // teardown(data): after an abort too, as k6.
      if (ready.exports.includes('teardown')) {
        vuZero ??= await this.freshVu0();
        if (vuZero !== null) {
          const r = await this.timed(vuZero, { kind: 'teardown', json: setupJson, tags: this.runTags }, teardownTimeoutMs);
          if (r === 'timeout' || r === null) {
            this.log('error', `teardown() execution timed out after ${teardownTimeoutMs / 1000} seconds`);
            if (exitCode === EXIT.OK) exitCode = EXIT.TEARDOWN_TIMEOUT;
            vuZero = null;
          } else if (r.abort !== null) {
            this.log('error', r.abort);
            if (exitCode === EXIT.OK) exitCode = EXIT.SCRIPT_ABORTED;
          } else if (r.error !== null) {
            this.log('error', `${r.error}  hint="script exception"`);
            if (exitCode === EXIT.OK) exitCode = EXIT.SCRIPT_EXCEPTION;
          }
        }
      }
    }
    this.pool.killAll();

    // Thresholds and summaries.
    const testRunDurationMs = performance.now() - testStart;
    const failed = this.engine.evaluate(testRunDurationMs / 1000);
    if (failed) {
      this.log('error', `thresholds on metrics '${[...new Set(this.engine.failedThresholds().map((t) => t.split(' ')[0]!))].sort().join("', '")}' have been crossed`);
      if (exitCode === EXIT.OK) exitCode = EXIT.THRESHOLDS_FAILED;
    }
    const data = this.engine.summaryData(trendStats, testRunDurationMs);
    const legacy = legacyExport(data);
    let handleSummaryOutput: Record<string, string> | null = null;
    if (ready.exports.includes('handleSummary')) {
      vuZero ??= await this.freshVu0();
      if (vuZero !== null) {
        const r = await this.timed(vuZero, { kind: 'summary', data }, 120_000);
        if (r !== 'timeout' && r !== null && r.error !== null) this.log('error', `handleSummary() failed with error "${r.error}", falling back to the default summary`);
        if (r !== 'timeout' && r !== null && r.error === null && r.outputs !== undefined && r.outputs !== null) {
          handleSummaryOutput = {};
          for (const [key, value] of Object.entries(r.outputs)) {
            const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
            handleSummaryOutput[key] = text;
            if (key === 'stdout' || key === 'stderr') {
              for (const line of text.split('\n')) o.stdout?.(line);
              continue;
            }
            const file = resolve(o.cwd ?? process.cwd(), key);
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, typeof value === 'string' ? value : Buffer.from(value));
          }
        }
        vuZero.kill();
      }
    } else vuZero?.kill();
    if (o.summaryExport !== undefined) {
      mkdirSync(dirname(resolve(o.summaryExport)), { recursive: true });
      writeFileSync(resolve(o.summaryExport), JSON.stringify(legacy, null, 4));
    }
    return finish(exitCode, data, legacy, handleSummaryOutput);
  }

  dispose(): void {
    for (const vu of this.created) vu.kill();
  }
}

/**
 * Runs a k6 script on the stand-in, as `k6 run [--execution-segment] [--summary-export]` would.
 *
 * Faithful to k6: init context per VU (plus VU 0 for setup/teardown/handleSummary, `__VU` 0),
 * VUs initialized before setup(), setup data JSON-parsed once per VU, scenarios concurrently from
 * their startTime, arrival-rate start times (k6's formulas), preAllocated VUs, unplanned VUs
 * started one at a time in the background after a drop (up to maxVUs), dropped_iterations,
 * gracefulStop then interruption (interrupted iterations are not counted), iterations that throw
 * still counted (and logged), equal execution segments (n % count === index, VUs and shared
 * iterations scaled, exec.scenario.iterationInTest from k6's segmented index), setup() and
 * teardown() in the `::setup`/`::teardown` groups, k6's system tags, sinks, percentiles,
 * thresholds (incl. sub-metrics, abortOnFail), exit codes, and both summary shapes.
 *
 * Not reproduced: goja itself (scripts run on V8, so newer syntax works here that k6 may reject),
 * ramping-vus and externally-controlled executors, unequal segment sequences, cookies, HTTP/2,
 * gzip, DNS options, k6's default text summary, a single shared SharedArray (one copy per VU).
 */
export async function runStandIn(options: StandInOptions): Promise<StandInResult> {
  const outDir = mkdtempSync(join(tmpdir(), 'k6-standin-'));
  const run = new TestRun(options, outDir);
  try {
    return await run.execute();
  } finally {
    run.dispose();
    rmSync(outDir, { recursive: true, force: true });
  }
}
