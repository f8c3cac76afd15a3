// Proves the `serve` and `k6` command modules as main.ts will wire them: `serve` refuses to start
// without its secrets (unless --insecure-dev, which warns), refuses a bad or unreachable --store with
// exit 2, and on SIGTERM answers every request in flight before it stops; `k6` writes the script
// and prints the `k6 run` line.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../cli/helpers.js';
import { k6Builder, k6Command, type K6Args } from '../../src/cli/commands/k6.js';
import { INSECURE_DEV_SECRETS, serveBuilder, serveCommand, type ServeArgs, type ServeContext } from '../../src/cli/commands/serve.js';
import { UsageError } from '../../src/cli/errors.js';
import type { RunningServer } from '../../src/serve/index.js';
import { ROOT } from './helpers.js';
import { signBody } from '../../src/serve/signature.js';

const SCENARIOS = join(ROOT, 'scenarios.yaml');

function captureIo(): { out: (t: string) => void; err: (t: string) => void; text: { out: string; err: string } } {
  const text = { out: '', err: '' };
  return { out: (t) => void (text.out += t), err: (t) => void (text.err += t), text };
}

/** Parses argv with the command's builder and runs its handler, as main.ts does. */
async function serve(argv: readonly string[], io: ReturnType<typeof captureIo>, context: ServeContext): Promise<number> {
  let code = -1;
  await yargs([...argv])
    .command<ServeArgs>('serve <file>', '', serveBuilder, async (args) => {
      code = await serveCommand(args, io, context);
    })
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .parseAsync();
  return code;
}

