// One virtual user of the k6 stand-in, run as a worker thread: this module is the k6 runtime the
// script sees (k6, k6/http, k6/crypto, k6/execution, k6/metrics, plus k6/encoding and k6/data),
// then imports the bundled script once (the VU's init context) and runs the exported functions
// the main thread asks for, synchronously, as k6 does. HTTP is synchronous for the script: the
// request goes to the main thread and this thread blocks in Atomics.wait until the answer is on
// its private MessagePort. Every metric sample is reported to the main thread, which aggregates.
import { createHash, createHmac, randomBytes as nodeRandomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { LIVE, type FromVu, type HttpAnswer, type HttpExchange, type HttpRequestSpec, type MetricDef, type MetricType, type RequestBody, type Sample, type ScenarioInfo, type ToVu, type VuWorkerData } from './protocol.js';
import { parseDuration } from './schedule.js';

// Stack traces name the script's own files and lines (the bundle carries an inline source map).
process.setSourceMapsEnabled(true);

const wd = workerData as VuWorkerData;
const main = parentPort!;
const flag = new Int32Array(wd.flag);
const live = new Float64Array(wd.live);
const napCell = new Int32Array(new SharedArrayBuffer(4));

type Phase = 'init' | 'setup' | 'iteration' | 'teardown' | 'summary' | 'idle';
let phase: Phase = 'init';

const globals = globalThis as unknown as Record<string, unknown>;
const baseEnv: Record<string, string> = { ...wd.env };
globals['__ENV'] = baseEnv;
globals['__VU'] = wd.idInInstance;
globals['__ITER'] = 0;

function post(message: FromVu): void {
  main.postMessage(message);
}

// ---------------------------------------------------------------------------------------------
// console: k6 prints console output as log lines (console.debug only with --verbose).

function formatArg(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a instanceof Error) return String(a);
  if (typeof a === 'object' && a !== null) {
    try {
      return JSON.stringify(a);
    } catch {
      return String(a);
    }
  }
  return String(a);
}
function logger(level: 'info' | 'warn' | 'error' | 'debug') {
  return (...args: unknown[]): void => post({ kind: 'log', level, line: args.map(formatArg).join(' ') });
}
const k6Console = { log: logger('info'), info: logger('info'), warn: logger('warn'), error: logger('error'), debug: logger('debug') };
Object.assign(console, k6Console);

// ---------------------------------------------------------------------------------------------
// Tags and samples.

let pending: Sample[] = [];
/** The VU's tags (exec.vu.tags): the run's and scenario's tags and `scenario`, plus what the script set. */
let stateTags: Record<string, string> = {};
let groupPath = '';
let bytesSent = 0;
let bytesReceived = 0;

function currentTags(extra?: Record<string, unknown>): Record<string, string> {
  const tags: Record<string, string> = { ...stateTags, group: groupPath };
  if (extra !== undefined && extra !== null) for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) tags[k] = String(v);
  return tags;
}

function emit(name: string, value: number, tags: Record<string, string>): void {
  pending.push([name, value, tags]);
}

function takeSamples(): Sample[] {
  const out = pending;
  pending = [];
  return out;
}

// ---------------------------------------------------------------------------------------------
// k6/metrics

const BUILTIN: Record<string, MetricType> = {
  vus: 'gauge',
  vus_max: 'gauge',
  iterations: 'counter',
  iteration_duration: 'trend',
  dropped_iterations: 'counter',
  data_sent: 'counter',
  data_received: 'counter',
  checks: 'rate',
  group_duration: 'trend',
  http_reqs: 'counter',
  http_req_failed: 'rate',
  http_req_duration: 'trend',
  http_req_blocked: 'trend',
  http_req_connecting: 'trend',
  http_req_tls_handshaking: 'trend',
  http_req_sending: 'trend',
  http_req_waiting: 'trend',
  http_req_receiving: 'trend',
};
const customMetrics = new Map<string, MetricDef>();

