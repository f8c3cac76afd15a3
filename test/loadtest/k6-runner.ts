// Runs a generated k6 script's life cycle in a worker thread on the k6 shim: setup, a number of
// `orders` and `burst` iterations, teardown; posts what happened to the test.
import { parentPort, workerData } from 'node:worker_threads';
import { exec, state } from './k6-shim.js';
import * as script from './script-under-test.js';

const plan = (workerData as { plan: { orders: number; burst: number; seed: number } }).plan;

void plan.seed; // each iteration seeds itself (randomSeed), as in k6

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
parentPort!.postMessage({ data, options: script.options, state: JSON.parse(JSON.stringify(state)) as unknown });
