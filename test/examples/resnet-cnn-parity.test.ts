/** examples/resnet-cnn.ts against PyTorch 1.13 (see parity.ts; fixture by scripts/make-example-parity.py). */
import { TinyResNet } from '../../examples/resnet-cnn';
import { F, nn } from '../../sdk';
import { parityTests } from './parity';

parityTests({
  name: 'resnet-cnn',
  model: () => new TinyResNet(4, 3),
  loss: (logits, y) => F.crossEntropy(logits, y),
  optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  lr: 0.05,
});

test("initialisation is torchvision's ResNet's: conv weights N(0, √(2/fan_out)), BatchNorm 1 and 0, fc PyTorch's default", () => {
  const model = new TinyResNet(16, 3);
  const sd = model.initStateDict(3);
  const convs = [...sd.keys()].filter((k) => sd.get(k)!.shape.length === 4);
  expect(convs.length).toBe(6);
  // Each weight scaled by √fan_out, pooled: std √2 (relu's gain); PyTorch's default would give U(±√(fan_out/fan_in)).
  const scaled = convs.flatMap((k) => {
    const w = sd.get(k)!;
    return Array.from(w.data as Float32Array, (v) => v * Math.sqrt(nn.init.fanOut(w.shape)));
  });
  expect(Math.sqrt(scaled.reduce((a, v) => a + v * v, 0) / scaled.length)).toBeCloseTo(Math.SQRT2, 1);
  for (const [k, v] of sd) {
    if (/bn\d\.weight$|downsample\.1\.weight$/.test(k))
      expect(Array.from(v.data as Float32Array).every((x) => x === 1)).toBe(true);
    if (/bn\d\.bias$|downsample\.1\.bias$/.test(k))
      expect(Array.from(v.data as Float32Array).every((x) => x === 0)).toBe(true);
  }
  const fc = Array.from(sd.get('fc.weight')!.data as Float32Array);
  expect(Math.max(...fc.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(32));
});
