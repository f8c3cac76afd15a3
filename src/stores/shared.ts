/** Helpers shared by the store adapters: validation and the dead-letter encoding. */
import type { DeadLetter } from '../engine/ports.js';

/** The in-memory store's default bound on unacknowledged outbox events, used by every store. */
export const MAX_OUTBOX_LENGTH = 10_000_000;

/** A level to seed: quantity an integer >= 0, version an integer >= 0. Programmer errors throw. */
export function assertLevel(quantity: number, version: number): void {
  if (!Number.isInteger(quantity) || quantity < 0) throw new RangeError(`quantity must be an integer >= 0, got ${quantity}`);
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`version must be an integer >= 0, got ${version}`);
}

const LETTER_FIELDS = ['id', 'sku', 'channel', 'quantity', 'version', 'committedAtMs', 'attempts', 'lastError', 'parkedAtMs'] as const;

/** JSON with the fields in a fixed order (only the port's fields: nothing else is stored). */
export function encodeDeadLetter(letter: DeadLetter): string {
  const out: Record<string, unknown> = {};
  for (const field of LETTER_FIELDS) out[field] = letter[field];
  return JSON.stringify(out);
}

export function decodeDeadLetter(json: string): DeadLetter {
  const value = JSON.parse(json) as Record<string, unknown>;
  const text = (field: string): string => {
    const v = value[field];
    if (typeof v !== 'string') throw new Error(`invariant: stored dead letter has no string ${field}: ${json}`);
    return v;
  };
  const num = (field: string): number => {
    const v = value[field];
    // JSON has no NaN: a NaN commit time (a resend) is stored as null and read back as NaN.
    if (v === null) return Number.NaN;
    if (typeof v !== 'number') throw new Error(`invariant: stored dead letter has no numeric ${field}: ${json}`);
    return v;
  };
  return {
    id: text('id'),
    sku: text('sku'),
    channel: text('channel'),
    quantity: num('quantity'),
    version: num('version'),
    committedAtMs: num('committedAtMs'),
    attempts: num('attempts'),
    lastError: text('lastError'),
    parkedAtMs: num('parkedAtMs'),
  };
}
