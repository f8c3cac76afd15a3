// The floor invsim's kernel is measured against: a bare binary min-heap over parallel typed
// arrays, ordered by (time, sequence) like src/sim/kernel.ts, with no promises, no engine and no
// simulator. Each fired event calls its callback, which schedules one new event a pseudo-random
// delay later, so the queue holds PENDING events throughout (about what a five-channel run
// keeps). Prints one JSON line: { events, pending, cpuSeconds, wallSeconds, eventsPerCpuSecond,
// eventsPerSecond }. `npm run bench` runs it in its own process, in the same invocation as the
// simulator runs, so the ratio of the two rates compares like with like on a shared machine.
import { cpuUsage } from 'node:process';
import { performance } from 'node:perf_hooks';

const EVENTS = Number(process.argv[2] ?? 5_000_000);
const PENDING = 10_000;

const time = new Float64Array(PENDING + 1);
const seq = new Float64Array(PENDING + 1);
const slot = new Int32Array(PENDING + 1);
const callbacks = new Array(PENDING + 1);
const freeSlots = [];
let size = 0;
let nextSeq = 0;
let now = 0;
let rng = 0x2545f491;

function less(i, j) {
  return time[i] < time[j] || (time[i] === time[j] && seq[i] < seq[j]);
}

function swap(i, j) {
  const t = time[i], s = seq[i], k = slot[i];
  time[i] = time[j]; seq[i] = seq[j]; slot[i] = slot[j];
  time[j] = t; seq[j] = s; slot[j] = k;
}

function schedule(atMs, callback) {
  const k = freeSlots.length > 0 ? freeSlots.pop() : size;
  callbacks[k] = callback;
  let i = size++;
  time[i] = atMs; seq[i] = nextSeq++; slot[i] = k;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!less(i, parent)) break;
    swap(i, parent);
    i = parent;
  }
}

function fireNext() {
  const k = slot[0];
  now = time[0];
  size--;
  if (size > 0) {
    time[0] = time[size]; seq[0] = seq[size]; slot[0] = slot[size];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < size && less(l, m)) m = l;
      if (r < size && less(r, m)) m = r;
      if (m === i) break;
      swap(i, m);
      i = m;
    }
  }
  const callback = callbacks[k];
  callbacks[k] = undefined;
  freeSlots.push(k);
  callback();
}

function delayMs() {
  // xorshift32: deterministic, cheap, and no part of what is measured beyond a few operations.
  rng ^= rng << 13; rng ^= rng >>> 17; rng ^= rng << 5;
  return ((rng >>> 0) % 1000) + 1;
}

const event = () => schedule(now + delayMs(), event);
for (let i = 0; i < PENDING; i++) schedule(delayMs(), event);
const cpu0 = cpuUsage();
const started = performance.now();
for (let n = 0; n < EVENTS; n++) fireNext();
const wallS = (performance.now() - started) / 1000;
const cpu = cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({ events: EVENTS, pending: size, cpuSeconds: Math.round(cpuS * 1000) / 1000, wallSeconds: Math.round(wallS * 1000) / 1000, eventsPerCpuSecond: Math.round(EVENTS / cpuS), eventsPerSecond: Math.round(EVENTS / wallS) })}\n`,
);
