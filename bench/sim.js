// `npm run bench`: simulator throughput and memory at 10 000, 100 000 and 1 000 000 orders on a
// five-channel event-driven scenario with faults (bench/bench.yaml). Each size runs in a fresh
// process (bench/run-one.js says what each figure counts and how); then one run at 100 000 orders
// that counts promises (a promise hook slows a run, so its timings are not reported); then a bare
// typed-array heap's event rate (bench/bare-heap.js), which every size's kernel event rate is
// given as a ratio of; then a 1 000-seed swarm of the flash sale (bench/swarm-one.js), in seeds
// per second. Rates are given per wall second and per CPU-second: on a shared machine compare
// the second. `npm run bench -- --json` prints one JSON document ({ sizes, promises, bareHeap,
// swarm, scaling, workers }) instead of a table; `-- 100000` runs only the sizes given; `--promises-orders N`
// changes the promise-counting run's size; `--no-swarm` leaves the swarm out. Then CPU per order
// at 100, 1 000 and 10 000 SKUs and at 1, 3 and 5 channels (`--scaling-orders N` each, 100 000 by
// default, the sizes in turn for `--scaling-rounds N` rounds, 3 by default, each size's median
// compared; `--no-scaling` leaves it out), and two seeds of 1 000 000 orders on one worker and on
// two (bench/workers-one.js; `--workers-orders N`, `--no-workers`).
//
// Each run gets a 384 MB old-generation heap. Without a cap V8 sizes its heap from the machine's
// memory and collects lazily, so peak RSS would measure how much garbage it chose to keep, not
// what the simulator needs; with the cap, a run whose live memory grew with the number of orders
// would fail, so finishing under it is the proof that memory stays bounded.
import { execFileSync } from 'node:child_process';
import { countFlag } from './common.js';

