import * as ort from 'onnxruntime-node';
import { allocate, type DType, numel, type TypedArray } from '../../sdk/dtype';
import type { NamedArray } from '../../sdk/state';
import { UserError } from './errors';
import { checkWebGpuModel, explainDeviceRunError } from './gpu-limits';

/** The execution providers this package runs on (onnxruntime-node's CPU, WebGPU and CUDA builds). */
export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export interface SessionOptions {
  ep?: ExecutionProvider;
  /** intra-op threads (default: ORT's choice). */
  threads?: number;
  /** External data files by name, for models loaded from bytes. */
  externalData?: { path: string; data: Uint8Array }[];
  /** Turn off the CPU memory arena (plain malloc per tensor: slower; see docs/performance.md on when it pays). */
  noArena?: boolean;
  /**
   * ORT's memory pattern (default off): from the second run on, ORT allocates every planned intermediate as one
   * block at its first run's offsets, ON TOP of the arena that run grew, which nearly doubled a training step's
   * peak RSS (64³ GVSL step: 7.6 GiB with it, 5.2 without; docs/performance.md, "Memory"); it made
   * no speed difference on a Conv-heavy graph.
   */
  memPattern?: boolean;
  /** Fail instead of silently running unsupported nodes on the CPU (non-CPU EPs). */
  noCpuFallback?: boolean;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  profilePrefix?: string;
  /** Where outputs are placed (e.g. `gpu-buffer` to keep them on a WebGPU device). */
  preferredOutputLocation?: Record<string, ort.Tensor.DataLocation>;
  /**
   * WebGPU: the largest tensor (MiB) one GPU buffer may hold, checked before the session is created (default:
   * ONNX_TRAIN_WEBGPU_MAX_BUFFER_MIB, else 256, WebGPU's guaranteed maxBufferSize; see gpu-limits.ts).
   */
  maxBufferMiB?: number;
  /** WebGPU: the caller has already checked the buffer sizes (with a better hint); skip the check. */
  buffersChecked?: boolean;
}

/** ORT session options from ours. */
export function ortOptions(opts: SessionOptions): ort.InferenceSession.SessionOptions {
  const ep = opts.ep ?? 'cpu';
  const o: ort.InferenceSession.SessionOptions = {
    // NOTE: WebGPU's default NHWC layout makes ORT insert Transposes of bool tensors (masks in the backward
    // pass), which have no WebGPU kernel and fell back to the CPU; NCHW keeps every node on the GPU.
    executionProviders: [ep === 'webgpu' ? { name: 'webgpu', preferredLayout: 'NCHW' } : ep],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    enableCpuMemArena: !opts.noArena,
    enableMemPattern: opts.memPattern ?? false,
  };
  if (opts.threads) o.intraOpNumThreads = opts.threads;
  if (opts.preferredOutputLocation) o.preferredOutputLocation = opts.preferredOutputLocation;
  if (opts.externalData) o.externalData = opts.externalData;
  if (opts.noCpuFallback && ep !== 'cpu') o.extra = { session: { disable_cpu_ep_fallback: '1' } };
  if (opts.profilePrefix) {
    o.enableProfiling = true;
    o.profileFilePrefix = opts.profilePrefix;
  }
  return o;
}

/** The EP each session was created on, so that run errors can be explained. */
const sessionEp = new WeakMap<ort.InferenceSession, ExecutionProvider>();

/** Creates an ORT session from model bytes or a file path. */
export async function createSession(
  model: Uint8Array | string,
  opts: SessionOptions = {},
): Promise<ort.InferenceSession> {
  if (opts.ep === 'webgpu' && !opts.buffersChecked) checkWebGpuModel(model, opts.maxBufferMiB);
  const o = ortOptions(opts);
  const s = await (typeof model === 'string'
    ? ort.InferenceSession.create(model, o)
    : ort.InferenceSession.create(model, o));
  sessionEp.set(s, opts.ep ?? 'cpu');
  return s;
}

/** An ORT tensor over a NamedArray's data (no copy). */
export function toOrt(a: NamedArray): ort.Tensor {
  return new ort.Tensor(a.dtype as ort.Tensor.Type, a.data as ort.Tensor.DataType, a.shape);
}

/** A NamedArray from an ORT CPU tensor. */
export function fromOrt(t: ort.Tensor): NamedArray {
  return { dtype: t.type as DType, shape: [...t.dims], data: t.data as TypedArray };
}

/** Runs a session on named arrays and returns every output as a NamedArray. */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, NamedArray>,
): Promise<Record<string, NamedArray>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
  let out: ort.InferenceSession.ReturnType;
  try {
    out = await session.run(ortFeeds);
  } catch (e) {
    throw rephraseRunError(session, e as Error);
  }
  const res: Record<string, NamedArray> = {};
  for (const [k, v] of Object.entries(out)) res[k] = fromOrt(v);
  return res;
}

/** A device-memory error of a GPU run as one line saying what to do (gpu-limits.ts); other errors unchanged. */
export function rephraseRunError(session: ort.InferenceSession, e: Error): Error {
  const msg = explainDeviceRunError(sessionEp.get(session) ?? 'cpu', e.message);
  return msg ? new Error(msg) : e;
}

/** A NamedArray of zeros. */
export function zeros(dtype: DType, shape: number[]): NamedArray {
  return { dtype, shape, data: allocate(dtype, numel(shape)) };
}

/** Fails early, with the fix, when the requested execution provider is not available. */
export function checkExecutionProvider(ep: string): void {
  const have = ort.listSupportedBackends().map((b) => b.name);
  if (ep === 'cpu') return;
  if (!have.includes(ep)) {
    const fix =
      ep === 'cuda'
        ? 'install the CUDA 12 build of onnxruntime-node: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install (needs CUDA 12 and cuDNN 9 on the machine)'
        : `this onnxruntime-node build offers: ${have.join(', ')}`;
    throw new UserError(`the '${ep}' execution provider is not available: ${fix}`);
  }
}

/** ORT's session-creation errors, with what to do about the common ones. */
export function explainSessionError(ep: string, message: string): string {
  const first = message.split('\n')[0];
  if (ep === 'webgpu' && /adapter/i.test(message)) {
    return `${first}. No WebGPU adapter was found: install a GPU driver with Vulkan support (on Linux: the vendor's Vulkan driver and libvulkan1; for a software adapter, Debian's chromium ships SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json), or use --ep cpu`;
  }
  if (ep === 'cuda' && /shared library|libcudart|libcudnn|cublas/i.test(message)) {
    return `${first}. The CUDA provider's libraries could not be loaded: install CUDA 12 and cuDNN 9 and the CUDA build of onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install), or use --ep cpu`;
  }
  return first;
}
