import type { Widths } from '../../graphs/unet';
import type { ExecutionProvider } from '../engine/ort';
import type { MachineInfo } from './machine';

/**
 * What `onnx-train bench` can time. gvsl-train: one GVSL training step (forward + loss + backward + Adam);
 * gvsl: GVSL inference on a pair; unet: the U-Net backbone forward; unet-train: the backbone with
 * loss mean(global²) + mean(local²) and Adam; seg-train: one segmentation fine-tuning step (graphs/seg.ts:
 * SegNet, Dice loss, every weight trained, Adam); seg: segmentation inference (class probabilities).
 */
export const BENCH_MODELS = ['gvsl-train', 'gvsl', 'unet', 'unet-train', 'seg-train', 'seg'] as const;
export type BenchModel = (typeof BENCH_MODELS)[number];

/**
 * The PyTorch `--mode` that times the same thing: bench_torch.py's (the shared reference) for the GVSL and
 * U-Net models, this repository's scripts/bench_torch_seg.py for the segmentation models.
 */
export const TORCH_MODE: Record<BenchModel, string> = {
  'gvsl-train': 'train',
  gvsl: 'forward',
  unet: 'unet-forward',
  'unet-train': 'unet-train',
  'seg-train': 'seg-train',
  seg: 'seg',
};

/** Models whose graph is the segmentation network (they take `--classes`). */
export const isSegModel = (m: BenchModel): boolean => m === 'seg-train' || m === 'seg';

export interface BenchSpec {
  model: BenchModel;
  /** Volume size D, H, W. */
  size: [number, number, number];
  chan: Widths;
  batch: number;
  /** Segmentation classes, background included (seg models; default 2). */
  classes: number;
  ep: ExecutionProvider;
  /** Untimed runs first (the protocol: one). */
  warmup: number;
  /** Timed runs after the warm-up. */
  runs: number;
  threads: number;
  /** ORT's CPU memory arena (on by default; off lowers peak RSS). */
  arena: boolean;
  /** Write ORT's per-node profile into this folder. */
  profileDir?: string;
  seed: number;
}

/** What the child process that runs the benchmark is told (runtime/bench/child.ts). */
export interface ChildJob {
  modelFile: string;
  /** Training graphs: parameters (and no optimizer state: it starts at zero) as safetensors. */
  stateFile?: string;
  /**
   * Inputs fed with uniform [0, 1) noise, as bench_torch.py's torch.rand; with `classes`, uniformly random
   * class indices 0..classes−1 (label maps, stored as float32).
   */
  inputs: { name: string; shape: number[]; classes?: number }[];
  ep: ExecutionProvider;
  threads: number;
  arena: boolean;
  warmup: number;
  runs: number;
  seed: number;
  profilePrefix?: string;
}

/** What the child reports back. */
export type ChildReport = { times: number[]; maxRssKiB: number } | { error: string };

/** One op type's share of a profiled step. */
export interface OpTime {
  op: string;
  /** Milliseconds per step (timed runs only). */
  ms: number;
  /** Fraction of the summed kernel time. */
  share: number;
  nodes: number;
}

export interface ProfileSummary {
  trace: string;
  /** Timed runs the numbers are averaged over (the warm-up run is left out). */
  runs: number;
  kernelMs: number;
  ops: OpTime[];
  topNodes: { node: string; op: string; ms: number }[];
  /** Largest memory the CPU arena held during the timed runs (MiB), when the trace records it. */
  arenaPeakMiB: number | null;
}

/** The JSON line `onnx-train bench` prints. */
export interface BenchResult {
  impl: string;
  model: BenchModel;
  size: number[];
  chan: number[];
  batch: number;
  /** Segmentation classes (seg models only). */
  classes?: number;
  ep: ExecutionProvider;
  threads: number;
  warmup: number;
  runs: number;
  cpu_arena: boolean;
  /** Every timed run, in order. */
  times_s: number[];
  median_s: number;
  min_s: number;
  max_s: number;
  /** batch·D·H·W (one volume, or one pair for gvsl models) per second at the median. */
  voxels_per_s: number;
  peak_rss_mib: number;
  /** From ORT's profile with --profile, else null. */
  arena_peak_mib: number | null;
  arena: string;
  /** FLOPs of one run, counted by the DSL over the graph's Conv/MatMul/Gemm nodes (2 per multiply-add). */
  flops: number;
  gflops_per_s: number;
  nodes: number;
  /** The machine: CPU model, logical CPUs, reported clock, fp32 vector lanes (runtime/bench/machine.ts). */
  machine: MachineInfo;
  /** 1-minute load average before and after the timed process (the benchmark's own threads included after). */
  load_avg: [number, number];
  /** fp32 peak of `threads` cores at the reported clock: threads × 2 FMA × lanes × 2 × GHz (null: clock unknown). */
  fp32_peak_gflops: number | null;
  /** gflops_per_s / fp32_peak_gflops. */
  peak_fraction: number | null;
  profile?: { trace: string; top_ops: OpTime[]; top_nodes: ProfileSummary['topNodes'] };
}
