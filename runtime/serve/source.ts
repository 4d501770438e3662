import * as fs from 'node:fs';
import * as path from 'node:path';
import { configGeometry, type Geometry, GVSL } from '../../graphs/gvsl';
import { parseWidths, type Widths } from '../../graphs/unet';
import type { StateDict } from '../../sdk/state';
import { loadWeights } from '../checkpoint/load';
import { UserError } from '../engine/errors';
import { presetFromName, type NormalizePreset } from '../data/normalize';
import type { Dims3 } from '../data/volume';
import { CHECKPOINT_FILE, CHECKPOINT_FORMAT } from '../engine/checkpoint';
import { loadModelWeights } from '../checkpoint/weights';
import { decodeOnnx, encodeModel, initializerArrays, ioInfo, readOnnx } from '../engine/onnx-file';

/** Graph kinds the serving API runs (segmentation models go through runtime/finetune's SegPredictor). */
export type GraphKind = 'gvsl' | 'unet';

/** An exported ONNX graph of a known kind with its static grid. */
export interface OnnxGraph {
  kind: GraphKind;
  file: string;
  bytes: Uint8Array;
  dims: Dims3;
}

/** Everything found at a model source (run folder, ONNX file or checkpoint), before any session exists. */
export interface ModelSource {
  name: string;
  graphs: OnnxGraph[];
  /** Reads the weights (state_dict keys); null when the source has none usable to build graphs. */
  weights: (() => StateDict) | null;
  /** Widths, when known (from the run config, the checkpoint or the weights' shapes). */
  chan: Widths | null;
  /** The source holds the U-Net only (no GVSL heads). */
  backboneOnly: boolean;
  /** Spatial conventions of the Z-matching head (from the ONNX doc string, the run config or the checkpoint). */
  geometry: Geometry;
  /** A fine-tuned segmentation model (seg.onnx, a finetune run folder or checkpoint): the path SegPredictor loads. */
  seg?: string;
  /** Training crop size and spacing, normalisation (from the run config, when there is one). */
  size?: Dims3;
  spacing?: number;
  normalize?: NormalizePreset;
  notes: string[];
}

export interface SourceOptions {
  /** Widths c0..c8 for a checkpoint (inferred from its tensor shapes when omitted). */
  chan?: string | readonly number[];
  /** The model's geometry when the source does not say (default: official for PyTorch .pth weights, else exact). */
  geometry?: Geometry;
}

const GRAPH_IO: Record<GraphKind, { inputs: string[]; outputs: string[] }> = {
  gvsl: { inputs: ['A', 'B'], outputs: ['warp_BA', 'aff_mat_BA', 'flow_BA'] },
  unet: { inputs: ['x'], outputs: ['global', 'local'] },
};

/** Resolves a run folder, an .onnx file or a checkpoint (.safetensors / .pth / .pt) into a ModelSource. */
export function openSource(source: string, opts: SourceOptions = {}): ModelSource {
  if (!fs.existsSync(source)) throw new UserError(`${source}: no such model file or run folder`);
  if (fs.statSync(source).isDirectory()) return openRunFolder(source, opts);
  if (/\.onnx$/i.test(source)) return openOnnx(source, readConfig(path.dirname(source)), opts);
  return openCheckpoint(source, opts);
}

/** The fields of a run's config.json (runtime/pretrain's PretrainConfig, runtime/finetune's FinetuneConfig) that serving reads. */
interface StoredRunConfig {
  chan: number[];
  size: Dims3;
  /** One number, or [sd, sh, sw] for a per-axis spacing (serving's grid is isotropic: the coarsest axis counts). */
  spacing?: number | [number, number, number];
  normalize?: NormalizePreset['preset'];
  geometry?: Geometry;
}

function readConfig(dir: string): StoredRunConfig | null {
  const f = path.join(dir, 'config.json');
  if (!fs.existsSync(f)) return null;
  try {
    const c = JSON.parse(fs.readFileSync(f, 'utf8')) as StoredRunConfig;
    return Array.isArray(c.chan) && Array.isArray(c.size) ? c : null;
  } catch {
    return null;
  }
}

