/** Report builders: self-contained HTML with charts, and the JSON and CSV beside it. */
export { buildCompareReport, type CompareReportInput, type CompareSummary } from './compare.js';
export { buildRunReport, type RunReportInput } from './run.js';
export { buildSweepReport, type SweepReportInput } from './sweep.js';
export { buildLiveReport, type LiveReportInput } from './live.js';
export { makeCompareReport, makeLiveReport, makeRunReport, makeSweepReport, readLiveInputs, commandLine, invsimVersion, reproducibility, type LiveInputs } from './make.js';
export { renderChart, type Chart, type RenderedChart } from './charts.js';
export { REPORT_KIND, type BuiltReport, type ReportDocument, type ReportType } from './document.js';
export { reportPaths, writeReport, type ReportPaths } from './write.js';
