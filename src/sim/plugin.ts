/**
 * Finds the definition a strategy spec names: a built-in kind from the registry.
 */
import type { StrategySpec } from '../scenarios/schema.js';
import { builtInStrategy, type StrategyDefinition } from './strategies.js';

export function loadStrategyDefinition(spec: StrategySpec): Promise<StrategyDefinition<StrategySpec>> {
  return Promise.resolve(builtInStrategy(spec.kind));
}