function fromConfig(c: StoredRunConfig | null): Pick<ModelSource, 'size' | 'spacing' | 'normalize'> {
  if (!c) return {};
  return {
    size: [...c.size] as Dims3,
    spacing: c.spacing === undefined ? undefined : typeof c.spacing === 'number' ? c.spacing : Math.max(...c.spacing),
    normalize: c.normalize ? presetFromName(c.normalize) : undefined,
  };
}

function openRunFolder(dir: string, opts: SourceOptions): ModelSource {
  if (isSegFolder(dir)) return segSource(dir);
  const cfg = readConfig(dir);
  const ckpt = path.join(dir, CHECKPOINT_FILE);
  const onnxFiles = ['gvsl.onnx', 'unet.onnx'].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  if (!cfg || (!fs.existsSync(ckpt) && onnxFiles.length === 0)) {
    throw new UserError(
      `${dir}: not a pre-training run folder (it needs config.json and gvsl.onnx or ${CHECKPOINT_FILE}); pass an .onnx file or a checkpoint instead`,
    );
  }
  const chan = parseChan(cfg.chan, dir);
  const opened = onnxFiles.map((f) => openOnnx(f, cfg, opts));
  const graphs = opened.flatMap((o) => o.graphs);
  return {
    name: dir,
    graphs,
    weights: fs.existsSync(ckpt) ? () => trainingWeights(ckpt, chan) : graphs.length ? () => onnxWeights(graphs) : null,
    chan,
    backboneOnly: !fs.existsSync(ckpt) && !graphs.some((g) => g.kind === 'gvsl'),
    geometry: opts.geometry ?? opened.find((o) => o.graphs[0].kind === 'gvsl')?.geometry ?? configGeometry(cfg),
    ...fromConfig(cfg),
    notes: [],
  };
}

/** The geometry an exported GVSL graph states in its doc string (graphs/build.ts gvslDocString), if any. */
export function docGeometry(docString: string): Geometry | undefined {
  return /geometry '(exact|official)'/.exec(docString)?.[1] as Geometry | undefined;
}

