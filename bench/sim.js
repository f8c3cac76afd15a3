// `npm run bench`: simulator throughput and memory at 10 000, 100 000 and 1 000 000 orders on a
// five-channel event-driven scenario with faults (bench/bench.yaml). Each size runs in a fresh
// process; then a 1 000-seed swarm of the flash sale (bench/swarm-one.js), in seeds per second.
// `npm run bench -- --json` prints one JSON document ({ sizes, swarm }) instead of a table.
//
// Each run gets a 384 MB old-generation heap. Without a cap V8 sizes its heap from the machine's
// memory and collects lazily, so peak RSS would measure how much garbage it chose to keep, not
// what the simulator needs; with the cap, a run whose live memory grew with the number of orders
// would fail, so finishing under it is the proof that memory stays bounded.
import { execFileSync } from 'node:child_process';

const json = process.argv.includes('--json');
const sizes = process.argv.filter((a) => /^\d+$/.test(a)).map(Number);
const targets = sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000];
const rows = [];
for (const orders of targets) {
  if (!json) process.stderr.write(`bench: ${orders.toLocaleString('en-US')} orders ...\n`);
  const out = execFileSync(process.execPath, ['--max-old-space-size=384', new URL('./run-one.js', import.meta.url).pathname, String(orders)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  rows.push(JSON.parse(out.trim().split('\n').at(-1)));
}
if (!json) process.stderr.write('bench: swarm, 1 000 seeds of flash-sale ...\n');
const swarm = JSON.parse(execFileSync(process.execPath, [new URL('./swarm-one.js', import.meta.url).pathname, '1000'], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').at(-1));
if (json) {
  process.stdout.write(`${JSON.stringify({ sizes: rows.map(({ orders, ordersPerSecond, eventsPerSecond, peakRssMb }) => ({ orders, ordersPerSecond, eventsPerSecond, peakRssMb })), swarm })}\n`);
} else {
  const header = ['orders', 'orders/s', 'events/s', 'peak RSS MB', 'wall s', 'violations', 'converged'];
  const lines = rows.map((r) => [r.orders, r.ordersPerSecond, r.eventsPerSecond, r.peakRssMb, r.wallSeconds, r.integrityViolations, r.converged].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write(`${[fmt(header), ...lines.map(fmt)].join('\n')}\n`);
  process.stdout.write(`swarm: ${swarm.seeds} seeds of flash-sale in ${swarm.wallSeconds} s wall, ${swarm.cpuSeconds} CPU-s: ${swarm.seedsPerSecond} seeds/s (${swarm.seedsPerCpuSecond} per CPU-second), ${swarm.failed} failed\n`);
}
