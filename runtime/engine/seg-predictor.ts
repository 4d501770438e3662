import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { buildSegGraph, SegNet } from '../../graphs/seg';
import { parseWidths } from '../../graphs/unet';
import { exportModel } from '../../sdk/export';
import { onnx } from '../../sdk/onnx/generated/onnx';
import type { StateDict } from '../../sdk/state';
import { axisCodes, normalize, presetFromName, reorient, resample, type Volume } from '../data';
import { invertAffine, mul4 } from '../data/affine';
import { createSession, type SessionOptions, toOrt } from './ort';
import { CHECKPOINT_FILE, loadCheckpoint } from './checkpoint';
import type { NormalizePreset } from '../data/normalize';
import { argmaxChannels, slidingWindow } from './sliding-window';

/** The metadata_props key of seg.onnx holding its SegModelInfo (JSON). */
export const SEG_INFO_KEY = 'gvsl-onnx.segmentation';
export const BEST_FILE = 'best.safetensors';

/** Preprocessing and geometry a segmentation model needs at inference (stored in seg.onnx's metadata). */
export interface SegModelInfo {
  classes: number;
  /** The window (training crop) size. */
  size: [number, number, number];
  normalize: NormalizePreset['preset'];
  /** Target spacing in mm: one number or [sd, sh, sw]. */
  spacing?: number | [number, number, number];
}

/** What a segmentation run's checkpoint config holds (finetune's FinetuneConfig has these fields). */
interface SegCheckpointConfig extends SegModelInfo {
  chan: number[];
}

/**
 * A segmentation model ready for whole volumes: the `seg` graph (one window in, class probabilities out) in
 * an ONNX Runtime session, plus the preprocessing it was trained with. Built from a seg.onnx, from a
 * fine-tuning checkpoint (or run folder), or from a SegNet whose parameters are fed at each run (validation).
 */
