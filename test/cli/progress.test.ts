// Proves that the long commands report progress on stderr and never on stdout: through the real
// binary with stderr a pipe (as in CI), a sweep prints a plain line every interval
// (INVSIM_PROGRESS_EVERY_S, here 50 ms) and a last one at the end, while stdout stays exactly
// the JSON document, with worker threads and without; with a terminal, a bar redrawn in place;
// a command shorter than the interval prints nothing; a bad setting is named and the default used.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { SweepResult } from '../../src/analysis/sweep.js';
import { main } from '../../src/cli/main.js';
import { progressEveryMsFromEnv } from '../../src/cli/progress.js';
import { BIN, ROOT, type CliRun } from './helpers.js';

const SWEEP = ['sweep', 'scenarios.yaml', '--scenario', 'flash-sale', '--param', 'demand.ordersPerDay', '--values', '1000,2000', '--strategy', 'allocation', '--seeds', '3', '--json'];
const LINE = /^sweep: (\d+)\/6 runs \((\d+)%\), \S+ elapsed(?:, about \S+ left)?$/;

/** The binary with stdout and stderr pipes (not terminals) and `env` added. */
function spawnWithEnv(argv: readonly string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...argv], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') return reject(error);
      resolve({ code: error === null ? 0 : (error.code as number), out: stdout, err: stderr });
    });
  });
}

async function inProcess(argv: readonly string[], io: { isTTY?: boolean; progressEveryMs?: number }): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), ...io });
  process.exitCode = 0;
  return { code, out, err };
}

function expectPureJson(out: string): void {
  const result = JSON.parse(out) as SweepResult;
  expect(result.points.map((p) => p.value)).toEqual([1000, 2000]);
  expect(out).not.toMatch(/\d+\/\d+ runs/);
  for (const control of ['\r', '\x1b']) expect(out).not.toContain(control);
}

describe('progress of a long command', () => {
  it.each(['1', '2'])('prints a line every interval on a piped stderr, and stdout stays pure JSON (--workers %s)', async (workers) => {
    const r = await spawnWithEnv([...SWEEP, '--workers', workers], { INVSIM_PROGRESS_EVERY_S: '0.05' });
    expect(r.code, r.err).toBe(0);
    expectPureJson(r.out);
    for (const control of ['\r', '\x1b']) expect(r.err).not.toContain(control);
    const lines = r.err.split('\n').filter((l) => l !== '');
    expect(lines.length, r.err).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(LINE);
    const done = lines.map((l) => Number(LINE.exec(l)![1]));
    expect(done, r.err).toEqual([...done].sort((a, b) => a - b));
    expect(lines.at(-1)).toMatch(/^sweep: 6\/6 runs \(100%\), /);
  });

  it('draws a bar on a terminal, on stderr only', async () => {
    const r = await inProcess([...SWEEP, '--workers', '1'], { isTTY: true });
    expect(r.code, r.err).toBe(0);
    expectPureJson(r.out);
    expect(r.err).toMatch(/sweep [█░]{30} 6\/6 runs/);
    // Redrawn in place: the cursor goes back to the start of the line between frames.
    expect(r.err).toContain('\x1b[1G');
    expect(r.err.endsWith('\n')).toBe(true);
  });

  it('prints nothing when the command ends within one interval', async () => {
    const r = await inProcess([...SWEEP, '--workers', '1'], { progressEveryMs: 60_000 });
    expect(r.code).toBe(0);
    expectPureJson(r.out);
    expect(r.err).toBe('');
  });

  it('reads INVSIM_PROGRESS_EVERY_S in seconds, and names a bad value', async () => {
    expect(progressEveryMsFromEnv(undefined)).toBeUndefined();
    expect(progressEveryMsFromEnv(' ')).toBeUndefined();
    expect(progressEveryMsFromEnv('0.5')).toBe(500);
    expect(progressEveryMsFromEnv('0')).toBe(0);
    expect(progressEveryMsFromEnv('-1')).toBeNaN();
    expect(progressEveryMsFromEnv('soon')).toBeNaN();
    const r = await inProcess([...SWEEP, '--workers', '1'], { progressEveryMs: Number.NaN });
    expect(r.code).toBe(0);
    expect(r.err).toBe('invsim: INVSIM_PROGRESS_EVERY_S must be a number of seconds >= 0 (0: no progress); using 5\n');
  });
});
