/**
 * A host event-loop turn: the kernel host's `turn` (src/adapters/kernel-host.ts), and a yield
 * for long loops elsewhere (the analysis runner).
 *
 * It lives here, outside the determinism lint rule on src/sim, because it needs `setImmediate`:
 * the kernel drains promise continuations with nextTick + microtask hops and never needs a real
 * timer for correctness. The kernel takes a turn when its host wants the event loop serviced
 * during a long run (progress output, signals) and to drain foreign `process.nextTick` callbacks.
 * Taking a turn cannot change a simulation's result: by the time the kernel yields, every
 * continuation of the last event has settled, and nothing real touches virtual time.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => {
    setImmediate(resolve);
  });
}
