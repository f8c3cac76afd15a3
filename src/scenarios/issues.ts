/**
 * Scenario problems as data (zod's habit): each names the YAML path, the position in the file,
 * the rule broken (`code`) and a message saying what was found and what was expected. Every
 * check produces `PathIssue`s with a path of keys; the loader adds the line and column.
 */

import { InputError } from '../engine/errors.js';

/** One step of a YAML path: a mapping key or a list index. */
export type PathKey = string | number;

/** A problem before it is given a position in the file. */
export interface PathIssue {
  readonly path: readonly PathKey[];
  readonly code: string;
  readonly message: string;
}

export interface ScenarioIssue {
  /** Dotted YAML path, e.g. `scenarios.flash-sale.channels[2].preset`. */
  readonly path: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly code: string;
  readonly message: string;
}

/** Above this many, the message lists the first ones and says how many more there are. */
export const MAX_ISSUES_PRINTED = 100;

/** Every problem of a scenario file at once: an input error whose field is the file. */
export class ScenarioError extends InputError {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly issues: readonly ScenarioIssue[],
  ) {
    const message = formatIssues(file, issues);
    super(message, { field: file, reason: message.slice(message.indexOf('\n') + 1) });
  }
}

function formatIssues(file: string, issues: readonly ScenarioIssue[]): string {
  const lines = [`${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`];
  for (const issue of issues.slice(0, MAX_ISSUES_PRINTED)) lines.push(formatIssue(file, issue));
  if (issues.length > MAX_ISSUES_PRINTED) lines.push(`  … and ${issues.length - MAX_ISSUES_PRINTED} more`);
  return lines.join('\n');
}

/** One line: `  file:line:col  path: message [code]`. */
export function formatIssue(file: string, issue: ScenarioIssue): string {
  const where = issue.line === null ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return `  ${where}  ${issue.path || '(root)'}: ${issue.message} [${issue.code}]`;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `scenarios.flash-sale.channels[2].preset`; a key with other characters is quoted: `a["b c"]`. */
export function formatPath(path: readonly PathKey[]): string {
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      if (!PLAIN_KEY.test(p)) return `[${JSON.stringify(p)}]`;
      return i === 0 ? p : `.${p}`;
    })
    .join('');
}

/** How a value read from YAML is named in a message: `"ten"`, `-5`, `a list`, `nothing (null)`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (typeof value === 'string') return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
