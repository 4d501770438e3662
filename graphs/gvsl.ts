import { nn } from '../sdk';
import { add, clip, concat, mul, reduceMean, split } from '../sdk/ops';
import type { Tensor } from '../sdk/tensor';
import { mseLoss, nccLoss, smoothLoss } from './losses';
import { DoubleConv, OFFICIAL_WIDTHS, UNetBase, type Widths } from './unet';
import { affineMatrix, affineWarpOfficial, flowWarpOfficial } from './warp';

export interface GvslOutputs {
  /** Restored A (N, 1, D, H, W): the restoration head on A's local features. */
  res: Tensor;
  /** B warped to A: affine, then deformable (N, 1, D, H, W). */
  warp: Tensor;
  /** Affine matrix (N, 3, 4). */
  aff: Tensor;
  /** Deformable flow in voxels (N, 3, D, H, W), channels (D, H, W). */
  flow: Tensor;
}

/**
 * GVSL (CVPR 2023): a shared U-Net on both volumes, a Z-matching head (affine head on the global features,
 * deformable head on the affine-warped local features) and a restoration head. Same module tree and
 * state_dict keys as the official PyTorch model; head widths follow c4 and c8
 * (f_conv: 2·c4 → c4/2, fc_*: c4/2 → 3|3|3|6, sp_conv: 2·c8 → c8/2, res_conv: c8 → c8/2 → 1, out_flow: c8/2 → 3).
 */
export class GVSL extends nn.Module {
  readonly unet: UNetBase;
  readonly f_conv: DoubleConv;
  readonly sp_conv: DoubleConv;
  readonly res_conv: nn.Sequential;
  readonly out_flow: nn.Conv3d;
  readonly fc_rot: nn.Linear;
  readonly fc_scl: nn.Linear;
  readonly fc_trans: nn.Linear;
  readonly fc_shear: nn.Linear;

  constructor(readonly inChannels = 1, readonly chan: Widths = OFFICIAL_WIDTHS) {
    super();
    const gw = chan[4];
    const lw = chan[8];
    // The official initialisation: kaiming-normal convolution weights (GroupNorm weights one, biases zero).
    const kn = nn.init.kaimingNormal();
    this.unet = this.addModule('unet', new UNetBase(inChannels, chan, kn));
    this.f_conv = this.addModule('f_conv', new DoubleConv(2 * gw, gw / 2, kn));
    this.sp_conv = this.addModule('sp_conv', new DoubleConv(2 * lw, lw / 2, kn));
    this.res_conv = this.addModule('res_conv', new nn.Sequential(
      new nn.Conv3d(lw, lw / 2, 3, { padding: 1, weightInit: kn }),
      new nn.GroupNorm(lw / 8, lw / 2),
      new nn.LeakyReLU(0.2),
      new nn.Conv3d(lw / 2, inChannels, 1, { weightInit: kn }),
    ));
    this.out_flow = this.addModule('out_flow', new nn.Conv3d(lw / 2, 3, 3, { padding: 1, weightInit: kn }));
    this.fc_rot = this.addModule('fc_rot', new nn.Linear(gw / 2, 3));
    this.fc_scl = this.addModule('fc_scl', new nn.Linear(gw / 2, 3));
    this.fc_trans = this.addModule('fc_trans', new nn.Linear(gw / 2, 3));
    this.fc_shear = this.addModule('fc_shear', new nn.Linear(gw / 2, 6));
  }

  /** The affine head: global features of B (moving) and A (fixed) → (N, 3, 4). */
  affine(m: Tensor, f: Tensor): Tensor {
    const x = reduceMean(this.f_conv.call(concat([m, f], 1)), [2, 3, 4]);
    const unit = (t: Tensor) => clip(t, { min: -1, max: 1 });
    const rot = mul(unit(this.fc_rot.call(x)), Math.PI / 9);
    const scl = add(mul(unit(this.fc_scl.call(x)), 0.25), 1);
    const trans = this.fc_trans.call(x);
    const shear = mul(unit(this.fc_shear.call(x)), Math.PI / 18);
    return affineMatrix(rot, scl, trans, shear);
  }

  /** forward(A, B): B is registered to A; A (usually appearance-damaged) is also restored. */
  forward(A: Tensor, B: Tensor): GvslOutputs {
    const n = A.shape[0];
    // Both volumes through the shared U-Net in one batch (GroupNorm is per sample, so this is exact).
    const { global, local } = this.unet.call(concat([A, B], 0));
    const [gA, gB] = split(global, { axis: 0, sizes: [n, n] });
    const [lA, lB] = split(local, { axis: 0, sizes: [n, n] });
    const aff = this.affine(gB, gA);
    const flow = this.out_flow.call(this.sp_conv.call(concat([affineWarpOfficial(lB, aff), lA], 1)));
    const warp = flowWarpOfficial(affineWarpOfficial(B, aff), flow);
    const res = this.res_conv.call(lA);
    return { res, warp, aff, flow };
  }
}

export interface LossWeights {
  ncc?: number;
  mse?: number;
  smooth?: number;
}

/**
 * The GVSL objective: model(damaged A, B); loss = w_ncc·NCC(warp, A) + w_mse·MSE(res, A) + w_smooth·smooth(flow).
 */
export function gvslLosses(model: GVSL, imgAug: Tensor, img: Tensor, img2: Tensor, w: LossWeights = {}) {
  const out = model.call(imgAug, img2);
  const ncc = nccLoss(out.warp, img);
  const mse = mseLoss(img, out.res);
  const smooth = smoothLoss(out.flow);
  const loss = add(add(mul(ncc, w.ncc ?? 1), mul(mse, w.mse ?? 1)), mul(smooth, w.smooth ?? 1));
  return { loss, ncc, mse, smooth, ...out };
}
