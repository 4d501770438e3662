/** Module tree hygiene (one path per module and parameter; sharing only by calling one module twice) and build errors in PyTorch's terms. */
import { Graph } from '../../../sdk/graph';
import * as nn from '../../../sdk/nn';
import type { Tensor } from '../../../sdk/tensor';

class Two extends nn.Module {
  constructor(build: (self: Two) => void) {
    super();
    build(this);
  }
  add(name: string, m: nn.Module): nn.Module {
    return this.addModule(name, m);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

test('registering two members at one path is an error naming the path', () => {
  expect(
    () =>
      new Two((t) => {
        t.add('a', new nn.Linear(2, 2));
        t.add('a', new nn.Linear(2, 2));
      }),
  ).toThrow("'a' is already registered");
  const shared = new nn.Linear(2, 2);
  expect(
    () =>
      new Two((t) => {
        t.add('a', shared);
        t.add('b', shared);
      }),
  ).toThrow("cannot register a module as 'b': it is already registered as 'a'");
  const twice = new nn.Linear(2, 2);
  expect(() => new nn.Sequential(twice, twice)).toThrow("already registered as '0'");
  expect(() => new Two((t) => t.add('x.y', new nn.Identity()))).toThrow('not a valid member name');
});

test('two different modules that would declare the same state_dict key in one graph are an error', () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [1, 2]);
  new nn.Linear(2, 2).call(x);
  expect(() => new nn.Linear(2, 2).call(x)).toThrow("two different modules declare 'weight'");
});

test('calling one module twice shares its parameters (explicit weight sharing)', () => {
  const g = new Graph('t');
  const enc = new nn.Linear(2, 2);
  enc.call(g.input('a', 'float32', [1, 2]));
  enc.call(g.input('b', 'float32', [3, 2]));
  expect([...g.params.keys()]).toEqual(['weight', 'bias']);
});

test('state_dict order and keys follow PyTorch: per module its parameters, then buffers, then children', () => {
  const m = new nn.Sequential(
    new nn.Conv2d(1, 2, 3, { bias: false }),
    new nn.BatchNorm2d(2),
    new nn.ModuleList([new nn.Linear(2, 1)]),
  );
  expect([...m.stateSpecs().keys()]).toEqual([
    '0.weight',
    '1.weight',
    '1.bias',
    '1.running_mean',
    '1.running_var',
    '1.num_batches_tracked',
    '2.0.weight',
    '2.0.bias',
  ]);
  expect([...m.paramSpecs().keys()]).not.toContain('1.running_mean');
  const sd = m.initStateDict(0);
  expect(sd.get('1.num_batches_tracked')).toEqual({ dtype: 'int64', shape: [], data: new BigInt64Array(1) });
  expect(Array.from(sd.get('1.running_var')!.data as Float32Array)).toEqual([1, 1]);
  const dict = new nn.ModuleDict({ head: new nn.Linear(2, 3) });
  expect([...dict.stateSpecs().keys()]).toEqual(['head.weight', 'head.bias']);
  expect(dict.get('head')).toBeInstanceOf(nn.Linear);
});

test("Sequential takes PyTorch's OrderedDict form: children named by key", () => {
  const m = new nn.Sequential({ conv: new nn.Conv1d(1, 2, 3), bn: new nn.BatchNorm1d(2) });
  expect([...m.stateSpecs().keys()].slice(0, 3)).toEqual(['conv.weight', 'conv.bias', 'bn.weight']);
});

