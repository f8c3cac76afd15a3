/**
 * Every file the CLI writes (`--out`, `--report`, `--junit`, `--trace`, `invsim k6 --out DIR`)
 * goes through here, so that a reader never sees half a file and a bad destination is a
 * sentence rather than a stack trace:
 *
 * - `assertWritable` checks destinations before the work that produces them: each one must be
 *   a file (not a directory) we may replace, in a directory that exists or can be created.
 *   Commands call it before a run, so an unwritable `--report` costs nothing and writes nothing.
 * - `writeFilesAtomically` writes each file to a temporary file in its own directory and renames
 *   it over the destination once every temporary file of the set is complete. On a failure the
 *   temporary files, and any directory it created, are removed: nothing partial stays behind.
 * - `openAtomicFile` does the same for a file written as a stream (the event trace).
 *
 * Missing directories on the way to a destination are created (`reports/out/…` on a fresh
 * checkout, `invsim k6`'s default `loadtest/out`), as the commands always did. A failure is an
 * `OutputFileError`: `cannot write --report /ro/r.html: permission denied`, exit code 2.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../engine/errors.js';

/** A destination, the option that named it and, for a file inside `--out DIR`, the directory as given. */
export interface OutputTarget {
  readonly option: string;
  readonly path: string;
  /** What the message names (default: `path`): the files of one `--out DIR` share one line. */
  readonly shown?: string;
}

export interface OutputFile extends OutputTarget {
  readonly data: string | Uint8Array;
}

export interface OutputProblem {
  readonly option: string;
  readonly path: string;
  readonly reason: string;
}

/** Destinations that cannot be written: one line each (`cannot write --junit j.xml: …`), exit code 2. */
export class OutputFileError extends InputError {
  override readonly name = 'OutputFileError';
  readonly problems: readonly OutputProblem[];
  constructor(problems: readonly OutputProblem[]) {
    const seen = new Set<string>();
    const unique = problems.filter((p) => {
      const key = JSON.stringify([p.option, p.path, p.reason]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const first = unique[0];
    super(unique.map((p) => `cannot write ${p.option} ${p.path}: ${p.reason}`).join('\n'), first === undefined ? {} : { field: first.option, reason: `${first.path}: ${first.reason}` });
    this.problems = unique;
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  EEXIST: 'a file of that name appeared meanwhile',
  ELOOP: 'too many symbolic links',
};

/** The reason an I/O call failed, in words. */
export function ioReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && REASONS[code] !== undefined) return REASONS[code];
  return error instanceof Error ? error.message : String(error);
}

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

function canWrite(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK | (statSync(path).isDirectory() ? constants.X_OK : 0));
    return undefined;
  } catch (error) {
    return ioReason(error);
  }
}

/**
 * Why `path` cannot be written as a file, or undefined if it can (nothing is created). `scope`
 * says whether the reason concerns the file itself or a directory on the way to it.
 */
export function outputProblem(path: string): { reason: string; scope: 'file' | 'directory' } | undefined {
  const file = resolve(path);
  let st;
  try {
    st = statSync(file);
  } catch (error) {
    // ENOTDIR: something on the way is a file; the walk up below names it.
    if (errno(error) !== 'ENOENT' && errno(error) !== 'ENOTDIR') return { reason: ioReason(error), scope: 'file' };
  }
  if (st !== undefined) {
    if (st.isDirectory()) return { reason: 'it is a directory', scope: 'file' };
    const reason = canWrite(file);
    if (reason !== undefined) return { reason, scope: 'file' };
  }
  // The nearest directory that exists on the way up must be one we may create entries in.
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    let dirStat;
    try {
      dirStat = statSync(dir);
    } catch (error) {
      if (errno(error) !== 'ENOENT' && errno(error) !== 'ENOTDIR') return { reason: ioReason(error), scope: 'directory' };
    }
    if (dirStat !== undefined) {
      if (!dirStat.isDirectory()) return { reason: `${dir} is not a directory`, scope: 'directory' };
      const reason = canWrite(dir);
      if (reason === undefined) return undefined;
      return { reason: dir === dirname(file) ? reason : `cannot create a directory in ${dir}: ${reason}`, scope: 'directory' };
    }
    if (dirname(dir) === dir) return { reason: 'no such directory', scope: 'directory' };
  }
}

/** The line a problem prints: a file of `--out DIR` is named beside its directory's name. */
function problemOf(target: OutputTarget, reason: string, scope: 'file' | 'directory'): OutputProblem {
  const shown = target.shown ?? target.path;
  const specific = scope === 'file' && shown !== target.path;
  return { option: target.option, path: shown, reason: specific ? `${target.path}: ${reason}` : reason };
}

