// Runs the CLI in-process through main(argv, io) with captured output, or as a child process
// through bin/invsim.js (needs dist/: `npm test` builds first) when the exit code or worker
// threads are what a test is about.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/invsim.js', import.meta.url));
export const FIXTURES = 'test/fixtures/cli';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCli(argv: readonly string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  // main() sets process.exitCode for bin/; a test process must not inherit a failing one.
  process.exitCode = 0;
  return { code, out, err };
}

/**
 * Asynchronous on purpose: a synchronous spawn blocks the test worker's event loop and vitest's RPC with it.
 * `env` is added to this process' environment (a variable set to undefined is removed).
 */
export function spawnCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Promise<CliRun> {
  const childEnv = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter((e): e is [string, string] => e[1] !== undefined));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: childEnv }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') return reject(error);
      resolve({ code: error === null ? 0 : (error.code as number), out: stdout, err: stderr });
    });
  });
}
