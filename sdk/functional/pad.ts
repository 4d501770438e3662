import { BuildError } from '../errors';
import { concat, flip, pad as padOp, slice } from '../ops';
import type { Tensor } from '../tensor';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * torch.nn.functional.pad: `pad` lists (begin, end) pairs from the LAST axis backwards, as PyTorch does
 * (`F.pad(x, [1, 1, 2, 0])` pads W by 1/1 and H by 2/0). 'constant' is the Pad primitive; 'reflect',
 * 'replicate' and 'circular' are built from Slice (step −1 for the reflection) and Concat along each axis, so
 * they have gradients without a rule of their own (ONNX Pad's reflect/edge modes have none here).
 */
export function pad(x: Tensor, padding: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const fail = (m: string) => new BuildError('pad', x.graph.scope, m);
  if (padding.length % 2 || padding.length / 2 > x.rank)
    throw fail(`padding [${padding}] must be (begin, end) pairs for at most ${x.rank} axes`);
  const pairs = Array.from({ length: padding.length / 2 }, (_, i) => ({
    axis: x.rank - 1 - i,
    begin: padding[2 * i],
    end: padding[2 * i + 1],
  }));
  if (mode === 'constant') {
    const onnx = new Array(2 * x.rank).fill(0);
    for (const { axis, begin, end } of pairs) [onnx[axis], onnx[axis + x.rank]] = [begin, end];
    return padOp(x, onnx, { value });
  }
  if (value !== 0) throw fail(`a fill value applies to mode 'constant' only, not '${mode}'`);
  let y = x;
  for (const { axis, begin, end } of pairs) {
    const n = y.dims[axis];
    if (typeof n !== 'number')
      throw fail(
        `mode '${mode}' needs a static size along axis ${axis}, got input ${x.type} (mode 'constant' takes symbolic dims)`,
      );
    if (begin < 0 || end < 0) throw fail(`mode '${mode}' needs non-negative padding, got [${padding}]`);
    if (mode === 'reflect' && (begin >= n || end >= n))
      throw fail(
        `reflect padding [${begin}, ${end}] must be smaller than the input's size ${n} along axis ${axis} (input ${x.type})`,
      );
    if (mode === 'circular' && (begin > n || end > n))
      throw fail(
        `circular padding [${begin}, ${end}] must be at most the input's size ${n} along axis ${axis} (input ${x.type})`,
      );
    const cut = (start: number, stop: number) => slice(y, { axes: [axis], starts: [start], ends: [stop] });
    const parts: Tensor[] = [];
    const edge = (at: number, count: number) => Array.from({ length: count }, () => cut(at, at + 1));
    if (begin)
      parts.push(
        ...(mode === 'reflect'
          ? [flip(cut(1, begin + 1), [axis])]
          : mode === 'circular'
            ? [cut(n - begin, n)]
            : edge(0, begin)),
      );
    parts.push(y);
    if (end)
      parts.push(
        ...(mode === 'reflect'
          ? [flip(cut(n - 1 - end, n - 1), [axis])]
          : mode === 'circular'
            ? [cut(0, end)]
            : edge(n - 1, end)),
      );
    y = parts.length === 1 ? y : concat(parts, axis);
  }
  return y;
}
