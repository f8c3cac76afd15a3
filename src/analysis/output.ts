/** `--out DIR`: the JSON document and a CSV (one row per run) written side by side. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';

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

/** Writes `<dir>/<base>.json` and `<dir>/<base>.csv`; returns the two paths. */
export function writeOutputs(dir: string, base: string, document: unknown, rows: readonly CsvRow[]): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${base}.json`);
  const csv = join(dir, `${base}.csv`);
  writeFileSync(json, toJson(document));
  writeFileSync(csv, toCsv(rows));
  return { json, csv };
}

/** A file-name-safe form of a scenario or parameter name. */
export function fileSafe(name: string): string {
  return name.replace(/[^\w.-]+/g, '_');
}
