/**
 * The reports that need runs beyond their analysis: the commands simulate them
 * (src/analysis/report-inputs.ts), then the report is built from results alone (src/reports).
 */
import { compareReportRuns, livePrediction } from '../analysis/report-inputs.js';
import type { CompareResult } from '../analysis/compare.js';
import { liveConditioning } from '../loadtest/live-world.js';
import type { BuiltReport } from '../reports/document.js';
import type { LiveResult } from '../reports/live.js';
import { makeCompareReport, makeLiveReport, readLiveInputs, type CompareReportRequest, type LiveReportRequest } from '../reports/make.js';

/** A comparison's report: one full run per strategy on the first seed, for the per-run charts. */
export async function compareReport(request: CompareReportRequest): Promise<BuiltReport<CompareResult>> {
  return makeCompareReport({ ...request, runs: await compareReportRuns(request.scenario, request.result) });
}

/** A live run's report: its input files are read and checked first, then the prediction is simulated. */
export async function liveReport(request: LiveReportRequest): Promise<BuiltReport<LiveResult>> {
  const inputs = readLiveInputs(request);
  const conditioning = liveConditioning(inputs.k6, inputs.speedup);
  const predicted = await livePrediction(request.scenario, request.strategy, request.seeds, conditioning);
  return makeLiveReport({ ...request, inputs, predicted, conditioning });
}
