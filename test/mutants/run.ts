/**
 * The mutation run: plants each mutant of test/mutants/mutants.ts and checks that its tests fail.
 *
 *   npx vite-node test/mutants/run.ts [--list] [--also=FILE,…] [NAME…]      (npm run test:mutants)
 *
 * `--also` runs more test files with every selected mutant: to find out whether other tests catch
 * it too (the list names the ones that must).
 *
 * The working tree is never written. The repository (without .git, node_modules and build
 * output) is copied once into a temporary directory, with node_modules linked; the tests of every
 * selected mutant first run there unmutated and must pass (a baseline: a failure without any
 * mutant proves nothing). Then, one mutant at a time, its patches are applied to the copy, its
 * test files run (`npx vitest run FILE…`, INVSIM_REQUIRE_SERVICES=1 so a store suite cannot skip
 * itself), and the copied files are restored byte for byte, checked, in a `finally`. A mutant is
 * `caught` when at least one test fails, `survived` when every test passes, `broken` when the run
 * fails with no failing test (the mutant does not load, say), and `timeout` when the run is
 * killed at its deadline (counted as caught, as a hang fails CI too). At the end the temporary
 * directory is removed and the working tree's mutated files are checked unchanged.
 *
 * Exit status: 0 when every mutant is caught, 1 when any survived or broke, 2 on a setup error
 * (an unknown name, a stale patch, a failing baseline).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTANTS, type Mutant } from './mutants.js';
import { applyPatches, filesOf } from './patch.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Not copied: history, dependencies (linked instead) and anything a build or a run writes. */
const SKIP = new Set(['.git', 'node_modules', 'dist', 'test-artifacts', 'coverage', 'reports/out', 'loadtest/out']);
/** A run taking longer than this is killed (vitest's own test timeout is 60 s). */
const RUN_DEADLINE_MS = 10 * 60_000;
const REPORT = 'test-artifacts/vitest-results.json';

type Verdict = 'caught' | 'survived' | 'broken' | 'timeout';

interface Outcome {
  readonly mutant: Mutant;
  readonly verdict: Verdict;
  /** The failing tests (caught), or the tail of the output (broken). */
  readonly detail: readonly string[];
  readonly seconds: number;
}

interface VitestReport {
  numFailedTests?: number;
  testResults?: { name?: string; assertionResults?: { fullName?: string; status?: string }[] }[];
}

interface RunResult {
  readonly status: number | null;
  readonly timedOut: boolean;
  readonly failedTests: string[];
  readonly output: string;
  readonly seconds: number;
}

function select(args: readonly string[]): readonly Mutant[] {
  const names = args.filter((a) => !a.startsWith('--'));
  const also = args.filter((a) => a.startsWith('--also=')).flatMap((a) => a.slice('--also='.length).split(',').filter((f) => f !== ''));
  for (const file of also) if (!existsSync(join(ROOT, file))) throw new SetupError(`--also: no test file ${file}`);
  const unknown = names.filter((n) => !MUTANTS.some((m) => m.name === n));
  if (unknown.length > 0) throw new SetupError(`unknown mutant ${unknown.join(', ')}; --list names them`);
  const chosen = names.length === 0 ? MUTANTS : MUTANTS.filter((m) => names.includes(m.name));
  return chosen.map((m) => ({ ...m, tests: [...new Set([...m.tests, ...also])] }));
}

class SetupError extends Error {}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function copyRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'invsim-mutants-'));
  cpSync(ROOT, dir, { recursive: true, filter: (src) => !SKIP.has(relative(ROOT, src)) });
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
  return dir;
}

