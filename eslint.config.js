// Lint config: type-checked rules everywhere, plus the runtime layers (eslint.layers.js).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

import { layerRules } from './eslint.layers.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', '**/*.js', '!eslint.config.js', '!eslint.layers.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.shared.json', './tsconfig.core.json', './tsconfig.agent.json', './tsconfig.tray.json', './tsconfig.renderer.json', './tsconfig.lab.json', './tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // node:test's test()/describe() return promises the runner tracks itself.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      'eqeqeq': ['error', 'always'],
    },
  },
  {
    files: ['eslint.config.js', 'eslint.layers.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  ...layerRules,
);
