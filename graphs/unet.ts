import { nn } from '../sdk';
import { ParameterError } from '../sdk/errors';
import { add, pad, slice } from '../sdk/ops';
import { recomputable } from '../sdk/remat';
import type { Tensor } from '../sdk/tensor';

/** Channel widths c0..c8 of the U-Net (encoder c0..c4, decoder c5..c8). */
export type Widths = readonly [number, number, number, number, number, number, number, number, number];

export const OFFICIAL_WIDTHS: Widths = [32, 64, 128, 256, 512, 256, 128, 64, 32];

/** Parses "32,64,…" (nine widths, each a multiple of 8 because GroupNorm uses width/8 groups). */
export function parseWidths(s: string | readonly number[]): Widths {
  const w = typeof s === 'string' ? s.split(',').map((v) => Number(v.trim())) : [...s];
  if (w.length !== 9 || w.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new ParameterError(
      'widths',
      `needs nine positive integers c0..c8 (e.g. ${OFFICIAL_WIDTHS.join(',')}), got '${s}'`,
    );
  }
  const bad = w.filter((v) => v % 8 !== 0);
  if (bad.length)
    throw new Error(`channel widths must be multiples of 8 (GroupNorm uses width/8 groups): ${bad.join(',')}`);
  if (w[8] % 16 !== 0 || w[4] % 16 !== 0) {
    throw new Error(
      `c4 and c8 must be multiples of 16 (the GVSL heads use c/2 channels with c/16 groups), got c4=${w[4]}, c8=${w[8]}`,
    );
  }
  return w as unknown as Widths;
}

/** (Conv3d k3 p1 → GroupNorm(out/8) → LeakyReLU(0.2)) × 2, as the official `DoubleConv`. */
export class DoubleConv extends nn.Module {
  readonly double_conv: nn.Sequential;
  constructor(cin: number, cout: number, weightInit?: nn.init.Initializer) {
    super();
    const conv = (i: number, o: number) => new nn.Conv3d(i, o, 3, { padding: 1, weightInit });
    this.double_conv = this.addModule(
      'double_conv',
      new nn.Sequential(
        conv(cin, cout),
        new nn.GroupNorm(cout / 8, cout),
        new nn.LeakyReLU(0.2),
        conv(cout, cout),
        new nn.GroupNorm(cout / 8, cout),
        new nn.LeakyReLU(0.2),
      ),
    );
  }
  /** `x` may be a list: the first Conv3d takes it as the channel concatenation (see Conv3d.forward). */
  forward(x: Tensor | readonly Tensor[]): Tensor {
    return this.double_conv.call(x);
  }
}

/** MaxPool3d(2) then DoubleConv. */
export class Down extends nn.Module {
  readonly maxpool_conv: nn.Sequential;
  constructor(cin: number, cout: number, weightInit?: nn.init.Initializer) {
    super();
    this.maxpool_conv = this.addModule(
      'maxpool_conv',
      new nn.Sequential(new nn.MaxPool3d(2), new DoubleConv(cin, cout, weightInit)),
    );
  }
  forward(x: Tensor): Tensor {
    return this.maxpool_conv.call(x);
  }
}

/**
 * Trilinear ×2 upsampling (align_corners=True), concat [skip, upsampled], DoubleConv. The concatenation is
 * never built: the first convolution sums one Conv per part (same maths; the training step then keeps the
 * upsampled tensor for the weight gradient instead of the whole concatenation).
 */
export class Up extends nn.Module {
  readonly up = new nn.Upsample(2, 'trilinear', true);
  readonly conv: DoubleConv;
  constructor(cin: number, cout: number, weightInit?: nn.init.Initializer) {
    super();
    this.conv = this.addModule('conv', new DoubleConv(cin, cout, weightInit));
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    // The upsampled tensor is rebuilt in the backward from the 8× smaller x1 rather than kept (sdk/remat.ts).
    const up = recomputable(this.up.forward(x1), [x1], ([t], zero) => this.up.forward(add(t, zero)));
    return this.conv.call([x2, up]);
  }
}

/**
 * The GVSL 3-D U-Net backbone (official `UNet_base`). Input (B, C, D, H, W) of any size: padded to a
 * multiple of 16 (diff//2 before, the rest after, per axis) and the decoder output cropped back.
 * Returns the bottleneck features (global, (B, c4, D'/16, H'/16, W'/16)) and the full-resolution decoder
 * features (local, (B, c8, D, H, W)).
 */
export class UNetBase extends nn.Module {
  readonly inc: DoubleConv;
  readonly down1: Down;
  readonly down2: Down;
  readonly down3: Down;
  readonly down4: Down;
  readonly up1: Up;
  readonly up2: Up;
  readonly up3: Up;
  readonly up4: Up;

  constructor(
    readonly inChannels = 1,
    readonly chan: Widths = OFFICIAL_WIDTHS,
    weightInit?: nn.init.Initializer,
  ) {
    super();
    const c = chan;
    this.inc = this.addModule('inc', new DoubleConv(inChannels, c[0], weightInit));
    this.down1 = this.addModule('down1', new Down(c[0], c[1], weightInit));
    this.down2 = this.addModule('down2', new Down(c[1], c[2], weightInit));
    this.down3 = this.addModule('down3', new Down(c[2], c[3], weightInit));
    this.down4 = this.addModule('down4', new Down(c[3], c[4], weightInit));
    this.up1 = this.addModule('up1', new Up(c[4] + c[3], c[5], weightInit));
    this.up2 = this.addModule('up2', new Up(c[5] + c[2], c[6], weightInit));
    this.up3 = this.addModule('up3', new Up(c[6] + c[1], c[7], weightInit));
    this.up4 = this.addModule('up4', new Up(c[7] + c[0], c[8], weightInit));
  }

  forward(x: Tensor): { global: Tensor; local: Tensor } {
    const sp = x.shape.slice(2);
    const diff = sp.map((s) => (16 - (s % 16)) % 16);
    const before = diff.map((d) => Math.floor(d / 2));
    const xp = pad(x, [0, 0, ...before, 0, 0, ...diff.map((d, i) => d - before[i])]);
    const x1 = this.inc.call(xp);
    const x2 = this.down1.call(x1);
    const x3 = this.down2.call(x2);
    const x4 = this.down3.call(x3);
    const x5 = this.down4.call(x4);
    let h = this.up1.call(x5, x4);
    h = this.up2.call(h, x3);
    h = this.up3.call(h, x2);
    h = this.up4.call(h, x1);
    const local = slice(h, { axes: [2, 3, 4], starts: before, ends: before.map((b, i) => b + sp[i]) });
    return { global: x5, local };
  }
}