function runTests(dir: string, tests: readonly string[]): RunResult {
  const report = join(dir, REPORT);
  rmSync(report, { force: true });
  const started = Date.now();
  const child = spawnSync('npx', ['vitest', 'run', ...tests], {
    cwd: dir,
    env: { ...process.env, INVSIM_REQUIRE_SERVICES: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
    timeout: RUN_DEADLINE_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (Date.now() - started) / 1000;
  const output = `${child.stdout ?? ''}${child.stderr ?? ''}`;
  const timedOut = child.error !== undefined && (child.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
  let failedTests: string[] = [];
  if (existsSync(report)) {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
    failedTests = (parsed.testResults ?? []).flatMap((file) =>
      (file.assertionResults ?? []).filter((a) => a.status === 'failed').map((a) => `${relative(dir, file.name ?? '')} > ${a.fullName ?? '?'}`),
    );
  }
  return { status: child.status, timedOut, failedTests, output, seconds };
}

function tail(output: string, lines = 15): string[] {
  return output.trimEnd().split('\n').slice(-lines);
}

function verdictOf(run: RunResult): Verdict {
  if (run.timedOut) return 'timeout';
  if (run.failedTests.length > 0) return 'caught';
  return run.status === 0 ? 'survived' : 'broken';
}

/** Plants `mutant` in the copy, runs its tests, and restores the copied files whatever happens. */
function runMutant(dir: string, mutant: Mutant): Outcome {
  const originals = new Map(filesOf(mutant.patches).map((file) => [file, readFileSync(join(dir, file), 'utf8')]));
  let outcome: Outcome;
  try {
    for (const [file, source] of originals) writeFileSync(join(dir, file), applyPatches(file, source, mutant.patches));
    const run = runTests(dir, mutant.tests);
    const verdict = verdictOf(run);
    const detail = verdict === 'caught' ? run.failedTests : verdict === 'survived' ? [] : tail(run.output);
    outcome = { mutant, verdict, detail, seconds: run.seconds };
  } finally {
    for (const [file, source] of originals) writeFileSync(join(dir, file), source);
  }
  // The next mutant must start from the pristine copy.
  for (const [file, source] of originals) if (readFileSync(join(dir, file), 'utf8') !== source) throw new Error(`could not restore ${file} in ${dir}`);
  return outcome;
}

/** `test/engine/x.test.ts (3), test/stores/y.test.ts (1)`: the files whose tests failed, with how many. */
function catchers(failedTests: readonly string[]): string {
  const perFile = new Map<string, number>();
  for (const test of failedTests) {
    const file = test.slice(0, test.indexOf(' > '));
    perFile.set(file, (perFile.get(file) ?? 0) + 1);
  }
  return [...perFile].map(([file, n]) => `${file} (${n})`).join(', ');
}

function printTable(outcomes: readonly Outcome[]): void {
  const width = Math.max(...outcomes.map((o) => o.mutant.name.length));
  console.log(`\n${'mutant'.padEnd(width)}  defect  verdict   time  failing tests per file`);
  for (const o of outcomes) {
    const caughtBy = o.verdict === 'caught' ? catchers(o.detail) : '';
    console.log(`${o.mutant.name.padEnd(width)}  ${String(o.mutant.defect).padStart(6)}  ${o.verdict.padEnd(8)} ${o.seconds.toFixed(0).padStart(4)}s  ${caughtBy}`);
  }
  const count = (v: Verdict): number => outcomes.filter((o) => o.verdict === v).length;
  console.log(`\n${outcomes.length} mutants: ${count('caught')} caught, ${count('timeout')} timed out, ${count('survived')} survived, ${count('broken')} broken`);
}

function main(args: readonly string[]): number {
  if (args.includes('--list')) {
    for (const m of MUTANTS) console.log(`${m.name}  (defect ${m.defect}): ${m.plants}  [${m.tests.join(' ')}]`);
    return 0;
  }
  const mutants = select(args);
  const watched = [...new Set(mutants.flatMap((m) => filesOf(m.patches)))];
  // Fail fast on a stale patch, before any copying or running.
  for (const m of mutants) {
    for (const file of filesOf(m.patches)) {
      try {
        applyPatches(file, readFileSync(join(ROOT, file), 'utf8'), m.patches);
      } catch (error) {
        throw new SetupError(`mutant ${m.name} is stale: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  const before = new Map(watched.map((file) => [file, sha256(join(ROOT, file))]));
  const dir = copyRepository();
  const outcomes: Outcome[] = [];
  try {
    const allTests = [...new Set(mutants.flatMap((m) => m.tests))];
    console.log(`baseline: ${allTests.length} test files, unmutated, in ${dir}`);
    const baseline = runTests(dir, allTests);
    if (baseline.status !== 0 || baseline.failedTests.length > 0) {
      console.error(tail(baseline.output, 40).join('\n'));
      throw new SetupError('the baseline fails without any mutant: fix the tests (or start Redis and PostgreSQL) first');
    }
    console.log(`baseline passes (${baseline.seconds.toFixed(0)} s)`);
    for (const [i, mutant] of mutants.entries()) {
      const outcome = runMutant(dir, mutant);
      outcomes.push(outcome);
      const by = outcome.verdict === 'caught' ? ` by ${catchers(outcome.detail)}` : '';
      console.log(`[${i + 1}/${mutants.length}] ${mutant.name}: ${outcome.verdict}${by} (${outcome.seconds.toFixed(0)} s)`);
      for (const line of outcome.detail.slice(0, outcome.verdict === 'caught' ? 3 : 15)) console.log(`    ${line}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Only the copy is ever written; make sure of it.
  for (const [file, hash] of before) if (sha256(join(ROOT, file)) !== hash) throw new Error(`${file} changed in the working tree during the run`);
  printTable(outcomes);
  const failed = outcomes.filter((o) => o.verdict === 'survived' || o.verdict === 'broken');
  for (const o of failed) console.log(`${o.verdict}: ${o.mutant.name} (${o.mutant.plants}); reproduce with: npx vite-node test/mutants/run.ts ${o.mutant.name}`);
  return failed.length > 0 ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(`test:mutants: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof SetupError ? 2 : 1;
}
