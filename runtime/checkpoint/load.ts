/**
 * Loading weights from any supported checkpoint format, and matching them against a model's parameters
 * the way PyTorch's strict `load_state_dict` does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DType, TypedArray } from '../../sdk/dtype';
import type { NamedArray, StateDict } from '../../sdk/state';
import { CheckpointError } from './bytes';
import { readPthContent } from './pth';
import { readSafetensors } from './safetensors';
import { isZip } from './zip';

export type WeightsFormat = 'safetensors' | 'pth';

export interface LoadedCheckpoint {
  tensors: StateDict;
  /** safetensors `__metadata__` (empty for .pth). */
  metadata: Record<string, string>;
  format: WeightsFormat;
  /** For a .pth whose state_dict sat inside a dict: the key it was under ('state_dict', 'model', ...). */
  wrapperKey?: string;
}

const PTH_EXT = new Set(['.pth', '.pt', '.bin', '.ckpt', '.tar']);

/** Parses checkpoint `bytes`, choosing the format by magic bytes, then by `source`'s extension. */
export function readWeights(bytes: Uint8Array, source: string): LoadedCheckpoint {
  const ext = path.extname(source).toLowerCase();
  const stHeader = bytes.length > 8 && bytes[8] === 0x7b; // '{' right after the 8-byte length
  if (!isZip(bytes) && (ext === '.safetensors' || (stHeader && !PTH_EXT.has(ext)))) {
    return { ...readSafetensors(bytes, source), format: 'safetensors' };
  }
  if (isZip(bytes) || PTH_EXT.has(ext) || bytes[0] === 0x80) {
    const { tensors, wrapperKey } = readPthContent(bytes, source);
    return { tensors, metadata: {}, format: 'pth', ...(wrapperKey ? { wrapperKey } : {}) };
  }
  throw new CheckpointError(
    `${source}: unknown weights format (expected a .safetensors file or a PyTorch .pth/.pt/.bin checkpoint written by torch.save)`,
  );
}

/** Reads a checkpoint file (.safetensors, or a torch.save zip .pth/.pt/.bin). */
export function loadWeights(file: string): LoadedCheckpoint {
  return readWeights(fs.readFileSync(file), file);
}

export interface ParamSpec {
  dtype: DType;
  shape: number[];
}

export interface Mismatch {
  /** The model's key. */
  key: string;
  checkpoint: ParamSpec;
  model: ParamSpec;
}

export interface LoadReport {
  /** The checkpoint's arrays under the model's keys, in the model's order (matched keys only). */
  tensors: StateDict;
  /** Model keys the checkpoint does not provide. */
  missing: string[];
  /** Checkpoint keys (as named in the file) the model does not have. */
  unexpected: string[];
  /** Keys whose shape differs, or whose dtype cannot be converted (float to float and int to int are). */
  mismatched: Mismatch[];
  /** Model keys whose array was converted to the model's dtype (PyTorch's copy_ does the same). */
  converted: string[];
  /** The key rename that made the checkpoint fit best, if any. */
  prefix?: { added?: string; removed?: string };
}

/**
 * Matches checkpoint arrays `got` to the model's parameters `expected`. With `prefixes`, the checkpoint's
 * keys may also be compared with each prefix added or removed (e.g. a U-Net-only state_dict against a
 * model whose backbone keys start with `unet.`); the rename that matches most keys wins, no rename on ties.
 */
