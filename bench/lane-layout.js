// What the layout of the dispatcher's lane state costs per outbox event, apart from everything
// else a run does (docs/performance.md, The next step): `node bench/lane-layout.js [SKUS]`.
//
// Two million outbox events on SKUs drawn from Zipf(0.8) (bench.yaml's popularity), the SKUs'
// places in memory shuffled so hot ones are not neighbours. For each event, every one of five
// channels' lanes of the SKU is touched as `accept` touches it: a version compared, a cover added,
// the waiting commit time set, every fourth cover an acknowledgement that empties the covers, and
// the compare-and-set channel's last seen level read and written.
// - objects: as the dispatcher held lanes until 2026-12-04, a Map from SKU name to an array of
//   Lane objects, each with its own covers array and boxed doubles;
// - table: as it holds them now, Lane objects in one flat table by SKU number, with small-integer
//   fields only (covers a pooled list's index, modelled by a count; the compare-and-set channel's
//   numbers in an object of its own);
// - packed: one record per SKU of every channel's fields in typed arrays, covers counted in place.
// All three compute the same checksum (printed as `same`), so none does less work than another.
// CPU-µs per event, three rounds; compare 100 against 10 000 SKUs for the growth with the catalogue.
import { cpuUsage } from 'node:process';

const skus = Number(process.argv[2] ?? 10_000);
if (!Number.isSafeInteger(skus) || skus < 1) {
  process.stderr.write(`lane-layout: SKUS must be a positive integer, got ${process.argv[2]}\n`);
  process.exit(2);
}
const CHANNELS = 5;
const EVENTS = 2_000_000;
/** Acknowledgements every this many covers. */
const ACK_EVERY = 4;

// A fixed linear congruential stream: the same events on every run.
let state = 12_345;
const random = () => (state = (state * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff;
const weights = Array.from({ length: skus }, (_, i) => 1 / Math.pow(i + 1, 0.8));
const total = weights.reduce((a, b) => a + b, 0);
let running = 0;
const cdf = weights.map((w) => (running += w / total));
const draw = () => {
  const u = random();
  let lo = 0;
  let hi = skus - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
const place = Int32Array.from({ length: skus }, (_, i) => i);
for (let i = skus - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [place[i], place[j]] = [place[j], place[i]];
}
const events = Int32Array.from({ length: EVENTS }, () => place[draw()]);
const names = Array.from({ length: skus }, (_, i) => `SKU-${String(i + 1).padStart(6, '0')}`);
/** Allocated between lanes, as a run's other objects are: lanes are not laid out back to back. */
const between = [];

function objects() {
  const lanes = new Map();
  for (let s = 0; s < skus; s++) {
    const perChannel = [];
    for (let c = 0; c < CHANNELS; c++) {
      perChannel.push({ sku: names[s], next: undefined, nextCommittedAtMs: 0.5, covers: [], state: 'idle', sending: undefined, queued: false, failures: 0, ackedVersion: -1, listed: Number.NaN, seenLevel: Number.NaN, unsynced: 0 });
      between.push(new Array(8));
    }
    lanes.set(names[s], perChannel);
  }
  let checksum = 0;
  const before = cpuUsage();
  for (let e = 0; e < EVENTS; e++) {
    const perChannel = lanes.get(names[events[e]]);
    for (let c = 0; c < CHANNELS; c++) {
      const lane = perChannel[c];
      if (e > lane.ackedVersion) {
        lane.covers.push(e);
        lane.nextCommittedAtMs = e + 0.5;
        if (lane.covers.length === ACK_EVERY) {
          checksum += lane.covers.length;
          lane.covers.length = 0;
          lane.ackedVersion = e;
        }
      }
      if (c === 0) {
        const sold = Number.isNaN(lane.seenLevel) ? 0 : lane.seenLevel - e;
        lane.seenLevel = e;
        checksum += sold > 0 ? 1 : 0;
      }
    }
  }
  const used = cpuUsage(before);
  return { usPerEvent: (used.user + used.system) / EVENTS, checksum };
}

function table() {
  const lanes = [];
  for (let s = 0; s < skus; s++) {
    for (let c = 0; c < CHANNELS; c++) {
      lanes.push({ sku: names[s], next: undefined, covers: 0, state: 'idle', sending: undefined, sendingCovers: -1, queued: false, failures: 0, throttles: 0, ackedVersion: -1, conflicts: 0, cas: c === 0 ? { listed: Number.NaN, unsynced: 0, ownReflected: 0, seenLevel: Number.NaN } : undefined });
      between.push(new Array(8));
    }
  }
  let checksum = 0;
  const before = cpuUsage();
  for (let e = 0; e < EVENTS; e++) {
    const first = events[e] * CHANNELS;
    for (let c = 0; c < CHANNELS; c++) {
      const lane = lanes[first + c];
      if (e > lane.ackedVersion) {
        lane.covers++;
        if (lane.covers === ACK_EVERY) {
          checksum += lane.covers;
          lane.covers = 0;
          lane.ackedVersion = e;
        }
      }
      const cas = lane.cas;
      if (cas !== undefined) {
        const sold = Number.isNaN(cas.seenLevel) ? 0 : cas.seenLevel - e;
        cas.seenLevel = e;
        checksum += sold > 0 ? 1 : 0;
      }
    }
  }
  const used = cpuUsage(before);
  return { usPerEvent: (used.user + used.system) / EVENTS, checksum };
}

function packed() {
  /** Per (SKU, channel): acked version, seen level (-1: unknown). */
  const FIELDS = 2;
  const ints = new Int32Array(skus * CHANNELS * FIELDS).fill(-1);
  const nextCommittedAtMs = new Float64Array(skus * CHANNELS);
  const coverCount = new Int32Array(skus * CHANNELS);
  let checksum = 0;
  const before = cpuUsage();
  for (let e = 0; e < EVENTS; e++) {
    const first = events[e] * CHANNELS;
    for (let c = 0; c < CHANNELS; c++) {
      const lane = first + c;
      const at = lane * FIELDS;
      if (e > ints[at]) {
        coverCount[lane]++;
        nextCommittedAtMs[lane] = e + 0.5;
        if (coverCount[lane] === ACK_EVERY) {
          checksum += coverCount[lane];
          coverCount[lane] = 0;
          ints[at] = e;
        }
      }
      if (c === 0) {
        const seen = ints[at + 1];
        const sold = seen < 0 ? 0 : seen - e;
        ints[at + 1] = e;
        checksum += sold > 0 ? 1 : 0;
      }
    }
  }
  const used = cpuUsage(before);
  return { usPerEvent: (used.user + used.system) / EVENTS, checksum };
}

for (let round = 1; round <= 3; round++) {
  const a = objects();
  const t = table();
  const b = packed();
  const same = a.checksum === b.checksum && t.checksum === b.checksum ? 'same' : 'DIFFERENT';
  process.stdout.write(`${skus} SKUs, round ${round}: objects ${a.usPerEvent.toFixed(3)} µs/event, table ${t.usPerEvent.toFixed(3)}, packed ${b.usPerEvent.toFixed(3)} (${same} checksum)\n`);
}
