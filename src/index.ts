/**
 * invsim's library entry point. The engine classes exported here take every port as
 * optional and fall back to the system adapters (wall clock, real timers, Math.random,
 * stderr alerts), so `new InventoryMutationProcessor({ store })` works in production code.
 * The simulator imports src/engine directly, where every port is required.
 */
import { withSystemPorts, type SystemPorts } from './adapters/system.js';
import {
  InventoryMutationProcessor as CoreProcessor,
  PropagationDispatcher as CoreDispatcher,
  Reconciler as CoreReconciler,
  type DispatcherOptions,
  type ProcessorOptions,
  type ReconcilerOptions,
} from './engine/index.js';

export * from './engine/index.js';
export { systemClock, systemTimers, systemRandom, consoleAlertSink, systemPorts, withSystemPorts } from './adapters/system.js';
export type { SystemPorts } from './adapters/system.js';

type WithOptionalPorts<T> = Omit<T, keyof SystemPorts> & Partial<SystemPorts>;

export class InventoryMutationProcessor extends CoreProcessor {
  constructor(options: WithOptionalPorts<ProcessorOptions>) {
    super(withSystemPorts(options));
  }
}

export class PropagationDispatcher extends CoreDispatcher {
  constructor(options: WithOptionalPorts<DispatcherOptions>) {
    super(withSystemPorts(options));
  }
}

export class Reconciler extends CoreReconciler {
  constructor(options: Omit<ReconcilerOptions, 'clock' | 'alerts'> & Partial<Pick<SystemPorts, 'clock' | 'alerts'>>) {
    super(withSystemPorts(options));
  }
}

// Analyses behind `invsim compare | check | sweep | merge`, for programmatic use.
export { estimate, pairedDifference, tQuantile975, type Estimate } from './analysis/stats.js';
export { COMPARE_METRICS, observe, type CompareMetric, type Observed, type RunRecord } from './analysis/metrics.js';
export { aggregate, aggregateRecords, planTasks, type ComparePlan, type CompareResult, type CompareRun, type PairedDiff, type StrategySummary } from './analysis/compare.js';
export { runTasks, type RunnerOptions } from './analysis/runner.js';
export type { RunTask } from './analysis/execute.js';
export { mergeShards, parseShard, type Shard, type ShardDocument } from './analysis/shard.js';
export { evaluateAssertions, holds, scenarioAssertions, type Assertion, type AssertionOutcome, type CheckReport } from './analysis/check.js';
export { junitXml } from './analysis/junit.js';
export type { StrategyPlugin } from './sim/plugin.js';
export type { StrategyPorts, StrategyRun } from './sim/strategies.js';
