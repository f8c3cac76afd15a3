// `npm run bench:serve`: signed order webhooks per second and their p50/p99 latency through
// `invsim serve`, on each store: memory, Redis and PostgreSQL. For each store it starts the
// service (the built CLI, its own process, with secrets set and --no-faults), resets it, loads
// ample stock on many SKUs through the admin API, then drives it with autocannon from another
// process (bench/serve-load.js): a fixed number of connections for a fixed time, every request a
// distinct order (its own mutationId) on one of the SKUs, signed over the exact bytes sent. A
// short warm-up run comes first and is not counted. Afterwards it reads /audit (every order
// applied, no integrity violation) and stops the service with SIGTERM.
//
//   npm run bench:serve                        # memory, redis, postgres; 15 s each, 32 connections
//   npm run bench:serve -- --stores memory,redis --duration-s 10 --connections 64 --json
//
// Redis and PostgreSQL come from INVSIM_BENCH_REDIS_URL (default redis://127.0.0.1:6379) and
// INVSIM_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); each run uses a
// namespace or schema of its own, deleted afterwards. A store that cannot be reached is reported
// as skipped. Other work on the machine (tests, builds) moves these numbers a lot on 2 cores, so
// each row also says how much CPU everything else used during the measured run (from /proc:
// all busy time minus that of the service, the load generator, Redis and PostgreSQL) and names
// the busiest other processes.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = `${ROOT}bin/invsim.js`;
const LOAD = `${ROOT}bench/serve-load.js`;
const SCENARIO_FILE = `${ROOT}bench/serve.yaml`;
const SCENARIO = 'serve-bench';
const CHANNELS = ['shopify', 'woo'];
const TARGETS = { memory: { perSecond: 5_000, p99Ms: 20 }, redis: { perSecond: 2_000 }, postgres: { perSecond: 1_000 } };
const run = promisify(execFile);
/** /proc counts CPU time in clock ticks (USER_HZ). */
const CLOCK_TICKS_PER_S = clockTicks();

const args = parseArgs(process.argv.slice(2));
const secrets = { webhookSecret: randomBytes(16).toString('hex'), adminToken: randomBytes(16).toString('hex') };
const suffix = `${process.pid}`;
const redisUrl = process.env.INVSIM_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const postgresUrl = process.env.INVSIM_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const storeUrls = {
  memory: 'memory',
  redis: `${redisUrl}?namespace=bench_serve_${suffix}`,
  // A pool as large as the scenario's processor workers: each worker holds at most one connection.
  postgres: `${postgresUrl}?schema=bench_serve_${suffix}&pool=32`,
};

const rows = [];
for (const kind of args.stores) {
  if (!(kind in storeUrls)) fail(`--stores: unknown store ${kind} (memory, redis, postgres)`);
  log(`bench:serve: ${kind} …`);
  rows.push(await benchStore(kind, storeUrls[kind]));
}
if (args.json) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  printTable(rows);
}

async function benchStore(kind, url) {
  const started = new Date().toISOString();
  if (kind === 'postgres') {
    try {
      await run(process.execPath, [BIN, 'migrate', '--store', url]);
    } catch (error) {
      return skipped(kind, firstLine(error.stderr || error.message));
    }
  }
  let server;
  try {
    server = await startServe(url);
  } catch (error) {
    return skipped(kind, error.message);
  }
  try {
    await admin(server.url, 'POST', '/reset');
    const skus = Array.from({ length: args.skus }, (_, i) => `BENCH-${i}`);
    await loadStock(server.url, skus);
    await load(server.url, skus, args.warmupS, `warm-${suffix}`);
    const loadAvgBefore = loadavg()[0];
    const before = cpuSnapshot(server.pid);
    const result = await load(server.url, skus, args.durationS, `run-${suffix}`);
    // The load generator has exited by now: its CPU time comes from its own report.
    const others = otherCpu(before, cpuSnapshot(server.pid), (result.cpuMs / 1000) * CLOCK_TICKS_PER_S);
    const audit = await admin(server.url, 'GET', '/audit');
    const target = TARGETS[kind];
    return {
      store: kind,
      startedAt: started,
      durationS: result.durationS,
      connections: result.connections,
      webhooks: result.requests,
      webhooksPerSecond: result.requestsPerSecond,
      latencyMs: result.latencyMs,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      outcomes: result.outcomes,
      integrityViolations: audit.integrityViolations,
      loadAverage1m: round2(loadAvgBefore),
      otherCpuPercent: others?.percent ?? null,
      busiestOthers: others?.busiest ?? [],
      cpus: cpus().length,
      target,
      met: result.requestsPerSecond >= target.perSecond && (target.p99Ms === undefined || result.latencyMs.p99 <= target.p99Ms),
    };
  } finally {
    await server.stop();
    await cleanup(kind, url);
  }
}

function startServe(url) {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', SCENARIO_FILE, '--scenario', SCENARIO, '--host', '127.0.0.1', '--port', '0', '--no-faults', '--store', url, '--drain-timeout-s', '5'],
    { env: { ...process.env, INVSIM_WEBHOOK_SECRET: secrets.webhookSecret, INVSIM_ADMIN_TOKEN: secrets.adminToken }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`invsim serve did not listen within 20 s: ${stderr}`));
    }, 20_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        pid: child.pid,
        stop: async () => {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(firstLine(stderr.replace(/^invsim: /, '')) || `exited with ${code}`));
    });
  });
}

