import { dropout, dropout1d, dropout2d, dropout3d } from '../functional/dropout';
import type { Tensor } from '../tensor';
import { Module } from './module';

/**
 * torch.nn.Dropout(p=0.5): in train mode each element is zeroed with probability p (the rest scaled by
 * 1/(1−p)), from the graph's `dropout_seed` input and this module's path (docs/nn.md); identity in eval mode.
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: dropout probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}

/** torch.nn.Dropout1d(p=0.5): whole channels of (N, C, L). */
export class Dropout1d extends Dropout {
  override forward(x: Tensor): Tensor {
    return dropout1d(x, this.p, this.training);
  }
}

/** torch.nn.Dropout2d(p=0.5): whole channels of (N, C, H, W). */
export class Dropout2d extends Dropout {
  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training);
  }
}

/** torch.nn.Dropout3d(p=0.5): whole channels of (N, C, D, H, W). */
export class Dropout3d extends Dropout {
  override forward(x: Tensor): Tensor {
    return dropout3d(x, this.p, this.training);
  }
}
