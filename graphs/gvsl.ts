import { nn } from '../sdk';
import { add, clip, concat, mul, reduceMean, split } from '../sdk/ops';
import type { Tensor } from '../sdk/tensor';
import { mseLoss, smoothLoss } from './losses';
import { DEFAULT_SIMILARITY, similarityLoss, type SimilaritySpec } from './similarity';
import { DoubleConv, OFFICIAL_WIDTHS, parseWidths, UNetBase, type Widths } from './unet';
import { affineMatrix, affineWarp, affineWarpOfficial, composedWarp, flowWarpOfficial } from './warp';

/**
 * The spatial conventions of the Z-matching head.
 * - `exact` (default): a zero flow and the identity matrix are exact identities. ONE axis order, (D, H, W) =
 *   (z, y, x), for the matrix rows and columns, the translation and the flow channels. The matrix [M | t]
 *   acts on voxel offsets from the volume centre (S − 1)/2 and t is in voxels along the axis its row names,
 *   the data pipeline's spatial-augmentation convention (runtime/data/augment/spatial.ts). The affine and
 *   the deformable displacements are composed into one field and B is sampled once, at A(p + flow(p)).
 *   `out_flow` starts at zero (weights and bias), so an untrained model's deformable part is the identity.
 * - `official`: the official PyTorch code's semantics exactly (for its fixtures and pre-trained weights):
 *   matrix rows on (x, y, z) = (W, H, D) in grid_sample's normalised coordinates with the translation divided
 *   by the size (t voxels move t/2; rows divided by the sizes in (D, H, W) order), two resamplings (affine,
 *   then flow), a flow normalisation that zooms by S/(S − 1) and shifts by −½ (a zero flow is not the
 *   identity), `out_flow` at PyTorch's default initialisation. See docs/geometry.md.
 */
export type Geometry = 'exact' | 'official';
export const GEOMETRIES: readonly Geometry[] = ['exact', 'official'];

/** The geometry of a stored run config (configs written before the field existed are `exact`). */
export function configGeometry(cfg: { geometry?: Geometry }): Geometry {
  return cfg.geometry ?? 'exact';
}

export interface GvslOptions {
  /** Spatial conventions of the warps and the affine matrix (default `exact`). */
  geometry?: Geometry;
}

export interface GvslOutputs {
  /** Restored A (N, 1, D, H, W): the restoration head on A's local features. */
  res: Tensor;
  /** B warped to A (N, 1, D, H, W): exact, B sampled once at A(p + flow(p)); official, affine then deformable. */
  warp: Tensor;
  /**
   * Affine matrix (N, 3, 4). Exact: rows and columns (D, H, W), about the volume centre, t in voxels.
   * Official: rows on (x, y, z) = (W, H, D) in normalised coordinates, as the official code.
   */
  aff: Tensor;
  /** Deformable flow in voxels (N, 3, D, H, W), channels (D, H, W); exact: in the affinely aligned space. */
  flow: Tensor;
}

