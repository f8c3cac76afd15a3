/**
 * The canonical event trace and its hash. Every trace record is a kind plus up to five numbers
 * and a virtual time; records are folded into a 64-bit running hash as the exact bits of each
 * number, with no strings built on the hot path. When a sink is given (`--trace FILE`), the same
 * records are also written as text lines, one per record.
 */
import { createHash } from 'node:crypto';

export const TRACE = {
  violation: 1,
  commit: 2,
  apply: 3,
  lostSale: 4,
  order: 5,
  delivery: 6,
  outcome: 7,
  crash: 8,
  park: 9,
  heal: 10,
} as const;
const NAMES = ['', 'V', 'C', 'A', 'L', 'O', 'D', 'R', 'X', 'P', 'H'];

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const FLUSH_CHARS = 1 << 16;

export class TraceRecorder {
  private h1 = 0x9e3779b9 | 0;
  private h2 = 0x7f4a7c15 | 0;
  private records = 0;
  private buffer = '';

  constructor(private readonly sink?: (chunk: string) => void) {}

  /** One record: a kind from TRACE, its numeric fields (unused ones 0) and the virtual time. */
  record(kind: number, a: number, b: number, c: number, d: number, e: number, timeMs: number): void {
    this.records++;
    this.mix(kind);
    this.mix(a);
    this.mix(b);
    this.mix(c);
    this.mix(d);
    this.mix(e);
    this.mix(timeMs);
    if (this.sink !== undefined) {
      this.buffer += `${NAMES[kind]} ${a} ${b} ${c} ${d} ${e} ${timeMs}\n`;
      if (this.buffer.length >= FLUSH_CHARS) this.flush();
    }
  }

  get recordCount(): number {
    return this.records;
  }

  /** The final digest: the running hash, the record count and a closing document. */
  digest(closing: string): string {
    if (this.sink !== undefined) {
      this.buffer += `E ${closing}\n`;
      this.flush();
    }
    return createHash('sha256').update(`${this.h1 >>> 0}:${this.h2 >>> 0}:${this.records}\n${closing}`).digest('hex');
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.sink?.(this.buffer);
    this.buffer = '';
  }

  /** Folds the exact bits of one number into both lanes (murmur3-style mixing). */
  private mix(x: number): void {
    f64[0] = x;
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < 2; i++) {
      let k = Math.imul(u32[i]!, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h1 ^= k;
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      h2 = (Math.imul(h2 ^ k, 0x85ebca6b) + h1) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
  }
}
