/**
 * The processor's two drivers on one virtual clock, for tests that must hold on both: `handle`
 * (promises, what the service runs) and `handleThen` (the store's continuations and
 * `timers.after`, what the simulator runs). A test takes a driver name and never branches on it.
 */
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { InMemoryInventoryStore, type InMemoryInventoryStoreOptions } from '../../src/engine/memory-store.js';
import type { InventoryMutation, MutationOutcome } from '../../src/engine/mutation.js';
import type { InventoryStore, Random, Timers } from '../../src/engine/ports.js';
import { InventoryMutationProcessor, type ConflictRetryPolicy } from '../../src/engine/processor.js';
import { Kernel } from '../../src/sim/kernel.js';
import { RecordingAlerts, seededRandom } from './ports.js';

export type ProcessorDriver = 'handle' | 'handleThen';
export const PROCESSOR_DRIVERS: readonly ProcessorDriver[] = ['handle', 'handleThen'];

/** Starts one mutation through `driver`; the promise is only the test's way to wait for the answer. */
export function answerOf(driver: ProcessorDriver, processor: InventoryMutationProcessor, mutation: InventoryMutation): Promise<MutationOutcome> {
  if (driver === 'handle') return processor.handle(mutation);
  return new Promise((resolve, reject) => processor.handleThen(mutation, resolve, reject));
}

type Settled = { readonly ok: true; readonly outcome: MutationOutcome } | { readonly ok: false; readonly error: unknown };

export interface ProcessorBenchOptions {
  readonly store?: Omit<InMemoryInventoryStoreOptions, 'timers'>;
  /** Wraps the store the processor sees (a fault, an observer); gets the kernel for `after`. */
  readonly wrap?: (store: InMemoryInventoryStore, kernel: Kernel) => InventoryStore;
  /** Wraps the processor's timers (to record its waits). */
  readonly timers?: (timers: Timers) => Timers;
  readonly random?: Random;
  readonly conflictRetry?: ConflictRetryPolicy;
  readonly idempotencyTtlMs?: number;
}

export interface ProcessorBench {
  readonly kernel: Kernel;
  readonly store: InMemoryInventoryStore;
  readonly processor: InventoryMutationProcessor;
  readonly alerts: RecordingAlerts;
  /**
   * Handles every mutation, the i-th starting at i × `spacingMs` (default all at once), and runs
   * virtual time until nothing is pending; throws the first failure.
   */
  handleAll(mutations: readonly InventoryMutation[], spacingMs?: number): Promise<MutationOutcome[]>;
  handle(mutation: InventoryMutation): Promise<MutationOutcome>;
  /** Lets virtual time pass to `ms` (idempotency expiries). */
  advanceTo(ms: number): Promise<void>;
}

/** An embedded store and a processor on a fresh kernel, driven by `driver`. */
export function processorBench(driver: ProcessorDriver, options: ProcessorBenchOptions = {}): ProcessorBench {
  const kernel = new Kernel({ maxEvents: 10_000_000, host: nodeKernelHost({ countForeignTicks: true }) });
  const store = new InMemoryInventoryStore({ ...options.store, timers: kernel.timers });
  const alerts = new RecordingAlerts();
  const processor = new InventoryMutationProcessor({
    store: options.wrap?.(store, kernel) ?? store,
    clock: kernel.clock,
    timers: options.timers?.(kernel.timers) ?? kernel.timers,
    random: options.random ?? seededRandom(11),
    alerts,
    ...(options.conflictRetry === undefined ? {} : { conflictRetry: options.conflictRetry }),
    ...(options.idempotencyTtlMs === undefined ? {} : { idempotencyTtlMs: options.idempotencyTtlMs }),
  });
  const handleAll = async (mutations: readonly InventoryMutation[], spacingMs = 0): Promise<MutationOutcome[]> => {
    // Settled into values at once: a rejection waits for the kernel without being unhandled.
    const settled = mutations.map(
      (m, i) =>
        new Promise<Settled>((resolve) => {
          const start = (): void =>
            void answerOf(driver, processor, m).then(
              (outcome) => resolve({ ok: true, outcome }),
              (error: unknown) => resolve({ ok: false, error }),
            );
          if (spacingMs === 0) start();
          else kernel.schedule(i * spacingMs, start);
        }),
    );
    await kernel.run();
    const answers = await Promise.all(settled);
    return answers.map((a) => {
      if (!a.ok) throw a.error;
      return a.outcome;
    });
  };
  return {
    kernel,
    store,
    processor,
    alerts,
    handleAll,
    handle: async (mutation) => (await handleAll([mutation]))[0]!,
    advanceTo: async (ms) => {
      await kernel.run({ untilMs: ms });
    },
  };
}
