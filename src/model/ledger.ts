/**
 * The invariant ledger: the one list of what must never happen, and the checks that fire each
 * invariant. The simulator and `invsim serve` both keep one; each feeds it what it observes
 * (commits, listing changes, parked updates, outcomes) and reads back the count, the first
 * violations and the count per invariant. A violation is a bug report, never an outcome: the
 * engine's job is to keep every count at zero.
 *
 * Each check names exactly one invariant, so a test per invariant can show it fires
 * (test/model/ledger.test.ts), and a caller cannot misspell one.
 */

/** Every invariant, in a fixed order (the simulator's trace records a violation by its index). */
export const INVARIANTS = [
  'negative-stock',
  'mutation-applied-twice',
  'lost-update',
  'mutation-without-outcome',
  'update-lost-without-dlq',
  'version-regression',
  'update-ahead-of-source',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface Violation {
  readonly invariant: InvariantName;
  readonly atMs: number;
  readonly detail: string;
}

/** A level, or what the applied mutations sum to; `version` only where commits are counted. */
export interface LevelSum {
  readonly quantity: number;
  readonly version?: number;
}

export interface LedgerOptions {
  /** The time a violation is stamped with (the caller's clock: virtual or scenario time). */
  readonly nowMs: () => number;
  /** Violations kept in `listed` (the count goes on). */
  readonly maxListed: number;
  /** Hears every violation as it is recorded (trace, metrics). */
  readonly onViolation?: (invariant: InvariantName) => void;
}

export class InvariantLedger {
  /** Violations recorded, all invariants. */
  count = 0;
  /** The first `maxListed` violations, in order. */
  readonly listed: Violation[] = [];
  readonly byInvariant: Record<InvariantName, number> = Object.fromEntries(INVARIANTS.map((name) => [name, 0])) as Record<InvariantName, number>;

  constructor(private readonly options: LedgerOptions) {
    if (!(Number.isSafeInteger(options.maxListed) && options.maxListed >= 0)) throw new RangeError(`maxListed must be an integer >= 0, got ${options.maxListed}`);
  }

  /** Records a violation of `invariant`. Callers use the named checks below where one fits. */
  violate(invariant: InvariantName, detail: string): void {
    this.count++;
    this.byInvariant[invariant]++;
    if (this.listed.length < this.options.maxListed) this.listed.push({ invariant, atMs: this.options.nowMs(), detail });
    this.options.onViolation?.(invariant);
  }

  /** A committed level below zero. */
  checkStockLevel(sku: string, quantity: number): void {
    if (quantity < 0) this.violate('negative-stock', `${sku} at ${quantity}`);
  }

  /** One mutation's commits so far: more than one is a mutation applied twice. */
  checkApplyCount(subject: string, sku: string, applied: number): void {
    if (applied > 1) this.violate('mutation-applied-twice', `${subject} applied ${applied} times on ${sku}`);
  }

  /**
   * The store's level against what the mutations applied to it give (the quantity, and the
   * version when the caller counts commits too): false if they differ.
   */
  checkLevelSum(sku: string, held: LevelSum, expected: LevelSum): boolean {
    if (held.quantity === expected.quantity && held.version === expected.version) return true;
    const detail =
      held.version === undefined || expected.version === undefined
        ? `${sku} holds ${held.quantity} but applied mutations sum to ${expected.quantity}`
        : `${sku} holds ${held.quantity} (v${held.version}) but applied mutations give ${expected.quantity} (v${expected.version})`;
    this.violate('lost-update', detail);
    return false;
  }

  /** A channel listing changed: its version may not go back, nor pass the source of truth. */
  checkListingChange(channel: string, key: string, version: number, previousVersion: number, sourceVersion: number): void {
    if (version < previousVersion) this.violate('version-regression', `${channel} ${key}: version ${version} replaced ${previousVersion}`);
    if (version > sourceVersion) this.violate('update-ahead-of-source', `${channel} ${key}: version ${version} listed while the source of truth is at ${sourceVersion}`);
  }

  /** The dispatcher said it parked an update: the dead-letter queue must hold it. */
  checkParked(letterId: string, inDeadLetterQueue: boolean): void {
    if (!inDeadLetterQueue) this.violate('update-lost-without-dlq', `parked update ${letterId} is not in the dead-letter queue`);
  }

  /** A mutation a channel accepted that never reached an outcome. */
  checkOutcome(subject: string, reached: boolean): void {
    if (!reached) this.violate('mutation-without-outcome', `${subject} never reached an outcome`);
  }
}
