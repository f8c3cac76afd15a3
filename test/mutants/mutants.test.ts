// Proves the mutant list (test/mutants/mutants.ts) cannot rot silently: every patch's find text
// still occurs exactly once in its file, so each mutant still plants what it says; every patch
// changes its file; the test files that must catch each mutant exist; names are unique; and every
// defect of issue 14 has at least one mutant and a row in docs/testing.md. Cheap (it reads files
// and runs nothing): the mutation run itself is `npm run test:mutants`.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFECTS, MUTANTS } from './mutants.js';
import { applyPatches, filesOf, occurrences } from './patch.js';

const ROOT = new URL('../../', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, ROOT), 'utf8');

describe('the mutant list', () => {
  it('has unique kebab-case names, a known defect each, and a mutant for every defect', () => {
    const names = MUTANTS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    const defects = Object.keys(DEFECTS).map(Number);
    for (const m of MUTANTS) expect(defects, m.name).toContain(m.defect);
    for (const d of defects) expect(MUTANTS.some((m) => m.defect === d), `defect ${d} has no mutant`).toBe(true);
  });

  it.each(MUTANTS.map((m) => [m.name, m] as const))('%s: each find occurs exactly once and the patch changes the file', (_name, mutant) => {
    expect(mutant.patches.length).toBeGreaterThan(0);
    for (const file of filesOf(mutant.patches)) {
      expect(file, 'a mutant patches src/ or migrations/').toMatch(/^(src|migrations)\//);
      const original = read(file);
      // The first patch is checked against the file as it is; later ones as the earlier leave it.
      const first = mutant.patches.find((p) => p.file === file)!;
      expect(occurrences(original, first.find), `${file}: ${JSON.stringify(first.find.slice(0, 80))}`).toBe(1);
      const patched = applyPatches(file, original, mutant.patches);
      expect(patched).not.toBe(original);
    }
    for (const patch of mutant.patches) expect(patch.replace).not.toBe(patch.find);
  });

  it.each(MUTANTS.map((m) => [m.name, m] as const))('%s: names test files that exist', (_name, mutant) => {
    expect(mutant.tests.length).toBeGreaterThan(0);
    for (const test of mutant.tests) {
      expect(test).toMatch(/^test\/.+\.test\.ts$/);
      expect(existsSync(new URL(test, ROOT)), test).toBe(true);
    }
  });

  it('docs/testing.md names every mutant and every defect', () => {
    const doc = read('docs/testing.md');
    for (const m of MUTANTS) expect(doc, m.name).toContain(`\`${m.name}\``);
    for (const d of Object.keys(DEFECTS)) expect(doc).toMatch(new RegExp(`^\\| ${d} \\|`, 'm'));
  });
});
