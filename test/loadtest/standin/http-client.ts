// The stand-in's HTTP client, on the main thread: one per VU (k6 gives every VU its own
// connection pool), node:http/https with keep-alive, k6's timing breakdown (blocked, connecting,
// TLS, sending, waiting, receiving), bytes on the wire from the socket counters, redirects
// followed as Go's client does, and k6's error codes for network failures.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { HttpAnswer, HttpExchange, HttpRequestSpec, HttpTimings } from './protocol.js';

const NO_TIMINGS: HttpTimings = { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0, duration: 0 };

/** Go's canonical header key: "content-type" → "Content-Type". */
export function canonicalHeader(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function k6Error(error: NodeJS.ErrnoException, url: URL, timedOut: boolean): { error: string; errorCode: number } {
  const host = url.host;
  if (timedOut) return { error: 'request timeout', errorCode: 1050 };
  switch (error.code) {
    case 'ECONNREFUSED':
      return { error: `dial tcp ${host}: connect: connection refused`, errorCode: 1212 };
    case 'ECONNRESET':
      return { error: `read tcp ${host}: read: connection reset by peer`, errorCode: 1220 };
    case 'EPIPE':
      return { error: `write tcp ${host}: write: broken pipe`, errorCode: 1201 };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { error: `lookup ${url.hostname}: no such host`, errorCode: 1101 };
    case 'ETIMEDOUT':
      return { error: `dial tcp ${host}: i/o timeout`, errorCode: 1211 };
    default:
      if (error.code?.startsWith('ERR_TLS') === true || error.code?.includes('CERT') === true) return { error: error.message, errorCode: 1300 };
      return { error: error.message, errorCode: 1000 };
  }
}

function failed(method: string, url: string, error: string, errorCode: number, timings: HttpTimings = NO_TIMINGS): HttpExchange {
  return { method, url, status: 0, statusText: '', proto: '', headers: {}, body: null, error, errorCode, timings, bytesSent: 0, bytesReceived: 0 };
}

export class VuHttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgents = new Map<boolean, https.Agent>();
  private readonly inflight = new Set<http.ClientRequest>();
  private closed = false;

  private agentFor(protocol: string, insecure: boolean): http.Agent {
    if (protocol === 'http:') return this.httpAgent;
    let a = this.httpsAgents.get(insecure);
    if (a === undefined) {
      a = new https.Agent({ keepAlive: true, rejectUnauthorized: !insecure });
      this.httpsAgents.set(insecure, a);
    }
    return a;
  }

  /** Sends the request, following redirects up to spec.maxRedirects; every hop is reported. */
  async exchange(spec: HttpRequestSpec): Promise<HttpAnswer> {
    const chain: HttpExchange[] = [];
    let method = spec.method;
    let url = spec.url;
    let body = spec.body;
    let headers: Record<string, string> = { ...spec.headers };
    for (let hop = 0; ; hop++) {
      const ex = await this.once(spec, method, url, body, headers);
      chain.push(ex);
      const location = ex.headers['Location'];
      if (![301, 302, 303, 307, 308].includes(ex.status) || location === undefined || hop >= spec.maxRedirects) return { chain };
      url = new URL(location, url).toString();
      if (ex.status === 303 || ((ex.status === 301 || ex.status === 302) && method !== 'GET' && method !== 'HEAD')) {
        if (method !== 'HEAD') method = 'GET';
        body = null;
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !['content-type', 'content-length'].includes(k.toLowerCase())));
      }
    }
  }

  private once(spec: HttpRequestSpec, method: string, url: string, body: HttpRequestSpec['body'], headers: Record<string, string>): Promise<HttpExchange> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve(failed(method, url, `parse "${url}": invalid URL`, 1020));
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return Promise.resolve(failed(method, url, `unsupported protocol scheme "${target.protocol.replace(/:$/, '')}"`, 1000));
    }
    if (this.closed) return Promise.resolve(failed(method, url, 'context canceled', 1000));
    const mod = target.protocol === 'https:' ? https : http;
    return new Promise<HttpExchange>((resolve) => {
      const t0 = performance.now();
      let tSocket = t0;
      let tConnected: number | undefined;
      let tSecure: number | undefined;
      let tSent: number | undefined;
      let tHeaders: number | undefined;
      let socket: Socket | undefined;
      let written0 = 0;
      let read0 = 0;
      let timedOut = false;
      let settled = false;
      const req = mod.request(target, { method, headers, agent: this.agentFor(target.protocol, spec.insecureSkipTLSVerify) });
      this.inflight.add(req);
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error('request timeout'));
      }, spec.timeoutMs);
      /** k6's trail; for a request that failed, the phases it reached. */
      const timings = (tEnd: number, failedAt = false): HttpTimings => {
        const ready = tSecure ?? tConnected ?? tSocket;
        const sent = Math.max(tSent ?? ready, ready);
        const headersAt = failedAt && tHeaders === undefined ? (tSent === undefined ? sent : Math.max(tEnd, sent)) : Math.max(tHeaders ?? sent, sent);
        const sending = sent - ready;
        const waiting = headersAt - sent;
        const receiving = failedAt && tHeaders === undefined ? 0 : Math.max(0, tEnd - headersAt);
        return {
          blocked: tSocket - t0,
          connecting: tConnected === undefined ? 0 : tConnected - tSocket,
          tls_handshaking: tSecure === undefined || tConnected === undefined ? 0 : tSecure - tConnected,
          sending,
          waiting,
          receiving,
          duration: sending + waiting + receiving,
        };
      };
      const settle = (ex: HttpExchange): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inflight.delete(req);
        resolve(ex);
      };
      req.on('socket', (s: Socket) => {
        socket = s;
        tSocket = performance.now();
        written0 = s.bytesWritten;
        read0 = s.bytesRead;
        if (s.connecting) {
          s.once('connect', () => (tConnected = performance.now()));
          if (target.protocol === 'https:') s.once('secureConnect', () => (tSecure = performance.now()));
        }
      });
      req.on('finish', () => (tSent = performance.now()));
      req.on('response', (res) => {
        tHeaders = performance.now();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (error: NodeJS.ErrnoException) => {
          const e = k6Error(error, target, timedOut);
          settle(failed(method, url, e.error, e.errorCode, timings(performance.now(), true)));
        });
        res.on('end', () => {
          const tEnd = performance.now();
          const out: Record<string, string> = {};
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            const key = canonicalHeader(res.rawHeaders[i]!);
            const value = res.rawHeaders[i + 1]!;
            out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
          }
          const raw = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          const bodyOut =
            spec.responseType === 'none' ? null : spec.responseType === 'binary' ? (raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer) : raw.toString('utf8');
          settle({
            method,
            url,
            status,
            statusText: `${status} ${res.statusMessage ?? ''}`.trim(),
            proto: `HTTP/${res.httpVersion}`,
            headers: out,
            body: bodyOut,
            error: '',
            errorCode: status >= 400 && status < 600 ? 1000 + status : 0,
            timings: timings(tEnd),
            bytesSent: socket === undefined ? 0 : socket.bytesWritten - written0,
            bytesReceived: socket === undefined ? 0 : socket.bytesRead - read0,
          });
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const e = k6Error(error, target, timedOut);
        settle(failed(method, url, e.error, e.errorCode, timings(performance.now(), true)));
      });
      if (body === null) req.end();
      else req.end(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    });
  }

  /** Aborts what is in flight and closes every connection (the VU is gone). */
  close(): void {
    this.closed = true;
    for (const req of this.inflight) req.destroy(new Error('context canceled'));
    this.inflight.clear();
    this.httpAgent.destroy();
    for (const a of this.httpsAgents.values()) a.destroy();
  }
}