class K6Metric {
  readonly name: string;
  readonly type: MetricType;
  constructor(type: MetricType, name: unknown, isTime: unknown) {
    if (phase !== 'init') throw new Error('metrics must be declared in the init context');
    if (typeof name !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_]{1,127}$/.test(name)) {
      throw new Error(`Invalid metric name: '${String(name)}'. Metric names must be 2-128 ASCII letters, numbers or underscores, not starting with a number`);
    }
    const known = BUILTIN[name] ?? customMetrics.get(name)?.type;
    if (known !== undefined && known !== type) throw new Error(`metric '${name}' already exists but with type ${known}, instead of ${type}`);
    this.name = name;
    this.type = type;
    if (BUILTIN[name] === undefined && !customMetrics.has(name)) {
      customMetrics.set(name, { name, type, contains: isTime === true && (type === 'trend' || type === 'gauge') ? 'time' : 'default' });
    }
  }
  add(value: unknown, tags?: Record<string, unknown>): boolean {
    if (phase === 'init') throw new Error('cannot add metric samples in the init context');
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
    if (!Number.isFinite(v)) {
      k6Console.warn(`'${String(value)}' is an invalid value for metric '${this.name}', a number or a boolean value is expected`);
      return false;
    }
    emit(this.name, this.type === 'rate' ? (v !== 0 ? 1 : 0) : v, currentTags(tags));
    return true;
  }
}
export class Counter extends K6Metric {
  constructor(name: string) {
    super('counter', name, false);
  }
}
export class Gauge extends K6Metric {
  constructor(name: string, isTime?: boolean) {
    super('gauge', name, isTime);
  }
}
export class Trend extends K6Metric {
  constructor(name: string, isTime?: boolean) {
    super('trend', name, isTime);
  }
}
export class Rate extends K6Metric {
  constructor(name: string) {
    super('rate', name, false);
  }
}

// ---------------------------------------------------------------------------------------------
// k6

function requireVuContext(what: string): void {
  if (phase === 'init') throw new Error(`${what} in the init context is not supported`);
}

function check<T>(value: T, sets: Record<string, unknown>, tags?: Record<string, unknown>): boolean {
  requireVuContext('using check()');
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    const ok = typeof fn === 'function' ? Boolean((fn as (v: T) => unknown)(value)) : Boolean(fn);
    emit('checks', ok ? 1 : 0, { ...currentTags(tags), check: name });
    all &&= ok;
  }
  return all;
}

function sleep(seconds: number): void {
  const ms = Number(seconds) * 1000;
  if (ms > 0) Atomics.wait(napCell, 0, 0, ms);
}

function group<T>(name: string, fn: () => T): T {
  requireVuContext('using group()');
  if (name.includes('::')) throw new Error("group and check names may not contain '::'");
  const previous = groupPath;
  groupPath = `${previous}::${name}`;
  const started = performance.now();
  try {
    return fn();
  } finally {
    emit('group_duration', performance.now() - started, currentTags());
    groupPath = previous;
  }
}

/** randomSeed: Math.random becomes this VU's sfc32 stream seeded from `seed` (same seed, same sequence). */
function randomSeed(seed: number): void {
  let s = Math.trunc(Number(seed)) >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  Math.random = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

function fail(message?: string): never {
  throw new Error(message ?? '');
}

export const k6 = { check, fail, group, randomSeed, sleep };

// ---------------------------------------------------------------------------------------------
// k6/http

interface ExpectedStatuses {
  readonly __k6ExpectedStatuses: readonly { min: number; max: number }[];
}
function isExpectedStatuses(x: unknown): x is ExpectedStatuses {
  return typeof x === 'object' && x !== null && Array.isArray((x as { __k6ExpectedStatuses?: unknown }).__k6ExpectedStatuses);
}

function expectedStatuses(...statuses: (number | { min: number; max: number })[]): ExpectedStatuses {
  const ranges = statuses.map((s) => {
    if (typeof s === 'number' && Number.isInteger(s)) return { min: s, max: s };
    if (typeof s === 'object' && s !== null && Number.isInteger(s.min) && Number.isInteger(s.max)) return { min: s.min, max: s.max };
    throw new Error('expectedStatuses() takes integers or {min, max} objects of integers');
  });
  return { __k6ExpectedStatuses: ranges };
}

let defaultResponseCallback: ExpectedStatuses | null = expectedStatuses({ min: 200, max: 399 });

function setResponseCallback(callback: unknown): void {
  if (callback !== null && !isExpectedStatuses(callback)) throw new Error('setResponseCallback() takes the result of http.expectedStatuses() or null');
  defaultResponseCallback = callback;
}

interface Params {
  headers?: Record<string, unknown>;
  tags?: Record<string, unknown>;
  timeout?: string | number;
  redirects?: number;
  responseType?: 'text' | 'binary' | 'none';
  responseCallback?: unknown;
}

interface K6Response {
  status: number;
  status_text: string;
  proto: string;
  url: string;
  headers: Record<string, string>;
  body: string | ArrayBuffer | null;
  error: string;
  error_code: number;
  timings: Record<string, number>;
  request: { method: string; url: string; headers: Record<string, string[]>; body: string };
  remote_ip: string;
  remote_port: number;
  cookies: Record<string, unknown>;
  json(selector?: string): unknown;
  html(): never;
}

let scriptOptions: Record<string, unknown> = {};

function timeoutMs(value: unknown): number {
  return value === undefined || value === null ? 60_000 : parseDuration(value, 'request timeout');
}

function encodeBody(body: unknown, headers: Record<string, string>): RequestBody {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'object') {
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    return Object.entries(body as Record<string, unknown>)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
  }
  return String(body);
}

