import * as fs from 'node:fs';
import { BYTES, DTYPE_OF_ONNX, type DType } from '../../sdk/dtype';
import { liveNodes } from '../../sdk/graph';
import type { Graph } from '../../sdk/graph';
import { UserError } from './errors';
import { decodeOnnx, type OnnxModel, type OnnxValueInfo } from './onnx-file';

/**
 * WebGPU buffer limits, checked before a WebGPU session is created: every tensor of a graph lives in one GPU
 * buffer, and a buffer larger than the adapter's `maxBufferSize` cannot be created.
 *
 * NOTE: onnxruntime-node 1.30 gives JavaScript no handle on its (native, Dawn) WebGPU adapter or device, so
 * their limits cannot be read (`ort.env.webgpu` is onnxruntime-web only; the EP's verbose log does not print
 * them). ORT asks Dawn for the adapter's own limits. The limit is therefore a setting: `--max-buffer-mib` or
 * ONNX_TRAIN_WEBGPU_MAX_BUFFER_MIB, by default the WebGPU specification's guaranteed minimum (256 MiB), which
 * every adapter supports. ORT splits a binding larger than `maxStorageBufferBindingSize` into several
 * (measured: a 4200 MiB elementwise Mul asked for 15 storage bindings), so only `maxBufferSize` is a hard
 * per-tensor limit.
 */

const MIB = 2 ** 20;

/** The WebGPU specification's default (guaranteed) limits. */
export const WEBGPU_SPEC_LIMITS = { maxBufferSize: 256 * MIB, maxStorageBufferBindingSize: 128 * MIB } as const;

/** The environment variable that sets the per-tensor limit (MiB) when no flag does. */
export const MAX_BUFFER_ENV = 'ONNX_TRAIN_WEBGPU_MAX_BUFFER_MIB';

export interface TensorSize {
  name: string;
  dtype: DType | 'unknown';
  shape: number[];
  bytes: number;
}

export interface BufferLimit {
  /** Largest tensor (bytes) one GPU buffer may hold. */
  maxBufferSize: number;
  /** Where the number came from, for the error message. */
  source: string;
}

/** The limit from a flag value (MiB), else the environment, else the WebGPU default. */
export function webgpuBufferLimit(maxBufferMiB?: number): BufferLimit {
  const env = process.env[MAX_BUFFER_ENV];
  const [mib, source] =
    maxBufferMiB !== undefined
      ? [maxBufferMiB, '--max-buffer-mib']
      : env
        ? [Number(env), `--max-buffer-mib or ${MAX_BUFFER_ENV}`]
        : [
            WEBGPU_SPEC_LIMITS.maxBufferSize / MIB,
            "the WebGPU default maxBufferSize; raise it to your adapter's with --max-buffer-mib",
          ];
  if (!(Number.isFinite(mib) && mib > 0))
    throw new UserError(`${source} must be a positive number of MiB, got '${maxBufferMiB ?? env}'`);
  return { maxBufferSize: Math.floor(mib * MIB), source };
}

function sizeOf(name: string, dtype: DType | 'unknown', shape: readonly number[]): TensorSize {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, dtype, shape: [...shape], bytes: n * (dtype === 'unknown' ? 4 : BYTES[dtype]) };
}

/** Every tensor a DSL graph computes or takes (inputs, parameters, outputs of live nodes). */
export function graphTensorSizes(g: Graph): TensorSize[] {
  const out = [...g.inputs, ...g.params.values()].map((t) => sizeOf(t.name, t.dtype, t.shape));
  for (const n of liveNodes(g, g.outputs.values()))
    for (const t of n.outputs) out.push(sizeOf(t.name, t.dtype, t.shape));
  return out;
}

/** Every tensor with a static shape in an ONNX model: inputs, outputs, value_info and initializers. */
export function onnxTensorSizes(model: Uint8Array | OnnxModel): TensorSize[] {
  const m = model instanceof Uint8Array ? decodeOnnx(model) : model;
  const out: TensorSize[] = [];
  const info = (v: OnnxValueInfo) => {
    const t = v.type?.tensorType;
    const dims = t?.shape?.dim ?? [];
    if (!t || dims.some((d) => d.dimValue === undefined || d.dimValue === null || d.dimParam)) return;
    out.push(
      sizeOf(
        v.name,
        DTYPE_OF_ONNX[t.elemType ?? 0] ?? 'unknown',
        dims.map((d) => Number(d.dimValue)),
      ),
    );
  };
  for (const v of [...m.graph.input, ...m.graph.output, ...m.graph.valueInfo]) info(v);
  for (const t of m.graph.initializer)
    out.push(sizeOf(t.name, DTYPE_OF_ONNX[t.dataType] ?? 'unknown', t.dims.map(Number)));
  return out;
}

