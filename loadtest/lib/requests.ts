/**
 * Request building and signing for the k6 scripts, with no k6 import: the HMAC function is passed
 * in (k6/crypto's `hmac` in a script, node:crypto in the tests), so vitest tests this module
 * directly and the service checks the signatures it makes. Bundled to ES2017: k6 v0.48's Babel 6
 * rejects later syntax (optional catch binding, object rest and spread), which esbuild rewrites.
 */

/** Lowercase hex HMAC-SHA256 of `message` keyed with `secret`. */
export type HmacSha256Hex = (secret: string, message: string) => string;

export interface Order {
  readonly mutationId: string;
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
}

export interface PreparedRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

export const SIGNATURE_HEADER = 'X-Invsim-Signature';

/** The body bytes that are signed and sent: fixed key order, no whitespace. */
export function orderBody(order: Order): string {
  return JSON.stringify({ mutationId: order.mutationId, orderId: order.orderId, sku: order.sku, quantity: order.quantity });
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (Stripe's scheme, see
 * src/serve/signature.ts): the service refuses a signature older than its tolerance (5 min), so
 * every delivery, a redelivery too, is signed when it is sent.
 */
export function signatureHeader(body: string, secret: string, hmac: HmacSha256Hex, nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmac(secret, `${t}.${body}`).toLowerCase()}`;
}

export function baseUrlOf(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(trimmed)) throw new Error(`BASE_URL must look like http://host:port, got "${raw}"`);
  return trimmed;
}

export function orderRequest(baseUrl: string, channel: string, order: Order, secret: string, hmac: HmacSha256Hex, nowMs: number = Date.now()): PreparedRequest {
  const body = orderBody(order);
  return {
    method: 'POST',
    url: `${baseUrl}/webhooks/orders/${encodeURIComponent(channel)}`,
    body,
    headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signatureHeader(body, secret, hmac, nowMs) },
  };
}

export function adminHeaders(adminToken: string): Record<string, string> {
  return { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' };
}

export function adjustmentRequest(baseUrl: string, sku: string, mutationId: string, quantityDelta: number, adminToken: string): PreparedRequest {
  return {
    method: 'POST',
    url: `${baseUrl}/inventory/${encodeURIComponent(sku)}/adjustments`,
    body: JSON.stringify({ mutationId, quantityDelta }),
    headers: adminHeaders(adminToken),
  };
}

/** The load's time 0 (sent as the scenarios begin): the service's fault windows, redrives and freshness count from it. */
export function startRequest(baseUrl: string, adminToken: string): PreparedRequest {
  return { method: 'POST', url: `${baseUrl}/start`, body: null, headers: { Authorization: `Bearer ${adminToken}` } };
}

export function inventoryRequest(baseUrl: string, sku: string): PreparedRequest {
  return { method: 'GET', url: `${baseUrl}/inventory/${encodeURIComponent(sku)}`, body: null, headers: {} };
}

export function auditRequest(baseUrl: string, adminToken: string): PreparedRequest {
  return { method: 'GET', url: `${baseUrl}/audit`, body: null, headers: { Authorization: `Bearer ${adminToken}` } };
}

export function resetRequest(baseUrl: string, adminToken: string): PreparedRequest {
  return { method: 'POST', url: `${baseUrl}/reset`, body: null, headers: { Authorization: `Bearer ${adminToken}` } };
}

/** The first index whose cumulative weight exceeds `u` (u in [0, 1)). */
export function pickIndex(cdf: readonly number[], u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] as number) > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A uniform integer in [0, n). */
export function pickUniform(n: number, u: number): number {
  return Math.min(n - 1, Math.floor(u * n));
}

/** Unique per run, scenario and iteration; the same string for a redelivery. */
export function mutationIdOf(runId: string, stream: string, iteration: number): string {
  return `${runId}-${stream}-${iteration}`;
}

/**
 * The seed of one iteration: k6's `randomSeed` is per VU, and which VU runs an iteration depends
 * on timing, so each iteration re-seeds from (root seed, stream, iteration number). The same
 * `--seed` then gives every iteration the same channel, SKU, quantity and redelivery on every run
 * and on every split of the test over instances. A 32-bit FNV-1a mix, then kept positive.
 */
export function iterationSeed(seed: number, stream: string, iteration: number): number {
  let h = 0x811c9dc5;
  const text = `${seed}:${stream}:${iteration}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 1) + 1;
}

/** The wait before a redelivery: at least `minMs`, spread over `spreadMs` (u uniform in [0, 1)). */
export function redeliveryDelayMs(minMs: number, spreadMs: number, u: number): number {
  return Math.max(minMs, u * spreadMs);
}

/**
 * Whether this k6 instance is the first of an execution-segmented run (or the only one): the
 * one that resets the service and loads the stock. `segment` is k6's `executionSegment`
 * (e.g. "0:1/4", "1/4:1/2"), absent when the test is not split.
 */
export function isFirstSegment(segment: string | null | undefined): boolean {
  return segment === null || segment === undefined || segment === '' || /^0(\/\d+)?:/.test(segment);
}

/** The stock-load step: the adjustment that brings `current` to `target`, or null when equal. */
export function stockDelta(current: number, target: number): number | null {
  return current === target ? null : target - current;
}

export function requireEnv(env: Readonly<Record<string, string | undefined>>, name: string, hint: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new Error(`set ${name} (${hint}), e.g. k6 run -e ${name}=… script.js`);
  return value;
}

export const MUTATION_STATUSES = ['applied', 'duplicate', 'rejected'] as const;

/** Whether a webhook answer is a well-formed acknowledgement. */
export function isAcknowledgement(status: number, body: string | null): boolean {
  if (status !== 200 || body === null) return false;
  try {
    const parsed = JSON.parse(body) as { status?: unknown };
    return typeof parsed.status === 'string' && (MUTATION_STATUSES as readonly string[]).indexOf(parsed.status) >= 0;
  } catch {
    return false;
  }
}

/** A string field of a JSON answer (`status`, `reason`), or undefined. */
function stringField(body: string | null, key: 'status' | 'reason'): string | undefined {
  if (body === null) return undefined;
  try {
    const value = (JSON.parse(body) as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function reasonOf(body: string | null): string | undefined {
  return stringField(body, 'reason');
}

export function statusOf(body: string | null): string | undefined {
  return stringField(body, 'status');
}
