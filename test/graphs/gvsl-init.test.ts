/**
 * GVSL's initialisation follows the official code (PyTorch/models/gvsl.py): `UNet_base.__init_weight` applies
 * kaiming_normal_ to the U-Net's convolution weights only; every head (f_conv, sp_conv, res_conv, out_flow,
 * fc_*) keeps PyTorch's default, kaiming_uniform_(a=√5) weights, i.e. U(±1/√fan_in), and U(±1/√fan_in) biases.
 * Each weight scaled by √fan_in is therefore N(0, √2) in the U-Net and U(±1) in the heads (std 1/√3); the two
 * are told apart by their spread and by the bound. Exact geometry's zero `out_flow` is pinned in geometry.test.ts.
 */
import { GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { fanIn } from '../../sdk/nn/init';
import type { StateDict } from '../../sdk/state';

const CHAN = parseWidths('8,16,16,16,16,16,16,16,16');
const KAIMING_NORMAL_STD = Math.sqrt(2); // gain of relu (a = 0), times √fan_in
const TORCH_DEFAULT_STD = 1 / Math.sqrt(3); // U(±1) after scaling by √fan_in

const convWeights = (sd: StateDict) =>
  [...sd.keys()].filter((k) => k.endsWith('.weight') && sd.get(k)!.shape.length === 5);
const linearWeights = (sd: StateDict) => [...sd.keys()].filter((k) => k.startsWith('fc_') && k.endsWith('.weight'));

/** The weights of `keys` scaled by √fan_in, pooled. */
function scaled(sd: StateDict, keys: string[]): number[] {
  return keys.flatMap((k) => {
    const w = sd.get(k)!;
    const s = Math.sqrt(fanIn(w.shape));
    return Array.from(w.data as Float32Array, (v) => v * s);
  });
}

/** Each bias of `keys` scaled by √fan_in of its layer's weight, pooled. */
function scaledBiases(sd: StateDict, keys: string[]): number[] {
  return keys.flatMap((k) => {
    const s = Math.sqrt(fanIn(sd.get(k)!.shape));
    return Array.from(sd.get(k.replace(/weight$/, 'bias'))!.data as Float32Array, (v) => v * s);
  });
}

const std = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
const maxAbs = (xs: number[]) => xs.reduce((a, x) => Math.max(a, Math.abs(x)), 0);

describe.each(['official', 'exact'] as const)('GVSL initialisation (%s)', (geometry) => {
  const sd = new GVSL(1, CHAN, { geometry }).initStateDict(7);
  const convs = convWeights(sd);
  const unet = convs.filter((k) => k.startsWith('unet.'));
  const heads = convs.filter((k) => !k.startsWith('unet.') && (geometry === 'official' || !k.startsWith('out_flow.')));

  test('the U-Net convolutions are kaiming-normal (std √(2/fan_in)), their biases PyTorch default', () => {
    expect(unet.length).toBe(18);
    const w = scaled(sd, unet);
    expect(std(w)).toBeCloseTo(KAIMING_NORMAL_STD, 1);
    expect(maxAbs(w)).toBeGreaterThan(3); // a normal's tail; a U(±1/√fan_in) weight never leaves ±1
    const b = scaledBiases(sd, unet);
    expect(maxAbs(b)).toBeLessThanOrEqual(1);
    expect(maxAbs(b)).toBeGreaterThan(0.5);
  });

  test('the heads keep PyTorch default initialisation: U(±1/√fan_in) weights and biases', () => {
    const expected = [
      'f_conv.double_conv.0.weight',
      'f_conv.double_conv.3.weight',
      'sp_conv.double_conv.0.weight',
      'sp_conv.double_conv.3.weight',
      'res_conv.0.weight',
      'res_conv.3.weight',
    ];
    expect([...heads].sort()).toEqual([...expected, ...(geometry === 'official' ? ['out_flow.weight'] : [])].sort());
    for (const keys of [heads, linearWeights(sd)]) {
      const w = scaled(sd, keys);
      expect(std(w)).toBeCloseTo(TORCH_DEFAULT_STD, 1);
      expect(maxAbs(w)).toBeLessThanOrEqual(1);
      expect(maxAbs(w)).toBeGreaterThan(0.99);
      const b = scaledBiases(sd, keys);
      expect(maxAbs(b)).toBeLessThanOrEqual(1);
    }
    // Each head on its own, not only pooled (the smallest, res_conv.3, has 8 weights: bound only).
    for (const k of heads) expect(maxAbs(scaled(sd, [k]))).toBeLessThanOrEqual(1);
  });
});