/**
 * GVSL (CVPR 2023): a shared U-Net on both volumes, a Z-matching head (affine head on the global features,
 * deformable head on the affine-warped local features) and a restoration head. Same module tree and
 * state_dict keys as the official PyTorch model; head widths follow c4 and c8
 * (f_conv: 2·c4 → c4/2, fc_*: c4/2 → 3|3|3|6, sp_conv: 2·c8 → c8/2, res_conv: c8 → c8/2 → 1, out_flow: c8/2 → 3).
 * `opts.geometry` picks the spatial conventions (see Geometry; default `exact`).
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
  readonly geometry: Geometry;

  constructor(
    readonly inChannels = 1,
    readonly chan: Widths = OFFICIAL_WIDTHS,
    opts: GvslOptions = {},
  ) {
    super();
    this.geometry = opts.geometry ?? 'exact';
    if (!GEOMETRIES.includes(this.geometry)) {
      throw new Error(`GVSL: geometry must be one of ${GEOMETRIES.join(', ')}, got '${String(this.geometry)}'`);
    }
    parseWidths(chan); // a bad width fails here, by name, rather than deep inside a GroupNorm reshape
    const gw = chan[4];
    const lw = chan[8];
    // The official initialisation (UNet_base.__init_weight): kaiming-normal weights for the U-Net's convolutions
    // only (their biases, and GroupNorm's unit weights and zero biases, stay PyTorch's defaults). The heads are
    // left at PyTorch's default initialisation, as in the official GVSL class.
    this.unet = this.addModule('unet', new UNetBase(inChannels, chan, nn.init.kaimingNormal()));
    this.f_conv = this.addModule('f_conv', new DoubleConv(2 * gw, gw / 2));
    this.sp_conv = this.addModule('sp_conv', new DoubleConv(2 * lw, lw / 2));
    this.res_conv = this.addModule(
      'res_conv',
      new nn.Sequential(
        new nn.Conv3d(lw, lw / 2, 3, { padding: 1 }),
        new nn.GroupNorm(lw / 8, lw / 2),
        new nn.LeakyReLU(0.2),
        new nn.Conv3d(lw / 2, inChannels, 1),
      ),
    );
    // Exact: a zero flow at initialisation, so training starts from the (exact) identity deformation.
    const flowInit = this.geometry === 'exact' ? { weightInit: nn.init.zeros, biasInit: nn.init.zeros } : {};
    this.out_flow = this.addModule('out_flow', new nn.Conv3d(lw / 2, 3, 3, { padding: 1, ...flowInit }));
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
    return affineMatrix(rot, scl, trans, shear, this.geometry === 'exact' ? 'dhw' : 'xyz');
  }

  /** `x` (N, C, D, H, W) under the affine matrix alone: the moving features given to the deformable head. */
  warpFeatures(x: Tensor, aff: Tensor): Tensor {
    return this.geometry === 'exact' ? affineWarp(x, aff) : affineWarpOfficial(x, aff);
  }

  /** The moving image under the affine matrix and the flow: exact, one sampling of the composed field. */
  warpMoving(B: Tensor, aff: Tensor, flow: Tensor): Tensor {
    return this.geometry === 'exact' ? composedWarp(B, aff, flow) : flowWarpOfficial(affineWarpOfficial(B, aff), flow);
  }

  /** forward(A, B): B is registered to A; A (usually appearance-damaged) is also restored. */
  forward(A: Tensor, B: Tensor): GvslOutputs {
    const n = A.shape[0];
    // Both volumes through the shared U-Net in one batch (GroupNorm is per sample, so this is exact).
    const { global, local } = this.unet.call(concat([A, B], 0));
    const [gA, gB] = split(global, { axis: 0, sizes: [n, n] });
    const [lA, lB] = split(local, { axis: 0, sizes: [n, n] });
    const aff = this.affine(gB, gA);
    const flow = this.out_flow.call(this.sp_conv.call(concat([this.warpFeatures(lB, aff), lA], 1)));
    const warp = this.warpMoving(B, aff, flow);
    const res = this.res_conv.call(lA);
    return { res, warp, aff, flow };
  }
}

export interface LossWeights {
  /** Weight of the registration similarity term (named for the default NCC; it weights any `similarity`). */
  ncc?: number;
  mse?: number;
  smooth?: number;
}

/**
 * The GVSL objective: model(damaged A, B); loss = w_ncc·sim(warp, A) + w_mse·MSE(res, A) + w_smooth·smooth(flow),
 * sim the registration similarity loss (graphs/similarity; default the official local NCC, window 9).
 */
export function gvslLosses(
  model: GVSL,
  imgAug: Tensor,
  img: Tensor,
  img2: Tensor,
  w: LossWeights = {},
  similarity: SimilaritySpec = DEFAULT_SIMILARITY,
) {
  const out = model.call(imgAug, img2);
  const sim = similarityLoss(similarity, out.warp, img);
  const mse = mseLoss(img, out.res);
  const smooth = smoothLoss(out.flow);
  const loss = add(add(mul(sim, w.ncc ?? 1), mul(mse, w.mse ?? 1)), mul(smooth, w.smooth ?? 1));
  return { loss, sim, mse, smooth, ...out };
}
