/**
 * The two ways the engine meets its ports, for tests that must hold on both: `continuations`
 * (the simulator's: timers with `after`, a store and channels that answer through callbacks, no
 * promise per step) and `promises` (the service's: `sleep` only, promise methods only). The one
 * switch is the timers: the embedded store and ScriptedChannel offer continuations exactly when
 * their timers have `after`.
 */
import { InMemoryInventoryStore, type InMemoryInventoryStoreOptions } from '../../src/engine/memory-store.js';
import type { Timers } from '../../src/engine/ports.js';
import type { Kernel } from '../../src/sim/kernel.js';

export type PortPath = 'continuations' | 'promises';

export const PORT_PATHS: readonly PortPath[] = ['continuations', 'promises'];

/** The kernel's timers on a path: with `after`, or `sleep` alone. */
export function timersOn(path: PortPath, kernel: Kernel): Timers {
  return path === 'continuations' ? kernel.timers : { sleep: (ms) => kernel.sleep(ms) };
}

/** The embedded store on a path: with continuations (each answer an event of its own) or promise methods only. */
export function storeOn(path: PortPath, kernel: Kernel, options: Omit<InMemoryInventoryStoreOptions, 'timers'> = {}): InMemoryInventoryStore {
  const store = new InMemoryInventoryStore(path === 'continuations' ? { ...options, timers: kernel.timers } : options);
  if ((store.continuations !== undefined) !== (path === 'continuations')) throw new Error(`store on the ${path} path ${store.continuations === undefined ? 'lacks' : 'has'} continuations`);
  return store;
}
