import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const shim = (f: string) => fileURLToPath(new URL(`./src/shims/${f}`, import.meta.url));

// COOP/COEP make the page cross-origin isolated: SharedArrayBuffer, so onnxruntime-web's WebAssembly can use threads.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './',
  // scripts/prepare.mjs fills public/; the end-to-end test uses its own folders (GVSL_PUBLIC, GVSL_OUT).
  publicDir: process.env.GVSL_PUBLIC ?? 'public',
  // The app imports the project's own TypeScript (runtime/serve, runtime/data); their only Node imports are
  // the NIfTI file helpers' fs, zlib and process (atomic writes), which the browser never calls (files arrive
  // as bytes, gunzipped by DecompressionStream): small stand-ins replace them.
  // 'onnxruntime-web-use-extern-wasm': ORT's build without the WebAssembly loader inlined; the worker loads the
  // loader and the binary from ort/, so pthread workers start from ORT's own script.
  resolve: {
    alias: {
      'node:fs': shim('node-fs.ts'),
      'node:zlib': shim('node-zlib.ts'),
      'node:process': shim('node-process.ts'),
    },
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  server: { host: '127.0.0.1', headers: isolation, fs: { allow: ['../..'] } },
  preview: { host: '127.0.0.1', headers: isolation },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000, outDir: process.env.GVSL_OUT ?? 'dist', emptyOutDir: true },
});
