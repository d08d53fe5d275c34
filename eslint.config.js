// One lint config for the whole repository (flat config, typescript-eslint).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/coverage/**', 'apps/demo/dist/**', '**/playwright-report/**', '**/test-results/**']
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', queueMicrotask: 'readonly', URL: 'readonly',
        TextEncoder: 'readonly', TextDecoder: 'readonly', crypto: 'readonly', performance: 'readonly',
        globalThis: 'readonly', Buffer: 'readonly', AbortController: 'readonly', structuredClone: 'readonly'
      }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': ['error', {
        selector: 'ExportAllDeclaration',
        message: 'Re-export by name from src/index.ts (STYLE.md: no export * from internals).'
      }],
    }
  },
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['apps/demo/**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
    // vue-tsc checks names in .vue files, as tsc does for .ts (where typescript-eslint also turns this off).
    rules: { 'no-undef': 'off' }
  },
  {
    // The demo runs in browsers.
    files: ['apps/demo/**/*.vue', 'apps/demo/src/**/*.ts'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', location: 'readonly', navigator: 'readonly', localStorage: 'readonly', indexedDB: 'readonly', fetch: 'readonly', btoa: 'readonly', atob: 'readonly', escape: 'readonly', unescape: 'readonly', BroadcastChannel: 'readonly', requestAnimationFrame: 'readonly', cancelAnimationFrame: 'readonly', ResizeObserver: 'readonly', RTCPeerConnection: 'readonly' } }
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
)
