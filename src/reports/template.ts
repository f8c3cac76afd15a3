/**
 * The page around a report: one self-contained HTML document. The CSS is inline (a string here,
 * so it ships in dist/), fonts are the system's generic families, there is no script, no link and
 * no image URL: the file opens offline by double-click and makes no request.
 */
import { esc } from './html.js';

export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #d8dde5; --bg: #ffffff; --panel: #f5f7fa; --good: #1b7f3b; --bad: #b3261e; --accent: #2458a6; }
* { box-sizing: border-box; }
html { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
body { margin: 0 auto; max-width: 1120px; padding: 24px 28px 64px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 40px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 24px 0 6px; }
p { margin: 6px 0 10px; }
.subtitle { color: var(--muted); margin: 0 0 20px; }
.summary { background: var(--panel); border-left: 5px solid var(--accent); padding: 14px 20px; border-radius: 4px; }
.summary p { font-size: 1.05rem; }
.summary .headline { font-size: 1.25rem; font-weight: 600; }
.verdict-pass { color: var(--good); font-weight: 600; }
.verdict-fail { color: var(--bad); font-weight: 600; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 4px 0; caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: right; vertical-align: top; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
tbody th[scope="row"] { white-space: normal; min-width: 180px; max-width: 260px; }
thead th { white-space: normal; }
thead th { background: var(--panel); border-bottom: 2px solid var(--line); }
td .ci { display: block; color: var(--muted); font-size: 0.8rem; }
td.significant { font-weight: 600; }
td.text, th.text { text-align: left; white-space: normal; }
tr.winner td:first-child::after { content: " (winner)"; color: var(--good); font-weight: 600; }
figure { margin: 20px 0 28px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 6px; max-width: 900px; }
figcaption strong { color: var(--ink); }
.explain li { margin-bottom: 8px; }
.repro dt { font-weight: 600; margin-top: 8px; }
.repro dd { margin: 2px 0 0 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.85rem; }
pre { background: var(--panel); padding: 10px 12px; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.note { color: var(--muted); font-size: 0.9rem; }
.ok { color: var(--good); }
.fail { color: var(--bad); }
nav ol { columns: 2; margin: 0 0 10px; padding-left: 20px; color: var(--muted); }
@media print { body { max-width: none; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
`;

export interface PageOptions {
  readonly title: string;
  readonly subtitle: string;
  /** Section ids and headings, for the table of contents. */
  readonly sections: readonly { readonly id: string; readonly heading: string; readonly html: string }[];
  /** `data-report` on <body>: run, compare, sweep or live. */
  readonly kind: string;
}

export function page(options: PageOptions): string {
  const toc = options.sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.heading)}</a></li>`).join('');
  const body = options.sections.map((s) => `<section id="${esc(s.id)}" aria-labelledby="${esc(s.id)}-h"><h2 id="${esc(s.id)}-h">${esc(s.heading)}</h2>${s.html}</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="invsim">
<title>${esc(options.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body data-report="${esc(options.kind)}">
<header><h1>${esc(options.title)}</h1><p class="subtitle">${esc(options.subtitle)}</p><nav aria-label="Contents"><ol>${toc}</ol></nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}