describe('invsim serve', () => {
  it('refuses to start without INVSIM_WEBHOOK_SECRET and INVSIM_ADMIN_TOKEN', async () => {
    const io = captureIo();
    await expect(serve(['serve', SCENARIOS, '--scenario', 'flash-sale', '--port', '0'], io, { env: {} })).rejects.toThrow(
      /INVSIM_WEBHOOK_SECRET and INVSIM_ADMIN_TOKEN not set.*--insecure-dev/,
    );
    await expect(serve(['serve', SCENARIOS, '--scenario', 'flash-sale', '--port', '0'], io, { env: { INVSIM_WEBHOOK_SECRET: 's' } })).rejects.toThrow(/^INVSIM_ADMIN_TOKEN not set/);
  });

  it('refuses a bad --store string and an unreachable store at start with a usage error that leaks no credentials', async () => {
    const env = { INVSIM_WEBHOOK_SECRET: 's', INVSIM_ADMIN_TOKEN: 't' };
    const base = ['serve', SCENARIOS, '--scenario', 'flash-sale', '--port', '0'];
    const bad = serve([...base, '--store', 'mysql://admin:hunter2@10.0.0.1:3306/db'], captureIo(), { env });
    await expect(bad).rejects.toBeInstanceOf(UsageError);
    await expect(bad).rejects.toThrow(/--store: bad connection string .*unknown scheme 'mysql:'/);
    await expect(bad).rejects.not.toThrow(/hunter2/);
    // Port 1 on the loopback refuses at once: the start fails before anything listens.
    const down = serve([...base, '--store', 'redis://admin:hunter2@127.0.0.1:1'], captureIo(), { env });
    await expect(down).rejects.toBeInstanceOf(UsageError);
    await expect(down).rejects.toThrow(/--store: the store is not usable, not starting: cannot reach redis at 127\.0\.0\.1:1: ECONNREFUSED/);
    await expect(down).rejects.not.toThrow(/hunter2/);
    // INVSIM_STORE is read when --store is absent.
    const fromEnv = serve(base, captureIo(), { env: { ...env, INVSIM_STORE: 'postgres://u:hunter2@127.0.0.1:1/db' } });
    await expect(fromEnv).rejects.toThrow(/--store: the store is not usable, not starting: cannot reach postgres at 127\.0\.0\.1:1\/db: ECONNREFUSED/);
  });

  it('turns a port already in use into a usage error', async () => {
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const attempt = serve(['serve', SCENARIOS, '--scenario', 'flash-sale', '--port', String(port), '--insecure-dev'], captureIo(), { env: {} });
      await expect(attempt).rejects.toBeInstanceOf(UsageError);
      await expect(attempt).rejects.toThrow(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('with --insecure-dev warns, serves, and on SIGTERM answers every request in flight before stopping', async () => {
    const io = captureIo();
    const signals = new EventEmitter();
    const done = deferred<number>();
    const listening = new Promise<RunningServer>((resolve) => {
      // A store slow enough that most orders are still queued when the SIGTERM comes.
      void serve(['serve', join(ROOT, 'test/serve/slow-store.yaml'), '--scenario', 'slow-store', '--port', '0', '--insecure-dev', '--no-faults', '--drain-timeout-s', '20'], io, {
        env: {},
        signals,
        onListening: (s) => resolve(s),
      }).then((code) => done.resolve(code), done.reject);
    });
    const server: RunningServer = await listening;
    expect(io.text.err).toMatch(/WARNING --insecure-dev/);
    expect(io.text.err).toContain(`WEBHOOK_SECRET=${INSECURE_DEV_SECRETS.webhookSecret}`);
    expect(io.text.err).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);

    const headers = { authorization: `Bearer ${INSECURE_DEV_SECRETS.adminToken}`, 'content-type': 'application/json' };
    const stocked = await fetch(`${server.url}/inventory/SKU-1/adjustments`, { method: 'POST', headers, body: JSON.stringify({ mutationId: 'load', quantityDelta: 20 }) });
    expect(stocked.status).toBe(200);

    const sends = Array.from({ length: 100 }, (_, n) => {
      const body = JSON.stringify({ mutationId: `o${n}`, orderId: `o${n}`, sku: 'SKU-1', quantity: 1 });
      return fetch(`${server.url}/webhooks/orders/shopify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-invsim-signature': signBody(body, INSECURE_DEV_SECRETS.webhookSecret) },
        body,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { status: string } }));
    });
    // Every order has reached the service, most are still queued for a processor worker.
    const arrivedBy = performance.now() + 10_000;
    while ((await server.service.audit()).orders.received < 100 && performance.now() < arrivedBy) await new Promise((r) => setTimeout(r, 2));
    const before = await server.service.audit();
    expect(before.orders.received).toBe(100);
    expect(before.orders.pending).toBeGreaterThan(0);
    signals.emit('SIGTERM');

    const answers = await Promise.all(sends);
    expect(answers.map((a) => a.status)).toEqual(new Array(100).fill(200));
    expect(answers.filter((a) => a.body.status === 'applied')).toHaveLength(20);
    expect(await done.promise).toBe(0);
    expect(io.text.err).toMatch(/SIGTERM: draining/);
    expect(io.text.err).toMatch(/stopped \(every request answered; propagation settled\); orders 100 \(applied 20, rejected 80, duplicates 0\), oversells \d+, integrity violations 0/);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('invsim k6', () => {
  it('writes the script, its bundle, lib/ and tsconfig.json, and prints the k6 run line', async () => {
    const io = captureIo();
    const out = join(ROOT, 'test-artifacts/loadtest/cli');
    let code = -1;
    await yargs(['k6', SCENARIOS, '--scenario', 'webhook-storm', '--speedup', '60', '--out', out])
      .command<K6Args>('k6 <file>', '', k6Builder, async (args) => {
        code = await k6Command(args, io);
      })
      .strict()
      .exitProcess(false)
      .parseAsync();
    expect(code).toBe(0);
    for (const f of ['webhook-storm.ts', 'webhook-storm.js', 'tsconfig.json', 'lib/requests.ts', 'lib/runtime.ts']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(io.text.out).toMatch(/invsim k6: webhook-storm → .*webhook-storm\.js/);
    expect(io.text.out).toMatch(/2\.0 min of load \(speedup 60\), 60 SKUs, channels shopify, woo, shopify-eu/);
    expect(io.text.out).toMatch(/k6 run .*webhook-storm\.js -e BASE_URL=http:\/\/127\.0\.0\.1:8080 -e WEBHOOK_SECRET=/);
  });

  it('exits through an InputError (exit 2 in main) for a bad --speedup or --strategy', async () => {
    const io = captureIo();
    const base = k6Args({ speedup: 0 });
    await expect(k6Command(base, io)).rejects.toThrow(/--speedup must be a finite number > 0, got 0/);
    await expect(k6Command({ ...base, speedup: -3 }, io)).rejects.toThrow(/--speedup must be a finite number > 0, got -3/);
    await expect(k6Command({ ...base, speedup: 1, strategy: 'nope' }, io)).rejects.toThrow(/--strategy: scenario flash-sale has no strategy nope/);
    await expect(k6Command({ ...base, speedup: 1, parallelism: 0 }, io)).rejects.toThrow(/--parallelism must be an integer >= 1, got 0/);
    await expect(k6Command({ ...base, speedup: 1, settleTimeoutS: -1 }, io)).rejects.toThrow(/--settle-timeout-s must be a finite number >= 0, got -1/);
    await expect(k6Command({ ...base, speedup: 1, targetCapacityPerS: 0 }, io)).rejects.toThrow(/--target-capacity-per-s must be a finite number > 0, got 0/);
  });

  it('refuses a speedup the scenario cannot be honoured at, naming the limit and why', async () => {
    const io = captureIo();
    const args = k6Args({ speedup: 60 });
    await expect(k6Command(args, io)).rejects.toThrow(/--speedup 60: scenario flash-sale cannot be honoured live above --speedup 30:\n {2}burst-backlog \(at most 30\): burst 0: 150 orders/);
    // A target that takes orders twice as fast allows twice the speedup.
    await expect(k6Command({ ...args, targetCapacityPerS: 6000 }, io)).resolves.toBe(0);
    // From the command line: exit 2, the reason on stderr, no stack trace.
    const cli = await spawnCli(['k6', 'scenarios.yaml', '--scenario', 'flash-sale', '--speedup', '60', '--out', join(ROOT, 'test-artifacts/loadtest/cli-refused')]);
    expect(cli.code).toBe(2);
    expect(cli.err).toMatch(/cannot be honoured live above --speedup 30/);
    expect(cli.err).not.toMatch(/\bat .*\.js:\d+/);
    const parallel = await spawnCli(['k6', 'scenarios.yaml', '--scenario', 'flash-sale', '--parallelism', '0', '--out', join(ROOT, 'test-artifacts/loadtest/cli-refused')]);
    expect(parallel.code).toBe(2);
    expect(parallel.err).toMatch(/--parallelism must be an integer >= 1, got 0/);
  });
});

/** `invsim k6`'s arguments as yargs gives them, on the flash-sale scenario. */
function k6Args(overrides: Partial<K6Args>): K6Args {
  return {
    file: SCENARIOS,
    scenario: 'flash-sale',
    speedup: 1,
    out: join(ROOT, 'test-artifacts/loadtest/cli'),
    seed: 1,
    strategy: undefined,
    httpP99Ms: 1000,
    targetCapacityPerS: 3000,
    settleTimeoutS: undefined,
    parallelism: 1,
    json: false,
    ...overrides,
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