export function largestTensor(sizes: readonly TensorSize[]): TensorSize | undefined {
  let best: TensorSize | undefined;
  for (const s of sizes) if (!best || s.bytes > best.bytes) best = s;
  return best;
}

const mibText = (b: number) => `${(b / MIB).toFixed(b < 10 * MIB ? 2 : 1)} MiB`;

/** What the model was built from, so that a smaller setting can be suggested. */
export interface FitHint {
  /** Volume D, H, W of the graph. */
  size: readonly [number, number, number];
  /** U-Net widths c0..c8, when the flag exists for this command. */
  chan?: readonly number[];
  /** The flag that sets the volume (`--size` or `--shape`). */
  sizeFlag?: string;
}

/** A volume whose voxel count is at most `factor` times `size`'s, each side a multiple of 16 (at least 16). */
export function smallerSize(size: readonly number[], factor: number): number[] {
  const s = Math.cbrt(factor);
  return size.map((d) => Math.max(16, Math.floor((d * s) / 16) * 16));
}

/** Widths scaled by `factor`, rounded down to multiples of 8 (c4 and c8 of 16) but at least one such step. */
export function smallerWidths(chan: readonly number[], factor: number): number[] {
  return chan.map((c, i) => {
    const step = i === 4 || i === 8 ? 16 : 8;
    return Math.max(step, Math.floor((c * factor) / step) * step);
  });
}

/** Rebuilds the graph at other settings and says whether its largest tensor fits the limit. */
export type FitCheck = (size: number[], chan?: readonly number[]) => boolean;

/**
 * Tensor sizes scale with the voxel count and (for feature maps) with the widths, so the largest tensor and
 * the limit give the smaller settings; `fits` (when given) rebuilds the graph and confirms them.
 */
function suggestion(largest: TensorSize, limit: number, hint: FitHint, fits?: FitCheck): string {
  const factor = limit / largest.bytes;
  const voxels = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const parts: string[] = [];
  let size = smallerSize(hint.size, factor);
  let ok = !fits || fits(size, hint.chan);
  while (!ok && size.some((d) => d > 16)) {
    size = size.map((d) => Math.max(16, d - 16));
    ok = fits!(size, hint.chan);
  }
  if (ok && voxels(size) < voxels(hint.size)) parts.push(`${hint.sizeFlag ?? '--size'} ${size.join(',')}`);
  // Without a rebuild to confirm it, only a 5-D tensor with more channels than an image or a flow field (1 or 3)
  // is taken for a feature map that shrinks with the widths.
  const channels = largest.shape.length === 5 ? largest.shape[1] : 0;
  const chan = hint.chan ? smallerWidths(hint.chan, factor) : null;
  const scaled = chan?.every((c, i) => c <= hint.chan![i] * factor) && channels > 3;
  if (chan && chan.some((c, i) => c < hint.chan![i]) && (fits ? fits([...hint.size], chan) : scaled))
    parts.push(`--chan ${chan.join(',')}`);
  return parts.length ? `; ${parts.join(' or ')} fits` : '';
}

/**
 * Throws a one-line UserError when a tensor is larger than the WebGPU buffer limit: the largest one's name,
 * shape and size, the limit, and a smaller `--size` or `--chan` that fits.
 */
export function checkWebGpuBuffers(
  sizes: readonly TensorSize[],
  limit: BufferLimit,
  hint?: FitHint,
  fits?: FitCheck,
): void {
  const largest = largestTensor(sizes);
  if (!largest || largest.bytes <= limit.maxBufferSize) return;
  const over = sizes.filter((s) => s.bytes > limit.maxBufferSize).length;
  throw new UserError(
    `WebGPU: tensor '${largest.name}' [${largest.shape.join(',')}] ${largest.dtype} needs ${mibText(largest.bytes)}, over the ${mibText(limit.maxBufferSize)} ` +
      `per-buffer limit (${limit.source})${over > 1 ? `, as do ${over - 1} more` : ''}${hint ? suggestion(largest, limit.maxBufferSize, hint, fits) : ''}`,
  );
}