const USAGE = `usage: npm run bench -- [ORDERS ...] [options]

Simulator throughput and memory on bench/bench.yaml (five channels, event-driven, faults), each
size in a fresh process with a 384 MB old-generation heap; then promises per order, a bare
typed-array heap's event rate, a 1 000-seed swarm, CPU per order by catalogue size and by channel
count, and one worker against two. Progress goes to stderr, the table (or JSON) to stdout.

  ORDERS ...             sizes to run (default 10000 100000 1000000)
  --json                 one JSON document { sizes, promises, bareHeap, swarm, scaling, workers }
  --promises-orders N    size of the promise-counting run (default 100000)
  --scaling-orders N     orders per catalogue and channel scaling run (default 100000)
  --scaling-rounds N     interleaved rounds of the scaling runs, medians compared (default 3)
  --workers-orders N     orders per seed of the one-worker and two-worker runs (default 1000000)
  --no-swarm, --no-scaling, --no-workers   leave that part out
  --help                 this text
`;
const BOOLEAN_FLAGS = ['--json', '--no-swarm', '--no-scaling', '--no-workers', '--help'];
if (process.argv.includes('--help')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const json = process.argv.includes('--json');
const withSwarm = !process.argv.includes('--no-swarm');
const withScaling = !process.argv.includes('--no-scaling');
const withWorkers = !process.argv.includes('--no-workers');
const valueFlags = ['--promises-orders', '--scaling-orders', '--scaling-rounds', '--workers-orders'];
const promiseOrders = countFlag('--promises-orders', 100_000);
const scalingOrders = countFlag('--scaling-orders', 100_000);
const scalingRounds = countFlag('--scaling-rounds', 3);
const workersOrders = countFlag('--workers-orders', 1_000_000);
const valueAt = new Set(valueFlags.map((f) => process.argv.indexOf(f) + 1).filter((i) => i > 0));
const sizes = process.argv.filter((a, i) => /^\d+$/.test(a) && !valueAt.has(i)).map(Number);
const unknown = process.argv.slice(2).filter((a, i) => !valueAt.has(i + 2) && !/^\d+$/.test(a) && !BOOLEAN_FLAGS.includes(a) && !valueFlags.includes(a));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}\n\n${USAGE}`);
  process.exit(2);
}
const targets = sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000];
const say = (line) => {
  if (!json) process.stderr.write(`bench: ${line}\n`);
};
const lastJsonLine = (script, args, nodeArgs = []) =>
  JSON.parse(execFileSync(process.execPath, [...nodeArgs, new URL(script, import.meta.url).pathname, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').at(-1));

const rows = [];
for (const orders of targets) {
  say(`${orders.toLocaleString('en-US')} orders ...`);
  rows.push(lastJsonLine('./run-one.js', [String(orders)], ['--max-old-space-size=384']));
}
say(`${promiseOrders.toLocaleString('en-US')} orders, counting promises ...`);
const counted = lastJsonLine('./run-one.js', [String(promiseOrders), '--promises'], ['--max-old-space-size=384']);
const promises = { orders: counted.orders, promisesPerOrder: counted.promisesPerOrder, eventsPerOrder: counted.eventsPerOrder };
say('bare typed-array heap ...');
const bareHeap = lastJsonLine('./bare-heap.js', []);
for (const r of rows) r.bareHeapRatio = Math.round((r.eventsPerCpuSecond / bareHeap.eventsPerCpuSecond) * 1000) / 1000;
let swarm = null;
if (withSwarm) {
  say('swarm, 1 000 seeds of flash-sale ...');
  swarm = lastJsonLine('./swarm-one.js', ['1000']);
}
// CPU-µs per order as the catalogue and the channels grow, each ratio to the smallest. The
// machine's speed drifts within minutes, so sizes are run in turn, `--scaling-rounds` times
// (3 by default), and each size's median is what is compared: a slow minute then lands on
// every size of one round, not on one size.
let scaling = null;
if (withScaling) {
  const once = (label, args, round) => {
    say(`${scalingOrders.toLocaleString('en-US')} orders, ${label} (round ${round + 1} of ${scalingRounds}) ...`);
    const r = lastJsonLine('./run-one.js', [String(scalingOrders), ...args], ['--max-old-space-size=384']);
    return { skus: r.skus, channels: r.channels, orders: r.orders, cpuUsPerOrder: Math.round((r.cpuSeconds * 1e7) / r.orders) / 10, bytesPerOrder: r.bytesPerOrder };
  };
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  /** Each case run once per round, round after round; per case, the median run and every run's CPU. */
  const interleaved = (cases) => {
    const runs = cases.map(() => []);
    for (let round = 0; round < scalingRounds; round++) cases.forEach(([label, args], i) => runs[i].push(once(label, args, round)));
    return runs.map((list) => {
      const mid = median(list.map((r) => r.cpuUsPerOrder));
      return { ...list.find((r) => r.cpuUsPerOrder === mid), cpuUsPerOrderRuns: list.map((r) => r.cpuUsPerOrder) };
    });
  };
  const ratios = (list) => list.map((r) => ({ ...r, ratio: Math.round((r.cpuUsPerOrder / list[0].cpuUsPerOrder) * 100) / 100 }));
  scaling = {
    rounds: scalingRounds,
    skus: ratios(interleaved([100, 1_000, 10_000].map((n) => [`${n} SKUs`, ['--skus', String(n)]]))),
    channels: ratios(interleaved([1, 3, 5].map((k) => [`${k} channel(s)`, ['--channels', String(k)]]))),
  };
}
let workers = null;
if (withWorkers) {
  say(`two seeds of ${workersOrders.toLocaleString('en-US')} orders, on one worker and on two ...`);
  workers = lastJsonLine('./workers-one.js', [String(workersOrders)]);
}
if (json) {
  process.stdout.write(`${JSON.stringify({ sizes: rows, promises, bareHeap, swarm, scaling, workers })}\n`);
} else {
  const columns = [
    ['orders', 'orders'],
    ['orders/s', 'ordersPerSecond'],
    ['orders/CPU-s', 'ordersPerCpuSecond'],
    ['events/CPU-s', 'eventsPerCpuSecond'],
    ['vs bare heap', 'bareHeapRatio'],
    ['events/order', 'eventsPerOrder'],
    ['bytes/order', 'bytesPerOrder'],
    ['GC share', 'gcShare'],
    ['peak RSS MB', 'peakRssMb'],
    ['wall s', 'wallSeconds'],
    ['CPU s', 'cpuSeconds'],
    ['violations', 'integrityViolations'],
    ['converged', 'converged'],
  ];
  const lines = rows.map((r) => columns.map(([, key]) => String(r[key])));
  const widths = columns.map(([h], i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write(`${[fmt(columns.map(([h]) => h)), ...lines.map(fmt)].join('\n')}\n`);
  process.stdout.write(`promises: ${promises.promisesPerOrder} per order (${promises.orders} orders, ${promises.eventsPerOrder} kernel events per order)\n`);
  process.stdout.write(`bare typed-array heap: ${bareHeap.eventsPerCpuSecond} events per CPU-second (${bareHeap.events} events, ${bareHeap.pending} pending)\n`);
  if (swarm !== null) {
    process.stdout.write(`swarm: ${swarm.seeds} seeds of flash-sale in ${swarm.wallSeconds} s wall, ${swarm.cpuSeconds} CPU-s: ${swarm.seedsPerSecond} seeds/s (${swarm.seedsPerCpuSecond} per CPU-second), ${swarm.failed} failed\n`);
  }
  if (scaling !== null) {
    const line = (r) => `${r.cpuUsPerOrder} µs (${r.ratio}×)`;
    process.stdout.write(`(medians of ${scaling.rounds} interleaved rounds)\n`);
    process.stdout.write(`CPU per order by catalogue: ${scaling.skus.map((r) => `${r.skus} SKUs ${line(r)}`).join(', ')}\n`);
    process.stdout.write(`CPU per order by channels: ${scaling.channels.map((r) => `${r.channels} ${line(r)}`).join(', ')}\n`);
  }
  if (workers !== null) {
    const w = workers;
    process.stdout.write(
      `workers: ${w.seeds} seeds of ${w.ordersPerSeed} orders, 1 worker ${w.one.wallSeconds} s wall (${w.one.cpuSeconds} CPU-s), 2 workers ${w.two.wallSeconds} s wall (${w.two.cpuSeconds} CPU-s): ${w.speedup}× on ${w.cores} cores (load average ${w.loadAverageBefore} before)\n`,
    );
  }
}
