// Two workers against one, in its own process: `npm run bench` runs it last. Two seeds of the
// bench scenario at the given number of orders each, run through the same runner `invsim
// compare --workers` uses, once in this thread (`--workers 1`) and once on two worker threads.
// Prints one JSON line: wall and CPU seconds of each, and the speedup in wall time (CPU-seconds
// say whether the two threads did the same work: process.cpuUsage() counts every thread).
import { cpuUsage } from 'node:process';
import { performance } from 'node:perf_hooks';
import { availableParallelism, loadavg } from 'node:os';
import { runTasks } from '../dist/analysis/runner.js';
import { getScenario, loadScenarioFile } from '../dist/scenarios/load.js';
import { benchDurationS } from './common.js';

const orders = Number(process.argv[2] ?? 1_000_000);
const file = process.env.BENCH_FILE ?? new URL('./bench.yaml', import.meta.url).pathname;
const base = getScenario(loadScenarioFile(file), 'five-channel');
const override = { param: 'durationS', value: benchDurationS(orders, base.demand.ordersPerDay) };
const tasks = [1, 2].map((seed) => ({ file, scenario: 'five-channel', strategy: 'event-driven', seed, override }));

async function timed(workers) {
  const cpu0 = cpuUsage();
  const started = performance.now();
  const records = await runTasks(tasks, { workers });
  const wallS = (performance.now() - started) / 1000;
  const cpu = cpuUsage(cpu0);
  return { workers, wallSeconds: round(wallS), cpuSeconds: round((cpu.user + cpu.system) / 1e6), traceHashes: records.map((r) => r.traceHash) };
}

const round = (x) => Math.round(x * 100) / 100;
const loadBefore = loadavg()[0];
const one = await timed(1);
const two = await timed(2);
if (one.traceHashes.join() !== two.traceHashes.join()) throw new Error(`the two runs differ between --workers 1 and 2: ${one.traceHashes} vs ${two.traceHashes}`);
process.stdout.write(
  `${JSON.stringify({ ordersPerSeed: orders, seeds: tasks.length, cores: availableParallelism(), loadAverageBefore: round(loadBefore), one, two, speedup: round(one.wallSeconds / two.wallSeconds) })}\n`,
);
