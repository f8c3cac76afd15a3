/**
 * The shared outbox seen as a single-dispatcher outbox, so the engine's unchanged
 * PropagationDispatcher can run in several processes on one store:
 *
 *   const dispatcher = new PropagationDispatcher({ store: claimingOutbox(store, { consumer: 'serve-2' }), channels, … });
 *
 * `readOutbox` claims entries for this consumer (new ones, and those another consumer left
 * unacknowledged for `minIdleMs`); `ackOutbox` acknowledges what was handed out. The
 * dispatcher acknowledges a prefix of what it read (`ackOutbox(seq)` covers every event up to
 * `seq` in reading order), but claimed entries do not arrive in store-seq order (a reclaimed
 * old entry comes after newer ones), so the view hands out its own local seqs 1, 2, 3, … in
 * claiming order and maps them back. `outboxCursor()` is 0 for a fresh view: what a dead
 * dispatcher held comes back through the claims, not through a cursor.
 *
 * Every `readOutbox` also renews the claims still held (a heartbeat): the owner must pump
 * more often than `minIdleMs`, or a slow delivery (a channel in backoff) is claimed by
 * another consumer and sent twice; harmless for versioned channels, but not "once".
 *
 * Several dispatchers can send different versions of one SKU to one channel at the same
 * time; a channel that applies whatever arrives last can then go back a version until the
 * next update or the reconciler corrects it. Channels with compare-and-set (or SKUs
 * partitioned across dispatchers) avoid it.
 */
import type { InventoryStore, OutboxEvent } from '../engine/ports.js';
import type { SharedOutbox } from './types.js';

export interface ClaimingOutboxOptions {
  /** This dispatcher's name, unique among the live ones (e.g. host and pid). */
  readonly consumer: string;
  /** An entry left unacknowledged this long is taken over by another consumer (default 30 s). */
  readonly minIdleMs?: number;
}

export function claimingOutbox(store: InventoryStore & SharedOutbox, options: ClaimingOutboxOptions): ClaimingOutboxView {
  return new ClaimingOutboxView(store, options);
}

export class ClaimingOutboxView implements InventoryStore {
  private readonly consumer: string;
  private readonly minIdleMs: number;
  /** Handed out and not yet acknowledged, in local-seq order. */
  private handed: { readonly local: number; readonly seq: number }[] = [];
  private readonly held = new Set<number>();
  private nextLocal = 1;
  private acked = 0;

  constructor(
    private readonly store: InventoryStore & SharedOutbox,
    options: ClaimingOutboxOptions,
  ) {
    this.consumer = options.consumer;
    this.minIdleMs = options.minIdleMs ?? 30_000;
    if (!(this.minIdleMs >= 0)) throw new RangeError(`minIdleMs must be >= 0, got ${this.minIdleMs}`);
  }

  /** Entries this view holds (claimed, not yet acknowledged). */
  get holding(): number {
    return this.handed.length;
  }

  read: InventoryStore['read'] = (sku) => this.store.read(sku);
  hasProcessed: InventoryStore['hasProcessed'] = (id, nowMs) => this.store.hasProcessed(id, nowMs);
  recordOf: SharedOutbox['recordOf'] = (id, nowMs) => this.store.recordOf(id, nowMs);
  commit: InventoryStore['commit'] = (request, nowMs) => this.store.commit(request, nowMs);
  parkDeadLetter: InventoryStore['parkDeadLetter'] = (letter) => this.store.parkDeadLetter(letter);
  listDeadLetters: InventoryStore['listDeadLetters'] = () => this.store.listDeadLetters();
  removeDeadLetter: InventoryStore['removeDeadLetter'] = (id) => this.store.removeDeadLetter(id);
  skus: InventoryStore['skus'] = () => this.store.skus();

  async readOutbox(_afterSeq: number, limit: number): Promise<readonly OutboxEvent[]> {
    if (this.handed.length > 0) await this.store.renewOutboxClaims(this.consumer, this.handed.map((h) => h.seq));
    const claimed = await this.store.claimOutbox(this.consumer, limit, this.minIdleMs);
    const out: OutboxEvent[] = [];
    for (const event of claimed) {
      // Our own entry, idle past minIdleMs while still in delivery: it is already handed out.
      if (this.held.has(event.seq)) continue;
      const local = this.nextLocal++;
      this.handed.push({ local, seq: event.seq });
      this.held.add(event.seq);
      out.push({ ...event, seq: local });
    }
    return out;
  }

  async ackOutbox(localSeq: number): Promise<void> {
    if (localSeq <= this.acked) return;
    this.acked = localSeq;
    let n = 0;
    while (n < this.handed.length && this.handed[n]!.local <= localSeq) n++;
    const done = this.handed.slice(0, n).map((h) => h.seq);
    this.handed = this.handed.slice(n);
    for (const seq of done) this.held.delete(seq);
    await this.store.ackOutboxEntries(done);
  }

  async outboxCursor(): Promise<number> {
    return this.acked;
  }
}
