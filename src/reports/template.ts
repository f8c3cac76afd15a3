/**
 * The page around a report: one self-contained HTML document. The CSS is inline (a string here,
 * so it ships in dist/), fonts are the system's generic families, there is no script, no link and
 * no image URL: the file opens offline by double-click and makes no request.
 *
 * The page reads at three sizes (test/reports/presentation.test.ts holds it to them):
 * - a desktop screen (1440 px): every table fits the text column without scrolling;
 * - a phone (390 px): charts switch to their one-column layout (charts.ts renders both), so chart
 *   text keeps its size; a table wider than the screen scrolls sideways inside its own box with
 *   its first column (the row's name) held in place; nothing else is wider than the screen;
 * - A4 paper: tables take the page width and wrap their cells, so every column is printed; each
 *   chart prints in the layout that fits the page at 80% of its size or more.
 * The header says when the report was generated and by which invsim version.
 */
import { readFileSync } from 'node:fs';
import { esc } from './html.js';

export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #d8dde5; --bg: #ffffff; --panel: #f5f7fa; --good: #1b7f3b; --bad: #b3261e; --accent: #2458a6; }
* { box-sizing: border-box; }
html { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1280px; padding: 24px 28px 64px; }
p, li, dl, figcaption, caption, .subtitle { max-width: 920px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 40px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 24px 0 6px; }
p { margin: 6px 0 10px; }
.subtitle { color: var(--muted); margin: 0 0 4px; }
.generated { color: var(--muted); font-size: 0.85rem; margin: 0 0 20px; }
.summary { background: var(--panel); border-left: 5px solid var(--accent); padding: 14px 20px; border-radius: 4px; }
.summary p { font-size: 1.05rem; }
.summary .headline { font-size: 1.25rem; font-weight: 600; }
.verdict-pass { color: var(--good); font-weight: 600; }
.verdict-fail { color: var(--bad); font-weight: 600; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 4px 0; caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 7px; text-align: right; vertical-align: top; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; padding-left: 2px; }
tbody th[scope="row"] { white-space: normal; min-width: 160px; max-width: 240px; }
thead th { white-space: normal; background: var(--panel); border-bottom: 2px solid var(--line); }
td .ci { display: block; color: var(--muted); font-size: 0.8rem; }
td.significant { font-weight: 600; }
td.text, th.text { text-align: left; white-space: normal; }
.no-data { white-space: normal; }
tr.winner td:first-child::after { content: " (winner)"; color: var(--good); font-weight: 600; }
figure { margin: 20px 0 28px; }
figure svg { max-width: 100%; height: auto; display: block; }
.chart-narrow { display: none; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 6px; }
figcaption strong { color: var(--ink); }
.chart-skipped { margin: 14px 0 20px; }
.chart-skipped strong { color: var(--ink); }
.explain li { margin-bottom: 8px; }
.repro dt { font-weight: 600; margin-top: 8px; }
.repro dd { margin: 2px 0 0 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.85rem; }
code { overflow-wrap: anywhere; }
pre { background: var(--panel); padding: 10px 12px; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.note { color: var(--muted); font-size: 0.9rem; }
.ok { color: var(--good); }
.fail { color: var(--bad); }
nav ol { columns: 2; margin: 0 0 10px; padding-left: 20px; color: var(--muted); }
@media screen and (max-width: 720px) {
  html { font-size: 14px; }
  body { padding: 14px 16px 48px; }
  h1 { font-size: 1.35rem; }
  h2 { font-size: 1.15rem; margin-top: 28px; }
  nav ol { columns: 1; }
  .summary { padding: 10px 12px; }
  .summary .headline { font-size: 1.1rem; }
  .chart-wide { display: none; }
  .chart-narrow { display: block; }
  tbody th[scope="row"] { min-width: 110px; max-width: 150px; }
  .table-wrap { border-right: 1px solid var(--line); }
  .table-wrap th:first-child, .table-wrap td:first-child { position: sticky; left: 0; z-index: 1; background: var(--bg); box-shadow: 1px 0 0 var(--line); }
  .table-wrap thead th:first-child { background: var(--panel); }
}
@page { size: A4; margin: 12mm 11mm 14mm; }
@media print {
  html { font-size: 10.5px; }
  body { max-width: none; padding: 0; }
  h2 { break-after: avoid; margin-top: 22px; }
  h3 { break-after: avoid; }
  figure, .summary { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .chart { display: none; }
  .chart.chart-print { display: block; }
  .table-wrap { overflow: visible; }
  table { width: 100%; font-size: 0.82rem; }
  caption { break-after: avoid; }
  tr { break-inside: avoid; }
  th, td { white-space: normal; padding: 2px 3px; overflow-wrap: break-word; }
  tbody th[scope="row"] { min-width: 0; max-width: none; width: 16%; }
  td .ci { font-size: 0.75rem; }
}
`;

/** The invsim version of package.json (src/reports and dist/reports both sit two levels below it). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/**
 * When a report says it was generated: `SOURCE_DATE_EPOCH` (seconds since 1970, the
 * reproducible-builds convention) when it is set, so two runs can give byte-identical pages;
 * otherwise the wall clock. The time is on the page only, never in the JSON beside it.
 */
export function generationTime(env: Readonly<Record<string, string | undefined>> = process.env, now: () => Date = () => new Date()): Date {
  const epoch = env['SOURCE_DATE_EPOCH'];
  if (epoch === undefined || epoch === '') return now();
  if (!/^\d{1,12}$/.test(epoch)) throw new RangeError(`SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 UTC, got "${epoch}"`);
  return new Date(Number(epoch) * 1000);
}

/** `2025-06-01 14:05 UTC`. */
export function fmtGenerated(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface PageOptions {
  readonly title: string;
  readonly subtitle: string;
  /** Section ids and headings, for the table of contents. */
  readonly sections: readonly { readonly id: string; readonly heading: string; readonly html: string }[];
  /** `data-report` on <body>: run, compare, sweep or live. */
  readonly kind: string;
  /** When the report was generated (default: generationTime()). */
  readonly generatedAt?: Date;
  /** Default: package.json's version. */
  readonly invsimVersion?: string;
}

export function page(options: PageOptions): string {
  const toc = options.sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.heading)}</a></li>`).join('');
  const version = options.invsimVersion ?? packageVersion();
  const at = options.generatedAt ?? generationTime();
  const generated = `<p class="generated">Generated <time datetime="${esc(at.toISOString())}" data-generated="${esc(at.toISOString())}">${esc(fmtGenerated(at))}</time> by <span data-invsim-version="${esc(version)}">invsim ${esc(version)}</span>.</p>`;
  const body = options.sections.map((s) => `<section id="${esc(s.id)}" aria-labelledby="${esc(s.id)}-h"><h2 id="${esc(s.id)}-h">${esc(s.heading)}</h2>${s.html}</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="invsim ${esc(version)}">
<title>${esc(options.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body data-report="${esc(options.kind)}">
<header><h1>${esc(options.title)}</h1><p class="subtitle">${esc(options.subtitle)}</p>${generated}<nav aria-label="Contents"><ol>${toc}</ol></nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}
