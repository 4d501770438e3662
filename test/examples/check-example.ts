/** Shared checks of the example runs (test/examples/*.test.ts). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExampleResult } from '../../examples/harness';
import { onnx } from '../../sdk/onnx/generated/onnx';
import { checkModelFiles, haveOnnxChecker } from '../helpers/onnx-checker';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

/**
 * The loss falls (the mean of the last fifth of the steps below `fall` times that of the first fifth), the checkpoint
 * exists, the exported inference graph passes ONNX's full checker and reproduces the eval graph's output, and that one
 * file declares a symbolic batch and gives the first sample's output when run on it alone (batch 1).
 */
export function checkExampleRun(r: ExampleResult, fall: number): void {
  const k = Math.max(2, Math.floor(r.losses.length / 5));
  expect(mean(r.losses.slice(-k))).toBeLessThan(fall * mean(r.losses.slice(0, k)));
  expect(fs.existsSync(r.checkpoint)).toBe(true);
  expect(r.exportedOutput.length).toBe(r.evalOutput.length);
  r.exportedOutput.forEach((v, i) =>
    expect(Math.abs(v - r.evalOutput[i])).toBeLessThan(1e-4 * (1 + Math.abs(r.evalOutput[i]))),
  );
  expectSymbolicBatch(r.onnxFile);
  expect(r.evalOutput.length % r.exportedFirstOutput.length).toBe(0);
  expect(r.exportedFirstOutput.length).toBeLessThan(r.evalOutput.length);
  r.exportedFirstOutput.forEach((v, i) =>
    expect(Math.abs(v - r.evalOutput[i])).toBeLessThan(1e-4 * (1 + Math.abs(r.evalOutput[i]))),
  );
  if (haveOnnxChecker()) expect(checkModelFiles([r.onnxFile])).toEqual([]);
}

/** The file's first input and first output have the symbolic batch 'N' on axis 0. */
export function expectSymbolicBatch(file: string): void {
  const g = onnx.ModelProto.decode(fs.readFileSync(file)).graph!;
  for (const v of [g.input![0], g.output![0]]) expect(v.type!.tensorType!.shape!.dim![0].dimParam).toBe('N');
}

export const exampleDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'example-test-'));
