// ESLint flat config. The determinism rule is the reason this file exists: nothing in
// src/engine or src/sim may read the wall clock, real timers or Math.random. Real-time
// adapters live in src/adapters/system.ts, outside the rule.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export const determinismRules = {
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Use the injected Random port (determinism).' },
    { object: 'Date', property: 'now', message: 'Use the injected Clock port (determinism).' },
    { object: 'performance', property: 'now', message: 'Use the injected Clock port (determinism).' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'performance', message: 'Use the injected Clock port (determinism).' },
    { name: 'setTimeout', message: 'Use the injected Timers port (determinism).' },
    { name: 'setInterval', message: 'Use the injected Timers port (determinism).' },
    { name: 'setImmediate', message: 'Real timers are forbidden here (determinism).' },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'new Date() reads the wall clock; use the injected Clock port (determinism).',
    },
  ],
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['**/adapters/system*'], message: 'Real-time adapters are not allowed here (determinism).' },
        { group: ['node:timers', 'node:timers/*', 'timers', 'timers/*', 'node:perf_hooks', 'perf_hooks'], message: 'Real timers are forbidden here (determinism).' },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/out/**', 'loadtest/out/**', 'test-artifacts/**', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/engine/**/*.ts', 'src/sim/**/*.ts', 'src/model/**/*.ts'],
    rules: determinismRules,
  },
);
