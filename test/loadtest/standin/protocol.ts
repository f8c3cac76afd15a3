// The messages between the stand-in's main thread (run.ts: scheduler, HTTP client, metrics) and
// its VU worker threads (vu.ts: the k6 modules and the script). Types only.
import type { MessagePort } from 'node:worker_threads';

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type MetricContains = 'default' | 'time' | 'data';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly contains: MetricContains;
}

/** One metric sample: metric name, value, tags. */
export type Sample = readonly [name: string, value: number, tags: Readonly<Record<string, string>>];

/** Live figures the main thread publishes for `exec.instance` (a Float64Array over a SharedArrayBuffer). */
export const LIVE = { testStartEpochMs: 0, vusActive: 1, iterationsCompleted: 2, iterationsInterrupted: 3, vusInitialized: 4, slots: 5 } as const;

export interface VuWorkerData {
  readonly scriptUrl: string;
  readonly scriptDir: string;
  readonly idInInstance: number;
  readonly idInTest: number;
  readonly env: Readonly<Record<string, string>>;
  /** Int32Array(1) the main thread flips to 1 (and notifies) when an HTTP answer is on `port`. */
  readonly flag: SharedArrayBuffer;
  readonly live: SharedArrayBuffer;
  /** The main thread posts HTTP answers here; the VU reads them synchronously (receiveMessageOnPort). */
  readonly port: MessagePort;
  readonly executionSegment: string | null;
  readonly executionSegmentSequence: string | null;
}

export type ProgressSpec = { readonly kind: 'time'; readonly durationMs: number } | { readonly kind: 'count'; readonly total: number };

export interface ScenarioInfo {
  readonly name: string;
  readonly executor: string;
  /** Epoch ms. */
  readonly startTime: number;
  readonly iterationInInstance: number;
  readonly iterationInTest: number;
  readonly progress: ProgressSpec;
}

export type ToVu =
  | { readonly kind: 'setup-data'; readonly json: string | undefined }
  | {
      readonly kind: 'run';
      readonly fn: string;
      readonly scenario: ScenarioInfo;
      /** The scenario's `env`, laid over __ENV for its iterations. */
      readonly env: Readonly<Record<string, string>>;
      /** Tags every sample of the iteration carries (run tags, the scenario's tags, `scenario`). */
      readonly tags: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'setup'; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'teardown'; readonly json: string | undefined; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'summary'; readonly data: unknown };

export type RequestBody = string | Uint8Array | null;

export interface HttpRequestSpec {
  readonly method: string;
  readonly url: string;
  readonly body: RequestBody;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly responseType: 'text' | 'binary' | 'none';
  readonly maxRedirects: number;
  readonly insecureSkipTLSVerify: boolean;
}

export interface HttpTimings {
  readonly blocked: number;
  readonly connecting: number;
  readonly tls_handshaking: number;
  readonly sending: number;
  readonly waiting: number;
  readonly receiving: number;
  readonly duration: number;
}

/** One request on the wire (a redirect chain has several). */
export interface HttpExchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly proto: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | ArrayBuffer | null;
  readonly error: string;
  readonly errorCode: number;
  readonly timings: HttpTimings;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export interface HttpAnswer {
  /** Every hop, the final response last. */
  readonly chain: readonly HttpExchange[];
}

export type FromVu =
  | { readonly kind: 'ready'; readonly metrics: readonly MetricDef[]; readonly options: unknown; readonly exports: readonly string[] }
  | { readonly kind: 'init-error'; readonly error: string }
  | { readonly kind: 'http'; readonly requests: readonly HttpRequestSpec[]; readonly samples: readonly Sample[] }
  | { readonly kind: 'log'; readonly level: 'info' | 'warn' | 'error' | 'debug'; readonly line: string }
  | {
      readonly kind: 'done';
      /** The exception the function threw, if any (k6 logs it; an iteration still counts). */
      readonly error: string | null;
      /** setup(): its return value, JSON (undefined when it returned nothing). */
      readonly json?: string | undefined;
      /** handleSummary(): its return value. */
      readonly outputs?: Readonly<Record<string, string | ArrayBuffer>> | null;
      readonly samples: readonly Sample[];
      /** exec.test.abort(reason) was called. */
      readonly abort: string | null;
    };
