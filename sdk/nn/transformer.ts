import { gelu, relu } from '../functional/activation';
import { add } from '../ops';
import type { Tensor } from '../tensor';
import { MultiheadAttention } from './attention';
import { ModuleList } from './containers';
import { Dropout } from './dropout';
import { LayerNorm } from './layer-norm';
import { Linear } from './linear';
import { Module } from './module';
import type { Rng } from './rng';
import type { TypedArray } from '../dtype';

export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048, as PyTorch). */
  dimFeedforward?: number;
  /** Dropout probability (default 0.1) of `dropout`, `dropout1`, `dropout2` and the attention; train mode only. */
  dropout?: number;
  /** 'relu' (default), 'gelu', or a function of one tensor. */
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor);
  layerNormEps?: number;
  /** (N, L, E) instead of (L, N, E). */
  batchFirst?: boolean;
  /** Pre-norm: x + sa(norm1(x)), x + ff(norm2(x)); default false (post-norm). */
  normFirst?: boolean;
  /** Biases of the Linear, LayerNorm and attention layers (default true; PyTorch ≥ 2.1's argument). */
  bias?: boolean;
}

export interface EncoderCallOptions {
  /** The attention mask, (L, L) or (N·nhead, L, L); see MultiheadAttention. */
  srcMask?: Tensor | null;
  /** (N, L): true = padding. */
  srcKeyPaddingMask?: Tensor | null;
}

/**
 * torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu,
 * layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True). Children, in PyTorch's order and
 * with its state_dict keys: `self_attn`, `linear1`, `dropout`, `linear2`, `norm1`, `norm2`, `dropout1`, `dropout2`.
 */
export class TransformerEncoderLayer extends Module {
  readonly self_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;
  private readonly act: (x: Tensor) => Tensor;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    readonly options: TransformerEncoderLayerOptions = {},
  ) {
    super();
    const {
      dimFeedforward = 2048,
      dropout = 0.1,
      activation = 'relu',
      layerNormEps = 1e-5,
      batchFirst = false,
      normFirst = false,
      bias = true,
    } = options;
    this.self_attn = this.addModule('self_attn', new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst }));
    this.linear1 = this.addModule('linear1', new Linear(dModel, dimFeedforward, bias));
    this.dropout = this.addModule('dropout', new Dropout(dropout));
    this.linear2 = this.addModule('linear2', new Linear(dimFeedforward, dModel, bias));
    this.norm1 = this.addModule('norm1', new LayerNorm(dModel, layerNormEps, true, bias));
    this.norm2 = this.addModule('norm2', new LayerNorm(dModel, layerNormEps, true, bias));
    this.dropout1 = this.addModule('dropout1', new Dropout(dropout));
    this.dropout2 = this.addModule('dropout2', new Dropout(dropout));
    this.normFirst = normFirst;
    if (activation === 'relu') this.act = relu;
    else if (activation === 'gelu') this.act = (x) => gelu(x);
    else if (typeof activation === 'function') this.act = activation;
    else
      throw new Error(
        `TransformerEncoderLayer: activation must be 'relu', 'gelu' or a function, got '${activation as string}'`,
      );
  }

  /** src (L, N, E) or (N, L, E) with batch_first → the same shape. Dropout in train mode only (`eval()` to infer). */
  forward(src: Tensor, { srcMask = null, srcKeyPaddingMask = null }: EncoderCallOptions = {}): Tensor {
    const sa = (x: Tensor) =>
      this.dropout1.call(
        this.self_attn.call(x, x, x, { attnMask: srcMask, keyPaddingMask: srcKeyPaddingMask, needWeights: false })[0],
      );
    const ff = (x: Tensor) => this.dropout2.call(this.linear2.call(this.dropout.call(this.act(this.linear1.call(x)))));
    if (this.normFirst) {
      const x = add(src, sa(this.norm1.call(src)));
      return add(x, ff(this.norm2.call(x)));
    }
    const x = this.norm1.call(add(src, sa(src)));
    return this.norm2.call(add(x, ff(x)));
  }
}

/**
 * torch.nn.TransformerEncoder(encoder_layer, num_layers, norm=None): `num_layers` copies of the layer
 * (`layers.0.self_attn.in_proj_weight`, …) then the optional `norm`. The copies are built with the layer's
 * own constructor arguments (it must be a TransformerEncoderLayer that no other module owns; it becomes layer 0).
 * As PyTorch's deep copies, every copy starts with the values layer 0 draws in the same `initStateDict` (a later
 * `setInit` on layer 0 unties them: the copies then draw on their own).
 */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly norm: Module | null;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    readonly numLayers: number,
    norm: Module | null = null,
  ) {
    super();
    if (!(Number.isInteger(numLayers) && numLayers >= 1))
      throw new Error(`TransformerEncoder: num_layers must be a positive integer, got ${numLayers}`);
    const { dModel, nhead, options } = encoderLayer;
    const items = [
      encoderLayer,
      ...Array.from({ length: numLayers - 1 }, () =>
        new TransformerEncoderLayer(dModel, nhead, options).train(encoderLayer.training),
      ),
    ];
    this.layers = this.addModule('layers', new ModuleList(items));
    tieInit(items[0], items.slice(1));
    this.norm = norm ? this.addModule('norm', norm) : null;
  }

  forward(src: Tensor, opts: EncoderCallOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.call(x, opts);
    return this.norm ? this.norm.call(x) : x;
  }
}

/**
 * Makes each copy's parameters initialise to `first`'s values. `first` comes first in state_dict order, so within one
 * `initStateDict` (one Rng) it draws before its copies; each copy reads that draw (keyed by the Rng) instead of
 * drawing, and draws on its own only without one.
 */
function tieInit(first: Module, copies: Module[]): void {
  const specs = [...first.namedParameters()].map(([, spec]) => spec);
  const copySpecs = copies.map((c) => [...c.namedParameters()].map(([, spec]) => spec));
  specs.forEach((spec, i) => {
    const own = spec.init;
    const drawn = new WeakMap<Rng, TypedArray>();
    spec.init = (rng, shape) => {
      const v = own(rng, shape);
      drawn.set(rng, v);
      return v;
    };
    for (const cs of copySpecs) cs[i].init = (rng, shape) => drawn.get(rng)?.slice() ?? own(rng, shape);
  });
}
