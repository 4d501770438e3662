/** examples/seg3d-residual.ts against PyTorch 1.13 (see parity.ts; fixture by scripts/make-example-parity.py). */
import { ResSegNet3d, segLoss } from '../../examples/seg3d-residual';
import { parityTests } from './parity';

parityTests({
  name: 'seg3d-residual',
  model: () => new ResSegNet3d(4, 2, 2),
  loss: (logits, y) => segLoss(logits, y).loss,
  optimizer: { kind: 'adamw', weightDecay: 1e-4 },
  lr: 0.01,
});
