/**
 * Node's host for the simulation kernel (`KernelHost`, src/sim/kernel.ts): the nextTick hop the
 * kernel takes between events, a host event-loop turn, and, opt-in, a count of the nextTick
 * callbacks other code queues.
 *
 * Why the count, and why here. The kernel drains promise continuations with one nextTick and one
 * microtask hop per event; a `process.nextTick` callback queued by simulated code runs in the same
 * phase as the kernel's hop, so the chain it starts could still be running when the next event
 * fires (see "The gap" in kernel.ts). Counting those calls needs `process.nextTick` wrapped, a
 * change to a global that belongs at the edge, where the host is built, never in src/sim. With
 * `countForeignTicks`, `nodeKernelHost` installs a counting wrapper (once per process; every host
 * shares one count, each kernel remembers where it last saw it). Other code may swap
 * `process.nextTick` and put back what it saw earlier (vitest's RPC does, one tick later), so
 * `foreignTicks()` checks the wrapper on every call and reinstalls it; having missed what ran
 * uncounted meanwhile, it then bumps the count, and the kernel drains with a host turn.
 *
 * The kernel's own hop goes through the `process.nextTick` found when this module loaded, before
 * any wrapper of ours, so it is never counted. Not covered: code that holds its own reference to
 * the function (`import { nextTick } from 'node:process'`, Node internals).
 *
 * The returned object satisfies `KernelHost` structurally; this module does not import src/sim.
 */
import { promiseHooks } from 'node:v8';
import { yieldToEventLoop } from './drain.js';

export interface NodeKernelHostOptions {
  /**
   * Wrap `process.nextTick` to count the callbacks other code queues, so the kernel drains the
   * promise chains they start before virtual time moves. Default false: the host changes nothing
   * global, which is right for promise-only code.
   */
  readonly countForeignTicks?: boolean;
  /**
   * Count promise activity during each kernel run (V8's promise hooks on init and settle), so the
   * kernel fires events that make no promise without a hop between them. The hooks are on only
   * while some kernel runs: code outside a run pays nothing. Default false.
   */
  readonly watchPromises?: boolean;
}

export interface NodeKernelHost {
  readonly nextTick: (callback: () => void) => void;
  readonly turn: () => Promise<void>;
  readonly foreignTicks?: () => number;
  readonly watchPromises?: () => { readonly activity: () => number; readonly stop: () => void };
}

/** The nextTick found at load time, for the kernel's own hops (never counted). */
const uncountedNextTick: (callback: () => void) => void = process.nextTick;
/** Marks a counting wrapper; the value is the function it wraps. */
const WRAPS = Symbol('invsim.kernelHost.countingNextTick');
type NextTick = typeof process.nextTick & { [WRAPS]?: typeof process.nextTick };

/** `process.nextTick` calls made through the counting wrapper, plus one per reinstall. */
let foreignTickCount = 0;

/** Makes sure `process.nextTick` counts its calls; true if it had to (re)install the wrapper. */
function ensureTickCounter(): boolean {
  const current = process.nextTick as NextTick;
  if (current[WRAPS] !== undefined) return false;
  const counted: NextTick = (...args) => {
    foreignTickCount++;
    current(...args);
  };
  counted[WRAPS] = current;
  process.nextTick = counted;
  return true;
}

function countedTicks(): number {
  // A reinstall means calls may have gone uncounted: move the count so the kernel drains.
  if (ensureTickCounter()) foreignTickCount++;
  return foreignTickCount;
}

/** Promises created or settled while the hooks were on; the hooks are on while any watch is. */
let promiseActivity = 0;
let watching = 0;
let stopHooks: (() => void) | undefined;
const countPromise = (): void => {
  promiseActivity++;
};
const readActivity = (): number => promiseActivity;

/** One run's watch: the hooks go on with the first watch and off with the last. */
function watchPromises(): { readonly activity: () => number; readonly stop: () => void } {
  if (watching++ === 0) stopHooks = promiseHooks.createHook({ init: countPromise, settled: countPromise }) as () => void;
  let stopped = false;
  return {
    activity: readActivity,
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (--watching === 0) {
        stopHooks?.();
        stopHooks = undefined;
      }
    },
  };
}

/** A kernel host on Node's event loop (see the file comment for `countForeignTicks`, and `watchPromises`). */
export function nodeKernelHost(options: NodeKernelHostOptions = {}): NodeKernelHost {
  const watch = options.watchPromises === true ? { watchPromises } : {};
  if (options.countForeignTicks !== true) return { nextTick: uncountedNextTick, turn: yieldToEventLoop, ...watch };
  ensureTickCounter();
  return { nextTick: uncountedNextTick, turn: yieldToEventLoop, foreignTicks: countedTicks, ...watch };
}
