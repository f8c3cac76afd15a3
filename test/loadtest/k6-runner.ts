// Runs a generated k6 script's life cycle in a worker thread on the k6 shim: setup, a number of
// `orders` and `burst` iterations, teardown, handleSummary; posts what happened to the test.
import { parentPort, workerData } from 'node:worker_threads';
import { exec, state } from './k6-shim.js';
import * as script from './script-under-test.js';

const plan = (workerData as { plan: { orders: number; burst: number; seed: number } }).plan;

// Math.random drives channel, SKU and redelivery choices: make the run repeatable.
let s = plan.seed >>> 0;
Math.random = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const data = script.setup();
exec.scenario.name = 'orders';
for (let i = 0; i < plan.orders; i++) {
  exec.scenario.iterationInTest = i;
  script.orders(data);
}
exec.scenario.name = 'burst_0';
for (let i = 0; i < plan.burst; i++) {
  exec.scenario.iterationInTest = i;
  script.burst(data);
}
script.teardown(data);
const summary = script.handleSummary({
  metrics: {
    checks: { type: 'rate', values: { rate: 1, passes: 3, fails: 0 }, thresholds: { 'rate>0.99': { ok: true } } },
    http_req_duration: { type: 'trend', contains: 'time', values: { avg: 2.5, 'p(99)': 9.1, count: 3 } },
  },
  state: { testRunDurationMs: 1234 },
});
parentPort!.postMessage({ data, options: script.options, summary, state: JSON.parse(JSON.stringify(state)) as unknown });
