/**
 * WebGPU buffer limits (runtime/engine/gpu-limits.ts): tensor sizes from the DSL graph and from the exported ONNX
 * value_info, the one-line error with a smaller --size / --chan that fits, the check before a WebGPU session
 * (SwiftShader, as test/webgpu.test.ts), the CLI flag, and ORT's own device-memory errors rephrased.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildUnetGraph, GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import {
  checkWebGpuBuffers,
  checkWebGpuGraph,
  explainDeviceRunError,
  graphTensorSizes,
  largestTensor,
  MAX_BUFFER_ENV,
  onnxTensorSizes,
  smallerSize,
  webgpuBufferLimit,
} from '../../runtime/engine/gpu-limits';
import { createSession, runSession } from '../../runtime/engine/ort';
import { exportModel } from '../../sdk/export';
import type { NamedArray } from '../../sdk/state';
import { ROOT } from '../helpers/paths';
import { haveWebGpu } from '../helpers/webgpu';

const MIB = 2 ** 20;
const TINY = '8,8,8,8,16,8,8,8,16';
const unet = (chan: string, s: number) => {
  const model = new GVSL(1, parseWidths(chan));
  return { model, graph: buildUnetGraph(model.unet, [1, 1, s, s, s]) };
};
// At 32³ the tiny U-Net's largest tensors are its 16-channel full-resolution maps (the last up-block's concat of
// c0 = 8 and c7 = 8 channels, and `local` with c8 = 16): 16·32³·4 bytes = 2 MiB exactly.
const LARGEST_32 = 16 * 32 ** 3 * 4;

describe('tensor sizes', () => {
  test('the DSL graph and the exported ONNX agree on the largest tensor (2 MiB at 32³)', () => {
    const { model, graph } = unet(TINY, 32);
    const fromGraph = largestTensor(graphTensorSizes(graph))!;
    const fromOnnx = largestTensor(onnxTensorSizes(exportModel(graph, { weights: model.initStateDict(0) }).model))!;
    expect(fromGraph.bytes).toBe(LARGEST_32);
    expect(fromGraph.shape).toEqual([1, 16, 32, 32, 32]);
    expect(fromOnnx.bytes).toBe(LARGEST_32);
    expect(fromOnnx.dtype).toBe('float32');
  });

  test('smaller sizes are multiples of 16 with at most the allowed voxels', () => {
    expect(smallerSize([128, 128, 128], 1 / 8)).toEqual([64, 64, 64]);
    expect(smallerSize([96, 96, 96], 256 / 432)).toEqual([80, 80, 80]);
    expect(smallerSize([32, 32, 32], 1e-6)).toEqual([16, 16, 16]);
  });
});

describe('the one-line error', () => {
  const limit = (mib: number) => ({ maxBufferSize: mib * MIB, source: 'test' });

  test('names the largest tensor, its shape and size, the limit, and a --size that fits', () => {
    const { graph } = unet(TINY, 32);
    const rebuild = (size: number[], c?: readonly number[]) =>
      buildUnetGraph(new GVSL(1, parseWidths(c ?? TINY)).unet, [1, 1, size[0], size[1], size[2]]);
    let msg = '';
    try {
      checkWebGpuGraph(graph, { size: [32, 32, 32], chan: parseWidths(TINY) }, rebuild, 1);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(
      /^WebGPU: tensor '[^']+' \[1,16,32,32,32\] float32 needs 2\.00 MiB, over the 1\.00 MiB per-buffer limit \(--max-buffer-mib\)/,
    );
    // 16³ has an eighth of the voxels (0.25 MiB); the tiny widths cannot shrink further, so no --chan.
    expect(msg).toMatch(/; --size 16,16,16 fits$/);
  });

  test('suggests narrower --chan when that fits, confirmed by rebuilding', () => {
    const wide = '16,16,16,16,32,16,16,16,32';
    const { graph } = unet(wide, 32);
    const rebuild = (size: number[], c?: readonly number[]) =>
      buildUnetGraph(new GVSL(1, parseWidths(c ?? wide)).unet, [1, 1, size[0], size[1], size[2]]);
    // 32 channels at 32³ = 4 MiB; half the widths (and of every feature map) fit 2 MiB.
    expect(() => checkWebGpuGraph(graph, { size: [32, 32, 32], chan: parseWidths(wide) }, rebuild, 2)).toThrow(
      /needs 4\.00 MiB, over the 2\.00 MiB .*; --size 16,16,16 or --chan 8,8,8,8,16,8,8,8,16 fits$/,
    );
  });

  test('a graph at the limit passes', () => {
    const { graph } = unet(TINY, 32);
    expect(() => checkWebGpuBuffers(graphTensorSizes(graph), limit(LARGEST_32 / MIB))).not.toThrow();
  });

  test('the limit comes from the flag, else the environment, else the WebGPU default of 256 MiB', () => {
    const old = process.env[MAX_BUFFER_ENV];
    try {
      delete process.env[MAX_BUFFER_ENV];
      expect(webgpuBufferLimit().maxBufferSize).toBe(256 * MIB);
      process.env[MAX_BUFFER_ENV] = '1024';
      expect(webgpuBufferLimit().maxBufferSize).toBe(1024 * MIB);
      expect(webgpuBufferLimit(3).maxBufferSize).toBe(3 * MIB);
      process.env[MAX_BUFFER_ENV] = 'lots';
      expect(() => webgpuBufferLimit()).toThrow(`${MAX_BUFFER_ENV} must be a positive number of MiB, got 'lots'`);
    } finally {
      if (old === undefined) delete process.env[MAX_BUFFER_ENV];
      else process.env[MAX_BUFFER_ENV] = old;
    }
  });
});

describe("ORT's device-memory errors", () => {
  // Verbatim from a 1100 MiB Mul on SwiftShader (vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY,
  // which Dawn reports only to ORT's log).
  const ORT_MESSAGE =
    '/onnxruntime_src/onnxruntime/core/providers/webgpu/buffer_manager.cc:641 void onnxruntime::webgpu::BufferManager::Download(WGPUBuffer, void*, size_t) const map_async_result.status == wgpu::MapAsyncStatus::Success was false. Failed to download data from buffer. wgpu::MapAsyncStatus value: 3, message: [Invalid Buffer (unlabeled)] is invalid due to a previous error.';

  test('are rephrased in one line with what to do', () => {
    const msg = explainDeviceRunError('webgpu', ORT_MESSAGE)!;
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(
      /^the WebGPU device could not hold the graph's buffers \(ORT: Failed to download data from buffer\..*\): use a smaller --size or --chan, or set --max-buffer-mib/,
    );
    expect(explainDeviceRunError('cuda', 'CUDA failure 2: out of memory ; GPU=0')).toMatch(
      /^the cuda device ran out of memory .*: use a smaller --size, --chan or --batch$/,
    );
  });

  test('other errors and CPU runs are left alone', () => {
    expect(
      explainDeviceRunError('webgpu', 'Non-zero status code returned while running Conv node: invalid shape'),
    ).toBeNull();
    expect(explainDeviceRunError('cpu', ORT_MESSAGE)).toBeNull();
  });
});

(haveWebGpu ? describe : describe.skip)('before a WebGPU session (SwiftShader)', () => {
  const { model, graph } = unet(TINY, 32);
  const bytes = exportModel(graph, { weights: model.initStateDict(0) }).model;
  const x: NamedArray = {
    dtype: 'float32',
    shape: [1, 1, 32, 32, 32],
    data: Float32Array.from({ length: 32 ** 3 }, (_, i) => Math.sin(i * 0.01)),
  };

  test('a model over the limit is refused in one line, with the --size read from its input', async () => {
    await expect(createSession(bytes, { ep: 'webgpu', maxBufferMiB: 1 })).rejects.toThrow(
      /^WebGPU: tensor '[^']+' \[1,16,32,32,32\] float32 needs 2\.00 MiB, over the 1\.00 MiB per-buffer limit \(--max-buffer-mib\), as do \d+ more; --size 16,16,16 fits$/,
    );
  });

  test('a model under the limit runs and equals the CPU', async () => {
    const gpu = await createSession(bytes, { ep: 'webgpu', noCpuFallback: true, maxBufferMiB: 2 });
    const cpu = await createSession(bytes);
    const a = await runSession(gpu, { x });
    const b = await runSession(cpu, { x });
    for (const k of Object.keys(b)) {
      let err = 0;
      for (let i = 0; i < b[k].data.length; i++)
        err = Math.max(err, Math.abs(Number(a[k].data[i]) - Number(b[k].data[i])));
      expect(err).toBeLessThan(1e-4);
    }
    await gpu.release();
    await cpu.release();
  });
});

const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const built = fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'engine', 'gpu-limits.js'));

(haveWebGpu && built ? describe : describe.skip)('the CLI', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120000 });

  test('bench --ep webgpu --max-buffer-mib: one line, before any benchmark runs', () => {
    const r = cli([
      'bench',
      '--model',
      'unet',
      '--size',
      '32',
      '--chan',
      TINY,
      '--ep',
      'webgpu',
      '--max-buffer-mib',
      '1',
      '--runs',
      '1',
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^onnx-train: WebGPU: tensor '[^']+' \[1,16,32,32,32\] float32 needs 2\.00 MiB, over the 1\.00 MiB per-buffer limit \(--max-buffer-mib or ONNX_TRAIN_WEBGPU_MAX_BUFFER_MIB\).*; --size 16,16,16 fits\n$/,
    );
  });

  test('pretrain --ep webgpu stops before training, naming a --size that fits', () => {
    const out = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'gpu-limits-'));
    try {
      // The sample run's defaults (32³, widths 8,16,16,32,32,32,16,16,16): its biggest tensors are the feature warp's
      // gathers, 8 corners x 32³ voxels x c8 = 16 channels = 16 MiB; at 16³ they are 2 MiB.
      const r = cli(['pretrain', '--ep', 'webgpu', '--max-buffer-mib', '4', '--steps', '1', '--quiet', '--out', out]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      const m =
        /^onnx-train: WebGPU: tensor '[^']+' \[([\d,]+)\] float32 needs ([\d.]+) MiB, over the 4\.00 MiB per-buffer limit \(--max-buffer-mib or ONNX_TRAIN_WEBGPU_MAX_BUFFER_MIB\).*; --size 16,16,16 fits\n$/.exec(
          r.stderr,
        );
      expect(m).not.toBeNull();
      // The size it states is the named shape's (float32).
      expect(Number(m![2])).toBeCloseTo(
        (m![1]
          .split(',')
          .map(Number)
          .reduce((a, b) => a * b, 1) *
          4) /
          2 ** 20,
        1,
      );
      expect(fs.existsSync(path.join(out, 'train.onnx'))).toBe(false);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
