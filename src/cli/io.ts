/**
 * Where a command writes: results to `out`, progress and diagnostics to `err`. Its own module so
 * that the commands and the progress bar take it without importing main.ts, which imports them.
 */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether `err` is a terminal: long commands draw a progress bar there, and print a line every few seconds elsewhere. */
  readonly isTTY?: boolean;
  /** Ms between progress lines when `err` is not a terminal (default 5 000); 0 turns progress off, bar included; NaN: a bad setting, the default is used. */
  readonly progressEveryMs?: number;
}
