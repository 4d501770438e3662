const fs = require('node:fs');

// WebGPU tests run on SwiftShader's software Vulkan driver (Debian's chromium ships it). The Vulkan loader reads
// this variable natively, and jest gives each test file a copy of process.env, so it is set here, before the
// workers start.
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (fs.existsSync(SWIFTSHADER) && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
// Without XDG_RUNTIME_DIR (containers, CI), the Vulkan/WebGPU stack prints "error: XDG_RUNTIME_DIR is invalid" from
// passing tests; a private folder of our own keeps the test output clean.
if (!process.env.XDG_RUNTIME_DIR) {
  process.env.XDG_RUNTIME_DIR = fs.mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'xdg-'));
  fs.chmodSync(process.env.XDG_RUNTIME_DIR, 0o700);
}

const project = (displayName, testMatch) => ({
  displayName,
  testEnvironment: '<rootDir>/test/helpers/ort-environment.js',
  roots: ['<rootDir>/test'],
  testMatch,
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
});

/**
 * Tests run from the TypeScript sources, transpiled by SWC (type checking is `tsc`, run first by `npm test`).
 * Two tiers: `fast` (test/sdk, test/graphs, test/runtime, test/cli, test/examples: `npm test`) and `integration` (test/e2e: CLI
 * runs end to end, serving, WebGPU, the study: `npm run test:integration`).
 */
module.exports = {
  projects: [
    project('fast', ['<rootDir>/test/{sdk,graphs,runtime,cli,examples}/**/*.test.ts']),
    project('integration', ['<rootDir>/test/e2e/**/*.test.ts']),
  ],
  testTimeout: 180000,
  maxWorkers: 2,
};
