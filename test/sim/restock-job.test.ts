// Proves the two conditions a live run's prediction holds fixed: `catalogSeed` draws the
// catalogue from another seed than the run's (and nothing else), and `restockJob` makes a
// restock the job a live run's is: no restock commits before its reads are back, the writes come
// in batches over the write span, one after another within a batch, and a burst at a restock's
// moment meets the stock before it.
import { describe, expect, it } from 'vitest';
import { liveWorldScenario } from '../../src/loadtest/live-world.js';
import { RandomStreams } from '../../src/model/random.js';
import { liveStrategy } from '../../src/reports/live.js';
import { getScenario, loadScenarioFile } from '../../src/scenarios/load.js';
import { simulate, type SimulateOptions } from '../../src/sim/world.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const { scenario, strategy } = liveStrategy(getScenario(loadScenarioFile(`${ROOT}scenarios.yaml`), 'pitfalls'));
const world = liveWorldScenario(scenario);
/** Mutation ids of restocks start with "r" (src/sim/world.ts mutationOf). */
const RESTOCK_ID_CHAR = 'r'.charCodeAt(0);

async function traced(options: Omit<SimulateOptions, 'strategy' | 'traceSink'>): Promise<{ lines: string[][]; lostSales: number; oversells: number; traceHash: string }> {
  let trace = '';
  const r = await simulate(world, { strategy, ...options, traceSink: (chunk) => void (trace += chunk) });
  return { lines: trace.split('\n').map((l) => l.split(' ')), lostSales: r.lostSales, oversells: r.oversells, traceHash: r.traceHash };
}

/** Commit times (ms) of the restocks of the tick at `tickMs` (before the next tick). */
function restockCommits(lines: string[][], tickMs: number, everyMs: number): number[] {
  return lines.filter((f) => f[0] === 'C' && Number(f[4]) === RESTOCK_ID_CHAR && Number(f[6]) >= tickMs && Number(f[6]) < tickMs + everyMs).map((f) => Number(f[6]));
}

describe('catalogSeed', () => {
  it("draws every SKU's initial stock from the given seed, and the rest from the run's", async () => {
    const drawn = new RandomStreams(1).stream('catalog.stock');
    const seed1 = Array.from({ length: world.catalog.skus }, () => drawn.int(world.catalog.initialStockMin, world.catalog.initialStockMax + 1));
    // What each SKU's listing showed at its first order, before the first restock: its initial stock.
    const firstShown = (lines: string[][]): Map<number, number> => {
      const shown = new Map<number, number>();
      for (const f of lines) if (f[0] === 'O' && Number(f[6]) < world.catalog.restock!.everyS * 1000 && !shown.has(Number(f[3]))) shown.set(Number(f[3]), Number(f[5]));
      return shown;
    };
    const held = await traced({ seed: 2, catalogSeed: 1 });
    const own = await traced({ seed: 2 });
    const heldShown = firstShown(held.lines);
    expect(heldShown.size).toBeGreaterThan(10);
    // Only SKUs never sold before their first order: the first order is each SKU's first sale.
    for (const [sku, shown] of heldShown) expect(shown, `SKU ${sku}`).toBe(seed1[sku]);
    expect([...firstShown(own.lines)].some(([sku, shown]) => shown !== seed1[sku])).toBe(true);
    // The run's own seed as the catalogue's is the plain run, byte for byte.
    expect((await traced({ seed: 2, catalogSeed: 2 })).traceHash).toBe(own.traceHash);
    // The demand is seed 2's either way: the same customers arrive at the same moments.
    const arrivals = (lines: string[][]): string => lines.filter((f) => f[0] === 'O').slice(0, 50).map((f) => `${f[2]}:${f[3]}:${f[6]}`).join(',');
    expect(arrivals(held.lines)).toBe(arrivals(own.lines));
  });

  it('refuses a seed that is not an integer >= 0', async () => {
    await expect(simulate(world, { strategy, seed: 1, catalogSeed: -1 })).rejects.toThrow(/catalogSeed must be an integer >= 0, got -1/);
  });
});

describe('restockJob', () => {
  const everyMs = world.catalog.restock!.everyS * 1000;

  it('commits no restock before its reads are back, and the writes batch by batch over the write span', async () => {
    const instant = await traced({ seed: 1 });
    const job = { readSpanMs: 4_000, writeSpanMs: 4_000, batch: 50 };
    const slow = await traced({ seed: 1, restockJob: job });
    const at = restockCommits(instant.lines, everyMs, everyMs);
    const late = restockCommits(slow.lines, everyMs, everyMs);
    expect(at.length).toBeGreaterThan(job.batch);
    // Instant: every SKU below the target committed at the restock's moment (plus the store's latency).
    expect(Math.max(...at) - everyMs).toBeLessThan(1_000);
    // As a job: 80 SKUs are two read batches, then the writes, two batches of the write span's
    // halves, each batch's commits one after another over its half (the service answers a k6
    // http.batch's requests in turn).
    const writesFromMs = everyMs + job.readSpanMs;
    expect(Math.min(...late)).toBeGreaterThanOrEqual(writesFromMs);
    expect(Math.max(...late)).toBeLessThan(writesFromMs + job.writeSpanMs + 1_000);
    const half = (t: number): number => Math.floor((t - writesFromMs) / (job.writeSpanMs / 2));
    const halves = [0, 1].map((h) => late.filter((t) => half(t) === h));
    expect(halves[0]!.length).toBe(job.batch);
    expect(halves[1]!.length).toBe(late.length - job.batch);
    // Spread, not bunched: each half's commits cover most of it, in steps of the share of one write.
    for (const commits of halves) {
      expect(Math.max(...commits) - Math.min(...commits)).toBeGreaterThan((job.writeSpanMs / 2) * 0.8);
      expect(new Set(commits.map((t) => Math.floor(t / 10))).size).toBeGreaterThan(commits.length / 2);
    }
  });

  it("meets pitfalls' burst at 7 200 s with the stock before the restock: fewer lost sales, more oversells", async () => {
    // The burst (120 orders on the 3 hottest SKUs within 1 s) comes with the hourly restock.
    const instant = await traced({ seed: 1 });
    const slow = await traced({ seed: 1, restockJob: { readSpanMs: 1_500, writeSpanMs: 1_500, batch: 50 } });
    expect(slow.lostSales).toBeLessThan(instant.lostSales * 0.75);
    expect(slow.oversells).toBeGreaterThan(instant.oversells);
    expect((await traced({ seed: 1, restockJob: { readSpanMs: 1_500, writeSpanMs: 1_500, batch: 50 } })).traceHash).toBe(slow.traceHash);
  });

  it('refuses a negative span or a batch below 1', async () => {
    await expect(simulate(world, { strategy, seed: 1, restockJob: { readSpanMs: -1, writeSpanMs: 0, batch: 50 } })).rejects.toThrow(/restockJob: readSpanMs must be a finite number >= 0, got -1/);
    await expect(simulate(world, { strategy, seed: 1, restockJob: { readSpanMs: 0, writeSpanMs: 0, batch: 0 } })).rejects.toThrow(/restockJob: batch must be an integer >= 1, got 0/);
  });
});
