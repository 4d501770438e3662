import type { DType, TypedArray } from './dtype';
import { numel } from './dtype';
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

/** An immutable symbolic tensor: dtype and static shape are known when it is built. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly source: Source,
    /** The ONNX value name. */
    readonly name: string,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return numel(this.shape);
  }

  /** `float32[1,32,8,8,8]` */
  get type(): string {
    return `${this.dtype}[${this.shape.join(',')}]`;
  }

  toString(): string {
    return `${this.name}: ${this.type}`;
  }
}

export function describe(t: Tensor | null | undefined): string {
  return t ? t.type : 'none';
}
