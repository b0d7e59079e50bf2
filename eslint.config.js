// Lint: typescript-eslint's recommended rules plus the layer rules of ARCHITECTURE.md:
//  - engine/ imports neither electron nor react (it runs in plain Node and the utility process);
//  - renderer/ imports no Node built-ins (it runs sandboxed in a browser / renderer process);
//  - electron/ never turns off web security or enables Blink features (security checklist).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'release/**', 'test-results/**', '.devpack/**', '.devpack-*/**', '.peer/**', 'tools/train/**/*.py', '**/*.d.ts', 'engine/tokenizer/unicode-data*.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', URLSearchParams: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
        TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', performance: 'readonly', fetch: 'readonly',
        AbortController: 'readonly', AbortSignal: 'readonly', queueMicrotask: 'readonly', globalThis: 'readonly',
        window: 'readonly', document: 'readonly', navigator: 'readonly', WebSocket: 'readonly', btoa: 'readonly', atob: 'readonly',
        GPUBufferUsage: 'readonly', GPUMapMode: 'readonly', GPUShaderStage: 'readonly', requestAnimationFrame: 'readonly',
        cancelAnimationFrame: 'readonly', getComputedStyle: 'readonly', MessageChannel: 'readonly', Event: 'readonly', ResizeObserver: 'readonly', HTMLElement: 'readonly', localStorage: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-control-regex': 'off',
      'no-misleading-character-class': 'off',
    },
  },
  {
    files: ['engine/**/*.{ts,tsx,js,mjs}'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['electron', 'react', 'react-dom', 'zustand'].map((name) => ({ name, message: 'engine/ must not import UI or Electron code (layers: ARCHITECTURE.md).' })),
        patterns: [{ group: ['react/*', 'react-dom/*', 'electron/*', '**/renderer/**', '**/electron/**'], message: 'engine/ must not import UI or Electron code.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx,js,mjs}'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins.map((name) => ({ name, message: 'renderer/ runs sandboxed: no Node built-ins.' })), { name: 'electron', message: 'renderer/ talks to the engine through the contract only.' }, { name: 'ws', message: 'Use the browser WebSocket.' }],
        patterns: [{ regex: '^(\\.\\./)+engine/(?!(service/(contract|client|ws-client-transport|wire-codec|port-transport)|errors)\\.ts$)', message: 'renderer/ may import only the pure contract modules from engine/.' }],
      }],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "Property[key.name='webSecurity'][value.value=false]", message: 'Never disable webSecurity.' },
        { selector: "Property[key.name='nodeIntegration'][value.value=true]", message: 'Never enable nodeIntegration.' },
        { selector: "Property[key.name='enableBlinkFeatures']", message: 'Do not use enableBlinkFeatures.' },
        { selector: "Property[key.name='allowRunningInsecureContent'][value.value=true]", message: 'Never allow insecure content.' },
        { selector: "Property[key.name='experimentalFeatures'][value.value=true]", message: 'Never enable experimentalFeatures.' },
      ],
    },
  },
);
