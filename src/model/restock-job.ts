/**
 * A restock that is a job taking time, as a live run's is (the k6 script's `restock`): it reads
 * every SKU's level `batch` at a time over `readSpanMs`, then writes the adjustments of those
 * below the target, `batch` at a time, over `writeSpanMs` (scenario ms). A SKU's delta is fixed at
 * its read, so what sells between its read and its write is not made good. Every batch has an
 * equal share of its span, and its reads (or writes) reach the store one after another over that
 * share, as the service answers a k6 http.batch's requests in turn. The scenario's own restock is
 * instant: it reads and commits every SKU at its moment.
 */
export interface RestockJob {
  readonly readSpanMs: number;
  readonly writeSpanMs: number;
  readonly batch: number;
}

/** Why a restock job cannot be run, or null. */
export function restockJobIssue(job: RestockJob): string | null {
  if (!(job.readSpanMs >= 0 && Number.isFinite(job.readSpanMs))) return `readSpanMs must be a finite number >= 0, got ${job.readSpanMs}`;
  if (!(job.writeSpanMs >= 0 && Number.isFinite(job.writeSpanMs))) return `writeSpanMs must be a finite number >= 0, got ${job.writeSpanMs}`;
  if (!Number.isInteger(job.batch) || job.batch < 1) return `batch must be an integer >= 1, got ${job.batch}`;
  return null;
}
