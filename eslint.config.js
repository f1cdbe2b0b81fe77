import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', '.handoff/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain-JS fixtures run directly under Node (no tsx) so they start fast.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` object and a union type instead of enum.' },
      ],
    },
  },
  {
    // Pure decision modules: no clock, no I/O. `now` is always a parameter.
    files: [
      'src/**/plan*.ts', 'src/**/decide*.ts', 'src/**/choose*.ts', 'src/**/transitions.ts',
      'src/rollout/roles.ts', 'src/rollout/commands.ts', 'src/rollout/strategy.ts', 'src/rollout/strategies/**/*.ts',
      'src/allocation/routing*.ts', 'src/runtime/local/log-plan.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'performance', 'fetch', 'process'],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'child_process', 'http', '**/store/**', '**/runtime/**'] }],
    },
  },
  {
    // The drain forecast's statistics are pure too; only its service reads the world and the store.
    files: ['src/analysis/forecast/**/*.ts'],
    ignores: ['**/*.test.ts', 'src/analysis/forecast/service.ts'],
    rules: {
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'performance', 'fetch', 'process'],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'child_process', 'http', '**/store/**', '**/runtime/**', '**/state/**'] }],
    },
  },
  {
    // The release judge and its statistics: pure, so every verdict can be replayed from its samples.
    files: ['src/analysis/judge/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'performance', 'fetch', 'process'],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'child_process', 'http', '**/store/**', '**/runtime/**', '**/state/**'] }],
    },
  },
  {
    // Chaos experiments' decisions: the judge, the state machine, the blast radius, the spec and the report.
    files: ['src/chaos/model.ts', 'src/chaos/judge.ts', 'src/chaos/machine.ts', 'src/chaos/blast-radius.ts', 'src/chaos/spec.ts', 'src/chaos/report.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'performance', 'fetch', 'process'],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'child_process', 'http', '**/store/**', '**/runtime/**', '**/state/**', '**/cli/**', '**/api/**'] }],
    },
  },
);
