/**
 * The intake broker and the processor workers. Orders (message n >= 0) and restocks
 * (-(m + 1)) wait in a durable queue: nothing is lost while workers are down. A generation of
 * workers shares one store handle; a crash freezes it (a dead process makes no further calls,
 * its in-flight messages are never acknowledged) and the restart delivers those again.
 *
 * The real processors are driven in continuation form (`handleThen` on the store's
 * continuations): take a message or wait for one, handle it, answer, take the next, with no
 * promise per step. A pitfall that replaces or wraps the processors or their store keeps the
 * promise loop (`work`), since its code awaits.
 */
import type { InventoryMutation, MutationOutcome } from '../engine/mutation.js';
import { forwardStore } from '../engine/forward-store.js';
import type { AlertSink, Clock, InventoryStore, InventoryStoreContinuations, Timers } from '../engine/ports.js';
import { InventoryMutationProcessor } from '../engine/processor.js';
import type { Rng } from '../model/random.js';
import type { MutationHandler, PitfallBehaviour } from './pitfalls.js';
import { TRACE, type TraceRecorder } from './trace.js';

const REDELIVERY_AFTER_CONFLICT_MS = 1_000;
const COMPACT_QUEUE_AFTER = 4096;

interface Generation {
  alive: boolean;
  readonly inflight: Set<number>;
  readonly versionConflicts: () => number;
}

export interface WorkerPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  schedule(delayMs: number, fn: () => void): void;
  readonly trace: TraceRecorder;
  readonly alerts: AlertSink;
  /** The jitter stream of a worker generation (a fresh one per restart). */
  jitter(generation: number): Rng;
  mutationOf(message: number): InventoryMutation;
  /** The engine committed a mutation: the strategy may push now. */
  onCommitted(): void;
  /** The engine's final answer to a message (orders and restocks). */
  onOutcome(message: number, outcome: MutationOutcome): void;
  /** Watches work no caller awaits: a rejection fails the run. */
  background(work: Promise<unknown>): void;
}

export class Workers {
  restarts = 0;
  /** Answers `conflict_retries_exhausted`: redelivered after a second. */
  conflictRejected = 0;
  private readonly queue: number[] = [];
  private queueHead = 0;
  /** Live workers waiting for a message, oldest first. A crash removes its generation's. */
  private waiters: { readonly gen: Generation; readonly resolve: (message: number) => void }[] = [];
  private generation: Generation | undefined;
  private versionConflictsRetired = 0;

  constructor(
    private readonly store: InventoryStore,
    private readonly options: { readonly count: number; readonly idempotencyTtlMs: number },
    private readonly pitfall: PitfallBehaviour,
    private readonly ports: WorkerPorts,
  ) {}

  get queueLength(): number {
    return this.queue.length - this.queueHead;
  }

  /** Messages the live workers hold now. */
  get inflight(): number {
    return this.generation?.inflight.size ?? 0;
  }

  get down(): boolean {
    return this.generation !== undefined && !this.generation.alive;
  }

  /** Version conflicts the processors met, over every generation. */
  get versionConflicts(): number {
    return this.versionConflictsRetired + (this.generation?.versionConflicts() ?? 0);
  }

