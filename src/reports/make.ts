/**
 * From a finished analysis to a report: what the commands call. Each function gathers what the
 * page needs beyond the analysis document (the scenario's assertions evaluated on the analysis'
 * own runs, the reproducibility block, a live run's input files) and builds it. Reports never
 * simulate: the runs a page shows beyond its analysis (one full run per strategy for the per-run
 * charts, a live run's prediction) come in with the request, from src/analysis/report-inputs.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AnalysisInputError } from '../analysis/errors.js';
import { checkTasks, evaluateAssertions, scenarioAssertions, shellQuote, type Assertion, type CheckReport } from '../analysis/check.js';
import type { CompareResult } from '../analysis/compare.js';
import type { RunRecord } from '../analysis/metrics.js';
import { toRunRecord } from '../analysis/metrics.js';
import { scenarioHash } from '../analysis/shard.js';
import type { SweepResult } from '../analysis/sweep.js';
import type { Scenario } from '../scenarios/schema.js';
import type { SimulationResult } from '../model/result.js';
import type { LiveConditioning } from '../loadtest/live-world.js';
import { buildCompareReport } from './compare.js';
import type { BuiltReport } from './document.js';
import { buildRunReport } from './run.js';
import type { Reproducibility } from './sections.js';
import { buildSweepReport } from './sweep.js';
import { buildLiveReport, type LiveResult } from './live.js';
import { combineK6Summaries, parseAudit, parseK6Summary, type LiveAudit, type LiveK6 } from './live-input.js';

/** The version in package.json (two levels above both src/reports and dist/reports). */
export function invsimVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** `invsim compare a.yaml --scenario x`: a command line, each word shell-quoted where needed. */
export function commandLine(words: readonly (string | number)[]): string {
  return words.map((w) => shellQuote(String(w))).join(' ');
}

export function reproducibility(options: { scenario: Scenario; file: string; seeds: readonly number[]; strategies: readonly string[]; command: string; alsoCommands?: readonly string[] }): Reproducibility {
  return {
    scenario: options.scenario.name,
    file: options.file,
    scenarioHash: scenarioHash(options.scenario),
    seeds: [...options.seeds],
    strategies: [...options.strategies],
    invsimVersion: invsimVersion(),
    command: options.command,
    alsoCommands: [...(options.alsoCommands ?? [])],
  };
}

/**
 * The scenario's assertions for the given strategies, evaluated on the records the analysis
 * already ran (no run twice). Assertions on other strategies are listed as skipped.
 */
export function assertionsFor(file: string, scenario: Scenario, strategies: readonly string[], seeds: readonly number[], records: readonly RunRecord[]): { report: CheckReport | null; skipped: string[] } {
  const all = scenarioAssertions(scenario);
  const inPlan = (a: Assertion): boolean => strategies.includes(a.strategy);
  const kept = all.filter(inPlan);
  const skipped = [...new Set(all.filter((a) => !inPlan(a)).map((a) => a.strategy))].map((s) => `assertions on ${s}`);
  if (kept.length === 0) return { report: null, skipped };
  // Every (strategy, seed) an assertion needs is among the records: the plan ran every strategy on every seed.
  const needed = checkTasks(file, kept, seeds);
  const have = new Set(records.map((r) => JSON.stringify([r.strategy, r.seed])));
  for (const t of needed) if (!have.has(JSON.stringify([t.strategy, t.seed]))) throw new Error(`no record for ${t.strategy} seed ${t.seed}`);
  return { report: evaluateAssertions(file, kept, seeds, records), skipped };
}

export interface CompareReportRequest {
  readonly file: string;
  readonly scenario: Scenario;
  readonly result: CompareResult;
  /** The comparison's run records (every assertable metric), in any order. */
  readonly records: readonly RunRecord[];
  readonly command: string;
  readonly alsoCommands?: readonly string[];
}

/** A comparison's report, given its representative runs (src/analysis/report-inputs.ts, `compareReportRuns`). */
export async function makeCompareReport(request: CompareReportRequest & { readonly runs: readonly SimulationResult[] }): Promise<BuiltReport<CompareResult>> {
  const { result, scenario } = request;
  const strategies = result.strategies.map((s) => s.strategy);
  const { report, skipped } = assertionsFor(request.file, scenario, strategies, result.seeds, request.records);
  return buildCompareReport({
    scenario,
    result,
    assertions: report,
    skippedAssertions: skipped,
    runs: request.runs,
    reproducibility: reproducibility({ scenario, file: request.file, seeds: result.seeds, strategies, command: request.command, ...(request.alsoCommands === undefined ? {} : { alsoCommands: request.alsoCommands }) }),
  });
}

export async function makeRunReport(request: { file: string; scenario: Scenario; result: SimulationResult; command: string }): Promise<BuiltReport<SimulationResult>> {
  const { result, scenario } = request;
  const { report, skipped } = assertionsFor(request.file, scenario, [result.strategy], [result.seed], [toRunRecord(result)]);
  return buildRunReport({
    scenario,
    result,
    assertions: report,
    skippedAssertions: skipped,
    reproducibility: reproducibility({ scenario, file: request.file, seeds: [result.seed], strategies: [result.strategy], command: request.command }),
  });
}

