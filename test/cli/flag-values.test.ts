/**
 * Numeric flags are checked at parse time by every command (runtime/cli/parse.ts), distributed and batches
 * included, and --config cannot be combined with --resume: one line each, through the compiled CLI, before any
 * work. The runs that use datasets and config files are in test/e2e/cli-datasets-configs.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveCheckpoint } from '../../runtime/engine/checkpoint';
import { ROOT, runCli as cli, type CliResult } from '../helpers/cli';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'flags-cli-'));

function oneLine(r: CliResult, re: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
}

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js')))
    throw new Error('run `npm run build` first (npm test does)');
});
test.each([
  [
    ['pretrain', '--spacing', '4,4'],
    /^onnx-train: --spacing expects D,H,W or one number \(mm\), each a positive number, got '4,4'$/m,
  ],
  [['pretrain', '--lr', 'abc'], /^onnx-train: --lr expects a positive number, got 'abc'$/m],
  [['pretrain', '--lr', '-1'], /--lr expects a positive number, got '-1'/],
  [['finetune', '--steps', '0'], /--steps expects a positive integer, got '0'/],
  [['finetune', '--val-fraction', '1'], /--val-fraction expects a number in \[0, 1\), got '1'/],
  [
    ['segment', 'x.nii.gz', '--model', 'm', '--out', 'o.nii.gz', '--overlap', '0.9.1'],
    /--overlap expects a number in \[0, 1\)/,
  ],
  [
    ['register', 'a', 'b', '--model', 'm', '--out', 'o', '--size', '2'],
    /--size expects D,H,W or one number \(voxels\), each an integer >= 4, got '2'/,
  ],
  [['bench', '--chan', '8,8'], /--chan expects nine comma-separated positive integers/],
  [['bench', '--chan', '8,8,8,8,8,8,8,8,8'], /--chan: .*c4 and c8 must be multiples of 16/],
  [['export', '--opset', '30', '--out', 'x.onnx'], /--opset expects an integer in \[13, 21\], got '30'/],
  [
    ['export', '--shape', '1,1,16,16', '--out', 'x.onnx'],
    /^onnx-train: --shape needs N,C,D,H,W as five positive integers \(e\.g\. 1,1,64,64,64\), got '1,1,16,16'$/m,
  ],
  [['pretrain', '--threads', '1.5'], /--threads expects a positive integer, got '1.5'/],
  [['plot', '--bins', '3', 'x'], /--bins expects an integer in \[10, 100000\], got '3'/],
  [
    ['pretrain', '--similarity', 'mi', '--similarity-bins', 'many'],
    /^onnx-train: --similarity-bins expects a number, got 'many'$/m,
  ],
  [['distributed', 'prepare', '--micro-batch', '0'], /--micro-batch expects a positive integer, got '0'/],
  [['distributed', 'launch', 'run', '--port', '70000'], /--port expects an integer in \[1, 65535\], got '70000'/],
  [
    ['distributed', 'launch', 'run', '--nproc-per-node', 'two'],
    /--nproc-per-node expects a positive integer, got 'two'/,
  ],
  [['batches', 'run', '--rank', '-1', '--world', '2'], /--rank expects a non-negative integer, got '-1'/],
])('%j is refused at parse time', async (args, re) => {
  oneLine(await cli(args as string[]), re);
});

test('--resume with --config is refused: a resumed run is defined by its checkpoint', async () => {
  const dir = tmp();
  saveCheckpoint(dir, new Map(), {
    config: { geometry: 'exact', lr: 1e-3, steps: 5, saveEvery: 5, chan: [8], size: [16, 16, 16] },
    step: 2,
  });
  fs.writeFileSync(path.join(dir, 'more.json'), '{"steps": 9}');
  oneLine(
    await cli(['pretrain', '--resume', dir, '--config', path.join(dir, 'more.json')]),
    /--resume .*: --config cannot change when resuming \(a resumed run is defined by its checkpoint, not by a config file; give the overrides \(--lr, --steps, …\) as flags\)/,
  );
});
