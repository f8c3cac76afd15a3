// One benchmark run in its own process, so peak RSS belongs to this size alone.
// Prints one JSON line: { orders, ordersPerSecond, eventsPerSecond, peakRssMb, ... }.
import { performance } from 'node:perf_hooks';
import { getScenario, loadScenarioFile } from '../dist/scenarios/load.js';
import { simulate } from '../dist/sim/world.js';

const orders = Number(process.argv[2]);
const file = loadScenarioFile(process.env.BENCH_FILE ?? new URL('./bench.yaml', import.meta.url).pathname);
const base = getScenario(file, 'five-channel');
// Arrivals are Poisson at ordersPerDay; about 1.5% find nothing to buy, so aim a little high.
const durationS = Math.ceil(((orders * 1.02) / base.demand.ordersPerDay) * 86_400);
const scenario = { ...base, durationS };
const started = performance.now();
const result = await simulate(scenario, { strategy: 'event-driven', seed: 1 });
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({
    orders: result.orders.placed,
    ordersPerSecond: Math.round(result.orders.placed / seconds),
    eventsPerSecond: Math.round(result.kernel.events / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    wallSeconds: Math.round(seconds * 100) / 100,
    simulatedSeconds: result.simulatedSeconds,
    integrityViolations: result.integrityViolations,
    converged: result.converged,
  })}\n`,
);
