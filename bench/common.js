// What the benchmark scripts share.

/** The scenario duration (s) at which Poisson arrivals at `ordersPerDay` place about `orders`: about 1.5% find nothing to buy, so aim a little high. */
export function benchDurationS(orders, ordersPerDay) {
  return Math.ceil(((orders * 1.02) / ordersPerDay) * 86_400);
}

/** The number after `name` on the command line, or `fallback` when the flag is absent. */
export function numberFlag(name, fallback) {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

/** A count flag (`--scaling-rounds 3`): a positive integer, else exit 2 naming the flag and the reason. */
export function countFlag(name, fallback) {
  const value = numberFlag(name, fallback);
  if (!Number.isSafeInteger(value) || value < 1) {
    process.stderr.write(`bench: ${name} must be a positive integer, got ${process.argv[process.argv.indexOf(name) + 1] ?? 'nothing'}\n`);
    process.exit(2);
  }
  return value;
}
