import { type Graph, liveNodes } from './graph';
import type { GemmAttrs } from './ops/gemm';
import type { Node } from './tensor';

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/**
 * Floating-point operations of one node, counted as 2·MACs; 0 for every op but Conv, MatMul and Gemm (the
 * rest are memory-bound and small next to them). Conv: N·C_out·prod(out spatial)·(C_in/group)·prod(k);
 * MatMul: prod(batch)·M·K·N; Gemm: M·K·N. Bias and Gemm's C are not counted.
 */
export function nodeFlops(node: Node): number {
  const y = node.outputs[0].shape;
  if (node.prim === 'Conv') {
    const w = node.inputs[1]!.shape;
    // y = [N, C_out, ...out], w = [C_out, C_in/group, ...k].
    return 2 * prod(y) * w[1] * prod(w.slice(2));
  }
  if (node.prim === 'MatMul') {
    const a = node.inputs[0]!.shape;
    return 2 * prod(y) * a[a.length - 1];
  }
  if (node.prim === 'Gemm') {
    const a = node.inputs[0]!.shape;
    const k = (node.attrs as GemmAttrs).transA ? a[0] : a[1];
    return 2 * prod(y) * k;
  }
  return 0;
}

/**
 * FLOPs of one run of the graph as exported: the sum of `nodeFlops` over the nodes its outputs depend on.
 * A training-step graph thus includes the backward pass's convolutions and products.
 */
export function countFlops(g: Graph): number {
  return liveNodes(g, g.outputs.values()).reduce((s, n) => s + nodeFlops(n), 0);
}

/** `countFlops` split by primitive (only primitives with a non-zero count). */
export function flopsByPrim(g: Graph): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of liveNodes(g, g.outputs.values())) {
    const f = nodeFlops(n);
    if (f) out[n.prim] = (out[n.prim] ?? 0) + f;
  }
  return out;
}
