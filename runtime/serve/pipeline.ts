import { UserError } from '../engine/errors';
import { normalize, type NormalizePreset } from '../data/normalize';
import { reorient } from '../data/orient';
import { label, type Dims3, type Volume } from '../data/volume';
import { centredGrid, dimsText, fitSpacing, resampleOnto, spacingText, type GridFit, type VectorVolume } from './grid';
import {
  affineVoxelMap,
  displacementField,
  fieldOnGrid,
  type Geometry,
  warpThroughField,
  worldAffine,
} from './mapping';

/**
 * The model-independent steps of serving, shared by the Node API and the browser worker (no Node imports):
 * volumes → RAS → intensities normalised → the model's voxel grid, and the network's outputs → world-space
 * results. Running the same code on both sides is what makes their outputs comparable voxel for voxel.
 */

/** What the pipeline needs to know about a model. */
export interface GridSpec {
  /** The static grid the graph takes [D, H, W], or null when the graph is built for any size. */
  staticDims: Dims3 | null;
  /** The grid volumes are resampled into (the static grid, else the training crop size). */
  size: Dims3;
  /** Never resample finer than this (the training spacing in mm, when known; 0 otherwise). */
  minSpacing: number;
  /** The model's name in messages, e.g. `runs/pretrain-…/gvsl.onnx`. */
  name: string;
}

export type Fit = 'resample' | 'none';

export interface PrepareOptions {
  /** `resample` (default): fit each volume's field of view onto the model grid; `none`: use the voxels as they are. */
  fit?: Fit;
  /** Intensity normalisation to [0, 1] (default: the run's preset, else mr-percentile); `none` when already normalised. */
  normalize?: NormalizePreset | 'none';
}

export interface Prepared {
  /** The network's inputs on the model grid, in order (fixed then moving for registration). */
  inputs: Volume[];
  fit: GridFit;
}

/** Reorients to RAS, normalises and brings every volume onto one model grid (see GridSpec). */
export function prepareVolumes(vols: Volume[], spec: GridSpec, opts: PrepareOptions = {}): Prepared {
  const ras = vols.map((v) => {
    if (v.dims.length !== 3 || v.data.length !== v.dims[0] * v.dims[1] * v.dims[2]) {
      throw new UserError(
        `${label(v)}expected a 3-D scalar volume, got dims [${v.dims.join(', ')}] with ${v.data.length} values`,
      );
    }
    const r = reorient(v, 'RAS');
    return opts.normalize === 'none' ? r : normalize(r, opts.normalize ?? { preset: 'mr-percentile' });
  });
  const fit = opts.fit ?? 'resample';
  if (fit === 'none') {
    const dims = spec.staticDims ?? ras[0].dims;
    for (const v of ras) {
      if (v.dims.join() === dims.join()) continue;
      if (spec.staticDims) {
        throw new UserError(
          `${label(v)}${dimsText(v.dims)} voxels (in RAS order), but ${spec.name} takes ${dimsText(dims)} (a static shape): use fit 'resample' (--fit resample) to resample it onto the model grid, or load the checkpoint to build the graph for this size`,
        );
      }
      throw new UserError(
        `fit 'none' needs every volume on a grid of one size: ${ras.map((x) => `${x.name ?? 'volume'} is ${dimsText(x.dims)}`).join(', ')}; use fit 'resample'`,
      );
    }
    return {
      inputs: ras,
      fit: {
        mode: 'none',
        dims: [...dims],
        spacing: [...ras[0].spacing],
        description: `used as is on the ${dimsText(dims)} voxel grid (no resampling)`,
      },
    };
  }
  const size = spec.size;
  const t = fitSpacing(ras, size, spec.minSpacing);
  const inputs = ras.map((v) => {
    const g = centredGrid(v, size, t);
    return resampleOnto(v, g.dims, g.affine);
  });
  const what = ras.map((v) => {
    const ratio = Math.max(...v.spacing.map((s) => t / s));
    const verb = ratio > 1.0001 ? 'downsampled' : ratio < 0.9999 ? 'upsampled' : 'resampled';
    return `${v.name ?? 'volume'} ${dimsText(v.dims)} at ${spacingText(v.spacing)} ${verb}`;
  });
  const description = `resampled to the model grid ${dimsText(size)} at ${spacingText([t, t, t])} isotropic (${what.join('; ')}; each field of view kept whole, centred and zero-padded)`;
  return { inputs, fit: { mode: 'resample', dims: [...size], spacing: [t, t, t], description } };
}

