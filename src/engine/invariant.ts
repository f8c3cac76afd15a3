/**
 * Broken invariants: programmer errors, never outcomes. Code that finds its own state impossible
 * (a lane in a state it cannot be in, a counter below zero) throws this, and the CLI reports it
 * as an internal error (exit 70) rather than as bad input.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}
