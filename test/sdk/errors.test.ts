/**
 * Build errors name the op, the module path and the shapes involved, one test per kind of mistake. Models are
 * built through the nn modules (and the GVSL model's own module tree), so the paths are the real ones.
 */
import { GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { grad } from '../../sdk/autodiff';
import { BuildError } from '../../sdk/errors';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import * as nn from '../../sdk/nn';
import { add, conv, maxPool, mean, pad, reduceSum, scatterND, softmax, transpose } from '../../sdk/ops';
import type { PrimName } from '../../sdk/ops/names';
import { emitSame, type Primitive } from '../../sdk/primitive';
import type { Tensor } from '../../sdk/tensor';
import { buildTrainStep } from '../../sdk/train';

/** The error `f` throws (failing the test when it throws none). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** A small GVSL model: its module tree is the official one (unet.down2.maxpool_conv.1.double_conv.0, …). */
const gvsl = () => new GVSL(1, parseWidths('8,16,16,16,16,16,16,16,16'));

/** Conv3d(1→8) then Conv3d(16→4): the second is fed 8 channels. */
class Mismatched extends nn.Module {
  readonly body = this.addModule(
    'body',
    new nn.Sequential(new nn.Conv3d(1, 8, 3, { padding: 1 }), new nn.Conv3d(16, 4, 3)),
  );
  forward(x: Tensor): Tensor {
    return this.body.call(x);
  }
}

describe('shape errors name the op, the module path and the shapes', () => {
  test('wrong rank: a 4-D input to a 3-D conv inside unet.down2.maxpool_conv.1', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [1, 16, 8, 8]);
    const e = thrown(() => gvsl().unet.down2.maxpool_conv.layers[1].call(x));
    expect(e).toBeInstanceOf(BuildError);
    // In the module's (PyTorch's) terms since issue 17; the primitive's own message is below the module check.
    expect(e.message).toBe(
      "Conv3d at 'unet.down2.maxpool_conv.1.double_conv.0': Conv3d(16, 16, kernel_size=(3,3,3), padding=1) expects input (N, 16, D, H, W), got float32[1,16,8,8]",
    );
    expect(e).toMatchObject({ op: 'Conv3d', path: 'unet.down2.maxpool_conv.1.double_conv.0' });
  });

  test('wrong rank at the top of the model: both volumes must be 5-D', () => {
    const g = new Graph('t');
    const a = g.input('A', 'float32', [1, 1, 16, 16, 16]);
    const b = g.input('B', 'float32', [1, 16, 16, 16]);
    expect(thrown(() => gvsl().call(a, b)).message).toBe(
      "Concat at '<root>': shapes [1,1,16,16,16] and [1,16,16,16] differ outside axis 0 (inputs: inputs...=float32[1,1,16,16,16], in1=float32[1,16,16,16])",
    );
  });

  test('channel mismatch: Conv3d(16, …) fed 8 channels names both shapes and the module path', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [1, 1, 8, 8, 8]);
    const e = thrown(() => new Mismatched().call(x));
    expect(e).toMatchObject({ name: 'BuildError', op: 'Conv3d', path: 'body.1' });
    expect(e.message).toBe(
      "Conv3d at 'body.1': Conv3d(16, 4, kernel_size=(3,3,3)) expects input (N, 16, D, H, W), got float32[1,8,8,8,8]",
    );
  });

  test('shapes that do not broadcast', () => {
    const g = new Graph('t');
    const a = g.input('a', 'float32', [1, 8, 4, 4, 4]);
    const b = g.input('b', 'float32', [1, 16, 4, 4, 4]);
    expect(thrown(() => g.withScope('up1.conv', () => add(a, b))).message).toBe(
      "Add at 'up1.conv': shapes [1,8,4,4,4] and [1,16,4,4,4] do not broadcast (inputs: A=float32[1,8,4,4,4], B=float32[1,16,4,4,4])",
    );
  });
});

