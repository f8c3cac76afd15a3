/**
 * The two kinds of failure a command can end with (STYLE.md, habit 6).
 *
 * An InputError is the user's to fix: a bad flag, an invalid scenario, an unknown strategy or
 * channel, a file that cannot be read or written. It names what was wrong (`field`: a flag such
 * as `--workers`, a scenario path, a file; empty when it is the input as a whole) and why
 * (`reason`), and the CLI prints it without a stack and exits 2.
 *
 * Anything else that escapes a command is a bug in invsim: a TypeError, an InvariantError (a
 * broken invariant, src/engine/invariant.ts), a RangeError from a library function given a value
 * no input should have produced. The CLI reports it as an internal error and exits 70
 * (EX_SOFTWARE); `--debug` prints its stack.
 */

export interface InputErrorDetail {
  /** The flag, scenario path or file at fault; '' (the default) for the input as a whole. */
  readonly field?: string;
  /** Why, without the field (default: the message). */
  readonly reason?: string;
}

export class InputError extends Error {
  override readonly name: string = 'InputError';
  readonly field: string;
  readonly reason: string;

  constructor(message: string, detail: InputErrorDetail = {}) {
    super(message);
    this.field = detail.field ?? '';
    this.reason = detail.reason ?? message;
  }

  /** `--workers must be an integer …`: the message is the field, a space, and the reason. */
  static of(field: string, reason: string): InputError {
    return new InputError(`${field} ${reason}`, { field, reason });
  }
}