export class SegPredictor {
  private params: Record<string, ort.Tensor> = {};

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: SegModelInfo,
    private readonly input: string,
    private readonly output: string,
  ) {}

  /** The graph of `model` with its parameters as inputs: give them with setParams. */
  static async fromModel(model: SegNet, info: SegModelInfo, opts: SessionOptions = {}): Promise<SegPredictor> {
    const g = buildSegGraph(model, [1, 1, ...info.size]);
    const session = await createSession(exportModel(g, { params: 'inputs' }).model, opts);
    return new SegPredictor(session, info, 'image', 'probs');
  }

  /** A fine-tuning checkpoint (best.safetensors, checkpoint.safetensors) or a run folder (its best.safetensors). */
  static async fromCheckpoint(fileOrDir: string, opts: SessionOptions = {}): Promise<SegPredictor> {
    let file = fileOrDir;
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      file = fs.existsSync(path.join(file, BEST_FILE)) ? path.join(file, BEST_FILE) : path.join(file, CHECKPOINT_FILE);
    }
    const ck = loadCheckpoint<SegCheckpointConfig>(file);
    if (typeof ck.meta.config.classes !== 'number')
      throw new Error(
        `${file} is not a segmentation checkpoint (it has no classes; a GVSL pre-training checkpoint is used with finetune --weights)`,
      );
    const cfg = ck.meta.config;
    const p = await SegPredictor.fromModel(
      new SegNet(cfg.classes, parseWidths(cfg.chan)),
      { classes: cfg.classes, size: cfg.size, normalize: cfg.normalize, spacing: cfg.spacing },
      opts,
    );
    p.setParams(ck.state);
    return p;
  }

  /**
   * A seg.onnx written by `finetune` (its preprocessing is in the model's metadata), or any ONNX model with
   * one input (1, C, D, H, W) and class probabilities (1, classes, D, H, W) out: then `override` gives the
   * preprocessing (default mr-percentile, native spacing).
   */
  static async fromOnnx(
    file: string,
    opts: SessionOptions = {},
    override: Partial<SegModelInfo> = {},
  ): Promise<SegPredictor> {
    const proto = onnx.ModelProto.decode(fs.readFileSync(file));
    const meta = (proto.metadataProps ?? []).find((m) => m.key === SEG_INFO_KEY)?.value;
    const session = await createSession(file, opts);
    const inMeta = session.inputMetadata[0];
    const outName = session.outputNames.includes('probs') ? 'probs' : session.outputNames[0];
    const outMeta = session.outputMetadata[session.outputNames.indexOf(outName)];
    const dims = (m: typeof inMeta) => (m.isTensor ? m.shape : []).map((d) => (typeof d === 'number' ? d : NaN));
    const [ind, outd] = [dims(inMeta), dims(outMeta)];
    if (
      session.inputNames.length !== 1 ||
      ind.length !== 5 ||
      ind.some((d) => !(d > 0)) ||
      outd.length !== 5 ||
      !(outd[1] > 0)
    ) {
      throw new Error(
        `${file}: expected one input (1, C, D, H, W) of fixed size and an output (1, classes, D, H, W); got [${ind}] → [${outd}]`,
      );
    }
    const stored: Partial<SegModelInfo> = meta ? JSON.parse(meta) : {};
    const info: SegModelInfo = {
      classes: outd[1],
      size: [ind[2], ind[3], ind[4]],
      normalize: override.normalize ?? stored.normalize ?? 'mr-percentile',
      spacing: override.spacing ?? stored.spacing,
    };
    return new SegPredictor(session, info, session.inputNames[0], outName);
  }

  /** `.onnx` files through fromOnnx, anything else (a checkpoint or a run folder) through fromCheckpoint. */
  static load(model: string, opts: SessionOptions = {}, override: Partial<SegModelInfo> = {}): Promise<SegPredictor> {
    return /\.onnx$/i.test(model)
      ? SegPredictor.fromOnnx(model, opts, override)
      : SegPredictor.fromCheckpoint(model, opts);
  }

  /** Sets the parameters fed to a fromModel graph (extra entries, e.g. optimizer state, are ignored). */
  setParams(state: StateDict): void {
    const wanted = new Set(this.session.inputNames);
    this.params = {};
    for (const [k, v] of state) if (wanted.has(k)) this.params[k] = toOrt(v);
  }

  /** Class probabilities of one window ([D, H, W] = info.size): classes × window values. */
  async predictWindow(window: Float32Array): Promise<Float32Array> {
    const out = await this.session.run({
      ...this.params,
      [this.input]: toOrt({ dtype: 'float32', shape: [1, 1, ...this.info.size], data: window }),
    });
    return out[this.output].data as Float32Array;
  }

  /** The preprocessing of training: reorient to RAS (exact), resample to the spacing, normalise. */
  prepare(raw: Volume): { ras: Volume; prepared: Volume } {
    const ras = reorient(raw);
    const grid = this.info.spacing !== undefined ? resample(ras, this.info.spacing) : ras;
    return { ras, prepared: normalize(grid, presetFromName(this.info.normalize)) };
  }

  /** Class probabilities (classes × voxels) of a prepared volume, by sliding-window inference. */
  probabilities(prepared: Volume, overlap = 0.25): Promise<Float32Array> {
    return slidingWindow(
      prepared.data,
      prepared.dims,
      this.info.size,
      this.info.classes,
      (w) => this.predictWindow(w),
      { overlap },
    );
  }

  /**
   * Labels of a volume as read from its file, on its own voxel grid: preprocess, sliding-window probabilities,
   * probabilities interpolated back onto the RAS grid of the input when it was resampled (trilinear), argmax,
   * then the RAS reorientation inverted (an exact permutation/flip). The result carries the input's affine.
   */
  async segment(raw: Volume, overlap = 0.25): Promise<Volume> {
    const { ras, prepared } = this.prepare(raw);
    const probs = await this.probabilities(prepared, overlap);
    const labels = sameGrid(prepared, ras)
      ? argmaxChannels(probs, this.info.classes)
      : argmaxOnGrid(probs, this.info.classes, prepared, ras);
    const back = reorient({ ...ras, data: labels }, axisCodes(raw.affine));
    if (back.dims.some((d, i) => d !== raw.dims[i]))
      throw new Error(`internal: reorientation back gave ${back.dims} for ${raw.dims}`);
    return {
      data: back.data,
      dims: [...raw.dims],
      affine: [...raw.affine],
      spacing: [...raw.spacing],
      name: raw.name,
      nifti: raw.nifti,
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function sameGrid(a: Volume, b: Volume): boolean {
  return a.dims.every((d, i) => d === b.dims[i]) && a.affine.every((x, i) => Math.abs(x - b.affine[i]) < 1e-9);
}

/**
 * Argmax of `probs` (on grid `from`) sampled trilinearly at the voxels of grid `to`; both grids share their
 * axis directions (a resampling of one another), so the mapping is separable per axis; edges are clamped.
 */
function argmaxOnGrid(probs: Float32Array, classes: number, from: Volume, to: Volume): Float32Array {
  const m = mul4(invertAffine(from.affine), to.affine); // to-index → from-index, NIfTI (w, h, d) order
  const taps = [2, 1, 0].map((c, axis) => {
    const n = to.dims[axis];
    const limit = from.dims[axis] - 1;
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const f = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const x = Math.min(limit, Math.max(0, m[c * 4 + c] * j + m[c * 4 + 3]));
      i0[j] = Math.floor(x);
      i1[j] = Math.min(limit, i0[j] + 1);
      f[j] = x - i0[j];
    }
    return { i0, i1, f };
  });
  const [H, W] = [from.dims[1], from.dims[2]];
  const N = from.dims[0] * H * W;
  const out = new Float32Array(to.dims[0] * to.dims[1] * to.dims[2]);
  const [td, th, tw] = taps;
  let o = 0;
  for (let d = 0; d < to.dims[0]; d++)
    for (let h = 0; h < to.dims[1]; h++)
      for (let w = 0; w < to.dims[2]; w++, o++) {
        let best = 0;
        let bv = -Infinity;
        for (let c = 0; c < classes; c++) {
          const at = (a: number, b: number, e: number) => probs[c * N + (a * H + b) * W + e];
          const lerp = (a: number, b: number, t: number) => a + t * (b - a);
          const plane = (a: number) =>
            lerp(
              lerp(at(a, th.i0[h], tw.i0[w]), at(a, th.i0[h], tw.i1[w]), tw.f[w]),
              lerp(at(a, th.i1[h], tw.i0[w]), at(a, th.i1[h], tw.i1[w]), tw.f[w]),
              th.f[h],
            );
          const v = lerp(plane(td.i0[d]), plane(td.i1[d]), td.f[d]);
          if (v > bv) {
            bv = v;
            best = c;
          }
        }
        out[o] = best;
      }
  return out;
}