/** Throws one OutputFileError naming every destination that cannot be written. */
export function assertWritable(targets: readonly OutputTarget[]): void {
  const problems = targets.flatMap((t) => {
    const problem = outputProblem(t.path);
    return problem === undefined ? [] : [problemOf(t, problem.reason, problem.scope)];
  });
  if (problems.length > 0) throw new OutputFileError(problems);
}

/** Where the bytes go: the destination, or the file it links to (a link stays a link). */
function destination(path: string): string {
  const file = resolve(path);
  try {
    return lstatSync(file).isSymbolicLink() ? realpathSync(file) : file;
  } catch {
    return file;
  }
}

/** Creates the directories missing on the way to `dir`; returns them, outermost first. */
function makeDirectories(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      statSync(d);
      break;
    } catch {
      missing.unshift(d);
      if (dirname(d) === d) break;
    }
  }
  if (missing.length > 0) mkdirSync(dir, { recursive: true });
  return missing;
}

/** Removes directories this module created, innermost first, if they are still empty. */
function removeDirectories(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

const tempName = (file: string): string => join(dirname(file), `.${basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);

function existingMode(file: string): number {
  try {
    return statSync(file).mode & 0o7777;
  } catch {
    return 0o666;
  }
}

/** A file being written under a temporary name beside its destination. */
class TempFile {
  readonly temp: string;
  private fd: number | undefined;

  constructor(readonly file: string) {
    this.temp = tempName(file);
    this.fd = openSync(this.temp, 'wx', existingMode(file));
  }

  write(data: string | Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.temp} is closed`);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off);
  }

  /** Flushes and closes; the rename is separate so that a set of files can be renamed together. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  rename(): void {
    renameSync(this.temp, this.file);
  }

  discard(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed: nothing to do
      }
      this.fd = undefined;
    }
    try {
      unlinkSync(this.temp);
    } catch {
      // never created or already renamed
    }
  }
}

/**
 * Writes every file to a temporary file beside it, then renames them all: a reader sees each
 * destination either as it was or complete. On an error, nothing of this call is left behind
 * (files already renamed when a later rename fails excepted: a rename within a directory
 * fails only if the directory changed under us).
 */
export function writeFilesAtomically(files: readonly OutputFile[]): void {
  assertWritable(files);
  const created: string[] = [];
  const temps: { target: OutputFile; temp: TempFile }[] = [];
  let current: OutputFile | undefined;
  try {
    for (const target of files) {
      current = target;
      const file = destination(target.path);
      created.push(...makeDirectories(dirname(file)));
      const temp = new TempFile(file);
      temps.push({ target, temp });
      temp.write(target.data);
      temp.close();
    }
    for (const { target, temp } of temps) {
      current = target;
      temp.rename();
    }
  } catch (error) {
    for (const { temp } of temps) temp.discard();
    removeDirectories(created);
    throw new OutputFileError([problemOf(current ?? files[0]!, ioReason(error), 'file')]);
  }
}

export function writeFileAtomically(file: OutputFile): void {
  writeFilesAtomically([file]);
}

/** A file written as a stream: `commit` puts it in place, `abort` removes every trace of it. */
export interface AtomicFile {
  readonly write: (chunk: string) => void;
  readonly commit: () => void;
  readonly abort: () => void;
}

/**
 * Opens `target` for streaming. A write error does not interrupt the producer (the simulation
 * calls `write` from inside its events): it is kept, later chunks are dropped, and `commit`
 * throws it as an OutputFileError after removing the temporary file.
 */
export function openAtomicFile(target: OutputTarget): AtomicFile {
  assertWritable([target]);
  const fail = (error: unknown): OutputFileError => new OutputFileError([problemOf(target, ioReason(error), 'file')]);
  const file = destination(target.path);
  let created: string[] = [];
  let temp: TempFile;
  try {
    created = makeDirectories(dirname(file));
    temp = new TempFile(file);
  } catch (error) {
    removeDirectories(created);
    throw fail(error);
  }
  let failure: unknown;
  let done = false;
  const abort = (): void => {
    if (done) return;
    done = true;
    temp.discard();
    removeDirectories(created);
  };
  return {
    write: (chunk) => {
      if (failure !== undefined || done) return;
      try {
        temp.write(chunk);
      } catch (error) {
        failure = error;
      }
    },
    commit: () => {
      if (done) return;
      try {
        if (failure !== undefined) throw failure;
        temp.close();
        temp.rename();
        done = true;
      } catch (error) {
        abort();
        throw fail(error);
      }
    },
    abort,
  };
}