interface Prepared {
  readonly spec: HttpRequestSpec;
  readonly tags: Record<string, unknown>;
  readonly callback: ExpectedStatuses | null;
  readonly bodyText: string;
}

function prepare(method: string, url: unknown, body: unknown, params: Params | undefined): Prepared {
  requireVuContext('making requests');
  const p = params ?? {};
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.headers ?? {})) if (v !== undefined && v !== null) headers[k] = String(v);
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'user-agent')) {
    const ua = scriptOptions['userAgent'];
    headers['User-Agent'] = typeof ua === 'string' ? ua : 'k6/1.0.0 (https://k6.io/)';
  }
  const encoded = encodeBody(body, headers);
  const discard = scriptOptions['discardResponseBodies'] === true;
  const redirects = p.redirects ?? (typeof scriptOptions['maxRedirects'] === 'number' ? scriptOptions['maxRedirects'] : 10);
  const callback = p.responseCallback === undefined ? defaultResponseCallback : p.responseCallback === null ? null : p.responseCallback;
  if (callback !== null && !isExpectedStatuses(callback)) throw new Error('responseCallback must be the result of http.expectedStatuses() or null');
  return {
    spec: {
      method: method.toUpperCase(),
      url: String(url),
      body: encoded,
      headers,
      timeoutMs: timeoutMs(p.timeout),
      responseType: p.responseType ?? (discard ? 'none' : 'text'),
      maxRedirects: redirects,
      insecureSkipTLSVerify: scriptOptions['insecureSkipTLSVerify'] === true,
    },
    tags: p.tags ?? {},
    callback,
    bodyText: typeof encoded === 'string' ? encoded : encoded === null ? '' : Buffer.from(encoded).toString('latin1'),
  };
}

function roundTrip(specs: readonly HttpRequestSpec[]): HttpAnswer[] {
  Atomics.store(flag, 0, 0);
  post({ kind: 'http', requests: specs, samples: takeSamples() });
  for (;;) {
    Atomics.wait(flag, 0, 0, 5_000);
    const got = receiveMessageOnPort(wd.port);
    if (got !== undefined) return (got.message as { answers: HttpAnswer[] }).answers;
  }
}

function expected(callback: ExpectedStatuses, status: number): boolean {
  return callback.__k6ExpectedStatuses.some((r) => status >= r.min && status <= r.max);
}

