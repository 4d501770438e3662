import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGvslApplyGraph, buildGvslGradsGraph, GVSL, gvslDocString } from '../../../graphs/build';
import { parseWidths } from '../../../graphs/unet';
import { writeFileAtomic } from '../../../sdk/bytes';
import { saveModel } from '../../../sdk/export';
import type { FlatSlot } from '../../../sdk/train';
import { stateSlots } from '../../../sdk/optim';
import type { StateDict } from '../../../sdk/state';
import { UserError } from '../../engine/errors';
import { CHECKPOINT_FILE, saveCheckpoint } from '../../engine/checkpoint';
import { configGeometry } from '../../../graphs/gvsl';
import { configSimilarity, type PretrainConfig, pretrainTerms } from '../config';
import { ensureWritable } from '../../engine/run';
import { startingWeights } from '../run';

export const MANIFEST_FILE = 'manifest.json';
/** Bumped when the manifest or the graphs' contract changes; the Python runner checks it. */
export const DIST_FORMAT = 'gvsl-onnx-dist/1';

/**
 * What the rank runner (python/gvsl_onnx_dist) needs to know about a prepared run folder: the graphs, the
 * flat gradient buffer's layout, the optimizer slots and the batch split. Written as manifest.json.
 */
export interface DistributedManifest {
  format: typeof DIST_FORMAT;
  /** Samples per optimizer step over all ranks (config.json `batch`). */
  global_batch: number;
  /** Samples per run of the gradients graph (its static batch size). */
  micro_batch: number;
  /** Inputs the batch child streams per micro-batch, in frame order. */
  batch_inputs: { name: string; shape: number[] }[];
  /** Scalar outputs of the gradients graph, averaged over ranks and micro-batches and logged. */
  terms: string[];
  grads: { file: string; sha256: string; output: 'grads'; elements: number };
  apply: { file: string; sha256: string };
  /** Trained parameters in flat-buffer order: element offset and count of each one's gradient in `grads`. */
  params: FlatSlot[];
  optimizer: { kind: string; slots: string[] };
  lr: number;
  steps: number;
  save_every: number;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * Prepares a run folder for data-parallel pre-training with torchrun: config.json (the run's PretrainConfig;
 * `batch` is the global batch), grads.onnx (batch of `microBatch` → loss terms + one flat gradient buffer),
 * apply.onnx (averaged gradients → Adam update), manifest.json, and checkpoint.safetensors at the starting
 * step (the seeded initialisation, --weights, or the resumed run's checkpoint) in pretrain's format.
 */
export function prepareDistributed(
  cfg: PretrainConfig,
  o: {
    out: string;
    microBatch: number;
    resume?: { state: StateDict; step: number; dir?: string };
    log: (m: string) => void;
    warn: (m: string) => void;
  },
): { dir: string; manifest: DistributedManifest } {
  const m = o.microBatch;
  if (!(Number.isInteger(m) && m > 0)) throw new UserError(`--micro-batch must be a positive integer, got ${m}`);
  if (cfg.batch % m !== 0)
    throw new UserError(`--batch ${cfg.batch} (the global batch) is not a multiple of --micro-batch ${m}`);
  const dir = path.resolve(o.out);
  ensureWritable(dir);
  const existing = path.join(dir, CHECKPOINT_FILE);
  if (fs.existsSync(existing) && !o.resume)
    throw new UserError(`${dir} already holds a run (${CHECKPOINT_FILE}): choose another --out, or --resume ${dir}`);

  const chan = parseWidths(cfg.chan);
  const model = new GVSL(1, chan, { geometry: configGeometry(cfg) });
  const shape = [m, 1, ...cfg.size] as [number, number, number, number, number];
  const grads = buildGvslGradsGraph(model, shape, { weights: cfg.lossWeights, similarity: configSimilarity(cfg) });
  const optimizer = { kind: 'adam' as const };
  const apply = buildGvslApplyGraph(grads.step.layout, { optimizer });
  const gradsFile = path.join(dir, 'grads.onnx');
  const applyFile = path.join(dir, 'apply.onnx');
  saveModel(grads.graph, gradsFile, { params: 'inputs', docString: gvslDocString(model) });
  saveModel(apply.graph, applyFile, { params: 'inputs' });

  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  // The resumed run's state is written even when resuming in place: its config may have changed (--steps).
  const step = o.resume?.step ?? 0;
  const state = o.resume?.state ?? startingWeights(model, cfg, o.log, o.warn);
  saveCheckpoint(dir, state, { config: cfg, step });
  // A run continued in a new folder keeps its history (the runner drops lines after `step`).
  const history = o.resume?.dir && path.join(path.resolve(o.resume.dir), 'metrics.jsonl');
  if (history && path.dirname(history) !== dir && fs.existsSync(history))
    fs.copyFileSync(history, path.join(dir, 'metrics.jsonl'));

  const manifest: DistributedManifest = {
    format: DIST_FORMAT,
    global_batch: cfg.batch,
    micro_batch: m,
    batch_inputs: ['img_aug', 'img', 'img2'].map((name) => ({ name, shape: [...shape] })),
    terms: pretrainTerms(cfg),
    grads: { file: 'grads.onnx', sha256: sha256(gradsFile), output: 'grads', elements: grads.step.total },
    apply: { file: 'apply.onnx', sha256: sha256(applyFile) },
    params: grads.step.layout,
    optimizer: { kind: optimizer.kind, slots: stateSlots(optimizer) },
    lr: cfg.lr,
    steps: cfg.steps,
    save_every: cfg.saveEvery,
  };
  writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n');
  return { dir, manifest };
}

/** Reads a prepared run folder's config and manifest (one line saying what is missing otherwise). */
export function readPreparedRun(dir: string): { cfg: PretrainConfig; manifest: DistributedManifest } {
  const mf = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(mf))
    throw new UserError(
      `${dir} is not a prepared distributed run (no ${MANIFEST_FILE}): run onnx-train distributed prepare --out ${dir} first`,
    );
  const manifest = JSON.parse(fs.readFileSync(mf, 'utf8')) as DistributedManifest;
  if (manifest.format !== DIST_FORMAT)
    throw new UserError(
      `${mf} has format '${manifest.format}', this onnx-train writes '${DIST_FORMAT}': prepare the run again`,
    );
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as PretrainConfig;
  return { cfg, manifest };
}
