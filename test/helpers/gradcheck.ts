import { grad } from '../../sdk/autodiff';
import { allocate, type DType, fromNumbers, isFloat, numel } from '../../sdk/dtype';
import { Graph } from '../../sdk/graph';
import type { NamedArray } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { Rng } from './rng';
import { runGraph } from './run';

/** One input of a gradient-check or primitive case. */
export interface InputSpec {
  shape: number[];
  /** Default: the case's float dtype. Non-float inputs are never differentiated. */
  dtype?: DType;
  /** Fixed values (indices, masks, or a hand-made case); otherwise uniform random in `range`. */
  values?: number[];
  range?: [number, number];
  /** Differentiate with respect to this input (default: true for float inputs). */
  diff?: boolean;
}

/** One row of the gradient-check table. */
export interface GradCase {
  label?: string;
  inputs: InputSpec[];
  /** Builds the function under test from the input tensors (any output shape, float dtype). */
  build: (xs: Tensor[]) => Tensor;
  /** Float dtype of the inputs: float64 where ORT's CPU EP has the kernel, else float32. */
  dtype?: 'float64' | 'float32';
  /** Relative tolerance on the directional derivative (default 1e-6 in float64, 2e-3 in float32). */
  tol?: number;
  /** Finite-difference step (default 1e-5 in float64, 1e-2 in float32). */
  eps?: number;
  /** Opset to export with (default 17). */
  opset?: number;
}

export function makeInput(spec: InputSpec, dtype: DType, rng: Rng): NamedArray {
  const dt = spec.dtype ?? dtype;
  const n = numel(spec.shape);
  const vals = spec.values ?? rng.array(n, ...(spec.range ?? [-1, 1]));
  if (vals.length !== n) throw new Error(`input values: ${vals.length} for shape [${spec.shape}]`);
  return { dtype: dt, shape: spec.shape, data: fromNumbers(dt, vals) };
}

function dot(a: NamedArray, b: NamedArray): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Number(a.data[i]) * Number(b.data[i]);
  return s;
}

function shifted(x: NamedArray, u: NamedArray, h: number): NamedArray {
  const d = allocate(x.dtype, x.data.length) as Float64Array;
  for (let i = 0; i < d.length; i++) d[i] = Number(x.data[i]) + h * Number(u.data[i]);
  return { ...x, data: d };
}

/**
 * Checks a VJP in one random direction: ⟨u, VJP(v)⟩ against the central difference of ⟨v, f(x + εu)⟩,
 * both evaluated by onnxruntime-node. Returns both numbers and their relative difference.
 */
export async function gradCheck(c: GradCase, seed = 7): Promise<{ ad: number; fd: number; rel: number; tol: number }> {
  const dtype = c.dtype ?? 'float64';
  const rng = new Rng(seed);
  const specs = c.inputs.map((s) => ({ ...s, dtype: s.dtype ?? dtype }));
  const diff = specs.map((s) => (s.diff ?? true) && isFloat(s.dtype));

  const fg = new Graph('f');
  const fx = specs.map((s, i) => fg.input(`x${i}`, s.dtype, s.shape));
  const y = c.build(fx);
  fg.output('y', y);

  const vg = new Graph('vjp');
  const vx = specs.map((s, i) => vg.input(`x${i}`, s.dtype, s.shape));
  const vy = c.build(vx);
  const v = vg.input('v', vy.dtype, vy.shape);
  const wrt = vx.filter((_, i) => diff[i]);
  grad(vy, wrt, { seed: v }).forEach((gt, k) => vg.output(`g${k}`, gt));

  const xs = specs.map((s) => makeInput(s, dtype, rng));
  const us = specs.map((s) => makeInput({ shape: s.shape }, s.dtype, rng));
  const vv = makeInput({ shape: [...vy.shape] }, vy.dtype, rng);
  const eps = c.eps ?? (dtype === 'float64' ? 1e-5 : 1e-2);
  const feeds = (h: number) => Object.fromEntries(xs.map((x, i) => [`x${i}`, diff[i] ? shifted(x, us[i], h) : x]));
  const opset = c.opset;
  const yp = (await runGraph(fg, feeds(eps), { opset })).y;
  const ym = (await runGraph(fg, feeds(-eps), { opset })).y;
  const fd = (dot(vv, yp) - dot(vv, ym)) / (2 * eps);
  const gs = await runGraph(vg, { ...feeds(0), v: vv }, { opset });
  let ad = 0;
  let k = 0;
  specs.forEach((_, i) => {
    if (diff[i]) ad += dot(us[i], gs[`g${k++}`]);
  });
  const tol = c.tol ?? (dtype === 'float64' ? 1e-6 : 2e-3);
  const rel = Math.abs(ad - fd) / Math.max(Math.abs(ad), Math.abs(fd), 1e-12);
  return { ad, fd, rel, tol };
}
