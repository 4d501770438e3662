/** examples/resnet-cnn.ts against PyTorch 1.13 (see parity.ts; fixture by scripts/make-example-parity.py). */
import { TinyResNet } from '../../examples/resnet-cnn';
import { F } from '../../sdk';
import { parityTests } from './parity';

parityTests({
  name: 'resnet-cnn',
  model: () => new TinyResNet(4, 3),
  loss: (logits, y) => F.crossEntropy(logits, y),
  optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  lr: 0.05,
});
