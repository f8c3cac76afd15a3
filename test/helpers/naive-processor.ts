/**
 * A deliberately naive processor kept only in the tests: read, compute, write back, with
 * the idempotency check before and the record after, and no version check. The property
 * tests run against it to prove they can detect the races it has.
 */
import type { InventoryMutation, MutationOutcome } from '../../src/engine/mutation.js';
import type { StockLevel } from '../../src/engine/ports.js';

export class NaiveStore {
  readonly levels = new Map<string, StockLevel>();
  readonly seen = new Set<string>();
  constructor(private readonly tick: () => Promise<void> = () => Promise.resolve()) {}
  async read(sku: string): Promise<StockLevel> {
    await this.tick();
    return this.levels.get(sku) ?? { quantity: 0, version: 0 };
  }
  async write(sku: string, quantity: number): Promise<void> {
    await this.tick();
    const v = this.levels.get(sku)?.version ?? 0;
    this.levels.set(sku, { quantity, version: v + 1 });
  }
  async hasProcessed(id: string): Promise<boolean> {
    await this.tick();
    return this.seen.has(id);
  }
  async record(id: string): Promise<void> {
    await this.tick();
    this.seen.add(id);
  }
}

export class NaiveProcessor {
  constructor(private readonly store: NaiveStore, private readonly onApplied: (m: InventoryMutation) => void) {}
  async handle(m: InventoryMutation): Promise<MutationOutcome> {
    if (await this.store.hasProcessed(m.mutationId)) return { status: 'duplicate' };
    const level = await this.store.read(m.sku);
    const next = level.quantity + m.quantityDelta;
    if (next < 0) return { status: 'rejected', reason: 'insufficient_stock' };
    await this.store.write(m.sku, next);
    this.onApplied(m);
    await this.store.record(m.mutationId);
    return { status: 'applied', quantity: next, version: level.version + 1, attempts: 1 };
  }
}
