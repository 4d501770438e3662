/**
 * The small 3-D conv net of the example (and of test/convnet.test.ts): input (B, 1, D, H, W) with D, H, W even,
 * output (B, 1, D, H, W). Conv3d(1→8, k3 p1) → GroupNorm(2, 8) → LeakyReLU(0.2) → MaxPool3d(2) →
 * Upsample(×2, trilinear, align_corners=True) → Conv3d(8→1, k3 p1).
 */
import { nn, type Tensor } from '../sdk';

export class SmallNet extends nn.Module {
  readonly conv1 = this.addModule('conv1', new nn.Conv3d(1, 8, 3, { padding: 1 }));
  readonly norm = this.addModule('norm', new nn.GroupNorm(2, 8));
  readonly act = this.addModule('act', new nn.LeakyReLU(0.2));
  readonly pool = this.addModule('pool', new nn.MaxPool3d(2));
  readonly up = this.addModule('up', new nn.Upsample(2, 'trilinear', true));
  readonly conv2 = this.addModule('conv2', new nn.Conv3d(8, 1, 3, { padding: 1 }));

  forward(x: Tensor): Tensor {
    const h = this.pool.call(this.act.call(this.norm.call(this.conv1.call(x))));
    return this.conv2.call(this.up.call(h));
  }
}
