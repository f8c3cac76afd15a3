/**
 * Errors of the analyses, and how any error crosses a worker-thread boundary: structured clone
 * keeps neither an Error's class nor its extra fields, so errors travel as data and are rebuilt
 * on the main thread as the class the CLI maps to an exit code.
 */
import { InputError } from '../engine/errors.js';
import { ScenarioError, type ScenarioIssue } from '../scenarios/load.js';
import { UnknownStrategyError } from '../sim/world.js';

/** Bad input to an analysis (a parameter path, a shard document, a flag value): exit code 2, no stack trace. */
export class AnalysisInputError extends InputError {
  override readonly name = 'AnalysisInputError';
}

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | null;
  readonly file: string | null;
  readonly issues: readonly ScenarioIssue[] | null;
  /** An InputError's field and reason (null for any other error). */
  readonly input: { readonly field: string; readonly reason: string } | null;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof ScenarioError) return { name: error.name, message: error.message, stack: null, file: error.file, issues: error.issues, input: null };
  if (error instanceof InputError) return { name: error.name, message: error.message, stack: null, file: null, issues: null, input: { field: error.field, reason: error.reason } };
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? null, file: null, issues: null, input: null };
  return { name: 'Error', message: String(error), stack: null, file: null, issues: null, input: null };
}

export function fromWireError(wire: WireError): Error {
  if (wire.name === 'ScenarioError' && wire.file !== null && wire.issues !== null) return new ScenarioError(wire.file, wire.issues);
  if (wire.name === 'UnknownStrategyError') return new UnknownStrategyError(wire.message);
  if (wire.name === 'AnalysisInputError') return new AnalysisInputError(wire.message, wire.input ?? {});
  if (wire.input !== null) return new InputError(wire.message, wire.input);
  if (wire.name === 'RangeError') return new RangeError(wire.message);
  const error = new Error(`${wire.message} (in a worker thread)`);
  if (wire.stack !== null) error.stack = `${wire.stack}\n    (in a worker thread)`;
  return error;
}
