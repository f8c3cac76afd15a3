// Proves that the dispatcher's pooled cover lists behave exactly like arrays of (slot, commit
// time) pairs: fast-check drives both through the same random appends, joins, walks and frees
// over several lists at once, past the pool's first growth, and compares every list's contents,
// in order, after each step. Entries freed are reused (the pool holds what is in use, not what
// was ever made), and a freed entry read or freed again is a loud bug, not silent corruption.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoverChains, NO_COVERS } from '../../src/engine/cover-chains.js';
import { InvariantError } from '../../src/engine/invariant.js';

type Pair = readonly [slot: number, committedAtMs: number];

const contents = (chains: CoverChains, list: number): Pair[] => {
  const out: Pair[] = [];
  for (let entry = list; entry !== NO_COVERS; entry = chains.nextOf(entry)) out.push([chains.slotOf(entry), chains.committedAtOf(entry)]);
  return out;
};

type Op =
  | { kind: 'append'; list: number; slot: number; atMs: number }
  | { kind: 'join'; first: number; second: number }
  | { kind: 'free'; list: number };

const LISTS = 6;
const listIndex = fc.nat({ max: LISTS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), list: listIndex, slot: fc.integer({ min: -1, max: 1_000_000 }), atMs: fc.oneof(fc.double({ noNaN: true, min: 0, max: 1e9 }), fc.constant(Number.NaN)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('join' as const), first: listIndex, second: listIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('free' as const), list: listIndex }) },
);

describe('CoverChains', () => {
  it('keeps each list as an array of its pairs would be, in order, through appends, joins and frees', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 700 }), (ops) => {
        const chains = new CoverChains();
        const heads: number[] = new Array<number>(LISTS).fill(NO_COVERS);
        const model: Pair[][] = Array.from({ length: LISTS }, () => []);
        for (const o of ops) {
          if (o.kind === 'append') {
            heads[o.list] = chains.append(heads[o.list]!, o.slot, o.atMs);
            model[o.list]!.push([o.slot, o.atMs]);
          } else if (o.kind === 'join' && o.first !== o.second) {
            heads[o.first] = chains.join(heads[o.first]!, heads[o.second]!);
            heads[o.second] = NO_COVERS;
            model[o.first] = [...model[o.first]!, ...model[o.second]!];
            model[o.second] = [];
          } else if (o.kind === 'free') {
            chains.freeList(heads[o.list]!);
            heads[o.list] = NO_COVERS;
            model[o.list] = [];
          }
          for (let l = 0; l < LISTS; l++) expect(contents(chains, heads[l]!)).toEqual(model[l]);
          expect(chains.size).toBe(model.reduce((n, m) => n + m.length, 0));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reuses freed entries, so lists of three appended and freed 100 000 times use three entries', () => {
    const chains = new CoverChains();
    const used = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const list = chains.append(chains.append(chains.append(NO_COVERS, i, i), i + 1, i), i + 2, i);
      for (let entry = list; entry !== NO_COVERS; entry = chains.nextOf(entry)) used.add(entry);
      chains.freeList(list);
    }
    expect(used.size).toBe(3);
    expect(chains.size).toBe(0);
  });

  it('refuses to read or free an entry that was freed', () => {
    const chains = new CoverChains();
    const list = chains.append(chains.append(NO_COVERS, 1, 10), 2, 20);
    chains.freeList(list);
    expect(() => chains.slotOf(list)).toThrow(InvariantError);
    expect(() => chains.free(list)).toThrow(/freed twice/);
  });
});
