const fs = require('node:fs');

// WebGPU tests run on SwiftShader's software Vulkan driver (Debian's chromium ships it). The Vulkan loader reads
// this variable natively, and jest gives each test file a copy of process.env, so it is set here, before the
// workers start.
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (fs.existsSync(SWIFTSHADER) && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

const project = (displayName, testMatch) => ({
  displayName,
  testEnvironment: '<rootDir>/test/helpers/ort-environment.js',
  roots: ['<rootDir>/test'],
  testMatch,
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
});

/**
 * Tests run from the TypeScript sources, transpiled by SWC (type checking is `tsc`, run first by `npm test`).
 * Two tiers: `fast` (test/sdk, test/graphs, test/runtime, test/cli: `npm test`) and `integration` (test/e2e: CLI
 * runs end to end, serving, WebGPU, the study: `npm run test:integration`).
 */
module.exports = {
  projects: [
    project('fast', ['<rootDir>/test/{sdk,graphs,runtime,cli}/**/*.test.ts']),
    project('integration', ['<rootDir>/test/e2e/**/*.test.ts']),
  ],
  testTimeout: 180000,
  maxWorkers: 2,
};
