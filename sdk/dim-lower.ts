/**
 * Lowering of symbolic dims: the int64 values of dims known only at run time, read from the Shape of a tensor
 * that has them (Shape → Gather), or computed from other dims (Mul / Add / Div) for derived expressions.
 * Only graphs with symbolic dims reach this: static dims are constants, exactly as before.
 */
import { type Dim, DIM_DEFS, isStatic } from './dim';
import { BuildError } from './errors';
import type { Graph } from './graph';
import type { LowerCtx } from './primitive';
import type { Tensor } from './tensor';

type Emit = Pick<LowerCtx, 'emit' | 'fresh' | 'i64' | 'name' | 'constant'>;

export class DimLowering {
  /** Value name of each symbolic dim already computed (a 1-D int64 of length 1). ONNX graphs are flat. */
  private readonly cache = new Map<string, string>();

  /**
   * @param available whether a tensor's value exists at this point of the lowering (inputs, parameters,
   *   constants, outputs of nodes lowered so far): a dim is read only from such a tensor.
   */
  constructor(
    private readonly g: Graph,
    private readonly ctx: Emit,
    private readonly available: (t: Tensor) => boolean,
  ) {}

  /** A 1-D int64 value holding `dims` (runs of static dims as one constant). */
  shape(dims: readonly Dim[], prefer: readonly (Tensor | null)[] = []): string {
    if (isStatic(dims)) return this.ctx.i64(dims);
    const parts: string[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length) parts.push(this.ctx.i64(run));
      run = [];
    };
    for (const d of dims) {
      if (typeof d === 'number') run.push(d);
      else {
        flush();
        parts.push(this.dim(d, prefer));
      }
    }
    flush();
    if (parts.length === 1) return parts[0];
    const out = this.ctx.fresh('shape');
    this.ctx.emit('Concat', parts, [out], { axis: { int: 0 } });
    return out;
  }

  /** The run-time value of one dim, as a 1-D int64 of length 1. */
  dim(d: Dim, prefer: readonly (Tensor | null)[] = []): string {
    if (typeof d === 'number') return this.ctx.i64([d]);
    const cached = this.cache.get(d);
    if (cached) return cached;
    const value =
      this.read(d, prefer) ??
      this.derive(d, prefer) ??
      this.read(
        d,
        (this.g.dimSources.get(d) ?? []).map((s) => s.t),
      );
    if (!value) {
      throw new BuildError(
        'export',
        '',
        `no tensor computed before this point holds the symbolic dim '${d}', so its value cannot be read`,
      );
    }
    this.cache.set(d, value);
    return value;
  }

  /** Shape(t)[axis] for the first available tensor among `from` that has dim `d`. */
  private read(d: string, from: readonly (Tensor | null)[]): string | null {
    for (const t of from) {
      if (!t || !this.available(t)) continue;
      const axis = t.dims.indexOf(d);
      if (axis < 0) continue;
      const shape = this.ctx.fresh('shape');
      const out = this.ctx.fresh(`dim_${axis}`);
      this.ctx.emit('Shape', [this.ctx.name(t)], [shape]);
      this.ctx.emit('Gather', [shape, this.ctx.i64([axis])], [out], { axis: { int: 0 } });
      return out;
    }
    return null;
  }

  /** A derived dim computed from its parts (sdk/dim.ts DIM_DEFS). */
  private derive(d: string, prefer: readonly (Tensor | null)[]): string | null {
    const def = DIM_DEFS.get(d);
    if (!def) return null;
    const bin = (op: string, a: string, b: string): string => {
      const out = this.ctx.fresh(op.toLowerCase());
      this.ctx.emit(op, [a, b], [out]);
      return out;
    };
    switch (def.kind) {
      case 'mul':
        return def.factors.reduce((acc, f) => bin('Mul', acc, this.dim(f, prefer)), this.ctx.i64([def.coef]));
      case 'add':
        return def.terms
          .slice(1)
          .reduce(
            (acc, t) => bin('Add', acc, this.dim(t, prefer)),
            def.offset
              ? bin('Add', this.dim(def.terms[0], prefer), this.ctx.i64([def.offset]))
              : this.dim(def.terms[0], prefer),
          );
      case 'floordiv':
        // NOTE: int64 Div truncates; the dims divided here are never negative, so that is floor.
        return bin('Div', this.dim(def.x, prefer), this.ctx.i64([def.d]));
      case 'scale': {
        const f = this.ctx.fresh('float');
        this.ctx.emit('Cast', [this.dim(def.x, prefer)], [f], { to: { int: 11 } });
        const scaled = this.ctx.fresh('scaled');
        const floor = this.ctx.fresh('floor');
        const out = this.ctx.fresh('int');
        this.ctx.emit('Mul', [f, this.ctx.constant('float64', [1], Float64Array.of(def.f))], [scaled]);
        this.ctx.emit('Floor', [scaled], [floor]);
        this.ctx.emit('Cast', [floor], [out], { to: { int: 7 } });
        return out;
      }
    }
  }
}