/**
 * The check for any ONNX model about to get a WebGPU session (bytes or a file): the volume to shrink is read
 * from its largest 5-D input [N, C, D, H, W].
 */
export function checkWebGpuModel(model: Uint8Array | string, maxBufferMiB?: number): void {
  const limit = webgpuBufferLimit(maxBufferMiB);
  let m: OnnxModel;
  try {
    m = decodeOnnx(typeof model === 'string' ? fs.readFileSync(model) : model);
  } catch {
    return; // not readable or not decodable here: ORT reports that itself
  }
  const sizes = onnxTensorSizes(m);
  if ((largestTensor(sizes)?.bytes ?? 0) <= limit.maxBufferSize) return;
  const inputs = new Set(m.graph.input.map((v) => v.name));
  const volume = sizes.filter((s) => inputs.has(s.name) && s.shape.length === 5).sort((a, b) => b.bytes - a.bytes)[0];
  checkWebGpuBuffers(sizes, limit, volume ? { size: volume.shape.slice(2) as [number, number, number] } : undefined);
}

/** ORT/Dawn run-time messages that mean a GPU buffer could not be created or bound. */
const DEVICE_MEMORY =
  /out of (device )?memory|OUT_OF_DEVICE_MEMORY|Invalid Buffer|exceed(s|ing) the max(imum)? buffer size|maxBufferSize|maxStorageBufferBindingSize|Too many storage buffers|Failed to (allocate|download)|CUDA out of memory|cudaErrorMemoryAllocation|BFCArena.*(Failed|allocate)/i;

/**
 * One line for an error thrown by a WebGPU or CUDA run, when it is a device-memory or buffer-limit failure;
 * null for other errors.
 */
export function explainDeviceRunError(ep: string, message: string, largest?: TensorSize): string | null {
  if (ep === 'cpu' || !DEVICE_MEMORY.test(message)) return null;
  const first = message
    .split('\n')[0]
    .replace(/^.*?(Non-zero status code|Failed|\[Invalid)/, '$1')
    .slice(0, 240);
  const big = largest
    ? `; its largest tensor is '${largest.name}' [${largest.shape.join(',')}] (${mibText(largest.bytes)})`
    : '';
  const fix =
    ep === 'webgpu'
      ? `the WebGPU device could not hold the graph's buffers (ORT: ${first})${big}: use a smaller --size or --chan, or set --max-buffer-mib to the adapter's maxBufferSize to have it checked before the run`
      : `the ${ep} device ran out of memory (ORT: ${first})${big}: use a smaller --size, --chan or --batch`;
  return fix;
}

/**
 * The check for a DSL graph built from a volume size and widths: `rebuild` makes the same graph at other
 * settings, so that the suggested `--size` / `--chan` is confirmed to fit.
 */
export function checkWebGpuGraph(
  g: Graph,
  hint: FitHint,
  rebuild: (size: number[], chan?: readonly number[]) => Graph,
  maxBufferMiB?: number,
): void {
  const limit = webgpuBufferLimit(maxBufferMiB);
  const fits: FitCheck = (size, chan) =>
    (largestTensor(graphTensorSizes(rebuild(size, chan)))?.bytes ?? 0) <= limit.maxBufferSize;
  checkWebGpuBuffers(graphTensorSizes(g), limit, hint, fits);
}

/** The CLI's `--max-buffer-mib`: validated, then passed on through the environment (worker threads and the benchmark's child process inherit it). */
export function setMaxBufferMiB(mib: number | undefined): void {
  if (mib === undefined) return;
  webgpuBufferLimit(mib);
  process.env[MAX_BUFFER_ENV] = String(mib);
}

export const MAX_BUFFER_OPTION = {
  type: 'number',
  describe:
    "WebGPU: the adapter's maxBufferSize in MiB; every tensor is checked against it before the run (default 256, the WebGPU minimum every adapter has)",
} as const;
