import { InputError } from '../engine/errors.js';

/**
 * Exit codes and the errors that map to them (DESIGN.md: 0 ok, 1 assertion failed, 2 bad usage;
 * and 70, EX_SOFTWARE from sysexits.h, for an internal error: a bug in invsim, not in the input).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

/** Bad input from the user on the command line: printed without a stack trace, exit code 2. */
export class UsageError extends InputError {
  override readonly name = 'UsageError';
}
