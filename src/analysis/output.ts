/** `--out DIR`: the JSON document and a CSV (one row per run) written side by side. */
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFilesAtomically, type OutputTarget } from '../adapters/output-file.js';

export type CsvRow = readonly (string | number | boolean | null)[];

/** csv-stringify writes `false` as an empty cell by default; a CSV reader must see `true`/`false`. */
export function toCsv(rows: readonly CsvRow[]): string {
  return stringify(
    rows.map((r) => [...r]),
    { cast: { boolean: (value) => (value ? 'true' : 'false') } },
  );
}

export function toJson(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The two files `writeOutputs(dir, base, …)` writes. */
export function outputPaths(dir: string, base: string): { json: string; csv: string } {
  return { json: join(dir, `${base}.json`), csv: join(dir, `${base}.csv`) };
}

/** The destinations of `writeOutputs`, for checking them before a run (`assertWritable`). */
export function outputTargets(dir: string, base: string, option = '--out'): OutputTarget[] {
  const { json, csv } = outputPaths(dir, base);
  return [
    { option, path: json, shown: dir },
    { option, path: csv, shown: dir },
  ];
}

/** Writes `<dir>/<base>.json` and `<dir>/<base>.csv` (both or neither); returns the two paths. */
export function writeOutputs(dir: string, base: string, document: unknown, rows: readonly CsvRow[], option = '--out'): { json: string; csv: string } {
  const { json, csv } = outputPaths(dir, base);
  writeFilesAtomically([
    { option, path: json, shown: dir, data: toJson(document) },
    { option, path: csv, shown: dir, data: toCsv(rows) },
  ]);
  return { json, csv };
}

/** A file-name-safe form of a scenario or parameter name. */
export function fileSafe(name: string): string {
  return name.replace(/[^\w.-]+/g, '_');
}
