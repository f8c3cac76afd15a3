// The load generator of `npm run bench:serve`, run as its own process (bench/serve.js spawns it)
// so that it never shares an event loop with the service it measures. autocannon keeps a fixed
// number of connections busy for a fixed time; every request is a distinct order (its own
// mutationId) on one of many SKUs, signed with HMAC-SHA256 over the exact bytes sent, so the
// service takes its normal path: verify, validate, process, commit, hand off to propagation.
//
//   node bench/serve-load.js '{"url":"http://127.0.0.1:8080","secret":"…","durationS":15,"connections":32,"skus":["B-0"],"channels":["shopify"],"runId":"r1"}'
//
// Prints one JSON document on stdout: requests/s, latency percentiles (ms), counts by status.
import { createHmac } from 'node:crypto';
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2] ?? '{}');
const { url, secret, durationS, connections, skus, channels, runId } = options;
if (typeof url !== 'string' || typeof secret !== 'string' || !Array.isArray(skus) || skus.length === 0 || !Array.isArray(channels) || channels.length === 0) {
  process.stderr.write('usage: node bench/serve-load.js \'{"url":…,"secret":…,"durationS":…,"connections":…,"skus":[…],"channels":[…],"runId":…}\'\n');
  process.exit(2);
}

let n = 0;
const statuses = {};
const outcomes = {};
const instance = autocannon({
  url,
  connections,
  duration: durationS,
  pipelining: 1,
  timeout: 10,
  requests: [
    {
      method: 'POST',
      setupRequest(request) {
        const i = n++;
        const body = JSON.stringify({ mutationId: `${runId}-${i}`, orderId: `${runId}-${i}`, sku: skus[i % skus.length], quantity: 1 });
        const t = Math.floor(Date.now() / 1000);
        const signature = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
        return {
          ...request,
          path: `/webhooks/orders/${channels[i % channels.length]}`,
          headers: { 'content-type': 'application/json', 'x-invsim-signature': signature },
          body,
        };
      },
      onResponse(status, body) {
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) {
          const outcome = /"status":"(\w+)"/.exec(body)?.[1] ?? 'unparsed';
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }
      },
    },
  ],
});

instance.on('done', (result) => {
  const l = result.latency;
  process.stdout.write(
    `${JSON.stringify({
      durationS: result.duration,
      connections: result.connections,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.total / result.duration),
      latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, mean: l.mean },
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      statuses,
      outcomes,
      // This process's own CPU time, so the caller can tell it apart from other load.
      cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    })}\n`,
  );
});
