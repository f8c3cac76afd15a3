// Proves the CLI tells the user's mistakes from invsim's own: an input error (a bad flag value,
// an unknown strategy) exits 2 naming the field and the reason, without a stack; anything else
// (a TypeError, a broken invariant, a RangeError no input should cause) exits 70 with a short
// report and the command that reproduces it, and --debug adds the stack. The internal errors are
// injected by mocking the leakage model, which the `leakage` command calls: a test-only seam that
// leaves no hook in the product.
import { describe, expect, it, vi } from 'vitest';
import { InvariantError } from '../../src/engine/invariant.js';
import { InputError } from '../../src/engine/errors.js';
import { runCli } from './helpers.js';

/** A `--daily-orders` value that makes the mocked model throw the error of that name. */
const BUGS: Readonly<Record<number, () => Error>> = {
  101: () => new TypeError("Cannot read properties of undefined (reading 'syncWindowsPerDay')"),
  102: () => new InvariantError('leakage: oversells went negative'),
  103: () => new RangeError('a value no input should produce'),
};

vi.mock('../../src/engine/leakage.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/engine/leakage.js')>();
  return {
    ...actual,
    computeRevenueLeakage: (params: Parameters<typeof actual.computeRevenueLeakage>[0]) => {
      const bug = BUGS[params.dailyOrderVolume];
      if (bug !== undefined) throw bug();
      return actual.computeRevenueLeakage(params);
    },
  };
});

const leakage = (dailyOrders: string, ...extra: string[]): string[] => [
  'leakage',
  '--daily-orders',
  dailyOrders,
  '--sync-window-s',
  '900',
  '--aov',
  '1500',
  '--oversell-probability',
  '0.02',
  '--clv',
  '8000',
  '--churn-multiplier',
  '0.3',
  ...extra,
];

const STACK_LINE = /\n\s+at /;

describe('input errors: exit 2 with the field and the reason', () => {
  it('names the flag and why its value is refused, every bad one at once', async () => {
    const r = await runCli(leakage('-5', '--oversell-probability', '1.5'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('invsim: --daily-orders must be a finite number > 0, got -5; --oversell-probability must be <= 1, got 1.5');
    expect(r.err).not.toMatch(STACK_LINE);
    expect(r.err).not.toContain('internal error');
  });

  it('an unknown strategy is an input error too', async () => {
    const r = await runCli(['run', 'scenarios.yaml', '--scenario', 'flash-sale', '--strategy', 'no-such-strategy', '--seed', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no strategy no-such-strategy/);
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it('InputError carries the field and the reason as data', () => {
    const error = InputError.of('--workers', 'must be an integer from 1 to 256, got 0');
    expect(error).toMatchObject({ field: '--workers', reason: 'must be an integer from 1 to 256, got 0', message: '--workers must be an integer from 1 to 256, got 0' });
  });
});

describe('internal errors: exit 70, a short report, the stack with --debug', () => {
  it.each([
    ['a TypeError', '101', "internal error: TypeError: Cannot read properties of undefined (reading 'syncWindowsPerDay')"],
    ['a broken invariant', '102', 'internal error: InvariantError: leakage: oversells went negative'],
    ['a RangeError from inside', '103', 'internal error: RangeError: a value no input should produce'],
  ])('%s exits 70 with the message and the command that reproduces it', async (_label, dailyOrders, line) => {
    const r = await runCli(leakage(dailyOrders));
    expect(r.code).toBe(70);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`invsim: ${line}`);
    expect(lines[1]).toBe(`invsim: reproduce with \`invsim ${leakage(dailyOrders).join(' ')}\`; run again with --debug for the stack`);
    expect(r.out).toBe('');
  });

  it('--debug prints the full stack after the report', async () => {
    const r = await runCli(leakage('101', '--debug'));
    expect(r.code).toBe(70);
    expect(r.err).toMatch(/^invsim: internal error: TypeError: Cannot read properties/);
    expect(r.err).toContain(`invsim: reproduce with \`invsim ${leakage('101', '--debug').join(' ')}\`\n`);
    expect(r.err).toMatch(STACK_LINE);
    expect(r.err).toMatch(/TypeError: Cannot read properties of undefined[^\n]*\n\s+at /);
    expect(r.err).not.toContain('run again with --debug');
  });

  it('--debug changes nothing when the command succeeds or the input is wrong', async () => {
    const ok = await runCli(leakage('500', '--debug', '--json'));
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ totalDailyImpact: 39000 });
    const bad = await runCli(leakage('0', '--debug'));
    expect(bad.code).toBe(2);
    expect(bad.err).not.toMatch(STACK_LINE);
  });
});
