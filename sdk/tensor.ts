import { type Dim, fmtDims, isStatic } from './dim';
import type { DType, TypedArray } from './dtype';
import { numel } from './dtype';
import { ShapeError } from './errors';
import type { Graph } from './graph';
import type { PrimName } from './ops/names';
import type { Primitive } from './primitive';

/** Where a tensor comes from. */
export type Source =
  | { kind: 'input' }
  | { kind: 'param' }
  | { kind: 'const'; data: TypedArray }
  | { kind: 'op'; node: Node; index: number };

/** One application of a primitive. `inputs` keeps nulls for omitted optional inputs. */
export interface Node<A = any> {
  readonly id: number;
  readonly prim: PrimName;
  /** The primitive's definition (shape rule, lowering, VJP). */
  readonly op: Primitive<A>;
  readonly inputs: readonly (Tensor | null)[];
  readonly attrs: A;
  readonly outputs: Tensor[];
  /** Module path the node was built under, e.g. `unet.down2.maxpool_conv.1`. */
  readonly path: string;
  readonly name: string;
}

/**
 * Thrown where code reads a symbolic tensor's shape as numbers. A ShapeError, so that inside a shape rule or
 * a VJP the graph builder adds the op and module path.
 */
export class SymbolicShapeError extends ShapeError {}

/**
 * An immutable symbolic tensor: dtype and dims are known when it is built. A dim is a number or, for
 * inputs declared with named dims, a symbol or an expression of symbols (sdk/dim.ts).
 */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    /** The dims, symbolic ones as strings (`['N', 3, 'H', 'W']`). */
    readonly dims: readonly Dim[],
    readonly source: Source,
    /** The ONNX value name. */
    readonly name: string,
  ) {}

  /**
   * The static shape. Throws (naming the tensor and the module path being built) when a dim is symbolic:
   * code that needs numbers must not silently bake a size that changes at run time. Use `dims` for code
   * that handles symbolic dims.
   */
  get shape(): readonly number[] {
    if (!isStatic(this.dims)) {
      const at = this.graph.scope ? ` at '${this.graph.scope}'` : '';
      throw new SymbolicShapeError(
        `'${this.name}' has symbolic dims ${fmtDims(this.dims)} but its shape is needed as numbers here${at}; this op supports static dims only on that path`,
      );
    }
    return this.dims;
  }

  /** True when every dim is a number. */
  get isStatic(): boolean {
    return isStatic(this.dims);
  }

  get rank(): number {
    return this.dims.length;
  }

  /** Number of elements (throws for symbolic dims, like `shape`). */
  get size(): number {
    return numel(this.shape);
  }

  /** `float32[1,32,8,8,8]`, `float32[N,3,H,W]` */
  get type(): string {
    return `${this.dtype}[${this.dims.join(',')}]`;
  }

  toString(): string {
    return `${this.name}: ${this.type}`;
  }
}

export function describe(t: Tensor | null | undefined): string {
  return t ? t.type : 'none';
}
