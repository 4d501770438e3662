import * as ort from 'onnxruntime-node';
import { buildGvslGraph, buildUnetGraph, gvslDocString } from '../../graphs/build';
import { GVSL } from '../../graphs/gvsl';
import { exportModel } from '../../sdk/export';
import { UserError } from '../engine/errors';
import { mul4 } from '../data/affine';
import { SegPredictor } from '../engine/seg-predictor';
import type { NormalizePreset } from '../data/normalize';
import type { Dims3, Volume } from '../data/volume';
import {
  checkExecutionProvider,
  createSession,
  type ExecutionProvider,
  explainSessionError,
  rephraseRunError,
} from '../engine/ort';
import { dimsText, type GridFit, type VectorVolume } from './grid';
import {
  finishRegistration,
  prepareVolumes,
  type GridSpec,
  type OutputArray,
  type PrepareOptions,
  type RegistrationResult,
} from './pipeline';
import { openSource, type GraphKind, type ModelSource, type SourceOptions } from './source';

export interface LoadOptions extends SourceOptions {
  /** Execution provider (default cpu). GPU providers never fall back to the CPU silently. */
  ep?: ExecutionProvider;
  threads?: number;
  /** Grid for graphs built from weights, [D, H, W] or one number (default: the run's crop size, else 64). */
  size?: number | Dims3;
  /** Never resample finer than this spacing in mm (default: the run's training spacing, else none). */
  spacing?: number;
  /** Default intensity normalisation (default: the run's preset, else mr-percentile). */
  normalize?: NormalizePreset | 'none';
}

/** Milliseconds spent in each stage of a call. */
export interface Timings {
  prepare: number;
  /** Creating the ONNX Runtime session (first call for a grid only). */
  session: number;
  inference: number;
  finish: number;
}

export interface RegisterOptions extends PrepareOptions {
  /** Also resample the original moving image onto the fixed image's grid (default true). */
  warpOriginal?: boolean;
}

export interface FeaturesResult {
  /** Bottleneck features: c4 channels on a grid 16x coarser than the (padded) model grid. */
  global: VectorVolume;
  /** Full-resolution decoder features: c8 channels on the model grid. */
  local: VectorVolume;
  /** The network's input on the model grid. */
  input: Volume;
  fit: GridFit;
  timings: Timings;
}

/**
 * A GVSL model ready to serve: `register`, `features` (and `segment` for fine-tuned models). Sessions are
 * created on first use for each grid and kept; `release()` frees them.
 */
export class GvslModel {
  private readonly sessions = new Map<string, ort.InferenceSession>();
  private segPredictor: SegPredictor | null = null;

  private constructor(
    readonly source: ModelSource,
    readonly options: LoadOptions,
  ) {}

  /** Opens a run folder, an .onnx file (external data beside it is read) or a checkpoint (.safetensors / .pth / .pt). */
  static async load(source: string, opts: LoadOptions = {}): Promise<GvslModel> {
    checkExecutionProvider(opts.ep ?? 'cpu');
    return new GvslModel(openSource(source, opts), opts);
  }

  get name(): string {
    return this.source.name;
  }

  /** One line describing the model: source, widths, grids and provider. */
  describe(): string {
    const s = this.source;
    if (s.seg) return `${s.name}: segmentation model (sliding-window inference); ep ${this.options.ep ?? 'cpu'}`;
    const graphs = s.graphs.map((g) => `${g.kind} ${dimsText(g.dims)}`).join(', ');
    return `${s.name}: GVSL${s.backboneOnly ? ' backbone' : ''}${s.chan ? ` widths ${s.chan.join(',')}` : ''}, geometry ${s.geometry}; ${graphs ? `exported ${graphs}` : 'no exported graph'}${s.weights ? ', graphs for other grids built from its weights' : ''}; ep ${this.options.ep ?? 'cpu'}`;
  }

  /** The grid rule for a graph kind (see GridSpec). */
  gridSpec(kind: GraphKind): GridSpec {
    const s = this.source;
    const own = s.graphs.find((x) => x.kind === kind);
    const staticDims = own && !s.weights ? own.dims : null;
    const asked = this.options.size;
    const size: Dims3 = staticDims ??
      (asked !== undefined ? (typeof asked === 'number' ? [asked, asked, asked] : [...asked]) : null) ??
      own?.dims ??
      s.graphs[0]?.dims ??
      s.size ?? [64, 64, 64];
    return { staticDims, size, minSpacing: this.options.spacing ?? s.spacing ?? 0, name: own?.file ?? s.name };
  }

