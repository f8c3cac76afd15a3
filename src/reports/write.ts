/**
 * Writes a report and its data side by side: FILE.html, FILE.json and FILE.csv (the extension of
 * the given path, if .html or .htm, is replaced; any other name gets the three extensions added).
 */
import { writeFilesAtomically, type OutputTarget } from '../adapters/output-file.js';
import { toCsv, toJson } from '../analysis/output.js';
import type { BuiltReport } from './document.js';

export interface ReportPaths {
  readonly html: string;
  readonly json: string;
  readonly csv: string;
}

export function reportPaths(file: string): ReportPaths {
  const base = /\.html?$/i.test(file) ? file.replace(/\.html?$/i, '') : file;
  return { html: /\.html?$/i.test(file) ? file : `${base}.html`, json: `${base}.json`, csv: `${base}.csv` };
}

/** How a report's destinations are named in a message: by `option` and, optionally, a directory. */
export interface ReportOption {
  readonly option: string;
  readonly shown?: string;
}

/** The three destinations of a report, for checking them before the run (`assertWritable`). */
export function reportTargets(file: string, named: ReportOption = { option: '--report' }): OutputTarget[] {
  const paths = reportPaths(file);
  return [paths.html, paths.json, paths.csv].map((path) => ({ ...named, path }));
}

/** Writes the three files atomically, all or none (src/adapters/output-file.ts). */
export function writeReport(file: string, report: BuiltReport, named: ReportOption = { option: '--report' }): ReportPaths {
  const paths = reportPaths(file);
  writeFilesAtomically([
    { ...named, path: paths.html, data: report.html },
    { ...named, path: paths.json, data: toJson(report.json) },
    { ...named, path: paths.csv, data: toCsv(report.csv) },
  ]);
  return paths;
}
