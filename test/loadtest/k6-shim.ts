// A stand-in for the k6 runtime, enough to run a generated script in a Node worker thread: k6's
// HTTP calls are synchronous, so each request goes to a helper thread that fetches while this one
// waits on a SharedArrayBuffer (Atomics.wait). Checks, metrics and requests are recorded for the
// test. Not a k6 emulator: only what loadtest/lib/runtime.ts uses.
import { createHmac } from 'node:crypto';
import { Worker, workerData } from 'node:worker_threads';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string | null;
  readonly headers: Record<string, string>;
  readonly tags: Record<string, string>;
  readonly status: number;
  readonly responseBody: string | null;
}

export const state = {
  requests: [] as RecordedRequest[],
  checks: {} as Record<string, { passes: number; fails: number }>,
  metrics: {} as Record<string, number[]>,
  logs: [] as string[],
  scenario: { name: 'orders', executor: 'ramping-arrival-rate', startTime: 0, progress: 0, iterationInInstance: 0, iterationInTest: 0 },
};

(globalThis as { __ENV?: unknown }).__ENV = (workerData as { env: Record<string, string> }).env;
(globalThis as { __VU?: unknown }).__VU = 1;

const SAB_BYTES = 8 + 8 * 1024 * 1024;
const sab = new SharedArrayBuffer(SAB_BYTES);
const flag = new Int32Array(sab, 0, 2);
const bytes = new Uint8Array(sab, 8);
const fetcher = new Worker(
  `const { parentPort, workerData } = require('node:worker_threads');
   const flag = new Int32Array(workerData.sab, 0, 2);
   const bytes = new Uint8Array(workerData.sab, 8);
   parentPort.on('message', async (req) => {
     let out;
     try {
       const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body === null ? undefined : req.body });
       out = JSON.stringify({ status: res.status, body: await res.text() });
     } catch (error) {
       out = JSON.stringify({ status: 0, body: null, error: String(error) });
     }
     const encoded = new TextEncoder().encode(out);
     bytes.set(encoded.subarray(0, bytes.length));
     flag[1] = Math.min(encoded.length, bytes.length);
     Atomics.store(flag, 0, 1);
     Atomics.notify(flag, 0);
   });`,
  { eval: true, workerData: { sab } },
);
fetcher.unref();

interface Params {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
}

function request(method: string, url: string, body: string | null, params: Params = {}): { status: number; body: string | null } {
  Atomics.store(flag, 0, 0);
  fetcher.postMessage({ method, url, body, headers: params.headers ?? {} });
  if (Atomics.wait(flag, 0, 0, 30_000) === 'timed-out') throw new Error(`k6 shim: ${method} ${url} got no answer within 30 s`);
  const answer = JSON.parse(new TextDecoder().decode(bytes.slice(0, flag[1]!))) as { status: number; body: string | null; error?: string };
  if (answer.error !== undefined) throw new Error(`k6 shim: ${method} ${url}: ${answer.error}`);
  state.requests.push({ method, url, body, headers: params.headers ?? {}, tags: params.tags ?? {}, status: answer.status, responseBody: answer.body });
  return { status: answer.status, body: answer.body };
}

export const http = {
  get: (url: string, params?: Params) => request('GET', url, null, params),
  post: (url: string, body: string | null, params?: Params) => request('POST', url, body, params),
  batch: (requests: { method: string; url: string; body?: string; params?: Params }[]) => requests.map((r) => request(r.method, r.url, r.body ?? null, r.params)),
  expectedStatuses: (...statuses: number[]) => ({ statuses }),
};

export function check<T>(value: T, sets: Record<string, (v: T) => boolean>): boolean {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    const ok = fn(value);
    const entry = (state.checks[name] ??= { passes: 0, fails: 0 });
    if (ok) entry.passes++;
    else entry.fails++;
    all &&= ok;
  }
  return all;
}

/** Sleeps for real, at most 20 ms: the test is about requests, not pacing. */
export function sleep(seconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(20, seconds * 1000));
}

export function hmac(algorithm: string, secret: string, input: string, encoding: 'hex'): string {
  return createHmac(algorithm, secret).update(input).digest(encoding);
}

export const exec = { scenario: state.scenario, test: { options: { executionSegment: null as string | null } } };

/** k6's randomSeed: re-seeds this VU's Math.random (mulberry32). */
export function randomSeed(seed: number): void {
  let s = seed >>> 0;
  Math.random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Metric {
  constructor(readonly name: string) {}
  add(value: number): void {
    (state.metrics[this.name] ??= []).push(value);
  }
}
export class Counter extends Metric {}
export class Gauge extends Metric {}

// The script logs with k6's global console: keep its lines for the test instead.
console.log = (...args: unknown[]) => void state.logs.push(args.map(String).join(' '));
console.error = (...args: unknown[]) => void state.logs.push(`ERROR ${args.map(String).join(' ')}`);
console.warn = (...args: unknown[]) => void state.logs.push(`WARN ${args.map(String).join(' ')}`);