  /**
   * Registers `moving` to `fixed`: both are reoriented to RAS, normalised and resampled onto the model grid
   * (see `fit`), run through the `gvsl` graph, and the outputs turned into world-space results.
   */
  async register(
    fixed: Volume,
    moving: Volume,
    opts: RegisterOptions = {},
  ): Promise<RegistrationResult & { timings: Timings }> {
    this.requireGvsl('register()');
    if (this.source.backboneOnly) {
      throw new UserError(
        `${this.name} holds the U-Net backbone only: register() needs the GVSL heads (a gvsl.onnx, a run folder or full GVSL weights)`,
      );
    }
    const t0 = performance.now();
    const prep = prepareVolumes([fixed, moving], this.gridSpec('gvsl'), {
      ...opts,
      normalize: opts.normalize ?? this.defaultNormalize(),
    });
    const t1 = performance.now();
    const session = await this.session('gvsl', prep.fit.dims);
    const t2 = performance.now();
    const out = await this.run(session, { A: prep.inputs[0], B: prep.inputs[1] });
    const t3 = performance.now();
    const result = finishRegistration(
      prep,
      out,
      this.source.geometry,
      opts.warpOriginal === false ? undefined : { fixed, moving },
    );
    return {
      ...result,
      timings: { prepare: t1 - t0, session: t2 - t1, inference: t3 - t2, finish: performance.now() - t3 },
    };
  }

  /** The backbone's global (bottleneck) and local (decoder) features of `x`, on the model grid. */
  async features(x: Volume, opts: PrepareOptions = {}): Promise<FeaturesResult> {
    this.requireGvsl('features()');
    const t0 = performance.now();
    const prep = prepareVolumes([x], this.gridSpec('unet'), {
      ...opts,
      normalize: opts.normalize ?? this.defaultNormalize(),
    });
    const t1 = performance.now();
    const session = await this.session('unet', prep.fit.dims);
    const t2 = performance.now();
    const out = await this.run(session, { x: prep.inputs[0] });
    const t3 = performance.now();
    const input = prep.inputs[0];
    const dims = input.dims;
    const local: VectorVolume = {
      data: out.local.data,
      components: out.local.dims[1],
      dims: [...dims],
      affine: [...input.affine],
      spacing: [...input.spacing],
      name: x.name,
    };
    // Bottleneck voxel j covers padded voxels 16j..16j+15; the U-Net pads ⌊diff/2⌋ before (graphs/unet.ts).
    const before = dims.map((s) => Math.floor(((16 - (s % 16)) % 16) / 2));
    const s4 = [16, 0, 0, 7.5 - before[2], 0, 16, 0, 7.5 - before[1], 0, 0, 16, 7.5 - before[0], 0, 0, 0, 1];
    const gAffine = mul4(input.affine, s4);
    const gd = out.global.dims;
    const global: VectorVolume = {
      data: out.global.data,
      components: gd[1],
      dims: [gd[2], gd[3], gd[4]],
      affine: gAffine,
      spacing: input.spacing.map((s) => s * 16) as Dims3,
      name: x.name,
    };
    return {
      global,
      local,
      input,
      fit: prep.fit,
      timings: { prepare: t1 - t0, session: t2 - t1, inference: t3 - t2, finish: performance.now() - t3 },
    };
  }

