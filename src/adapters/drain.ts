/**
 * A host event-loop turn, for the kernel's optional `hostYield` (src/sim/kernel.ts).
 *
 * It lives here, outside the determinism lint rule on src/sim, because it needs `setImmediate`:
 * the kernel drains promise continuations with nextTick + microtask hops and never needs a real
 * timer for correctness. A host passes this function when it wants the event loop serviced during
 * a long run (progress output, signals), or with `everyEvents: 1` to drain code that queues
 * `process.nextTick` callbacks from inside microtasks (the one case the fast path does not cover).
 * Taking a turn cannot change a simulation's result: by the time the kernel yields, every
 * continuation of the last event has settled, and nothing real touches virtual time.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => {
    setImmediate(resolve);
  });
}
