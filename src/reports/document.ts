/**
 * The JSON written beside every HTML report (FILE.json): the command's own JSON document verbatim
 * under `result` (what `--json` prints), plus what the page shows beyond it: the simulated runs
 * behind the per-run charts, the assertions, and the reproducibility block. Every number on the
 * page carries a JSON pointer into this document (`data-path`), so the two cannot drift apart.
 */
import type { CheckReport } from '../analysis/check.js';
import type { CsvRow } from '../analysis/output.js';
import type { SimulationResult } from '../model/result.js';
import type { RenderedChart } from './charts.js';
import type { Reproducibility } from './sections.js';

export const REPORT_KIND = 'invsim-report';

export type ReportType = 'run' | 'compare' | 'sweep' | 'live';

export interface ReportDocument<R = unknown> {
  readonly kind: typeof REPORT_KIND;
  readonly version: 1;
  readonly report: ReportType;
  readonly reproducibility: Reproducibility;
  /** The scenario's assert blocks evaluated on the report's runs; null when none apply. */
  readonly assertions: CheckReport | null;
  /** The command's JSON document, as `--json` prints it. */
  readonly result: R;
  /** Full results of the runs the per-run charts show (one per strategy; empty for a sweep). */
  readonly runs: readonly SimulationResult[];
  /** What the executive summary concludes, as data. */
  readonly summary: Readonly<Record<string, unknown>>;
}

export interface BuiltReport<R = unknown> {
  readonly html: string;
  readonly json: ReportDocument<R>;
  /** FILE.csv: header row first. */
  readonly csv: readonly CsvRow[];
  readonly charts: readonly RenderedChart[];
}