  /**
   * Labels of `x` on its own voxel grid, for a fine-tuned segmentation model (runtime/finetune's SegPredictor):
   * the volume is reoriented, resampled to the model's spacing, normalised and TILED with overlapping windows of
   * the model's size (Gaussian-weighted blending), so any volume size works; `tiling` says what was done.
   */
  async segment(
    x: Volume,
    opts: { overlap?: number } = {},
  ): Promise<{ labels: Volume; classes: number; tiling: string; timings: Timings }> {
    const seg = this.source.seg;
    if (!seg) {
      throw new UserError(
        `${this.name} is a GVSL ${this.source.backboneOnly ? 'backbone' : 'pre-training'} model: segment() needs a fine-tuned segmentation model (seg.onnx, a finetune run folder or its checkpoint; see onnx-train finetune)`,
      );
    }
    const t0 = performance.now();
    if (!this.segPredictor) {
      const ep = this.options.ep ?? 'cpu';
      try {
        this.segPredictor = await SegPredictor.load(seg, { ep, threads: this.options.threads, noCpuFallback: true });
      } catch (e) {
        throw new UserError(`${seg}: ${explainSessionError(ep, (e as Error).message)}`);
      }
    }
    const p: SegPredictor = this.segPredictor;
    const t1 = performance.now();
    const overlap = opts.overlap ?? 0.25;
    const labels = await p.segment(x, overlap);
    const t2 = performance.now();
    const at = p.info.spacing !== undefined ? `at ${p.info.spacing} mm` : "at the volume's own spacing";
    const tiling = `tiled: sliding windows of ${dimsText(p.info.size)} voxels ${at}, overlap ${overlap}, Gaussian-weighted blending; labels on the input's own grid`;
    return {
      labels,
      classes: p.info.classes,
      tiling,
      timings: { prepare: 0, session: t1 - t0, inference: t2 - t1, finish: 0 },
    };
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
    await this.segPredictor?.release();
    this.segPredictor = null;
  }

  private requireGvsl(what: string): void {
    if (this.source.seg)
      throw new UserError(
        `${this.name} is a segmentation model: ${what} needs a GVSL model (a pre-training run folder, gvsl.onnx/unet.onnx or GVSL weights)`,
      );
  }

  private defaultNormalize(): NormalizePreset | 'none' {
    return this.options.normalize ?? this.source.normalize ?? { preset: 'mr-percentile' };
  }

  /** The session for `kind` on grid `dims`: the exported graph when it has that grid, else one built from the weights. */
  private async session(kind: GraphKind, dims: Dims3): Promise<ort.InferenceSession> {
    const key = `${kind}:${dims.join('x')}`;
    const cached = this.sessions.get(key);
    if (cached) return cached;
    const exported = this.source.graphs.find((g) => g.kind === kind && g.dims.join() === dims.join());
    let bytes: Uint8Array;
    if (exported) bytes = exported.bytes;
    else {
      const weights = this.source.weights?.();
      if (!weights || !this.source.chan) {
        const have = this.source.graphs.filter((g) => g.kind === kind).map((g) => dimsText(g.dims));
        throw new UserError(
          `${this.name} has no ${kind} graph for the ${dimsText(dims)} grid${have.length ? ` (only ${have.join(', ')})` : ''} and no weights to build one`,
        );
      }
      const model = new GVSL(1, this.source.chan, { geometry: this.source.geometry });
      const shape = [1, 1, ...dims] as const;
      const g = kind === 'gvsl' ? buildGvslGraph(model, shape) : buildUnetGraph(model.unet, shape);
      bytes = exportModel(g, { weights, docString: kind === 'gvsl' ? gvslDocString(model) : undefined }).model;
    }
    const ep = this.options.ep ?? 'cpu';
    let session: ort.InferenceSession;
    try {
      session = await createSession(bytes, { ep, threads: this.options.threads, noCpuFallback: true });
    } catch (e) {
      throw new UserError(
        `could not create the ONNX Runtime session on '${ep}': ${explainSessionError(ep, (e as Error).message)}`,
      );
    }
    this.sessions.set(key, session);
    return session;
  }

  private async run(
    session: ort.InferenceSession,
    inputs: Record<string, Volume>,
  ): Promise<Record<string, OutputArray>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) feeds[k] = new ort.Tensor('float32', v.data, [1, 1, ...v.dims]);
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await session.run(feeds);
    } catch (e) {
      const device = rephraseRunError(session, e as Error);
      if (device !== e) throw new UserError(device.message);
      const msg = (e as Error).message;
      const fix = /requires f16 but the device does not support it/.test(msg)
        ? ': this WebGPU adapter has no shader-f16 support; use the float32 model (export without --fp16) or a GPU that supports f16'
        : '';
      throw new UserError(`ONNX Runtime failed on ${this.name}: ${msg.split('\n')[0]}${fix}`);
    }
    const res: Record<string, OutputArray> = {};
    for (const [k, v] of Object.entries(out)) res[k] = { data: v.data as Float32Array, dims: [...v.dims] };
    return res;
  }
}

/** Opens a model for serving; see GvslModel.load. */
export function loadModel(source: string, opts: LoadOptions = {}): Promise<GvslModel> {
  return GvslModel.load(source, opts);
}