export async function makeSweepReport(request: { file: string; scenario: Scenario; result: SweepResult; records: readonly RunRecord[]; scenarios: readonly Scenario[]; command: string }): Promise<BuiltReport<SweepResult>> {
  const { result, scenario } = request;
  const strategies = result.points[0]?.strategies.map((s) => s.strategy) ?? [];
  // Records come point by point (value-major, as the sweep ran them); each point has its own assertions.
  const perPoint = result.points.map((_, i) => {
    const n = strategies.length * result.seeds.length;
    const records = request.records.slice(i * n, (i + 1) * n);
    return assertionsFor(request.file, request.scenarios[i] ?? scenario, strategies, result.seeds, records).report;
  });
  return buildSweepReport({
    scenario,
    result,
    assertions: perPoint,
    reproducibility: reproducibility({ scenario, file: request.file, seeds: result.seeds, strategies, command: request.command }),
  });
}

/** Reads a JSON input file; an unreadable or malformed one is a usage error naming it. */
export function readJsonInput(path: string, role: string): { json: unknown; sha256: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AnalysisInputError(`cannot read the ${role} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    return { json: JSON.parse(text) as unknown, sha256: createHash('sha256').update(text).digest('hex') };
  } catch (error) {
    throw new AnalysisInputError(`the ${role} ${path} is not JSON: ${(error as Error).message}`);
  }
}

export interface LiveReportRequest {
  readonly file: string;
  readonly scenario: Scenario;
  readonly strategy: string;
  readonly seeds: readonly number[];
  /** One k6 summary, or one per k6 instance of a split test (combined). */
  readonly k6SummaryPaths: readonly string[];
  readonly auditPath: string;
  /** The live run's speedup, when the audit does not say it (or to check that it says the same). */
  readonly speedup?: number;
  readonly command: string;
}

/** A live run's input files, read and checked against the request before anything is simulated. */
export interface LiveInputs {
  readonly k6Files: readonly { readonly path: string; readonly sha256: string }[];
  readonly auditSha256: string;
  readonly k6: LiveK6;
  readonly audit: LiveAudit;
  /** The audit's speedup, else the request's; null when neither says. */
  readonly speedup: number | null;
}

/** Reads the k6 summaries and the audit; an unreadable one, or one of another run, is a usage error naming it. */
export function readLiveInputs(request: Pick<LiveReportRequest, 'scenario' | 'k6SummaryPaths' | 'auditPath' | 'speedup'>): LiveInputs {
  if (request.k6SummaryPaths.length === 0) throw new AnalysisInputError('--k6-summary: give at least one k6 summary file');
  const k6Files = request.k6SummaryPaths.map((path) => ({ path, ...readJsonInput(path, 'k6 summary') }));
  const auditFile = readJsonInput(request.auditPath, 'audit');
  const k6 = combineK6Summaries(k6Files.map((f) => parseK6Summary(f.json, f.path)));
  const audit = parseAudit(auditFile.json, request.auditPath);
  const { scenario } = request;
  if (audit.scenario !== null && audit.scenario !== scenario.name) {
    throw new AnalysisInputError(`${request.auditPath} is the audit of scenario ${audit.scenario}, not ${scenario.name} (pass --scenario ${audit.scenario})`);
  }
  if (request.speedup !== undefined && audit.speedup !== null && request.speedup !== audit.speedup) {
    throw new AnalysisInputError(`--speedup ${request.speedup}: ${request.auditPath} says the service ran at speedup ${audit.speedup}; the script and the service must run at the same one`);
  }
  return { k6Files: k6Files.map((f) => ({ path: f.path, sha256: f.sha256 })), auditSha256: auditFile.sha256, k6, audit, speedup: audit.speedup ?? request.speedup ?? null };
}

/**
 * The live report: the live run's inputs (`readLiveInputs`) beside the simulation's prediction of
 * the world the live run creates, one run per seed (src/analysis/report-inputs.ts, `livePrediction`).
 */
export async function makeLiveReport(
  request: LiveReportRequest & { readonly inputs: LiveInputs; readonly predicted: readonly SimulationResult[]; readonly conditioning: LiveConditioning },
): Promise<BuiltReport<LiveResult>> {
  const { scenario, strategy, inputs, predicted, conditioning } = request;
  const { report } = assertionsFor(request.file, scenario, [strategy], request.seeds, predicted.map(toRunRecord));
  return buildLiveReport({
    scenario,
    strategy,
    speedup: inputs.speedup,
    k6: inputs.k6,
    audit: inputs.audit,
    predicted,
    conditioning,
    assertions: report,
    reproducibility: {
      ...reproducibility({ scenario, file: request.file, seeds: request.seeds, strategies: [strategy], command: request.command }),
      inputs: [
        ...inputs.k6Files.map((f) => ({ role: 'k6 summary', path: f.path, sha256: f.sha256 })),
        { role: 'service audit', path: request.auditPath, sha256: inputs.auditSha256 },
      ],
    },
  });
}
