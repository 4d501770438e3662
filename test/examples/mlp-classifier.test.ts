/**
 * examples/mlp-classifier.ts at a tiny size: training lowers the loss and separates the blobs, the exported
 * inference graph passes ONNX's full checker and gives the eval graph's logits in ONNX Runtime.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMlpExample } from '../../examples/mlp-classifier';
import { checkModelFiles, haveOnnxChecker } from '../helpers/onnx-checker';
import { expectSymbolicBatch } from './check-example';

test('the MLP classifier example trains, evaluates, checkpoints and exports a checked, runnable graph', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-example-test-'));
  const r = await runMlpExample({ steps: 60, hidden: 16, batch: 32, out });
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  expect(mean(r.losses.slice(-10))).toBeLessThan(0.5 * mean(r.losses.slice(0, 10)));
  expect(r.evalAccuracy).toBeGreaterThan(0.85);
  expect(fs.existsSync(r.checkpoint)).toBe(true);
  r.exportedLogits.forEach((v, i) => expect(Math.abs(v - r.evalLogits[i])).toBeLessThan(1e-5 * (1 + Math.abs(v))));
  // One file, two batch sizes: the first sample alone gives the first row of logits.
  expectSymbolicBatch(r.onnxFile);
  expect(r.exportedFirstLogits.length).toBe(3);
  r.exportedFirstLogits.forEach((v, i) => expect(Math.abs(v - r.evalLogits[i])).toBeLessThan(1e-5 * (1 + Math.abs(v))));
  if (haveOnnxChecker()) expect(checkModelFiles([r.onnxFile])).toEqual([]);
  fs.rmSync(out, { recursive: true });
});