test('default initialisation follows reset_parameters: U(±1/√fan_in) for conv weights and biases, BatchNorm ones/zeros', () => {
  const sd = new nn.Sequential(
    new nn.Conv2d(4, 64, 3),
    new nn.ConvTranspose2d(6, 32, 3, { groups: 2 }),
    new nn.BatchNorm2d(3),
  ).initStateDict(3);
  const check = (key: string, fanIn: number) => {
    const v = Array.from(sd.get(key)!.data as Float32Array);
    const bound = 1 / Math.sqrt(fanIn);
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
    // A uniform on ±b has standard deviation b/√3; thousands of draws land within a few percent.
    const sd2 = Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length);
    expect(Math.abs(sd2 / (bound / Math.sqrt(3)) - 1)).toBeLessThan(v.length > 1000 ? 0.05 : 0.35);
  };
  check('0.weight', 4 * 9);
  check('0.bias', 4 * 9);
  // ConvTranspose: PyTorch's fan_in is weight.size(1)·k = (out/groups)·k.
  check('1.weight', 16 * 9);
  check('1.bias', 16 * 9);
  expect(sd.get('1.weight')!.shape).toEqual([6, 16, 3, 3]);
  expect(Array.from(sd.get('2.weight')!.data as Float32Array)).toEqual([1, 1, 1]);
  expect(Array.from(sd.get('2.bias')!.data as Float32Array)).toEqual([0, 0, 0]);
});

describe('build errors speak PyTorch', () => {
  const input = (shape: number[]) => new Graph('t').input('x', 'float32', shape);
  class Holder extends nn.Module {
    constructor(readonly inner: nn.Module) {
      super();
      this.addModule('layer1', inner);
    }
    forward(x: Tensor): Tensor {
      return this.inner.call(x);
    }
  }

  test('a Conv2d with the wrong in_channels', () => {
    expect(() => new Holder(new nn.Conv2d(3, 8, 3, { stride: 2 })).call(input([1, 4, 8, 8]))).toThrow(
      "Conv2d at 'layer1': Conv2d(3, 8, kernel_size=(3,3), stride=2) expects input (N, 3, H, W), got float32[1,4,8,8]",
    );
    expect(() => new nn.Conv1d(3, 8, 3).call(input([1, 3, 8, 8]))).toThrow('expects input (N, 3, L)');
  });
  test('a Linear with the wrong in_features', () => {
    expect(() => new Holder(new nn.Linear(8, 2)).call(input([4, 6]))).toThrow(
      "Linear at 'layer1': Linear(in_features=8, out_features=2) got input of shape [4, 6]; its last axis must be 8",
    );
  });
  test('a BatchNorm2d, GroupNorm or InstanceNorm with the wrong channel count', () => {
    expect(() => new Holder(new nn.BatchNorm2d(16)).call(input([2, 8, 4, 4]))).toThrow(
      "BatchNorm2d at 'layer1': BatchNorm2d(16) expects input (N, C, H, W) with C = 16, got float32[2,8,4,4]",
    );
    expect(() => new nn.GroupNorm(4, 16).call(input([2, 8, 4, 4]))).toThrow(
      'GroupNorm(4, 16) expects input (N, 16, *), got float32[2,8,4,4]',
    );
    expect(() => new nn.InstanceNorm2d(3).call(input([2, 4, 4, 4]))).toThrow(
      'InstanceNorm2d(3) expects input (N, 3, H, W)',
    );
    expect(() => new nn.BatchNorm1d(3).call(input([1, 3]))).toThrow(
      'expected more than 1 value per channel when training',
    );
  });
  test('pools, interpolate and constructor arguments', () => {
    expect(() => new nn.MaxPool2d(2, { padding: 2 }).call(input([1, 1, 8, 8]))).toThrow(
      'padding [2,2] should be at most half of the kernel size [2,2]',
    );
    expect(() => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).call(input([1, 1, 4, 4, 4]))).toThrow(
      "mode 'bilinear' needs a 4-D input",
    );
    expect(() => new nn.Conv2d(3, 8, 3, { groups: 2 })).toThrow('divisible by groups=2');
    expect(() => new nn.Conv2d(3, 8, 3, { stride: 2, padding: 'same' }).call(input([1, 3, 8, 8]))).toThrow(
      "padding='same' is not supported for strided convolutions",
    );
    expect(() => new nn.ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 }).call(input([1, 2, 4, 4]))).toThrow(
      'output_padding [2,2] must be smaller than the stride [2,2]',
    );
  });
});
