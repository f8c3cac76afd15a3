// Pure scheduling arithmetic of the k6 stand-in: k6 duration strings, execution-segment shares,
// and the start time of every arrival-rate iteration (ported from k6's executors: constant
// arrival rate starts global iteration n at n·timeUnit/rate; ramping arrival rate starts it when
// the area under the rate curve reaches n+1, solved in closed form for linear ramps).

/** An equal share of an execution-segmented run: this instance is segment `index` of `count`. */
export interface Segment {
  readonly index: number;
  readonly count: number;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A k6 duration ("1500ms", "10s", "1m30s", "1h", "2d"; a JSON number is milliseconds) in ms. */
export function parseDuration(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string') throw new Error(`${what}: expected a duration, got ${JSON.stringify(value)}`);
  const text = value.trim();
  if (text === '0') return 0; // Go's time.ParseDuration: a unit is required except for "0"
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text.length === 0 || matched !== text.length) throw new Error(`${what}: invalid duration ${JSON.stringify(value)}`);
  return total;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function fraction(n: number, d: number): string {
  if (n === 0) return '0';
  const g = gcd(n, d);
  return d / g === 1 ? String(n / g) : `${n / g}/${d / g}`;
}

/** k6's `executionSegment` and `executionSegmentSequence` option strings, or null when not segmented. */
export function segmentStrings(segment: Segment | undefined): { executionSegment: string | null; executionSegmentSequence: string | null } {
  if (segment === undefined) return { executionSegment: null, executionSegmentSequence: null };
  const points: string[] = [];
  for (let i = 0; i <= segment.count; i++) points.push(fraction(i, segment.count));
  return { executionSegment: `${points[segment.index]!}:${points[segment.index + 1]!}`, executionSegmentSequence: points.join(',') };
}

export function validateSegment(segment: Segment | undefined): void {
  if (segment === undefined) return;
  const { index, count } = segment;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`invalid execution segment ${index}/${count}: need integers 0 <= index < count`);
  }
}

/** How many of the global items 0..total-1 fall to this segment (k6's striping: n % count === index). */
export function scaleCount(total: number, segment: Segment | undefined): number {
  if (segment === undefined) return total;
  return total > segment.index ? Math.floor((total - segment.index - 1) / segment.count) + 1 : 0;
}

/** The global (test-wide) number of this instance's `local`-th item, 0-based. */
export function globalIndex(local: number, segment: Segment | undefined): number {
  return segment === undefined ? local : segment.index + local * segment.count;
}

/** One iteration an arrival-rate executor starts: its global number and its offset in the scenario (ms). */
export interface Arrival {
  readonly n: number;
  readonly atMs: number;
}

/** constant-arrival-rate: global iteration n starts at n·timeUnit/rate, for n·period < duration. */
export function* constantArrivals(rate: number, timeUnitMs: number, durationMs: number, segment: Segment | undefined): Generator<Arrival> {
  if (rate <= 0 || timeUnitMs <= 0) return;
  const periodMs = timeUnitMs / rate;
  for (let local = 0; ; local++) {
    const n = globalIndex(local, segment);
    const atMs = n * periodMs;
    if (atMs >= durationMs) return;
    yield { n, atMs };
  }
}

export interface RateStage {
  readonly durationMs: number;
  readonly target: number;
}

/**
 * ramping-arrival-rate: k6's `cal`. Global iteration n starts when the integral of the rate (a
 * piecewise-linear curve from `startRate` through each stage's target) reaches n+1.
 */
export function* rampingArrivals(startRate: number, timeUnitMs: number, stages: readonly RateStage[], segment: Segment | undefined): Generator<Arrival> {
  if (timeUnitMs <= 0) return;
  const step = segment === undefined ? 1 : segment.count;
  let i = (segment === undefined ? 0 : segment.index) + 1;
  let from = startRate / timeUnitMs;
  let stageStart = 0;
  let doneSoFar = 0;
  let endCount = 0;
  for (const stage of stages) {
    const to = stage.target / timeUnitMs;
    const dur = stage.durationMs;
    if (from !== to) {
      endCount += dur * ((to - from) / 2 + from);
      for (; i <= endCount + 1e-9; i += step) {
        const disc = dur * (from * from * dur + 2 * (i - doneSoFar) * (to - from));
        const x = (from * dur - Math.sqrt(Math.max(0, disc))) / (from - to);
        yield { n: i - 1, atMs: stageStart + Math.min(dur, Math.max(0, x)) };
      }
    } else {
      endCount += dur * to;
      for (; i <= endCount + 1e-9; i += step) yield { n: i - 1, atMs: stageStart + (i - doneSoFar) / to };
    }
    doneSoFar = endCount;
    from = to;
    stageStart += dur;
  }
}
