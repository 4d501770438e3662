/**
 * What `npm pack` ships (package.json `files`): the compiled published code (sdk, graphs, runtime with the CLI),
 * the bin script, the bundled sample volumes and the README; no tests, scripts, examples or source maps.
 * Runs on the compiled dist/ (`npm test` compiles first); `--ignore-scripts` keeps `prepare` from rebuilding.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/paths';

const built = fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js'));

(built ? test : test.skip)('npm pack ships only what a user needs', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
  const files = pack.files.map((f) => f.path);
  expect(files).toContain('package.json');
  expect(files).toContain('README.md');
  expect(files).toContain('bin/onnx-train.js');
  expect(files).toContain('dist/runtime/cli/index.js');
  expect(files).toContain('dist/sdk/index.js');
  expect(files).toContain('dist/sdk/index.d.ts');
  expect(files).toContain('dist/graphs/index.js');
  expect(files).toContain('dist/runtime/engine/worker.js');
  expect(files.some((f) => f.startsWith('data/samples/'))).toBe(true);
  const unwanted = files.filter(
    (f) =>
      /^(dist\/)?(test|scripts|examples)\//.test(f) ||
      f.endsWith('.map') ||
      /\.test\.(js|ts|d\.ts)$/.test(f) ||
      f.endsWith('.tsbuildinfo') ||
      /^(sdk|graphs|runtime)\//.test(f),
  );
  expect(unwanted).toEqual([]);
  // Every file is under a folder a user needs.
  expect(
    files.filter(
      (f) => !/^(dist\/(sdk|graphs|runtime)\/|bin\/|data\/samples\/|package\.json$|README\.md$|LICENSE)/.test(f),
    ),
  ).toEqual([]);
});