describe('bad attributes', () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [1, 2, 6, 6, 6]);
  const w = g.input('w', 'float32', [4, 2, 3, 3, 3]);

  test('negative conv pads', () => {
    expect(thrown(() => g.withScope('enc.conv', () => conv(x, w, null, { pads: [1, 1, -1, 1, 1, 1] }))).message).toBe(
      "Conv at 'enc.conv': pads [1,1,-1,1,1,1] must be 6 non-negative integers (begins, then ends) for 3 spatial axes " +
        '(inputs: X=float32[1,2,6,6,6], W=float32[4,2,3,3,3], B=none)',
    );
  });

  test('pool pads as large as the kernel', () => {
    expect(
      thrown(() => g.withScope('down1.pool', () => maxPool(x, { kernel: [2, 2, 2], pads: [2, 0, 0, 0, 0, 0] })))
        .message,
    ).toMatch(
      /^MaxPool at 'down1\.pool': pads \[2,0,0,0,0,0\] must be smaller than the kernel \[2,2,2\] \(inputs: X=float32\[1,2,6,6,6\]\)$/,
    );
  });

  test('a perm that is not a permutation', () => {
    expect(thrown(() => g.withScope('head', () => transpose(x, [0, 1, 2, 2, 4]))).message).toBe(
      "Transpose at 'head': perm [0,1,2,2,4] is not a permutation of 0..4 (inputs: data=float32[1,2,6,6,6])",
    );
  });

  test('axes out of range', () => {
    expect(thrown(() => g.withScope('head', () => reduceSum(x, [1, 5]))).message).toBe(
      "ReduceSum at 'head': axis 5 is out of range for rank 5 (inputs: data=float32[1,2,6,6,6])",
    );
    expect(thrown(() => g.withScope('head', () => softmax(x, { axis: 5 }))).message).toBe(
      "Softmax at 'head': axis 5 is out of range for rank 5 (inputs: input=float32[1,2,6,6,6])",
    );
  });
});

describe('gradient errors', () => {
  test('an op without a VJP rule: grad() names the op and its module path', () => {
    // A primitive written without a VJP (the type requires one, so it is cast, as a JS caller could do).
    const noGrad: Omit<Primitive<{}>, 'vjp'> = {
      name: 'Erf' as PrimName,
      inputs: ['X'],
      infer: ([t]) => [{ dtype: t!.dtype, shape: [...t!.shape] }],
      lower: (ctx, node) => emitSame(ctx, node, 'Erf'),
    };
    const NoGrad = noGrad as Primitive<{}>;
    const g = new Graph('t');
    const x = g.input('x', 'float32', [2, 3]);
    const y = g.withScope('net.act', () => g.apply(NoGrad, [x], {})[0]);
    const loss = mean(y);
    const e = thrown(() => grad(loss, [x]));
    expect(e).toMatchObject({ name: 'BuildError', op: 'Erf', path: 'net.act' });
    expect(e.message).toBe("Erf at 'net.act': has no gradient rule (VJP); it cannot be differentiated");
    // Not differentiated with respect to its input: no rule needed.
    expect(() => grad(loss, [g.input('unused', 'float32', [1])])).not.toThrow();
  });

  test('a primitive whose rule refuses an attribute (reflect padding) names the op and path', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [1, 1, 4, 4, 4]);
    const y = g.withScope('unet.pad', () => pad(x, [0, 0, 1, 1, 1, 0, 0, 1, 1, 1], { mode: 'reflect' }));
    expect(thrown(() => grad(mean(y), [x])).message).toBe(
      "Pad at 'unet.pad': while building its gradient: Pad mode 'reflect' has no gradient rule; use mode 'constant' in differentiated graphs",
    );
  });

  test('a non-scalar loss', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [2, 3]);
    const y = add(x, 1);
    expect(thrown(() => grad(y, [x])).message).toBe(
      "grad at '<root>': y must be a scalar (got float32[2,3]) or a seed cotangent must be given",
    );
    expect(thrown(() => grad(y, [x], { seed: g.input('v', 'float32', [3, 2]) })).message).toBe(
      "grad at '<root>': seed float32[3,2] does not match y float32[2,3]",
    );
    expect(thrown(() => buildTrainStep(g, y, {}, { optimizer: { kind: 'adam' } })).message).toBe(
      "train at '<root>': the loss must be a scalar, got float32[2,3]",
    );
  });
});

describe('parameters and export', () => {
  test('a parameter redeclared with another shape', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [1, 1, 6, 6, 6]);
    // Two root modules in one graph both call their weight 'weight'.
    new nn.Conv3d(1, 8, 3).call(x);
    const e = thrown(() => new nn.Conv3d(1, 4, 3).call(x));
    expect(e).toMatchObject({ name: 'BuildError', op: 'param' });
    expect(e.message).toBe(
      "param at '<root>': parameter 'weight' redeclared as float32[4,1,3,3,3] but is float32[8,1,3,3,3]",
    );
    // The same shape is the same parameter (a module applied twice shares its weights).
    expect(g.param('weight', 'float32', [8, 1, 3, 3, 3])).toBe(g.params.get('weight'));
  });

  test('an op that needs a newer opset than the export targets', () => {
    const g = new Graph('t');
    const data = g.input('d', 'float32', [4, 3]);
    const idx = g.constant([0, 2], 'int64', [2, 1]);
    const upd = g.input('u', 'float32', [2, 3]);
    g.output(
      'y',
      g.withScope('warp.splat', () => scatterND(data, idx, upd, { reduction: 'add' })),
    );
    expect(thrown(() => exportModel(g, { opset: 13 })).message).toMatch(
      /^ScatterND at 'warp\.splat': needs ONNX opset >= 16 but the export targets opset 13; export with opset 16 or later$/,
    );
  });
});