  enqueue(message: number): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(message);
    else this.queue.push(message);
  }

  /** A message a worker took but could not start (its process died first): first in line again. */
  private requeueFirst(message: number): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(message);
    else this.queue.splice(this.queueHead, 0, message);
  }

  start(): void {
    const live = { alive: true };
    // A crashed process makes no further calls: its store handle stops answering. Like the
    // promise methods, the continuations check at call time: a call made while alive answers.
    const frozen = new Promise<never>(() => undefined);
    const base = this.store;
    const continuations = base.continuations;
    const store = forwardStore(base, {
      read: (sku) => (live.alive ? base.read(sku) : frozen),
      hasProcessed: (id, now) => (live.alive ? base.hasProcessed(id, now) : frozen),
      commit: (req, now) => (live.alive ? base.commit(req, now) : frozen),
      ...(continuations === undefined ? {} : { continuations: frozenWhenDead(continuations, live) }),
    });
    const ports = this.ports;
    const pitfall = this.pitfall;
    const handles = pitfall.processors?.({ store, count: this.options.count, onCommitted: () => ports.onCommitted() });
    const processors: InventoryMutationProcessor[] = [];
    let handlers: MutationHandler[] = [];
    if (handles !== undefined) {
      handlers = handles;
    } else {
      const wrapped = pitfall.processorStore?.(store) ?? store;
      const jitter = ports.jitter(this.restarts);
      const around = pitfall.aroundHandler?.();
      for (let w = 0; w < this.options.count; w++) {
        const processor = new InventoryMutationProcessor({
          store: wrapped,
          clock: ports.clock,
          timers: ports.timers,
          random: jitter,
          alerts: ports.alerts,
          idempotencyTtlMs: this.options.idempotencyTtlMs,
          onCommitted: () => ports.onCommitted(),
        });
        processors.push(processor);
        // The real processor on the real store runs in continuation form (below); a wrapped one awaits.
        if (around !== undefined) handlers.push((m) => around(m.sku, () => processor.handle(m)));
        else if (pitfall.processorStore !== undefined) handlers.push((m) => processor.handle(m));
      }
    }
    const gen: Generation = Object.assign(live, { inflight: new Set<number>(), versionConflicts: () => processors.reduce((a, p) => a + p.stats.versionConflicts, 0) });
    this.generation = gen;
    if (handlers.length === 0) {
      for (const processor of processors) this.serve(gen, processor);
      return;
    }
    for (const handle of handlers) ports.background(this.work(gen, handle));
  }

  /** Every worker dies now; they come back after `downMs`. */
  crash(downMs: number): void {
    const gen = this.generation;
    if (gen === undefined || !gen.alive) return;
    gen.alive = false;
    // A dead process takes no more messages: were its workers left waiting, the broker would
    // hand them messages nobody handles (and, with no message after, never anyone).
    this.waiters = this.waiters.filter((w) => w.gen !== gen);
    this.versionConflictsRetired += gen.versionConflicts();
    this.ports.trace.record(TRACE.crash, 0, 0, 0, 0, 0, this.ports.clock.nowMs());
    this.ports.schedule(downMs, () => this.restart(gen));
  }

  /** Restarts the workers if they are down (the heal phase). */
  restartIfDown(): void {
    if (this.generation !== undefined && !this.generation.alive) this.restart(this.generation);
  }

  private restart(crashed: Generation): void {
    if (this.generation !== crashed || crashed.alive) return;
    // Messages the dead workers held were never acknowledged: the broker delivers them again.
    for (const message of crashed.inflight) this.enqueue(message);
    crashed.inflight.clear();
    this.restarts++;
    this.start();
  }

  /** The next queued message, or undefined when the queue is empty. */
  private takeQueued(): number | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const message = this.queue[this.queueHead++]!;
    if (this.queueHead > COMPACT_QUEUE_AFTER && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return message;
  }

  private take(gen: Generation): Promise<number> {
    const message = this.takeQueued();
    if (message !== undefined) return Promise.resolve(message);
    return new Promise((resolve) => this.waiters.push({ gen, resolve }));
  }

  /**
   * One worker in continuation form: `work`'s loop with callbacks for awaits. `handleThen`
   * never answers before it returns, so the take-handle-answer cycle never recurses within
   * one event. A `fail` from the processor ends the handler, and the broker redelivers.
   */
  private serve(gen: Generation, processor: InventoryMutationProcessor): void {
    let message = 0;
    const next = (): void => {
      if (!gen.alive) return;
      const queued = this.takeQueued();
      if (queued === undefined) this.waiters.push({ gen, resolve: begin });
      else begin(queued);
    };
    const begin = (taken: number): void => {
      if (!gen.alive) {
        this.requeueFirst(taken);
        return;
      }
      message = taken;
      gen.inflight.add(taken);
      processor.handleThen(this.ports.mutationOf(taken), answer, failed);
    };
    const answer = (outcome: MutationOutcome | undefined): void => {
      if (!gen.alive) return; // a dead process answers nothing; the restart redelivers
      gen.inflight.delete(message);
      this.answered(message, outcome);
      next();
    };
    const failed = (): void => answer(undefined);
    next();
  }

  private async work(gen: Generation, handle: MutationHandler): Promise<void> {
    while (gen.alive) {
      const message = await this.take(gen);
      if (!gen.alive) {
        this.requeueFirst(message);
        return;
      }
      gen.inflight.add(message);
      let outcome: MutationOutcome | undefined;
      try {
        outcome = await handle(this.ports.mutationOf(message));
      } catch {
        outcome = undefined; // the broker redelivers a message whose handler failed
      }
      if (!gen.alive) return;
      gen.inflight.delete(message);
      this.answered(message, outcome);
    }
  }

  private answered(message: number, outcome: MutationOutcome | undefined): void {
    if (outcome === undefined || (outcome.status === 'rejected' && outcome.reason === 'conflict_retries_exhausted')) {
      if (outcome !== undefined) this.conflictRejected++;
      this.ports.schedule(REDELIVERY_AFTER_CONFLICT_MS, () => this.enqueue(message));
      return;
    }
    this.ports.onOutcome(message, outcome);
  }
}

/** A generation's continuations: they forward while it lives and never answer once it is dead. */
function frozenWhenDead(store: InventoryStoreContinuations, live: { readonly alive: boolean }): InventoryStoreContinuations {
  return {
    read: (sku, done, fail) => {
      if (live.alive) store.read(sku, done, fail);
    },
    commit: (request, nowMs, done, fail) => {
      if (live.alive) store.commit(request, nowMs, done, fail);
    },
    readOutbox: (afterSeq, limit, done, fail) => store.readOutbox(afterSeq, limit, done, fail),
    ackOutbox: (seq, done, fail) => store.ackOutbox(seq, done, fail),
    outboxCursor: (done, fail) => store.outboxCursor(done, fail),
    parkDeadLetter: (letter, done, fail) => store.parkDeadLetter(letter, done, fail),
  };
}