async function admin(baseUrl, method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${secrets.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** Enough units on every SKU that no order of the run is rejected: the normal path is measured. */
async function loadStock(baseUrl, skus) {
  for (let i = 0; i < skus.length; i += 50) {
    await Promise.all(skus.slice(i, i + 50).map((sku) => admin(baseUrl, 'POST', `/inventory/${sku}/adjustments`, { mutationId: `stock-${sku}`, quantityDelta: 1_000_000_000 })));
  }
}

async function load(baseUrl, skus, durationS, runId) {
  const options = { url: baseUrl, secret: secrets.webhookSecret, durationS, connections: args.connections, skus, channels: CHANNELS, runId };
  const { stdout } = await run(process.execPath, [LOAD, JSON.stringify(options)], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

async function cleanup(kind, url) {
  if (kind === 'memory') return;
  const { openStore } = await import('../dist/stores/index.js');
  const store = await openStore(url).catch(() => undefined);
  if (store === undefined) return;
  try {
    if (kind === 'redis') await store.reset();
    else await store.dropSchema();
  } finally {
    await store.close();
  }
}

/**
 * CPU ticks from /proc: the machine's busy and total time, and per process its ticks and what
 * it is; `ours` marks the service, the load generator and the stores. Undefined off Linux.
 */
function cpuSnapshot(serverPid) {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    // user + nice + system: what processes (and kernel threads) ran. Interrupt time is left out:
    // here it is mostly the loopback traffic of the benchmark itself, which no process is billed for.
    const busy = fields[0] + fields[1] + fields[2];
    const procs = new Map();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const comm = stat.slice(stat.indexOf('(') + 1, close);
        const rest = stat.slice(close + 2).split(' ');
        const ticks = Number(rest[11]) + Number(rest[12]);
        const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        const pid = Number(name);
        const ours = pid === serverPid || pid === process.pid || cmd.includes('bench/serve-load.js') || comm === 'redis-server' || comm === 'postgres';
        procs.set(pid, { ticks, ours, what: (cmd || comm).slice(0, 80) });
      } catch {
        // The process ended meanwhile.
      }
    }
    return { total, busy, procs };
  } catch {
    return undefined;
  }
}

/** Share of the machine's CPU that everything else used between two snapshots, and the busiest others. */
function otherCpu(a, b, exitedOursTicks) {
  if (a === undefined || b === undefined || b.total <= a.total) return undefined;
  let oursTicks = exitedOursTicks;
  const busiest = [];
  for (const [pid, p] of b.procs) {
    const delta = p.ticks - (a.procs.get(pid)?.ticks ?? 0);
    if (p.ours) oursTicks += delta;
    else if (delta > 0) busiest.push({ pid, percent: Math.round((1000 * delta) / (b.total - a.total)) / 10, what: p.what });
  }
  const percent = Math.max(0, Math.round((1000 * (b.busy - a.busy - oursTicks)) / (b.total - a.total)) / 10);
  busiest.sort((x, y) => y.percent - x.percent);
  return { percent, busiest: busiest.filter((p) => p.percent >= 1).slice(0, 3) };
}

function clockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

function skipped(kind, reason) {
  log(`bench:serve: ${kind} skipped: ${reason}`);
  return { store: kind, skipped: reason };
}

function printTable(results) {
  const header = ['store', 'webhooks/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'violations', 'load avg', 'other CPU %', 'target', 'met'];
  const lines = results.map((r) =>
    r.skipped !== undefined
      ? [r.store, `skipped: ${r.skipped}`]
      : [
          r.store,
          r.webhooksPerSecond,
          r.latencyMs.p50,
          r.latencyMs.p99,
          r.latencyMs.max,
          r.non2xx,
          r.errors,
          r.integrityViolations,
          r.loadAverage1m,
          r.otherCpuPercent ?? '?',
          `>= ${r.target.perSecond}/s${r.target.p99Ms === undefined ? '' : `, p99 <= ${r.target.p99Ms} ms`}`,
          r.met ? 'yes' : 'NO',
        ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l.length === header.length ? (l[i]?.length ?? 0) : 0))));
  const fmt = (cells) => (cells.length === header.length ? cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') : cells.join('  '));
  process.stdout.write(`${[fmt(header), ...lines.map(fmt)].join('\n')}\n`);
  process.stdout.write(
    `${args.durationS} s per store after a ${args.warmupS} s warm-up, ${args.connections} connections, ${args.skus} SKUs, ${cpus().length} CPUs; ` +
      'load avg: 1-minute load average before the run; other CPU %: share of all CPUs used by anything but the service, the load generator, Redis and PostgreSQL during the run\n',
  );
  for (const r of results) {
    if (r.skipped !== undefined || r.busiestOthers.length === 0) continue;
    process.stdout.write(`  ${r.store}: also running: ${r.busiestOthers.map((p) => `${p.what} (${p.percent}%)`).join('; ')}\n`);
  }
}

function parseArgs(argv) {
  const out = { stores: ['memory', 'redis', 'postgres'], durationS: 15, warmupS: 3, connections: 32, skus: 2000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--json') out.json = true;
    else if (a === '--stores') out.stores = value().split(',').filter((s) => s !== '');
    else if (a === '--duration-s') out.durationS = positive(a, value());
    else if (a === '--warmup-s') out.warmupS = positive(a, value());
    else if (a === '--connections') out.connections = positive(a, value());
    else if (a === '--skus') out.skus = positive(a, value());
    else fail(`unknown option ${a} (--stores, --duration-s, --warmup-s, --connections, --skus, --json)`);
  }
  return out;
}

function positive(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be an integer >= 1, got ${text}`);
  return n;
}

function firstLine(text) {
  return String(text).trim().split('\n')[0] ?? '';
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

function fail(message) {
  process.stderr.write(`bench:serve: ${message}\n`);
  process.exit(2);
}
