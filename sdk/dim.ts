/**
 * Symbolic dimensions. A dim is a number (static) or a string naming a value known only at run time: a
 * symbol declared on a graph input (`'N'`, `'H'`) or an expression derived from symbols by a shape rule
 * (`'3*H*W'`, `'floor((H-1)/2)+1'`). Derived names are canonical (built only by the helpers below, which
 * also record how to compute them), so one expression reached by two paths is the same string, and two
 * dims are known equal exactly when they are the same number or the same string.
 */
import { check } from './errors';

export type Dim = number | string;

/** How a derived dim is computed from others; the lowering (sdk/dim-lower.ts) emits these as int64 ops. */
export type DimDef =
  | { kind: 'mul'; coef: number; factors: string[] }
  | { kind: 'add'; terms: string[]; offset: number }
  /** floor(x / d) */
  | { kind: 'floordiv'; x: string; d: number }
  /** floor(x · f) for a non-integer f */
  | { kind: 'scale'; x: string; f: number };

/** Derived dims by name. Names are pure functions of their definitions, so one table serves every graph. */
export const DIM_DEFS = new Map<string, DimDef>();

export const isSym = (d: Dim): d is string => typeof d === 'string';

/** True when no dim is symbolic. */
export function isStatic(dims: readonly Dim[]): dims is readonly number[] {
  return dims.every((d) => typeof d === 'number');
}

/** `[N,3,8]` */
export const fmtDims = (dims: readonly Dim[]): string => `[${dims.join(',')}]`;

/** A symbol a user may declare: an identifier (so it never collides with derived expressions). */
export const SYMBOL_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function define(name: string, def: DimDef): string {
  if (!DIM_DEFS.has(name)) DIM_DEFS.set(name, def);
  return name;
}

/** Product of dims, canonical: numeric coefficient first, symbolic factors sorted (`3*H*W`). */
export function mulDims(...ds: readonly Dim[]): Dim {
  let coef = 1;
  const factors: string[] = [];
  for (const d of ds) {
    if (typeof d === 'number') coef *= d;
    else {
      const def = DIM_DEFS.get(d);
      if (def?.kind === 'mul') {
        coef *= def.coef;
        factors.push(...def.factors);
      } else factors.push(d);
    }
  }
  if (coef === 0 || factors.length === 0) return coef;
  factors.sort();
  if (coef === 1 && factors.length === 1) return factors[0];
  return define([...(coef === 1 ? [] : [String(coef)]), ...factors].join('*'), { kind: 'mul', coef, factors });
}

/** Factors of a dim as (coefficient, sorted symbol multiset). */
function factorsOf(d: Dim): { coef: number; factors: string[] } {
  if (typeof d === 'number') return { coef: d, factors: [] };
  const def = DIM_DEFS.get(d);
  return def?.kind === 'mul' ? { coef: def.coef, factors: [...def.factors] } : { coef: 1, factors: [d] };
}

/** `a / b` when it is exact (b's symbolic factors all in a, coefficients divide); null otherwise. */
export function divDims(a: Dim, b: Dim): Dim | null {
  const fa = factorsOf(a);
  const fb = factorsOf(b);
  if (fb.coef === 0 || fa.coef % fb.coef !== 0) return null;
  for (const f of fb.factors) {
    const i = fa.factors.indexOf(f);
    if (i < 0) return null;
    fa.factors.splice(i, 1);
  }
  return mulDims(fa.coef / fb.coef, ...fa.factors);
}

/** Sum of dims (`H+2`, `H+W`). */
export function addDims(...ds: readonly Dim[]): Dim {
  let offset = 0;
  const terms: string[] = [];
  for (const d of ds) {
    if (typeof d === 'number') offset += d;
    else {
      const def = DIM_DEFS.get(d);
      if (def?.kind === 'add') {
        offset += def.offset;
        terms.push(...def.terms);
      } else terms.push(d);
    }
  }
  if (terms.length === 0) return offset;
  terms.sort();
  if (offset === 0 && terms.length === 1) return terms[0];
  const name = terms.join('+') + (offset > 0 ? `+${offset}` : offset < 0 ? `${offset}` : '');
  return define(name, { kind: 'add', terms, offset });
}

/** floor(a / d) for a positive integer d. */
export function floorDiv(a: Dim, d: number): Dim {
  if (typeof a === 'number') return Math.floor(a / d);
  if (d === 1) return a;
  const exact = divDims(a, d);
  if (exact !== null) return exact;
  return define(`floor((${a})/${d})`, { kind: 'floordiv', x: a, d });
}

/** floor(a · f) (Resize by a scale). */
export function scaleDim(a: Dim, f: number): Dim {
  if (typeof a === 'number') return Math.floor(a * f);
  if (Number.isInteger(f)) return mulDims(f, a);
  if (Number.isInteger(1 / f)) return floorDiv(a, 1 / f);
  return define(`floor((${a})*${f})`, { kind: 'scale', x: a, f });
}

/** Output length of a convolution/pooling window along one axis (floor mode): floor((size + a) / stride) + 1. */
export function windowDim(size: Dim, k: number, padBegin: number, padEnd: number, stride: number, dilation = 1): Dim {
  const a = padBegin + padEnd - dilation * (k - 1) - 1;
  if (typeof size === 'number') return Math.floor((size + a) / stride) + 1;
  return addDims(floorDiv(addDims(size, a), stride), 1);
}

/** Number of elements; symbolic as a canonical product. */
export const numelDims = (dims: readonly Dim[]): Dim => mulDims(...dims);

/**
 * Checks two dims that an op needs equal. Different symbols, or a symbol against a number, are refused:
 * they might be equal at run time, but nothing at build time says so (declare one name, or a static size).
 */
export function sameDim(a: Dim, b: Dim, what: () => string): void {
  check(
    a === b,
    () =>
      `${what()}${isSym(a) || isSym(b) ? ' (a symbolic dim equals only itself: use one name for dims that are always equal, or a static size)' : ''}`,
  );
}

/**
 * Numpy broadcasting of two dim lists. A dim broadcasts against itself or against 1 (`N` with 1 gives `N`);
 * two different symbols, or a symbol against a number other than 1, are refused: at run time they would
 * broadcast only when equal or when one is 1, which the build cannot know.
 */
export function broadcastDims(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    check(
      x === y || x === 1 || y === 1,
      () =>
        `shapes ${fmtDims(a)} and ${fmtDims(b)} do not broadcast${
          isSym(x) || isSym(y) ? ` (${x} against ${y}: a symbolic dim broadcasts only against itself or 1)` : ''
        }`,
    );
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The dims as numbers, or a ShapeError saying that `what` needs static dims. */
export function requireStatic(dims: readonly Dim[], what: string): number[] {
  check(isStatic(dims), () => `${what} needs static dims, got ${fmtDims(dims)}`);
  return [...dims] as number[];
}
