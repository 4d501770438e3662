import type { Dim } from './dim';
import type { DType, TypedArray } from './dtype';
import type { PrimName } from './ops/names';
import type { Node, Tensor } from './tensor';

/** The type of one output, as a shape rule returns it. */
export interface OutputType {
  dtype: DType;
  shape: Dim[];
}

/** A typed ONNX attribute value. */
export type AttrValue =
  { int: number } | { float: number } | { ints: readonly number[] } | { floats: readonly number[] } | { str: string };

export const attr = {
  int: (v: number | boolean): AttrValue => ({ int: Number(v) }),
  float: (v: number): AttrValue => ({ float: v }),
  ints: (v: readonly number[]): AttrValue => ({ ints: v }),
  floats: (v: readonly number[]): AttrValue => ({ floats: v }),
  str: (v: string): AttrValue => ({ str: v }),
};

/** What a lowering may do: emit ONNX nodes and constant initializers. */
export interface LowerCtx {
  readonly opset: number;
  /** ONNX value name of a tensor, or '' for an omitted optional input. */
  name(t: Tensor | null): string;
  /** A fresh, unique value name for an intermediate of a multi-node lowering. */
  fresh(label: string): string;
  emit(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Record<string, AttrValue>): void;
  /** An int64 initializer (shape [n], or [] for a scalar when `scalar` is set); returns its value name. */
  i64(values: readonly number[], scalar?: boolean): string;
  /**
   * A 1-D int64 value holding `dims`: the same initializer as `i64(dims)` when every dim is static; otherwise
   * symbolic dims are computed at run time from the Shape of a tensor that has them (`prefer` first).
   */
  shape(dims: readonly Dim[], prefer?: readonly (Tensor | null)[]): string;
  /** A constant initializer of any dtype; returns its value name. */
  constant(dtype: DType, shape: readonly number[], data: TypedArray): string;
}

/** What a VJP rule gets: the forward node's inputs, outputs and attributes. */
export interface VjpArgs<A> {
  inputs: readonly (Tensor | null)[];
  outputs: readonly Tensor[];
  attrs: A;
  node: Node<A>;
}

/**
 * Reverse-mode rule: cotangents of the outputs (null where an output gets none) to cotangents of the
 * inputs (null for a zero or non-differentiable input). Written with DSL ops.
 */
export type VjpRule<A> = (dys: readonly (Tensor | null)[], args: VjpArgs<A>) => (Tensor | null)[];

/** A primitive: shape rule, ONNX lowering and VJP, side by side (docs/architecture.md). */
export interface Primitive<A = any> {
  readonly name: PrimName;
  /** Input names, ONNX order; a trailing `?` marks an optional input. */
  readonly inputs: readonly string[];
  /** Inputs that never get a gradient (indices, masks, shapes), by position. */
  readonly nondiff?: readonly number[];
  /** Output types from input types; throws ShapeError (via `check`) on bad input. */
  infer(inputs: readonly (Tensor | null)[], attrs: A): OutputType[];
  /** Emits the ONNX node(s) computing `node.outputs` from `node.inputs`. */
  lower(ctx: LowerCtx, node: Node<A>): void;
  /** Lowest ONNX opset this node can be lowered to. */
  minOpset?(attrs: A): number;
  vjp: VjpRule<A>;
}

/** Lowering of the common case: one ONNX node with the same inputs/outputs and the given attributes. */
export function emitSame(ctx: LowerCtx, node: Node, opType: string, attrs?: Record<string, AttrValue>): void {
  ctx.emit(
    opType,
    node.inputs.map((t) => ctx.name(t)),
    node.outputs.map((t) => ctx.name(t)),
    attrs,
  );
}
