/**
 * examples/transformer-encoder.ts against PyTorch 1.13 (see parity.ts; fixture by scripts/make-example-parity.py),
 * with dropout 0: Dropout's masks come from a different generator than PyTorch's (test/sdk checks Dropout itself).
 */
import { EncoderClassifier } from '../../examples/transformer-encoder';
import { F } from '../../sdk';
import { parityTests } from './parity';

parityTests({
  name: 'transformer-encoder',
  model: () => new EncoderClassifier(6, 8, 2, 2, 3, 0),
  loss: (logits, y) => F.crossEntropy(logits, y),
  optimizer: { kind: 'adamw', weightDecay: 0.01 },
  lr: 0.01,
  clipGradNorm: 1.0,
});
