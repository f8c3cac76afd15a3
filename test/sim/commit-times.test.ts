// Proves the ledger's commit-time window keeps exactly what propagation latency can still read:
// a version is kept until every channel showing its key has listed it or a newer one, so memory
// follows the versions in flight (a long run with listings kept up to date holds a few per key,
// not one per commit), a lagging channel keeps its versions however many commits pass, a
// partitioned key waits for its own channel only, and versions arrive one by one or it throws.
import { describe, expect, it } from 'vitest';
import { CommitTimes } from '../../src/sim/commit-times.js';

describe('CommitTimes', () => {
  it('holds a few versions per key over a long run whose listings keep up', () => {
    const times = new CommitTimes(3, 2, () => -1);
    for (let v = 2; v <= 10_001; v++) {
      for (let k = 0; k < 3; k++) {
        times.committed(k, v, v * 10);
        times.listedBy(0, k, v);
        times.listedBy(1, k, v - 1);
      }
    }
    expect(times.kept).toBeLessThanOrEqual(3 * 16);
    // What a listing can still move to is there: channel 1 lists 10 000, 10 001 is pending.
    expect(times.at(0, 10_001)).toBe(100_010);
    expect(times.at(0, 2)).toBeUndefined();
  });

  it("keeps every version a lagging channel has not listed, and drops them once it has", () => {
    const times = new CommitTimes(1, 2, () => -1);
    for (let v = 2; v <= 1_001; v++) {
      times.committed(0, v, v);
      times.listedBy(0, 0, v);
    }
    // Channel 1 still lists the seeded version 1: all 1 000 commits are owed to it.
    expect(times.kept).toBe(1_000);
    for (let v = 2; v <= 1_001; v++) expect(times.at(0, v)).toBe(v);
    times.listedBy(1, 0, 1_001);
    times.committed(0, 1_002, 1_002);
    for (let v = 1_003; v <= 3_100; v++) {
      times.committed(0, v, v);
      times.listedBy(0, 0, v);
      times.listedBy(1, 0, v);
    }
    // The array grew to hold the lag (1 024); once full again, what both listed is dropped.
    expect(times.kept).toBeLessThan(1_024);
    expect(times.at(0, 1_001)).toBeUndefined();
    expect(times.at(0, 3_100)).toBe(3_100);
  });

  it('keeps neighbouring keys apart while one of them outgrows the shared slots', () => {
    // Key 1 lags (channel 0 never lists it) and grows a buffer of its own; keys 0 and 2, next to
    // it in the arena, keep up and stay in it. Every time read back is the one written.
    const times = new CommitTimes(3, 1, () => -1);
    for (let v = 2; v <= 300; v++) {
      for (let k = 0; k < 3; k++) times.committed(k, v, 1_000 * k + v);
      times.listedBy(0, 0, v - 1);
      times.listedBy(0, 2, v - 3);
    }
    for (let v = 2; v <= 300; v++) expect(times.at(1, v)).toBe(1_000 + v);
    expect(times.at(0, 300)).toBe(300);
    for (let v = 298; v <= 300; v++) expect(times.at(2, v)).toBe(2_000 + v);
    expect(times.at(0, 200)).toBeUndefined();
    expect(times.at(2, 200)).toBeUndefined();
  });

  it('waits only for the channel a partitioned key is listed on', () => {
    // Key 0 is channel 1's pool; channel 0 never lists it.
    const times = new CommitTimes(1, 2, () => 1);
    for (let v = 2; v <= 500; v++) {
      times.committed(0, v, v);
      times.listedBy(1, 0, v);
    }
    expect(times.kept).toBeLessThanOrEqual(16);
  });

  it('remembers the highest version each channel listed, even after its listing went back', () => {
    const times = new CommitTimes(1, 1, () => -1);
    times.committed(0, 2, 5);
    times.committed(0, 3, 6);
    times.listedBy(0, 0, 3);
    times.listedBy(0, 0, 2);
    expect(times.highestListed(0, 0)).toBe(3);
  });

  it('refuses a version out of order: a commit the ledger missed is a bug', () => {
    const times = new CommitTimes(1, 1, () => -1);
    times.committed(0, 2, 1);
    expect(() => times.committed(0, 4, 2)).toThrow(/committed version 4, expected 3/);
  });
});
