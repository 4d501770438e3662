// ESLint (flat config): @eslint/js and typescript-eslint's recommended rules, kept pragmatic for this codebase.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'python/.venv/**',
      'dist/**',
      'node_modules/**',
      'sdk/onnx/generated/**',
      'examples/browser/dist/**',
      'examples/browser/public/**',
      'runs/**',
      'tmp/**',
      'data/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        __filename: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      // `any` is used deliberately at a few typed boundaries (primitive attribute bags, the op registry, yargs'
      // builders, worker messages); `{}` is the DSL's "no attributes" type. Both are reviewed, not linted.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
      // Unused names are errors, except the deliberate ones: `_`-prefixed arguments and rest siblings.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests load compiled modules and JSON at run time (the built dist/, package.json) with require.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The browser end-to-end test runs code inside the page (window, document, self) through Playwright.
    files: ['examples/browser/**/*.mjs'],
    languageOptions: {
      globals: { URL: 'readonly', self: 'readonly', window: 'readonly', btoa: 'readonly', document: 'readonly' },
    },
  },
  {
    // CommonJS files (bin/, jest config, test environment) use require by design.
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
