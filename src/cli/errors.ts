/** Exit codes and the errors that map to them (DESIGN.md: 0 ok, 1 assertion failed, 2 bad usage). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad input from the user: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
