/**
 * Store errors are operating errors, reported with a message a person can act on. A bad
 * connection string is bad usage (a RangeError, so the CLI exits 2); a server that cannot be
 * reached or is not ready is reported when the store opens, never on the first request.
 */

/** The connection string cannot be used: wrong scheme, unparsable, a bad parameter. */
export class StoreUrlError extends RangeError {
  override readonly name = 'StoreUrlError';
}

/** The server is unreachable, refused us, or is not set up (old version, schema not migrated). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    message: string,
    /** The system or server error code when there is one (ECONNREFUSED, 3D000, …). */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** A URL with its password replaced, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable connection string>';
  }
}

/** The `code` of a Node system error or a server error, when it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
