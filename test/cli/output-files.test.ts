// Proves that every file the CLI writes is refused cleanly when it cannot be written (issue 11,
// item 8): for --report, --out, --junit and --trace, and `invsim k6 --out DIR`, a destination
// under a regular file, a destination that is a directory, or one in a directory without write
// permission exits 2 with `invsim: cannot write <flag> <path>: <reason>`, no stack trace, before
// anything runs, and leaves no file behind (no partial output, no temporary file). A run that
// fails after opening its trace leaves no trace file either; a good destination is still written,
// missing directories included.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, spawnCli, type CliRun } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'invsim-output-'));
afterAll(() => {
  chmodSync(join(scratch, 'readonly'), 0o755);
  rmSync(scratch, { recursive: true, force: true });
});

// The obstacles: a regular file where a directory should be, a directory where a file should
// be, and a directory without write permission (0o555).
const blocker = join(scratch, 'a-file');
writeFileSync(blocker, 'not a directory\n');
const dirAsFile = join(scratch, 'report.html');
mkdirSync(dirAsFile);
const readonly = join(scratch, 'readonly');
mkdirSync(readonly);
chmodSync(readonly, 0o555);
chmodSync(scratch, 0o755);

/** Every path under `dir`, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}
const BEFORE = tree(scratch);

function expectRefused(r: CliRun, flag: string, path: string, reason: string | RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.err).not.toContain('internal error');
  expect(r.err).not.toMatch(/^\s+at /m); // no stack frame
  const line = r.err.split('\n').find((l) => l.startsWith(`invsim: cannot write ${flag} ${path}: `));
  expect(line, r.err).toBeDefined();
  if (typeof reason === 'string') expect(line).toContain(reason);
  else expect(line).toMatch(reason);
  expect(tree(scratch), 'nothing written, no temporary file left').toEqual(BEFORE);
}

const RUN = ['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'event-driven'];
const NOT_A_DIR = `${blocker} is not a directory`;

describe('an unwritable destination exits 2 with the path and the reason, before the run', () => {
  it('run --report under a regular file', async () => {
    const path = join(blocker, 'r.html');
    expectRefused(await runCli([...RUN, '--report', path]), '--report', path, NOT_A_DIR);
  });

  it('run --report that is a directory', async () => {
    expectRefused(await runCli([...RUN, '--report', dirAsFile]), '--report', dirAsFile, 'it is a directory');
  });

  it('run --trace under a missing directory that cannot be created', async () => {
    const path = join(blocker, 'deeper', 'trace.txt');
    expectRefused(await runCli([...RUN, '--trace', path]), '--trace', path, NOT_A_DIR);
  });

  it('run --trace and --report both bad: both named, nothing run', async () => {
    const trace = join(blocker, 't.txt');
    const r = await runCli([...RUN, '--json', '--trace', trace, '--report', dirAsFile]);
    expectRefused(r, '--trace', trace, NOT_A_DIR);
    expectRefused(r, '--report', dirAsFile, 'it is a directory');
    expect(r.out).toBe('');
  });

  it('compare --out under a regular file, and --report beside it', async () => {
    const out = join(blocker, 'out');
    const r = await runCli(['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '2', '--workers', '1', '--out', out, '--report', dirAsFile]);
    expectRefused(r, '--out', out, NOT_A_DIR);
    expectRefused(r, '--report', dirAsFile, 'it is a directory');
    expect(r.out).toBe('');
  });

  it('compare --shard --out under a regular file', async () => {
    const r = await runCli(['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--seeds', '2', '--workers', '1', '--shard', '1/2', '--out', blocker]);
    expectRefused(r, '--out', blocker, NOT_A_DIR);
  });

  it('sweep --out and --report', async () => {
    const sweep = ['sweep', 'scenarios.yaml', '--scenario', 'baseline', '--param', 'strategies.polling-15m.intervalS', '--values', '60,900', '--seeds', '2', '--workers', '1'];
    expectRefused(await runCli([...sweep, '--out', blocker]), '--out', blocker, NOT_A_DIR);
    expectRefused(await runCli([...sweep, '--report', dirAsFile]), '--report', dirAsFile, 'it is a directory');
  });

  it('check --junit that is a directory, and one under a regular file', async () => {
    const check = ['check', 'test/fixtures/cli/flash-sale-pass.yaml', '--seeds', '1', '--workers', '1'];
    expectRefused(await runCli([...check, '--junit', dirAsFile]), '--junit', dirAsFile, 'it is a directory');
    const path = join(blocker, 'junit.xml');
    expectRefused(await runCli([...check, '--junit', path]), '--junit', path, NOT_A_DIR);
  });

  it('start --out under a regular file', async () => {
    const out = join(blocker, 'reports');
    expectRefused(await runCli(['start', '--seeds', '2', '--workers', '1', '--out', out]), '--out', out, NOT_A_DIR);
  });

  it('merge --out under a regular file', async () => {
    const shardFile = join(tmpdir(), `invsim-output-shard-${process.pid}.json`);
    const shard = await runCli(['compare', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategies', 'event-driven', '--seeds', '2', '--workers', '1', '--shard', '1/1']);
    expect(shard.code, shard.err).toBe(0);
    writeFileSync(shardFile, shard.out);
    try {
      const r = await runCli(['merge', shardFile, '--out', blocker]);
      expectRefused(r, '--out', blocker, NOT_A_DIR);
      expect(r.out).toBe('');
    } finally {
      rmSync(shardFile, { force: true });
    }
  });

  it('live-report --report that is a directory', async () => {
    const r = await runCli(['live-report', '--k6-summary', 'test/fixtures/reports/k6-summary.json', '--audit', 'test/fixtures/reports/audit.json', '--scenario', 'flash-sale', '--seeds', '2', '--report', dirAsFile]);
    expectRefused(r, '--report', dirAsFile, 'it is a directory');
    expect(r.out).toBe('');
  });

  it('k6 --out under a regular file: no script, no lib/, no tsconfig', async () => {
    const out = join(blocker, 'k6');
    expectRefused(await runCli(['k6', 'scenarios.yaml', '--scenario', 'flash-sale', '--out', out]), '--out', out, NOT_A_DIR);
  });

  it('k6 --out where the script would be a directory', async () => {
    const out = join(scratch, 'k6-taken');
    mkdirSync(join(out, 'flash-sale.js'), { recursive: true });
    try {
      const r = await runCli(['k6', 'scenarios.yaml', '--scenario', 'flash-sale', '--out', out]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain(`invsim: cannot write --out ${out}: ${join(out, 'flash-sale.js')}: it is a directory`);
      expect(tree(out)).toEqual(['flash-sale.js']); // no lib/, no .ts: nothing was written
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the exit code and the permission case, from a real process', () => {
  it('bin/invsim exits 2 on an unwritable --report (no stack trace on stderr)', async () => {
    const path = join(blocker, 'r.html');
    expectRefused(await spawnCli([...RUN, '--report', path]), '--report', path, NOT_A_DIR);
  });

  // Root may write anywhere, so as root the CLI runs as nobody (uid 65534) for this case.
  const asRoot = process.getuid?.() === 0;
  function spawnUnprivileged(argv: readonly string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
      execFile(process.execPath, [BIN, ...argv], { cwd: ROOT, encoding: 'utf8', ...ids }, (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') return reject(error);
        resolve({ code: error === null ? 0 : (error.code as number), out: stdout, err: stderr });
      });
    });
  }

  it('--trace and --report in a directory without write permission: permission denied', async () => {
    const trace = join(readonly, 'trace.txt');
    const report = join(readonly, 'sub', 'r.html');
    const r = await spawnUnprivileged([...RUN, '--trace', trace, '--report', report]);
    expectRefused(r, '--trace', trace, 'permission denied');
    expectRefused(r, '--report', report, `cannot create a directory in ${readonly}: permission denied`);
  });
});

describe('what does get written', () => {
  it('a run that fails after opening its trace leaves no trace file', async () => {
    const path = join(scratch, 'failed-trace.txt');
    const r = await runCli(['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'no-such-strategy', '--trace', path]);
    expect(r.code).toBe(2);
    // Nor a moment later (a stream opened asynchronously would have created it by now).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(tree(scratch)).toEqual(BEFORE);
  });

  it('good destinations are written whole, missing directories created, no temporary file left', async () => {
    const dir = join(scratch, 'new', 'deeper');
    try {
      const r = await runCli([...RUN, '--json', '--trace', join(dir, 'trace.txt'), '--report', join(dir, 'run.html')]);
      expect(r.code, r.err).toBe(0);
      expect(tree(dir)).toEqual(['run.csv', 'run.html', 'run.json', 'trace.txt']);
      const trace = statSync(join(dir, 'trace.txt')).size;
      expect(trace).toBeGreaterThan(0);
      expect(r.err).toContain(`wrote ${join(dir, 'run.html')}, ${join(dir, 'run.json')} and ${join(dir, 'run.csv')}`);
    } finally {
      rmSync(join(scratch, 'new'), { recursive: true, force: true });
    }
  });
});
