/**
 * Strategies: when to push a commit to the channels, what to list, and what periodic work to
 * run. Each is one entry of the registry below; the run looks its strategy up once and calls
 * it through `StrategyPorts`, deterministic ports only (virtual time, named random streams, the
 * dispatcher's jobs). Custom strategies are TypeScript modules a scenario names
 * (`strategies: { mine: { module: ./mine.ts, options: … } }`, see src/sim/plugin.ts); they
 * register through the same registry and see the same ports.
 */
import { isIdentityPolicy, type ListingPolicy } from '../engine/listing-policy.js';
import type { Rng } from '../model/random.js';
import type { StrategySpec } from '../scenarios/schema.js';

/** What a strategy may do and see. Nothing here reads a real clock or a global random source. */
export interface StrategyPorts {
  /** Virtual time, ms since the run began. */
  nowMs(): number;
  /** Runs `fn` after `delayMs` of virtual time (>= 0). */
  schedule(delayMs: number, fn: () => void): void;
  /** A random stream of the strategy's own, by name (the same draws on every rerun of a seed). */
  random(name: string): Rng;
  /** A draw in [0, 1) for the phase of a periodic job (the `strategy.phase` stream). */
  phase(): number;
  /** Hands the outbox's new commits to the channels now (no-op while the dispatcher is down). */
  pump(): void;
  /** Drains the outbox, then pushes every listing again from the source of truth. Never rejects. */
  fullSync(): Promise<void>;
  /** Compares every listing with the source of truth and corrects drifted ones. Never rejects. */
  reconcile(): Promise<void>;
  /** Whether the dispatcher is down now (a crash). */
  dispatcherDown(): boolean;
}

/** A strategy as it runs: what it does on each commit. Periodic work is scheduled in `start`. */
export interface StrategyRun {
  onCommit?(): void;
}

export interface StrategyDefinition<Spec = unknown> {
  /** Starts the strategy's periodic work; returns its reaction to commits. */
  start(spec: Spec, ports: StrategyPorts): StrategyRun;
  /**
   * The sync window the seed article's leakage model assumes for it, in seconds; default the
   * measured propagation p99.
   */
  syncWindowS?(spec: Spec, latencyP99Ms: number): number;
}

type BuiltInKind = Exclude<StrategySpec['kind'], 'plugin'>;
type SpecOf<K extends BuiltInKind> = Extract<StrategySpec, { kind: K }>;

/** A periodic job at a per-seed phase of its interval. */
function every(ports: StrategyPorts, intervalMs: number, job: () => void): void {
  // A sync job runs at some phase of its interval, not in step with the scenario's clock: in
  // step, a restock period that is a multiple of the interval would always land on a sync
  // (which then reads the levels mid-restock), and the result would hang on that alignment.
  const tick = (): void => {
    job();
    ports.schedule(intervalMs, tick);
  };
  ports.schedule(intervalMs * (1 - ports.phase()), tick);
}

const BUILT_IN: { readonly [K in BuiltInKind]: StrategyDefinition<SpecOf<K>> } = {
  polling: {
    start: (spec, ports) => {
      every(ports, spec.intervalS * 1000, () => void ports.fullSync());
      return {};
    },
    syncWindowS: (spec) => spec.intervalS,
  },
  'event-driven': {
    start: (_spec, ports) => ({ onCommit: () => ports.pump() }),
  },
  'event-batched': {
    start: (spec, ports) => {
      let scheduled = false;
      return {
        onCommit: () => {
          if (scheduled) return;
          scheduled = true;
          ports.schedule(spec.windowMs, () => {
            scheduled = false;
            ports.pump();
          });
        },
      };
    },
  },
  hybrid: {
    start: (spec, ports) => {
      every(ports, spec.reconcileIntervalS * 1000, () => void ports.reconcile());
      return { onCommit: () => ports.pump() };
    },
  },
};

/**
 * The registry: every strategy the simulator can run, by id. The built-in kinds are registered
 * here; a plugin module is registered by the loader (src/sim/plugin.ts) under `module:<path>`.
 */
const REGISTRY = new Map<string, StrategyDefinition<StrategySpec>>(Object.entries(BUILT_IN) as [string, StrategyDefinition<StrategySpec>][]);

/** Registers a strategy definition under `id`; an id is registered once. */
export function registerStrategy(id: string, definition: StrategyDefinition<StrategySpec>): void {
  if (REGISTRY.has(id)) throw new Error(`strategy ${id} is already registered`);
  REGISTRY.set(id, definition);
}

/** The registry id of a strategy spec: its kind, or `module:<absolute path>` for a plugin. */
export function strategyId(spec: StrategySpec): string {
  return spec.kind === 'plugin' ? `module:${spec.module}` : spec.kind;
}

/** The registered definition of `id`, or undefined. */
export function registeredStrategy(id: string): StrategyDefinition<StrategySpec> | undefined {
  return REGISTRY.get(id);
}

/**
 * The listing policies a strategy implies, decided here once: what the source of truth's level
 * becomes on each channel. `policy` holds the allocation that splits pools; with partitioned
 * stock the allocation made the pools and a listing shows its pool whole (`dispatchPolicy`
 * without it). `identity`: the listed quantity is the level itself.
 */
export function listingPolicies(spec: Pick<StrategySpec, 'listingPolicy' | 'partitionStock'>): { policy: ListingPolicy; dispatchPolicy: ListingPolicy; identity: boolean } {
  const policy = frozenPolicy(spec.listingPolicy, true);
  const dispatchPolicy = spec.partitionStock ? frozenPolicy(spec.listingPolicy, false) : policy;
  return { policy, dispatchPolicy, identity: isIdentityPolicy(dispatchPolicy) };
}

// The scenario's listing-policy fields and the engine's are the same set: a field only one side
// knows would be copied and ignored, or never set. A compile error instead.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const _listingPolicyFieldsMatch: SameKeys<StrategySpec['listingPolicy'], ListingPolicy> = true;

/** Every field the scenario set, as is (no list of fields to forget one in); allocation optional. */
function frozenPolicy(input: StrategySpec['listingPolicy'], withAllocation: boolean): ListingPolicy {
  const policy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || (key === 'allocation' && !withAllocation)) continue;
    policy[key] = typeof value === 'object' && value !== null ? Object.freeze({ ...value }) : value;
  }
  return Object.freeze(policy) as ListingPolicy;
}
