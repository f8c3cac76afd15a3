/**
 * An example custom strategy: event-driven, but debounced. The first commit after a quiet spell
 * opens a window of `debounceMs`; when it closes, everything committed meanwhile is pushed in
 * one pump (fewer API calls on a busy SKU, at the price of up to `debounceMs` of extra lag).
 * Every `reconcileEveryS` it also compares each listing with the source of truth and corrects
 * the ones that drifted (0 turns that off).
 *
 * A scenario names it as
 *
 *   strategies:
 *     debounced:
 *       module: ./strategies/debounced.ts     # relative to the scenario file
 *       options: { debounceMs: 500, reconcileEveryS: 900 }
 *
 * In your own project, import the types from the package: `import type { StrategyPlugin } from
 * 'invsim'`. A strategy sees only the ports it is handed (virtual time, its own random streams,
 * the dispatcher's jobs): no imports at run time, no Date, no Math.random.
 */
import type { StrategyPlugin } from '../../src/index.js';

interface Options {
  readonly debounceMs: number;
  readonly reconcileEveryS: number;
}

const debounced: StrategyPlugin<Options> = {
  validate(options) {
    const problems: string[] = [];
    if (typeof options.debounceMs !== 'number' || !(options.debounceMs >= 0)) problems.push('debounceMs: a number of ms >= 0');
    if (typeof options.reconcileEveryS !== 'number' || !(options.reconcileEveryS >= 0)) problems.push('reconcileEveryS: a number of s >= 0 (0: never)');
    return problems;
  },

  start(options, ports) {
    const everyMs = options.reconcileEveryS * 1000;
    if (everyMs > 0) {
      const tick = (): void => {
        void ports.reconcile();
        ports.schedule(everyMs, tick);
      };
      // At a per-seed phase of the interval, as the shipped periodic strategies do.
      ports.schedule(everyMs * (1 - ports.phase()), tick);
    }
    let windowOpen = false;
    return {
      onCommit() {
        if (windowOpen) return;
        windowOpen = true;
        ports.schedule(options.debounceMs, () => {
          windowOpen = false;
          ports.pump();
        });
      },
    };
  },

  syncWindowS: (options, latencyP99Ms) => Math.max(1, (options.debounceMs + latencyP99Ms) / 1000),
};

export default debounced;
