/**
 * Progress of the commands that run many seeds (compare, sweep, check, start), on stderr only:
 * stdout carries the result (one JSON document with --json) and must stay exactly that.
 *
 * On a terminal, a bar redrawn in place with the runs done, the time elapsed and an ETA. Elsewhere
 * (a CI log, a pipe, a file) a bar cannot be redrawn, so one plain line every few seconds
 * (`INVSIM_PROGRESS_EVERY_S`, default 5; 0 for none) from the first interval on, and a last
 * line when the runs are done: a command that finishes within one interval prints nothing, a
 * long one shows it is alive and how far it got. cli-progress draws the bar, schedules the lines
 * and estimates the time left; this module only picks the form and defers the first line.
 */
import cliProgress from 'cli-progress';
import type { RunTask } from '../analysis/execute.js';
import type { RunRecord } from '../analysis/metrics.js';
import { runTasks } from '../analysis/runner.js';
import type { Io } from './io.js';

export const PROGRESS_ENV = 'INVSIM_PROGRESS_EVERY_S';
export const DEFAULT_PROGRESS_EVERY_MS = 5_000;
/** Redraws of the terminal bar per second (cli-progress' fps). */
const BAR_FPS = 5;

/** `INVSIM_PROGRESS_EVERY_S` in ms: undefined when unset, NaN when it is not a number of seconds >= 0. */
export function progressEveryMsFromEnv(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : Number.NaN;
}

/** Runs the tasks (see runTasks) with progress on `io.err`; the records are runTasks' own. */
export async function runWithProgress(io: Io, label: string, tasks: readonly RunTask[], workers: number): Promise<RunRecord[]> {
  return withProgress(io, label, tasks.length, (onProgress) => runTasks(tasks, { workers, onProgress }));
}

/** Runs `work`, drawing progress over `total` runs as it reports them. */
export async function withProgress<T>(io: Io, label: string, total: number, work: (onProgress: (done: number) => void) => Promise<T>): Promise<T> {
  const progress = startProgress(io, label, total);
  try {
    return await work(progress.update);
  } finally {
    progress.stop();
  }
}

interface Progress {
  readonly update: (done: number) => void;
  readonly stop: () => void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };

function startProgress(io: Io, label: string, total: number): Progress {
  let everyMs = io.progressEveryMs ?? DEFAULT_PROGRESS_EVERY_MS;
  if (Number.isNaN(everyMs)) {
    io.err(`invsim: ${PROGRESS_ENV} must be a number of seconds >= 0 (0: no progress); using ${DEFAULT_PROGRESS_EVERY_MS / 1000}\n`);
    everyMs = DEFAULT_PROGRESS_EVERY_MS;
  }
  if (total === 0 || everyMs === 0) return SILENT;
  const tty = io.isTTY === true;
  const startedMs = Date.now();
  // cli-progress writes to a stream; this one is `io.err`, and says whether it is a terminal.
  const stream = { isTTY: tty, write: (text: string) => (io.err(text), true) } as unknown as NodeJS.WritableStream;
  const bar = new cliProgress.SingleBar({
    stream,
    format: (options, params) => {
      const elapsed = cliProgress.Format.TimeFormat(Math.round((Date.now() - startedMs) / 1000), options, 1);
      const eta = params.value > 0 && params.value < params.total && typeof params.eta === 'number' ? cliProgress.Format.TimeFormat(params.eta, options, 1) : undefined;
      const runs = `${params.value}/${params.total} runs`;
      if (tty) return `${label} ${cliProgress.Format.BarFormat(params.progress, options)} ${runs} | ${elapsed} elapsed${eta === undefined ? '' : ` | ETA ${eta}`}`;
      const percent = Math.floor(params.progress * 100);
      return `${label}: ${runs} (${percent}%), ${elapsed} elapsed${eta === undefined ? '' : `, about ${eta} left`}`;
    },
    fps: BAR_FPS,
    barsize: 30,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    // Not a terminal: a line every `everyMs` rather than redraws; no blank line after the last.
    noTTYOutput: true,
    notTTYSchedule: everyMs,
    clearOnComplete: !tty,
    hideCursor: false,
  });
  let done = 0;
  let started = false;
  const begin = (): void => {
    started = true;
    bar.start(total, done);
  };
  // A terminal shows the bar at once; a log gets its first line one interval in.
  const first = tty ? undefined : setTimeout(begin, everyMs);
  if (tty) begin();
  return {
    update: (n) => {
      done = n;
      if (started) bar.update(n);
    },
    stop: () => {
      clearTimeout(first);
      if (started) bar.stop();
    },
  };
}