/** An ORT output as plain data. */
export interface OutputArray {
  data: Float32Array;
  dims: readonly number[];
}

export interface RegistrationResult {
  /**
   * The moving image (its own intensities) resampled onto the fixed image's grid through the predicted
   * transform; null when not asked for (`warpOriginal: false`).
   */
  warped: Volume | null;
  /** The full transform as displacements in mm (RAS+ x, y, z) on the fixed model grid: T(x) = x + u(x) maps fixed to moving. */
  displacement: VectorVolume;
  /**
   * The same field resampled onto the original fixed image's grid (RAS+ mm), as the warped image used it; null
   * without the original volumes (`warpOriginal: false`).
   */
  displacementOnFixed: VectorVolume | null;
  /** The network's deformable flow in voxels on the model grid, channels (d, h, w) (what the official code calls flow). */
  flow: VectorVolume;
  /** The network's 3x4 affine matrix (row-major; its convention is the model's `geometry`). */
  affine: number[];
  /** The model's spatial conventions (see mapping.ts). */
  geometry: Geometry;
  /** The affine part as a 4x4 world map: fixed RAS mm → moving RAS mm. */
  worldAffine: number[];
  /** The network's inputs and warped output on the model grid (normalised intensities). */
  model: { fixed: Volume; moving: Volume; warped: Volume };
  fit: GridFit;
}

/** Builds the registration result from the `gvsl` graph's outputs (warp_BA, aff_mat_BA, flow_BA). */
export function finishRegistration(
  prep: Prepared,
  out: Record<string, OutputArray>,
  geometry: Geometry,
  originals?: { fixed: Volume; moving: Volume },
): RegistrationResult {
  const [fixed, moving] = prep.inputs;
  const dims = fixed.dims;
  for (const k of ['warp_BA', 'aff_mat_BA', 'flow_BA']) if (!out[k]) throw new Error(`the model gave no '${k}' output`);
  const mat = Array.from(out.aff_mat_BA.data.subarray(0, 12));
  const flowData = out.flow_BA.data.slice(0, 3 * fixed.data.length);
  const flow: VectorVolume = {
    data: flowData,
    components: 3,
    dims: [...dims],
    affine: [...fixed.affine],
    spacing: [...fixed.spacing],
  };
  const displacement = displacementField(flowData, mat, dims, fixed.affine, moving.affine, geometry);
  const warpedModel: Volume = {
    data: out.warp_BA.data.slice(0, fixed.data.length),
    dims: [...dims],
    affine: [...fixed.affine],
    spacing: [...fixed.spacing],
    name: moving.name,
  };
  return {
    warped: originals
      ? { ...warpThroughField(originals.moving, originals.fixed, displacement), nifti: originals.fixed.nifti }
      : null,
    displacement,
    displacementOnFixed: originals
      ? { ...fieldOnGrid(displacement, originals.fixed), nifti: originals.fixed.nifti }
      : null,
    flow,
    affine: mat,
    worldAffine: worldAffine(mat, dims, fixed.affine, moving.affine, geometry),
    geometry,
    model: { fixed, moving, warped: warpedModel },
    fit: prep.fit,
  };
}

/** The flow's magnitude per voxel (in the field's own units), e.g. for an overlay. */
export function magnitude(v: VectorVolume): Volume {
  const n = v.data.length / v.components;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < v.components; c++) s += v.data[c * n + i] ** 2;
    out[i] = Math.sqrt(s);
  }
  return { data: out, dims: [...v.dims], affine: [...v.affine], spacing: [...v.spacing], name: v.name };
}

export { affineVoxelMap, type Geometry };