function isSegFolder(dir: string): boolean {
  return (
    fs.existsSync(path.join(dir, 'best.safetensors')) ||
    typeof (readJson(path.join(dir, 'config.json')) as { classes?: unknown } | null)?.classes === 'number'
  );
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function segSource(file: string): ModelSource {
  return {
    name: file,
    graphs: [],
    weights: null,
    chan: null,
    backboneOnly: false,
    geometry: 'exact',
    seg: file,
    notes: [],
  };
}

function openOnnx(file: string, cfg: StoredRunConfig | null, opts: SourceOptions): ModelSource {
  const model = readOnnx(file);
  const { inputs, outputs } = ioInfo(model);
  const names = (xs: { name: string }[]) => new Set(xs.map((x) => x.name));
  const [ins, outs] = [names(inputs), names(outputs)];
  if (outs.has('probs') && ins.size === 1) return segSource(file);
  const kind = (Object.keys(GRAPH_IO) as GraphKind[]).find(
    (k) => GRAPH_IO[k].inputs.every((n) => ins.has(n)) && GRAPH_IO[k].outputs.every((n) => outs.has(n)),
  );
  if (!kind) {
    throw new UserError(
      `${file}: not a GVSL model: inputs ${[...ins].join(', ')} and outputs ${[...outs].join(', ')}; expected the 'gvsl' graph (A, B → warp_BA, aff_mat_BA, flow_BA) or the 'unet' graph (x → global, local) of onnx-train export`,
    );
  }
  const x = inputs.find((i) => i.name === GRAPH_IO[kind].inputs[0])!;
  if (x.shape.length !== 5 || x.shape.some((d) => d <= 0))
    throw new UserError(
      `${file}: input '${x.name}' has shape [${x.shape.join(', ')}]; a static [1, 1, D, H, W] shape is needed`,
    );
  if (x.shape[0] !== 1 || x.shape[1] !== 1) {
    throw new UserError(
      `${file}: input '${x.name}' is [${x.shape.join(', ')}]: the model takes ${x.shape[1]} channel(s) in batches of ${x.shape[0]}, but serving feeds one single-channel volume at a time; export it with --shape 1,1,D,H,W`,
    );
  }
  const bytes = encodeModel(model);
  const graph: OnnxGraph = { kind, file, bytes, dims: x.shape.slice(2) as Dims3 };
  let chan: Widths | null;
  try {
    chan = opts.chan ? parseChan(opts.chan, file) : widthsFromWeights(initializerArrays(model));
  } catch {
    chan = null; // a graph with other parameter names: usable at its static shape only
  }
  return {
    name: file,
    graphs: [graph],
    weights: chan ? () => onnxWeights([graph]) : null,
    chan,
    backboneOnly: kind === 'unet',
    // Graphs exported before the geometry option existed carry no marker and use the official warps.
    geometry: opts.geometry ?? docGeometry(model.docString) ?? (cfg ? configGeometry(cfg) : 'official'),
    ...fromConfig(cfg),
    notes: [],
  };
}

function openCheckpoint(file: string, opts: SourceOptions): ModelSource {
  let loaded;
  try {
    loaded = loadWeights(file);
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  if (loaded.metadata.format === CHECKPOINT_FORMAT) {
    const cfg = JSON.parse(loaded.metadata.config) as StoredRunConfig & { classes?: number };
    if (typeof cfg.classes === 'number') return segSource(file);
    const chan = parseChan(cfg.chan, file);
    const geometry = opts.geometry ?? configGeometry(cfg);
    return {
      name: file,
      graphs: [],
      weights: () => trainingWeights(file, chan),
      chan,
      backboneOnly: false,
      geometry,
      ...fromConfig(cfg),
      notes: [],
    };
  }
  const chan = opts.chan ? parseChan(opts.chan, file) : widthsFromWeights(loaded.tensors, file);
  const geometry =
    opts.geometry ??
    (loaded.metadata.geometry as Geometry | undefined) ??
    (loaded.format === 'pth' ? 'official' : 'exact');
  const model = new GVSL(1, chan, { geometry });
  const w = loadModelWeights(model, file, { allowBackboneOnly: true });
  return {
    name: file,
    graphs: [],
    weights: () => w.tensors,
    chan,
    backboneOnly: w.missing.length > 0,
    geometry,
    notes: w.notes,
  };
}

function parseChan(c: string | readonly number[], where: string): Widths {
  try {
    return parseWidths(c);
  } catch (e) {
    throw new UserError(`${where}: ${(e as Error).message}`);
  }
}

/** The parameters of a training checkpoint (its optimizer state left out). */
function trainingWeights(file: string, chan: Widths): StateDict {
  const specs = new GVSL(1, chan).paramSpecs();
  const { tensors } = loadWeightsOrFail(file);
  const out: StateDict = new Map();
  for (const k of specs.keys()) {
    const t = tensors.get(k);
    if (!t) throw new UserError(`${file}: the checkpoint has no '${k}': it does not fit widths ${chan.join(',')}`);
    out.set(k, t);
  }
  return out;
}

function loadWeightsOrFail(file: string) {
  try {
    return loadWeights(file);
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
}

/** Weights read back from exported graphs' initializers (float16 ones widened to float32). */
function onnxWeights(graphs: OnnxGraph[]): StateDict {
  const out: StateDict = new Map();
  for (const g of graphs)
    for (const [k, v] of initializerArrays(decodeOnnx(g.bytes), { float16AsFloat32: true })) out.set(k, v);
  return out;
}

/**
 * The U-Net widths c0..c8 from a state_dict's convolution shapes (keys with or without the `unet.` prefix):
 * c0 from `inc`, c1..c4 from `down1..4`, c5..c8 from `up1..4`.
 */
export function widthsFromWeights(sd: StateDict, where = 'the weights'): Widths {
  const prefix = sd.has('unet.inc.double_conv.0.weight') ? 'unet.' : '';
  const keys = [
    'inc.double_conv.0.weight',
    ...[1, 2, 3, 4].map((i) => `down${i}.maxpool_conv.1.double_conv.0.weight`),
    ...[1, 2, 3, 4].map((i) => `up${i}.conv.double_conv.0.weight`),
  ];
  const w = keys.map((k) => sd.get(prefix + k)?.shape[0]);
  if (w.some((v) => v === undefined)) {
    throw new UserError(
      `${where}: not GVSL U-Net weights (no '${prefix}inc.double_conv.0.weight' …); pass the widths with --chan`,
    );
  }
  return parseChan(w as number[], where);
}