function jsonSelect(value: unknown, selector: string): unknown {
  let cur = value;
  for (const part of selector.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function finish(prepared: Prepared, answer: HttpAnswer): K6Response {
  let final: HttpExchange | undefined;
  for (const ex of answer.chain) {
    const tags = currentTags();
    tags['proto'] = ex.proto;
    tags['method'] = ex.method;
    tags['url'] = ex.url;
    tags['name'] = ex.url;
    tags['status'] = String(ex.status);
    if (ex.error !== '') tags['error'] = ex.error;
    if (ex.errorCode !== 0) tags['error_code'] = String(ex.errorCode);
    if (prepared.callback !== null) tags['expected_response'] = String(expected(prepared.callback, ex.status));
    for (const [k, v] of Object.entries(prepared.tags)) if (v !== undefined && v !== null) tags[k] = String(v);
    const t = ex.timings;
    emit('http_reqs', 1, tags);
    emit('http_req_duration', t.duration, tags);
    emit('http_req_blocked', t.blocked, tags);
    emit('http_req_connecting', t.connecting, tags);
    emit('http_req_tls_handshaking', t.tls_handshaking, tags);
    emit('http_req_sending', t.sending, tags);
    emit('http_req_waiting', t.waiting, tags);
    emit('http_req_receiving', t.receiving, tags);
    if (prepared.callback !== null) emit('http_req_failed', expected(prepared.callback, ex.status) ? 0 : 1, tags);
    bytesSent += ex.bytesSent;
    bytesReceived += ex.bytesReceived;
    final = ex;
  }
  const ex = final!;
  const requestHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(prepared.spec.headers)) requestHeaders[k] = [v];
  return {
    status: ex.status,
    status_text: ex.statusText,
    proto: ex.proto,
    url: ex.url,
    headers: { ...ex.headers },
    body: ex.body,
    error: ex.error,
    error_code: ex.errorCode,
    timings: { ...ex.timings, looking_up: 0 },
    request: { method: prepared.spec.method, url: prepared.spec.url, headers: requestHeaders, body: prepared.bodyText },
    remote_ip: '',
    remote_port: 0,
    cookies: {},
    json(selector?: string): unknown {
      if (typeof this.body !== 'string') throw new Error('the body is null so we cannot transform it to JSON - this likely was because of a request error getting the response');
      const parsed: unknown = JSON.parse(this.body);
      return selector === undefined ? parsed : jsonSelect(parsed, selector);
    },
    html(): never {
      throw new Error('k6 stand-in: Response.html() is not supported');
    },
  };
}

function request(method: string, url: unknown, body?: unknown, params?: Params): K6Response {
  const prepared = prepare(method, url, body, params);
  return finish(prepared, roundTrip([prepared.spec])[0]!);
}

type BatchItem = string | readonly unknown[] | { method?: string; url: string; body?: unknown; params?: Params };

function prepareBatchItem(item: BatchItem): Prepared {
  if (typeof item === 'string') return prepare('GET', item, null, undefined);
  if (Array.isArray(item)) return prepare(String(item[0] ?? 'GET'), item[1], item[2], item[3] as Params | undefined);
  const o = item as { method?: string; url: string; body?: unknown; params?: Params };
  return prepare(o.method ?? 'GET', o.url, o.body, o.params);
}

function batch(requests: readonly BatchItem[] | Record<string, BatchItem>): K6Response[] | Record<string, K6Response> {
  const keys = Array.isArray(requests) ? null : Object.keys(requests);
  const items: BatchItem[] = Array.isArray(requests) ? [...(requests as readonly BatchItem[])] : Object.values(requests);
  const prepared = items.map(prepareBatchItem);
  const answers = prepared.length === 0 ? [] : roundTrip(prepared.map((p) => p.spec));
  const responses = prepared.map((p, i) => finish(p, answers[i]!));
  if (keys === null) return responses;
  const out: Record<string, K6Response> = {};
  keys.forEach((k, i) => (out[k] = responses[i]!));
  return out;
}

export const http = {
  request: (method: string, url: unknown, body?: unknown, params?: Params) => request(method, url, body, params),
  get: (url: unknown, params?: Params) => request('GET', url, null, params),
  head: (url: unknown, params?: Params) => request('HEAD', url, null, params),
  options: (url: unknown, body?: unknown, params?: Params) => request('OPTIONS', url, body, params),
  del: (url: unknown, body?: unknown, params?: Params) => request('DELETE', url, body, params),
  post: (url: unknown, body?: unknown, params?: Params) => request('POST', url, body, params),
  put: (url: unknown, body?: unknown, params?: Params) => request('PUT', url, body, params),
  patch: (url: unknown, body?: unknown, params?: Params) => request('PATCH', url, body, params),
  batch,
  expectedStatuses,
  setResponseCallback,
  file: (data: unknown, filename?: string, contentType?: string) => ({ data, filename, content_type: contentType ?? 'application/octet-stream' }),
};

// ---------------------------------------------------------------------------------------------
// k6/crypto and k6/encoding

type Encoding = 'hex' | 'base64' | 'base64url' | 'base64rawurl' | 'binary';
const ALGORITHMS: Record<string, string> = {
  md4: 'md4',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
  ripemd160: 'ripemd160',
};
function algorithm(name: string): string {
  const a = ALGORITHMS[name];
  if (a === undefined) throw new Error(`invalid algorithm: ${name}`);
  return a;
}
function toBuffer(data: unknown): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new Error('expected a string or an ArrayBuffer');
}
function encode(digest: Buffer, encoding: Encoding): string | ArrayBuffer {
  switch (encoding) {
    case 'hex':
      return digest.toString('hex');
    case 'base64':
      return digest.toString('base64');
    case 'base64url':
      return digest.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    case 'base64rawurl':
      return digest.toString('base64url');
    case 'binary':
      return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength) as ArrayBuffer;
    default:
      throw new Error(`invalid output encoding: ${String(encoding)}`);
  }
}
const hash = (alg: string) => (input: unknown, encoding: Encoding) => encode(createHash(algorithm(alg)).update(toBuffer(input)).digest(), encoding);