export function matchStateDict(
  expected: Map<string, ParamSpec>,
  got: StateDict,
  opts: { prefixes?: string[] } = {},
): LoadReport {
  const candidates: { rename: (k: string) => string; prefix?: LoadReport['prefix'] }[] = [{ rename: (k) => k }];
  for (const p of opts.prefixes ?? []) {
    candidates.push({ rename: (k) => (k.startsWith(p) ? k : p + k), prefix: { added: p } });
    candidates.push({ rename: (k) => (k.startsWith(p) ? k.slice(p.length) : k), prefix: { removed: p } });
  }
  let best: { names: Map<string, string>; score: number; prefix?: LoadReport['prefix'] } | undefined;
  for (const c of candidates) {
    const names = new Map<string, string>(); // model-side name -> checkpoint name
    for (const k of got.keys()) names.set(c.rename(k), k);
    if (names.size !== got.size) continue; // the rename made two keys collide
    let score = 0;
    for (const k of names.keys()) if (expected.has(k)) score++;
    if (!best || score > best.score) best = { names, score, prefix: c.prefix };
  }
  const { names, prefix } = best!;
  const report: LoadReport = {
    tensors: new Map(),
    missing: [],
    unexpected: [],
    mismatched: [],
    converted: [],
    ...(prefix ? { prefix } : {}),
  };
  for (const [key, spec] of expected) {
    const from = names.get(key);
    if (from === undefined) {
      report.missing.push(key);
      continue;
    }
    const a = got.get(from)!;
    const converted = a.dtype === spec.dtype ? a : convert(a, spec.dtype);
    if (!sameShape(a.shape, spec.shape) || !converted) {
      report.mismatched.push({
        key,
        checkpoint: { dtype: a.dtype, shape: a.shape },
        model: { dtype: spec.dtype, shape: spec.shape },
      });
      continue;
    }
    if (converted !== a) report.converted.push(key);
    report.tensors.set(key, converted);
  }
  for (const [name, from] of names) if (!expected.has(name)) report.unexpected.push(from);
  return report;
}

/** The problems of `report` in the words of PyTorch's load_state_dict error ('' when it loads cleanly). */
export function formatLoadReport(report: LoadReport): string {
  // PyTorch lists every key; past a dozen the line stops being readable, so the rest is counted.
  const quote = (ks: string[]) =>
    ks
      .slice(0, 12)
      .map((k) => `"${k}"`)
      .join(', ') + (ks.length > 12 ? `, … and ${ks.length - 12} more` : '');
  const parts: string[] = [];
  if (report.missing.length) parts.push(`Missing key(s) in state_dict: ${quote(report.missing)}.`);
  if (report.unexpected.length) parts.push(`Unexpected key(s) in state_dict: ${quote(report.unexpected)}.`);
  for (const m of report.mismatched) {
    parts.push(
      sameShape(m.checkpoint.shape, m.model.shape)
        ? `dtype mismatch for ${m.key}: copying a param with dtype ${m.checkpoint.dtype} from checkpoint, the dtype in current model is ${m.model.dtype}.`
        : `size mismatch for ${m.key}: copying a param with shape [${m.checkpoint.shape.join(', ')}] from checkpoint, the shape in current model is [${m.model.shape.join(', ')}].`,
    );
  }
  if (parts.length && report.prefix) {
    parts.push(
      report.prefix.added
        ? `(checkpoint keys compared with the prefix "${report.prefix.added}" added)`
        : `(checkpoint keys compared with the prefix "${report.prefix.removed}" removed)`,
    );
  }
  return parts.join(' ');
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

const FLOATS = new Set<DType>(['float16', 'float32', 'float64']);
const INTS = new Set<DType>(['int32', 'int64']);

/** Float-to-float and int-to-int conversions (what PyTorch's copy_ does silently); undefined otherwise. */
function convert(a: NamedArray, to: DType): NamedArray | undefined {
  let data: TypedArray;
  if (FLOATS.has(a.dtype) && (to === 'float32' || to === 'float64')) {
    const src =
      a.dtype === 'float16' ? Float32Array.from(a.data as Uint16Array, halfToFloat) : (a.data as Float32Array);
    data = to === 'float32' ? Float32Array.from(src) : Float64Array.from(src);
  } else if (INTS.has(a.dtype) && INTS.has(to)) {
    // NOTE: int64 values outside the int32 range wrap, as they do in torch.
    data =
      to === 'int64'
        ? BigInt64Array.from(a.data as Int32Array, (v) => BigInt(v))
        : Int32Array.from(a.data as BigInt64Array, (v) => Number(BigInt.asIntN(32, v)));
  } else {
    return undefined;
  }
  return { dtype: to, shape: a.shape, data };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
