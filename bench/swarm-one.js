// Swarm throughput in its own process: `npm run bench` runs it after the sizes. A 1000-seed
// swarm of the shipped flash sale (event-driven), in this thread; prints one JSON line with
// seeds per second of wall time and of CPU time (shared machines are noisy: compare CPU).
import { cpuUsage } from 'node:process';
import { performance } from 'node:perf_hooks';
import { runSwarm } from '../dist/analysis/swarm.js';
import { getScenario, loadScenarioFile } from '../dist/scenarios/load.js';

const seeds = Number(process.argv[2] ?? 1000);
const file = new URL('../scenarios.yaml', import.meta.url).pathname;
const scenario = getScenario(loadScenarioFile(file), 'flash-sale');
const cpu0 = cpuUsage();
const started = performance.now();
const report = await runSwarm({ file, scenario, strategies: ['event-driven'], seeds: Array.from({ length: seeds }, (_, i) => i + 1), workers: 1, shrinkFindings: 0, maxShrinkRuns: 1 });
const wallS = (performance.now() - started) / 1000;
const cpu = cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
process.stdout.write(`${JSON.stringify({ seeds, failed: report.failed, wallSeconds: Math.round(wallS * 100) / 100, cpuSeconds: Math.round(cpuS * 100) / 100, seedsPerSecond: Math.round(seeds / wallS), seedsPerCpuSecond: Math.round(seeds / cpuS) })}\n`);
