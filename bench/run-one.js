// One benchmark run in its own process, so peak RSS belongs to this size alone.
// Prints one JSON line: { orders, ordersPerSecond, ordersPerCpuSecond, eventsPerSecond, peakRssMb, ... }.
//
// What is counted, and how:
// - CPU-seconds: process.cpuUsage() (user + system) around the run; on a shared machine the
//   per-CPU-second rates are the ones to compare, wall time varies with the neighbours.
// - Kernel events per order: the kernel's own count (result.kernel.events) over orders placed.
// - Bytes allocated per order: V8 has no running allocation counter in Node 20, so it is the
//   identity allocated = (used heap at the end - used heap at the start) + what every GC freed,
//   with each GC's used heap size before and after it from v8.GCProfiler (one small record per
//   GC, so it costs neither time nor memory worth measuring). The JS heap only: the backing
//   stores of typed arrays live outside it. The profiler's summed GC pause cost over the
//   run's CPU time is reported as gcShare (pauses only; concurrent marking threads not counted).
// - Promises per order (`--promises` only): v8.promiseHooks.onInit counts every promise V8
//   creates. A hook on every promise slows the run, so it runs in a separate process whose
//   timings `npm run bench` does not report.
import { cpuUsage } from 'node:process';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { getScenario, loadScenarioFile } from '../dist/scenarios/load.js';
import { simulate } from '../dist/sim/world.js';
import { benchDurationS, numberFlag } from './common.js';

const orders = Number(process.argv[2]);
const countPromises = process.argv.includes('--promises');
/** `--skus N`: the catalogue's size instead of bench.yaml's (see resized); `--channels K`: its first K channels only. */
const skus = numberFlag('--skus', null);
const channels = numberFlag('--channels', null);
const file = loadScenarioFile(process.env.BENCH_FILE ?? new URL('./bench.yaml', import.meta.url).pathname);
const base = getScenario(file, 'five-channel');
const scenario = {
  ...base,
  durationS: benchDurationS(orders, base.demand.ordersPerDay),
  ...(skus === null ? {} : { catalog: resized(skus) }),
  ...(channels === null ? {} : fewerChannels(channels)),
};

/**
 * The catalogue at `n` SKUs, its restock period scaled with it: every restock tops up every SKU
 * below the target, so at a fixed period restock work would grow with the catalogue and the
 * cost per order would measure the mix, not the size. Scaled, restocks per order stay as at
 * bench.yaml's 5 000 SKUs.
 */
function resized(n) {
  const restock = base.catalog.restock;
  const everyS = restock === undefined ? undefined : Math.max(1, Math.round((restock.everyS * n) / base.catalog.skus));
  return { ...base.catalog, skus: n, ...(restock === undefined ? {} : { restock: { ...restock, everyS } }) };
}

/** The first `k` channels, and the outages of those only. */
function fewerChannels(k) {
  const kept = base.channels.slice(0, k);
  const ids = new Set(kept.map((c) => c.id));
  return { channels: kept, faults: { ...base.faults, outages: (base.faults.outages ?? []).filter((o) => ids.has(o.channel)) } };
}

let promises = 0;
if (countPromises) v8.promiseHooks.onInit(() => promises++);
const gc = new v8.GCProfiler();
const usedAtStart = v8.getHeapStatistics().used_heap_size;
gc.start();
const cpu0 = cpuUsage();
const started = performance.now();
const result = await simulate(scenario, { strategy: 'event-driven', seed: 1 });
const seconds = (performance.now() - started) / 1000;
const cpu = cpuUsage(cpu0);
const usedAtEnd = v8.getHeapStatistics().used_heap_size;
const gcs = gc.stop().statistics;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const freed = gcs.reduce((sum, g) => sum + (g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize), 0);
const gcPauseUs = gcs.reduce((sum, g) => sum + g.cost, 0);
const placed = result.orders.placed;
const round = (x, places) => Math.round(x * 10 ** places) / 10 ** places;
process.stdout.write(
  `${JSON.stringify({
    orders: placed,
    skus: scenario.catalog.skus,
    channels: scenario.channels.length,
    ordersPerSecond: Math.round(placed / seconds),
    ordersPerCpuSecond: Math.round(placed / cpuSeconds),
    eventsPerSecond: Math.round(result.kernel.events / seconds),
    eventsPerCpuSecond: Math.round(result.kernel.events / cpuSeconds),
    eventsPerOrder: round(result.kernel.events / placed, 2),
    bytesPerOrder: Math.round((usedAtEnd - usedAtStart + freed) / placed),
    ...(countPromises ? { promisesPerOrder: round(promises / placed, 2) } : {}),
    gcs: gcs.length,
    gcShare: round(gcPauseUs / (cpuSeconds * 1e6), 3),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    wallSeconds: round(seconds, 2),
    cpuSeconds: round(cpuSeconds, 2),
    simulatedSeconds: result.simulatedSeconds,
    integrityViolations: result.integrityViolations,
    converged: result.converged,
    traceHash: result.traceHash,
  })}\n`,
);
