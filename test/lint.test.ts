// Proves the determinism rule: ESLint rejects wall-clock, real-timer and Math.random use in
// src/engine and src/sim, and accepts the same code elsewhere.
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const fixture = readFileSync(new URL('./fixtures/lint/src/engine/uses-wall-clock.ts', import.meta.url), 'utf8');

async function lint(path: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname, ignore: false });
  const [result] = await eslint.lintText(fixture, { filePath: path });
  return result!.messages.map((m) => `${m.line}:${m.ruleId ?? ''}:${m.message}`);
}

describe('determinism lint rule', () => {
  it.each(['src/engine/x.ts', 'src/sim/x.ts'])('rejects Math.random, Date.now, new Date(), performance and setTimeout in %s', async (path) => {
    const messages = await lint(path);
    for (const line of [2, 3, 4, 5, 6]) expect(messages.some((m) => m.startsWith(`${line}:`))).toBe(true);
    expect(messages.join('\n')).toMatch(/Math\.random|Random port/);
  });

  it('accepts the same code in the real-time adapters module', async () => {
    expect(await lint('src/adapters/system.ts')).toEqual([]);
  });
});
