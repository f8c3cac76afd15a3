/**
 * The canonical event trace and its hash. Trace lines are buffered and fed to SHA-256 in
 * large chunks (hashing each line separately costs more than the simulation itself); when a
 * sink is given, the same lines stream to it, so memory stays bounded either way.
 */
import { createHash, type Hash } from 'node:crypto';

const FLUSH_CHARS = 1 << 16;

export class TraceRecorder {
  private readonly hash: Hash = createHash('sha256');
  private buffer = '';
  private lines = 0;

  constructor(private readonly sink?: (chunk: string) => void) {}

  /** Appends one line; fields must already be canonical (integers, fixed decimals, names). */
  line(text: string): void {
    this.buffer += text;
    this.buffer += '\n';
    this.lines++;
    if (this.buffer.length >= FLUSH_CHARS) this.flush();
  }

  get lineCount(): number {
    return this.lines;
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.hash.update(this.buffer);
    this.sink?.(this.buffer);
    this.buffer = '';
  }
}

/** Virtual times in traces: milliseconds with three decimals, so float noise cannot leak in. */
export function t3(ms: number): string {
  return ms.toFixed(3);
}
