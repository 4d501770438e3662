/** Messages between the page (main.ts) and the inference worker (worker.ts). */
import type { Dims3 } from '../../../runtime/data/volume';

export type EpChoice = 'auto' | 'webgpu' | 'wasm';

/** What scripts/prepare.mjs wrote beside the model (model/model.json). */
export interface ModelInfo {
  description: string;
  dims: Dims3;
  geometry: 'exact' | 'official';
  minSpacing: number;
  normalize: 'ct-official' | 'ct-hu' | 'mr-percentile';
}

export interface RunRequest {
  type: 'run';
  fixed: { name: string; bytes: ArrayBuffer };
  moving: { name: string; bytes: ArrayBuffer };
  ep: EpChoice;
  /** `auto`: the float16 model when the WebGPU adapter has shader-f16; `fp32`: always the float32 model. */
  precision: 'auto' | 'fp32';
  /** Base URL of the app (model/, samples/ are below it). */
  base: string;
  /** At most this many WebAssembly threads (default 4; the page's `?threads=N`). */
  threads?: number;
}

/** A volume to display: RAS orientation, data[(d·H + h)·W + w]. */
export interface DisplayVolume {
  data: Float32Array;
  dims: Dims3;
  spacing: [number, number, number];
}

export interface RunResult {
  type: 'result';
  ep: 'webgpu' | 'wasm';
  /** Says which provider and model ran, and why (e.g. the fallback to WebAssembly). */
  epNote: string;
  model: string;
  fit: string;
  timings: { load: number; prepare: number; session: number; inference: number; finish: number; total: number };
  display: { fixed: DisplayVolume; moving: DisplayVolume; warped: DisplayVolume; flow: DisplayVolume };
  /** NIfTI downloads (.nii.gz bytes): the warped moving image and the ITK displacement field, both on the fixed image's grid. */
  files: { warped: Uint8Array; displacement: Uint8Array };
  /** The network's outputs and the derived fields, for comparisons (model grid). */
  raw: {
    warp: Float32Array;
    flow: Float32Array;
    affine: number[];
    worldAffine: number[];
    displacement: Float32Array;
    fixed: Float32Array;
    moving: Float32Array;
  };
}

export type WorkerMessage =
  { type: 'progress'; stage: string; fraction: number } | RunResult | { type: 'error'; message: string };
