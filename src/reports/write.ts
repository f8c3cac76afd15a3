/**
 * Writes a report and its data side by side: FILE.html, FILE.json and FILE.csv (the extension of
 * the given path, if .html or .htm, is replaced; any other name gets the three extensions added).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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

export function writeReport(file: string, report: BuiltReport): ReportPaths {
  const paths = reportPaths(file);
  mkdirSync(dirname(paths.html), { recursive: true });
  writeFileSync(paths.html, report.html);
  writeFileSync(paths.json, toJson(report.json));
  writeFileSync(paths.csv, toCsv(report.csv));
  return paths;
}
