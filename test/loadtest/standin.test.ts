// Proves the k6 stand-in (test/loadtest/standin/run.ts) runs hand-written k6 scripts against a local server as k6 would: arrival-rate pacing, shared iterations, execution segments, thresholds and sub-metrics, randomSeed and dropped iterations.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runStandIn, type StandInOptions } from './standin/run.js';

interface Hit {
  readonly at: number;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
}

let server: Server;
let base = '';
let dir = '';
const hits: Hit[] = [];

function hitsFor(run: string): Hit[] {
  return hits.filter((h) => h.query.get('run') === run);
}

function script(name: string, source: string): string {
  const file = join(dir, `${name}.js`);
  writeFileSync(file, source);
  return file;
}

function run(file: string, extra: Partial<StandInOptions> = {}): ReturnType<typeof runStandIn> {
  return runStandIn({ script: file, env: { BASE: base }, ...extra });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standin-test-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.push({ at: performance.now(), path: url.pathname, query: url.searchParams, headers: req.headers });
    const delay = Number(url.searchParams.get('ms') ?? 0);
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        res.writeHead(Number(url.searchParams.get('status') ?? 200), { 'content-type': 'text/plain' });
        res.end(`ok ${url.pathname}`);
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** The median time between consecutive requests. */
function medianGapMs(at: readonly number[]): number {
  const gaps = at.slice(1).map((t, i) => t - at[i]!).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

describe('k6 stand-in', () => {
  it('constant-arrival-rate 20/s for 1 s makes ~20 requests spread over the second', async () => {
    const file = script(
      'car',
      `import http from 'k6/http';
       export const options = { scenarios: { steady: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '1s', preAllocatedVUs: 4, maxVUs: 8, gracefulStop: '2s' } } };
       export default function () { http.get(__ENV.BASE + '/car?run=car'); }`,
    );
    const r = await run(file);
    expect(r.exitCode).toBe(0);
    const got = hitsFor('car').map((h) => h.at);
    expect(got.length).toBeGreaterThanOrEqual(19);
    expect(got.length).toBeLessThanOrEqual(21);
    expect(r.iterations['steady']).toBe(got.length);
    expect(r.droppedIterations).toBe(0);
    // 50 ms apart: the span is ~950 ms and the typical gap ~50 ms (no burst). Judged by the
    // median gap, not the longest: one pause of the machine (a GC, a busy neighbour) may stretch
    // a single gap without saying anything about the executor's pacing.
    const span = got[got.length - 1]! - got[0]!;
    expect(span).toBeGreaterThan(850);
    expect(span).toBeLessThan(1300);
    expect(medianGapMs(got)).toBeGreaterThan(35);
    expect(medianGapMs(got)).toBeLessThan(70);
    expect(r.summary.metrics['http_reqs']!['count']).toBe(got.length);
    expect(r.summary.metrics['iterations']!['count']).toBe(got.length);
  });

  it('ramping-arrival-rate 0→40/s over 1 s makes ~20 requests, denser as the rate rises', async () => {
    const file = script(
      'rar',
      `import http from 'k6/http';
       export const options = { scenarios: { ramp: { executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', stages: [{ duration: '1s', target: 40 }], preAllocatedVUs: 4, maxVUs: 8, gracefulStop: '2s' } } };
       export default function () { http.get(__ENV.BASE + '/rar?run=rar'); }`,
    );
    const r = await run(file);
    expect(r.exitCode).toBe(0);
    const got = hitsFor('rar').map((h) => h.at);
    expect(got.length).toBeGreaterThanOrEqual(19);
    expect(got.length).toBeLessThanOrEqual(21);
    // k6 starts the i-th iteration when the area under the rate reaches i: at sqrt(i/20) s, so
    // from 224 ms to 1000 ms, 92 ms apart at first and 25 ms apart at the end.
    // Compared over four gaps at each end, so that one late request cannot decide it.
    const span = got[got.length - 1]! - got[0]!;
    expect(span).toBeGreaterThan(650);
    expect(span).toBeLessThan(1000);
    const gaps = got.slice(1).map((t, i) => t - got[i]!);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(gaps.slice(0, 4))).toBeGreaterThan(1.5 * mean(gaps.slice(-4)));
  });

  it('shared-iterations runs exactly N iterations, numbered 0..N-1', async () => {
    const file = script(
      'shared',
      `import http from 'k6/http';
       import exec from 'k6/execution';
       export const options = { scenarios: { pool: { executor: 'shared-iterations', vus: 3, iterations: 25, maxDuration: '10s' } } };
       export default function () { http.get(__ENV.BASE + '/shared?run=shared&n=' + exec.scenario.iterationInTest + '&vu=' + __VU); }`,
    );
    const r = await run(file);
    expect(r.exitCode).toBe(0);
    expect(r.iterations['pool']).toBe(25);
    expect(r.iterationIds['pool']).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const got = hitsFor('shared');
    expect(got.length).toBe(25);
    expect(new Set(got.map((h) => h.query.get('n'))).size).toBe(25);
    expect(new Set(got.map((h) => h.query.get('vu'))).size).toBeGreaterThan(1);
  });

  it('two segments of a 2-way split run every iterationInTest exactly once, each with its own setup', async () => {
    const file = script(
      'segments',
      `import http from 'k6/http';
       import exec from 'k6/execution';
       export const options = {
         scenarios: {
           paced: { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '1s', preAllocatedVUs: 4, maxVUs: 4, exec: 'paced' },
           bulk: { executor: 'shared-iterations', vus: 2, iterations: 11, exec: 'bulk' },
         },
       };
       export function setup() {
         http.get(__ENV.BASE + '/setup?run=segments&segment=' + exec.test.options.executionSegment + '&sequence=' + exec.test.options.executionSegmentSequence);
         return { segment: exec.test.options.executionSegment };
       }
       export function paced(data) { http.get(__ENV.BASE + '/paced?run=segments&n=' + exec.scenario.iterationInTest + '&segment=' + data.segment); }
       export function bulk(data) { http.get(__ENV.BASE + '/bulk?run=segments&n=' + exec.scenario.iterationInTest + '&segment=' + data.segment); }`,
    );
    const [a, b] = await Promise.all([run(file, { segment: { index: 0, count: 2 } }), run(file, { segment: { index: 1, count: 2 } })]);
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(0);
    const setups = hitsFor('segments').filter((h) => h.path === '/setup');
    expect(setups.map((h) => h.query.get('segment')).sort()).toEqual(['0:1/2', '1/2:1']);
    expect(setups.every((h) => h.query.get('sequence') === '0,1/2,1')).toBe(true);
    for (const [scenario, total] of [
      ['paced', 10],
      ['bulk', 11],
    ] as const) {
      const union = [...a.iterationIds[scenario]!, ...b.iterationIds[scenario]!].sort((x, y) => x - y);
      expect(union).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(a.iterationIds[scenario]!.every((n) => n % 2 === 0)).toBe(true);
      expect(b.iterationIds[scenario]!.every((n) => n % 2 === 1)).toBe(true);
      // What the script saw as exec.scenario.iterationInTest, and which setup's data it had.
      const seen = hitsFor('segments').filter((h) => h.path === `/${scenario}`);
      expect(seen.map((h) => Number(h.query.get('n'))).sort((x, y) => x - y)).toEqual(union);
      expect(seen.every((h) => (Number(h.query.get('n')) % 2 === 0 ? '0:1/2' : '1/2:1') === h.query.get('segment'))).toBe(true);
    }
    expect(a.iterations['bulk']).toBe(6);
    expect(b.iterations['bulk']).toBe(5);
  });

  it('a failing threshold exits 99 and the export marks it true', async () => {
    const file = script(
      'threshold',
      `import http from 'k6/http';
       import { check } from 'k6';
       export const options = {
         scenarios: { three: { executor: 'per-vu-iterations', vus: 1, iterations: 3 } },
         thresholds: { http_reqs: ['count<2'], iterations: ['count==3'], checks: ['rate==1'] },
       };
       export default function () {
         const res = http.get(__ENV.BASE + '/t?run=threshold');
         check(res, { 'status is 200': (r) => r.status === 200, 'body says ok': (r) => r.body.startsWith('ok') });
       }`,
    );
    const exportFile = join(dir, 'threshold.summary.json');
    const r = await run(file, { summaryExport: exportFile });
    expect(r.exitCode).toBe(EXIT.THRESHOLDS_FAILED);
    expect(r.summary.metrics['http_reqs']).toMatchObject({ count: 3, thresholds: { 'count<2': true } });
    expect(r.summary.metrics['iterations']).toMatchObject({ count: 3, thresholds: { 'count==3': false } });
    expect(r.summary.metrics['checks']).toMatchObject({ passes: 6, fails: 0, value: 1, thresholds: { 'rate==1': false } });
    expect(r.summary.root_group.checks['status is 200']).toMatchObject({ name: 'status is 200', path: '::status is 200', passes: 3, fails: 0 });
    expect(r.summary.root_group.id).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(JSON.parse(readFileSync(exportFile, 'utf8'))).toEqual(r.summary);
    expect(Object.keys(r.summary.metrics['http_req_duration']!)).toEqual(['avg', 'max', 'med', 'min', 'p(90)', 'p(95)']);
  });

  it('randomSeed(7) gives the same Math.random sequence every time', async () => {
    const file = script(
      'seed',
      `import { randomSeed } from 'k6';
       export const options = { scenarios: { twice: { executor: 'per-vu-iterations', vus: 1, iterations: 2 } } };
       export default function () {
         randomSeed(Number(__ENV.SEED));
         console.log(JSON.stringify([Math.random(), Math.random(), Math.random(), Math.random()]));
       }`,
    );
    const seven = await run(file, { env: { BASE: base, SEED: '7' } });
    const again = await run(file, { env: { BASE: base, SEED: '7' } });
    const eight = await run(file, { env: { BASE: base, SEED: '8' } });
    expect(seven.logs).toHaveLength(2);
    expect(seven.logs[0]).toBe(seven.logs[1]);
    expect(again.logs).toEqual(seven.logs);
    expect(eight.logs[0]).not.toBe(seven.logs[0]);
    const values = JSON.parse(seven.logs[0]!) as number[];
    expect(new Set(values).size).toBe(4);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('a sub-metric threshold http_req_duration{kind:x} sees only the tagged requests', async () => {
    const file = script(
      'submetric',
      `import http from 'k6/http';
       export const options = {
         scenarios: { mixed: { executor: 'per-vu-iterations', vus: 1, iterations: 1 } },
         thresholds: { 'http_req_duration{kind:x}': ['min>=25'], 'http_reqs{kind:x}': ['count==3'] },
         summaryTrendStats: ['min', 'max', 'count'],
       };
       export default function () {
         for (let i = 0; i < 3; i++) http.get(__ENV.BASE + '/slow?run=submetric&ms=30', { tags: { kind: 'x' } });
         for (let i = 0; i < 5; i++) http.get(__ENV.BASE + '/fast?run=submetric');
       }`,
    );
    const r = await run(file);
    expect(r.exitCode).toBe(0);
    const sub = r.summary.metrics['http_req_duration{kind:x}']!;
    const all = r.summary.metrics['http_req_duration']!;
    expect(sub).toMatchObject({ count: 3, thresholds: { 'min>=25': false } });
    expect(sub['min']).toBeGreaterThanOrEqual(25);
    expect(all['count']).toBe(8);
    expect(all['min']).toBeLessThan(25);
    expect(r.summary.metrics['http_reqs{kind:x}']).toMatchObject({ count: 3, thresholds: { 'count==3': false } });
    expect(r.summary.metrics['http_req_duration{expected_response:true}']!['count']).toBe(8);
  });

  it('counts dropped iterations when one VU sleeps longer than the arrival interval', async () => {
    const file = script(
      'dropped',
      `import http from 'k6/http';
       import { sleep } from 'k6';
       export const options = { scenarios: { busy: { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '1s', preAllocatedVUs: 1, maxVUs: 5, gracefulStop: '2s' } } };
       export default function () { http.get(__ENV.BASE + '/d?run=dropped'); sleep(0.25); }`,
    );
    const r = await run(file, { maxVUs: 1 });
    expect(r.exitCode).toBe(0);
    // Arrivals every 100 ms, one VU busy 250 ms: it runs those at 0, 300, 600, 900 ms.
    expect(r.iterations['busy']! + r.droppedIterations).toBe(10);
    expect(r.droppedIterations).toBeGreaterThanOrEqual(4);
    expect(r.iterations['busy']).toBeGreaterThanOrEqual(3);
    expect(r.summary.metrics['dropped_iterations']!['count']).toBe(r.droppedIterations);
    expect(hitsFor('dropped').length).toBe(r.iterations['busy']);
    expect(r.summary.metrics['vus_max']!['max']).toBe(1);
  });
});