/** http.batch: all requests at once, at most `parallel` in flight and `perHost` per host (k6's batch, batchPerHost). */
export async function runBatch(client: VuHttpClient, specs: readonly HttpRequestSpec[], parallel: number, perHost: number): Promise<HttpAnswer[]> {
  const answers: HttpAnswer[] = new Array<HttpAnswer>(specs.length);
  const hostOf = (u: string): string => {
    try {
      return new URL(u).host;
    } catch {
      return '';
    }
  };
  const perHostRunning = new Map<string, number>();
  let running = 0;
  let next = 0;
  const waiting: number[] = [];
  return new Promise<HttpAnswer[]>((resolve) => {
    let done = 0;
    const pump = (): void => {
      while (next < specs.length) waiting.push(next++);
      for (let k = 0; k < waiting.length && (parallel <= 0 || running < parallel); ) {
        const i = waiting[k]!;
        const host = hostOf(specs[i]!.url);
        const onHost = perHostRunning.get(host) ?? 0;
        if (perHost > 0 && onHost >= perHost) {
          k++;
          continue;
        }
        waiting.splice(k, 1);
        running++;
        perHostRunning.set(host, onHost + 1);
        void client.exchange(specs[i]!).then((a) => {
          answers[i] = a;
          running--;
          perHostRunning.set(host, (perHostRunning.get(host) ?? 1) - 1);
          done++;
          if (done === specs.length) resolve(answers);
          else pump();
        });
      }
    };
    if (specs.length === 0) resolve(answers);
    else pump();
  });
}