export const crypto = {
  hmac: (alg: string, secret: unknown, data: unknown, encoding: Encoding) => encode(createHmac(algorithm(alg), toBuffer(secret)).update(toBuffer(data)).digest(), encoding),
  md4: hash('md4'),
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  sha384: hash('sha384'),
  sha512: hash('sha512'),
  sha512_224: hash('sha512_224'),
  sha512_256: hash('sha512_256'),
  ripemd160: hash('ripemd160'),
  randomBytes: (n: number) => {
    const b = nodeRandomBytes(n);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  },
};

export const encoding = {
  b64encode: (input: unknown, variant?: 'std' | 'rawstd' | 'url' | 'rawurl') => {
    const s = toBuffer(input).toString('base64');
    if (variant === 'rawstd') return s.replace(/=+$/, '');
    if (variant === 'url') return s.replace(/\+/g, '-').replace(/\//g, '_');
    if (variant === 'rawurl') return s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    return s;
  },
  b64decode: (input: string, _variant?: string, format?: 's') => {
    const b = Buffer.from(input.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return format === 's' ? b.toString('utf8') : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  },
};

/** k6/data SharedArray: built once per VU here (k6 builds it once per test and shares it read-only). */
export class SharedArray {
  constructor(name: string, fn: () => unknown[]) {
    if (phase !== 'init') throw new Error('new SharedArray must be called in the init context');
    if (typeof name !== 'string' || name === '') throw new Error('empty name provided to SharedArray constructor');
    const data = JSON.parse(JSON.stringify(fn())) as unknown[];
    if (!Array.isArray(data)) throw new Error('only arrays can be made into SharedArray');
    return deepFreeze(data) as unknown as SharedArray;
  }
}
function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// k6/execution

let scenario: ScenarioInfo | null = null;
const iterationsInScenario = new Map<string, number>();
let vuIterationInScenario = 0;
let vuIterationInInstance = -1;
let abortReason: string | null = null;

class TestAbort extends Error {}

function scenarioState(): ScenarioInfo {
  if (scenario === null) throw new Error('getting scenario information outside of the VU context is not supported');
  return scenario;
}

const scenarioInfo = Object.freeze({
  get name() {
    return scenarioState().name;
  },
  get executor() {
    return scenarioState().executor;
  },
  get startTime() {
    return scenarioState().startTime;
  },
  get progress() {
    const s = scenarioState();
    if (s.progress.kind === 'time') return Math.min(1, Math.max(0, (Date.now() - s.startTime) / s.progress.durationMs));
    return s.progress.total === 0 ? 1 : Math.min(1, s.iterationInInstance / s.progress.total);
  },
  get iterationInInstance() {
    return scenarioState().iterationInInstance;
  },
  get iterationInTest() {
    return scenarioState().iterationInTest;
  },
});

const tagsProxy = new Proxy({} as Record<string, string>, {
  get: (_t, key) => (typeof key === 'string' ? stateTags[key] : undefined),
  set: (_t, key, value: unknown) => {
    if (typeof key !== 'string') return false;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      k6Console.warn(`the execution.vu.tags.Set('${key}') operation has been discarded because only String, Boolean and Number types are accepted as a Tag value`);
      return true;
    }
    stateTags[key] = String(value);
    return true;
  },
  deleteProperty: (_t, key) => {
    if (typeof key === 'string') delete stateTags[key];
    return true;
  },
  has: (_t, key) => typeof key === 'string' && key in stateTags,
  ownKeys: () => Object.keys(stateTags),
  getOwnPropertyDescriptor: (_t, key) => (typeof key === 'string' && key in stateTags ? { value: stateTags[key], enumerable: true, configurable: true, writable: true } : undefined),
});

const vuInfo = Object.freeze({
  get idInInstance() {
    return wd.idInInstance;
  },
  get idInTest() {
    return wd.idInTest;
  },
  get iterationInInstance() {
    return Math.max(0, vuIterationInInstance);
  },
  get iterationInScenario() {
    return vuIterationInScenario;
  },
  get tags() {
    return tagsProxy;
  },
  metrics: {
    get tags() {
      return tagsProxy;
    },
  },
});

const instanceInfo = Object.freeze({
  get currentTestRunDuration() {
    const start = live[LIVE.testStartEpochMs]!;
    return start === 0 ? 0 : Date.now() - start;
  },
  get vusActive() {
    return live[LIVE.vusActive]!;
  },
  get iterationsCompleted() {
    return live[LIVE.iterationsCompleted]!;
  },
  get iterationsInterrupted() {
    return live[LIVE.iterationsInterrupted]!;
  },
  get vusInitialized() {
    return live[LIVE.vusInitialized]!;
  },
});

let frozenOptions: unknown = null;
const testInfo = Object.freeze({
  abort(reason?: string): never {
    abortReason = reason === undefined ? 'test aborted' : `test aborted: ${reason}`;
    throw new TestAbort(abortReason);
  },
  get options() {
    if (frozenOptions === null) {
      const o = JSON.parse(JSON.stringify(scriptOptions)) as Record<string, unknown>;
      for (const k of ['vus', 'iterations', 'duration', 'stages']) delete o[k];
      o['executionSegment'] = wd.executionSegment;
      o['executionSegmentSequence'] = wd.executionSegmentSequence;
      o['consoleOutput'] ??= null;
      o['localIPs'] ??= null;
      frozenOptions = deepFreeze(o);
    }
    return frozenOptions;
  },
});

export const exec = Object.freeze({
  get scenario() {
    if (phase === 'init') throw new Error('getting scenario information outside of the VU context is not supported');
    return scenarioInfo;
  },
  get instance() {
    if (phase === 'init') throw new Error('getting instance information in the init context is not supported');
    return instanceInfo;
  },
  get vu() {
    if (phase === 'init') throw new Error('getting VU information in the init context is not supported');
    return vuInfo;
  },
  get test() {
    return testInfo;
  },
});

// ---------------------------------------------------------------------------------------------
// open(): init context only, relative to the script.

globals['open'] = (path: string, mode?: string): string | ArrayBuffer => {
  if (phase !== 'init') throw new Error('The "open()" function is only available in the init stage (i.e. the global scope), see https://grafana.com/docs/k6/latest/using-k6/test-lifecycle for more information');
  const file = isAbsolute(path) ? path : resolve(wd.scriptDir, path);
  const b = readFileSync(file);
  return mode === 'b' ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b.toString('utf8');
};

// ---------------------------------------------------------------------------------------------
// The life cycle.

type Script = Record<string, unknown>;
let script: Script = {};
let setupJson: string | undefined;
let setupParsed = false;
let setupValue: unknown;

function setupData(): unknown {
  if (!setupParsed) {
    setupValue = setupJson === undefined ? undefined : JSON.parse(setupJson);
    setupParsed = true;
  }
  return setupValue;
}

/** The exception as k6 logs it: message, then the script's frames (not this runtime's). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lines = (error.stack ?? String(error)).split('\n');
  const frames = lines.filter((l) => /^\s+at /.test(l));
  const head = lines.filter((l) => !/^\s+at /.test(l)).join('\n');
  const own = frames.filter((l) => !l.includes('/vu.mjs') && !l.includes('node:internal') && !l.includes('(node:'));
  return [head, ...own.map((l) => `\tat ${l.trim().replace(/^at /, '')}`)].join('\n');
}

function ioSamples(): void {
  const tags = currentTags();
  emit('data_sent', bytesSent, tags);
  emit('data_received', bytesReceived, tags);
  bytesSent = 0;
  bytesReceived = 0;
}

/** Runs `fn(arg)`; the outcome: what it returned, or the exception (an abort is reported apart). */
function invoke(fn: unknown, arg: unknown, name: string): { value: unknown; error: string | null } {
  if (typeof fn !== 'function') return { value: undefined, error: name === 'default' ? null : `function '${name}' not found in exports` };
  try {
    return { value: (fn as (a: unknown) => unknown)(arg), error: null };
  } catch (error) {
    if (error instanceof TestAbort) return { value: undefined, error: null };
    return { value: undefined, error: describe(error) };
  }
}

function handle(cmd: ToVu): void {
  abortReason = null;
  switch (cmd.kind) {
    case 'setup-data':
      setupJson = cmd.json;
      setupParsed = false;
      return;
    case 'setup':
    case 'teardown': {
      phase = cmd.kind;
      scenario = null;
      stateTags = { ...cmd.tags };
      groupPath = `::${cmd.kind}`;
      const arg = cmd.kind === 'teardown' && cmd.json !== undefined ? JSON.parse(cmd.json) : undefined;
      const { value, error } = invoke(script[cmd.kind], arg, cmd.kind);
      let json: string | undefined;
      let jsonError: string | null = null;
      if (cmd.kind === 'setup' && error === null && abortReason === null && value !== undefined) {
        try {
          json = JSON.stringify(value);
        } catch (e) {
          jsonError = `setup() returned data that is not JSON: ${describe(e)}`;
        }
      }
      ioSamples();
      groupPath = '';
      phase = 'idle';
      post({ kind: 'done', error: error ?? jsonError, json, samples: takeSamples(), abort: abortReason });
      return;
    }
    case 'run': {
      phase = 'iteration';
      if (scenario === null || scenario.name !== cmd.scenario.name) stateTags = { ...cmd.tags };
      scenario = cmd.scenario;
      groupPath = '';
      const inScenario = iterationsInScenario.get(cmd.scenario.name);
      vuIterationInScenario = inScenario === undefined ? 0 : inScenario + 1;
      iterationsInScenario.set(cmd.scenario.name, vuIterationInScenario);
      vuIterationInInstance++;
      globals['__ITER'] = vuIterationInInstance;
      globals['__ENV'] = Object.keys(cmd.env).length === 0 ? baseEnv : { ...baseEnv, ...cmd.env };
      const started = performance.now();
      const { error } = invoke(script[cmd.fn], setupData(), cmd.fn);
      const ended = performance.now();
      ioSamples();
      if (abortReason === null) {
        const tags = currentTags();
        emit('iteration_duration', ended - started, tags);
        emit('iterations', 1, tags);
      }
      phase = 'idle';
      post({ kind: 'done', error, samples: takeSamples(), abort: abortReason });
      return;
    }
    case 'summary': {
      phase = 'summary';
      const { value, error } = invoke(script['handleSummary'], cmd.data, 'handleSummary');
      let outputs: Record<string, string | ArrayBuffer> | null = null;
      let shapeError: string | null = null;
      if (error === null && value !== undefined && value !== null) {
        if (typeof value !== 'object') shapeError = 'handleSummary() should return a map with string keys';
        else {
          outputs = {};
          for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            if (typeof v === 'string' || v instanceof ArrayBuffer) outputs[k] = v;
            else if (ArrayBuffer.isView(v)) outputs[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
            else shapeError = `error handling summary object ${k}: invalid type ${typeof v}, expected string, []byte or ArrayBuffer`;
          }
        }
      }
      phase = 'idle';
      post({ kind: 'done', error: error ?? shapeError, outputs: shapeError === null ? outputs : null, samples: takeSamples(), abort: null });
      return;
    }
  }
}

async function boot(): Promise<void> {
  try {
    script = (await import(wd.scriptUrl)) as Script;
  } catch (error) {
    post({ kind: 'init-error', error: describe(error) });
    return;
  }
  const options = script['options'];
  scriptOptions = typeof options === 'object' && options !== null ? (JSON.parse(JSON.stringify(options)) as Record<string, unknown>) : {};
  phase = 'idle';
  const exports = Object.keys(script).filter((k) => typeof script[k] === 'function');
  main.on('message', (cmd: ToVu) => handle(cmd));
  post({ kind: 'ready', metrics: [...customMetrics.values()], options: scriptOptions, exports });
}

// Not awaited at the top level: the script imports this very module, which must finish evaluating first.
void boot();
