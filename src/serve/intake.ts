/**
 * The service's intake: a bounded queue in front of the scenario's `engine.processorWorkers`
 * processor workers, the same architecture the simulator runs (a durable broker, N workers).
 * An HTTP request enqueues its mutation and waits for the outcome, so a webhook is answered
 * with what happened to it, while no more than N mutations race on the store at once.
 *
 * A mutation that lost `conflictRetry.maxAttempts` optimistic commits in a row is a transient
 * condition, not an answer: like the simulator's broker, the intake redelivers it after a delay,
 * a bounded number of times, before it answers `rejected(conflict_retries_exhausted)`.
 */
import type { InventoryMutation, MutationOutcome } from '../engine/mutation.js';
import type { TimeSource } from '../model/channel.js';

export class IntakeFullError extends Error {
  override readonly name = 'IntakeFullError';
}

export class IntakeClosedError extends Error {
  override readonly name = 'IntakeClosedError';
}

export interface IntakeOptions {
  readonly workers: number;
  /** Mutations queued (not yet taken by a worker) at most; more is answered 503. */
  readonly maxQueueLength: number;
  readonly handle: (mutation: InventoryMutation) => Promise<MutationOutcome>;
  readonly time: Pick<TimeSource, 'schedule'>;
  readonly redeliveryDelayMs: number;
  readonly maxRedeliveries: number;
}

interface Job {
  readonly mutation: InventoryMutation;
  readonly resolve: (outcome: MutationOutcome) => void;
  readonly reject: (error: unknown) => void;
  redeliveries: number;
}

export class Intake {
  private readonly opts: IntakeOptions;
  private queue: Job[] = [];
  private head = 0;
  private readonly idleWorkers: ((job: Job | undefined) => void)[] = [];
  /** Every job submitted and not yet answered: queued, in a worker, or waiting to be redelivered. */
  private readonly open = new Set<Job>();
  private closed = false;
  redelivered = 0;

  constructor(options: IntakeOptions) {
    if (!Number.isSafeInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be an integer >= 1, got ${options.workers}`);
    if (!Number.isSafeInteger(options.maxQueueLength) || options.maxQueueLength < 1) {
      throw new RangeError(`maxQueueLength must be an integer >= 1, got ${options.maxQueueLength}`);
    }
    this.opts = options;
    for (let w = 0; w < options.workers; w++) void this.worker();
  }

  /** Mutations submitted and not yet answered. */
  get inFlight(): number {
    return this.open.size;
  }

  get queueLength(): number {
    return this.queue.length - this.head;
  }

  submit(mutation: InventoryMutation): Promise<MutationOutcome> {
    if (this.closed) return Promise.reject(new IntakeClosedError('the service is resetting or shutting down'));
    if (this.queueLength >= this.opts.maxQueueLength) {
      return Promise.reject(new IntakeFullError(`intake queue full (${this.opts.maxQueueLength} mutations waiting)`));
    }
    return new Promise<MutationOutcome>((resolve, reject) => {
      const job: Job = { mutation, resolve, reject, redeliveries: 0 };
      this.open.add(job);
      this.enqueue(job);
    });
  }

  /** Stops the workers and fails every unanswered mutation with IntakeClosedError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.idleWorkers.splice(0)) wake(undefined);
    const error = new IntakeClosedError('the service reset or shut down before this mutation was answered');
    for (const job of this.open) job.reject(error);
    this.open.clear();
    this.queue = [];
    this.head = 0;
  }

  private enqueue(job: Job): void {
    if (this.closed) return;
    const wake = this.idleWorkers.shift();
    if (wake !== undefined) wake(job);
    else this.queue.push(job);
  }

  private take(): Promise<Job | undefined> {
    if (this.head < this.queue.length) {
      const job = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve(job);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.idleWorkers.push(resolve));
  }

  private async worker(): Promise<void> {
    for (;;) {
      const job = await this.take();
      if (job === undefined || this.closed) return;
      let outcome: MutationOutcome;
      try {
        outcome = await this.opts.handle(job.mutation);
      } catch (error) {
        this.finish(job, () => job.reject(error));
        continue;
      }
      if (this.closed) return;
      if (outcome.status === 'rejected' && outcome.reason === 'conflict_retries_exhausted' && job.redeliveries < this.opts.maxRedeliveries) {
        job.redeliveries++;
        this.redelivered++;
        this.opts.time.schedule(this.opts.redeliveryDelayMs, () => this.enqueue(job));
        continue;
      }
      this.finish(job, () => job.resolve(outcome));
    }
  }

  private finish(job: Job, answer: () => void): void {
    if (!this.open.delete(job)) return;
    answer();
  }
}
