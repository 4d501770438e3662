/**
 * A pre-norm transformer encoder classifier (token + learned position embeddings, nn.TransformerEncoder with
 * norm_first and batch_first, mean pooling, Linear) trained with the public API on a toy sequence task: which of
 * the tokens 1, 2, 3 occurs most often. Dropout is on in training (its seed fed per step by the Trainer) and off
 * in the eval graph and the exported model. AdamW with linear warm-up + cosine and gradient clipping.
 *
 *   npm run build && node dist/examples/transformer-encoder.js [--steps 80] [--out DIR]
 */
import { buildTraining, schedules, type TrainingProgram } from '../runtime/engine';
import { F, nn, ops, type Tensor } from '../sdk';
import { arg, type Batch, type ExampleResult, trainAndExport } from './harness';

export const VOCAB = 4;

/** (N, L) int64 or int32 tokens → logits (N, classes). */
export class EncoderClassifier extends nn.Module {
  readonly tok: nn.Embedding;
  readonly pos: nn.Embedding;
  readonly encoder: nn.TransformerEncoder;
  readonly fc: nn.Linear;
  constructor(
    readonly seqLen: number,
    dModel = 16,
    nhead = 2,
    layers = 2,
    classes = 3,
    dropout = 0.1,
  ) {
    super();
    this.tok = this.addModule('tok', new nn.Embedding(VOCAB, dModel));
    this.pos = this.addModule('pos', new nn.Embedding(seqLen, dModel));
    const layer = new nn.TransformerEncoderLayer(dModel, nhead, {
      dimFeedforward: 2 * dModel,
      dropout,
      batchFirst: true,
      normFirst: true,
    });
    this.encoder = this.addModule('encoder', new nn.TransformerEncoder(layer, layers, new nn.LayerNorm(dModel)));
    this.fc = this.addModule('fc', new nn.Linear(dModel, classes));
  }
  forward(tokens: Tensor): Tensor {
    const g = tokens.graph;
    // Positions in the tokens' integer type: int32 tokens keep every index op on WebGPU (it reads no int64).
    const positions = g.constant(
      Array.from({ length: this.seqLen }, (_, i) => i),
      tokens.dtype,
      [this.seqLen],
    );
    const h = this.encoder.call(ops.add(this.tok.call(tokens), this.pos.call(positions)));
    return this.fc.call(ops.reduceMean(h, [1]));
  }
}

export type IndexDtype = 'int64' | 'int32';

/**
 * `n` sequences of `len` tokens from 1..3 with a unique most frequent token (the class, 0-based), as int64
 * (PyTorch's LongTensor, the default) or int32 (for WebGPU, which reads no int64).
 */
export function majority(n: number, len: number, rng: nn.Rng, dtype: IndexDtype = 'int64'): Batch {
  const x = new Int32Array(n * len);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (;;) {
      const counts = [0, 0, 0];
      for (let t = 0; t < len; t++) {
        const v = rng.int(1, 4);
        x[i * len + t] = v;
        counts[v - 1]++;
      }
      const top = Math.max(...counts);
      if (counts.filter((c) => c === top).length === 1) {
        y[i] = counts.indexOf(top);
        break;
      }
    }
  }
  const as = (a: Int32Array) => (dtype === 'int32' ? a : BigInt64Array.from(a, (v) => BigInt(v)));
  return { x: { dtype, shape: [n, len], data: as(x) }, y: { dtype, shape: [n], data: as(y) } };
}

/**
 * The example's training step: cross-entropy, AdamW with gradient-norm clipping at 1. Tokens and targets are
 * int64 by default; `int32` keeps the whole step on WebGPU (test/runtime/transformer-webgpu.test.ts).
 */
export function transformerProgram(
  model: EncoderClassifier,
  batch: number,
  len: number,
  index: IndexDtype = 'int64',
): TrainingProgram {
  return buildTraining({
    model,
    inputs: { x: { dtype: index, shape: [batch, len] }, y: { dtype: index, shape: [batch] } },
    loss: ({ x, y }) => {
      const logits = model.call(x);
      return { loss: F.crossEntropy(logits, y), outputs: { logits } };
    },
    optimizer: { kind: 'adamw', weightDecay: 0.01 },
    clipGradNorm: 1.0,
  });
}

export async function runTransformerExample(
  o: { steps?: number; batch?: number; len?: number; dModel?: number; out?: string; log?: (l: string) => void } = {},
): Promise<ExampleResult> {
  const { steps = 80, batch = 16, len = 9, dModel = 16 } = o;
  const model = new EncoderClassifier(len, dModel);
  const program = transformerProgram(model, batch, len);
  const rng = new nn.Rng(1);
  return trainAndExport({
    name: 'transformer-encoder',
    model,
    program,
    steps,
    out: o.out,
    log: o.log,
    lr: schedules.warmup(Math.max(1, Math.round(steps / 10)), schedules.cosine(1e-2, steps)),
    batch: () => majority(batch, len, rng),
    evalBatch: majority(batch, len, new nn.Rng(99)),
    input: { name: 'x', dtype: 'int64', shape: [batch, len] },
    output: 'logits',
  });
}

if (require.main === module) {
  runTransformerExample({ steps: Number(arg('steps') ?? 80), out: arg('out'), log: (l) => console.log(l) }).catch(
    (e) => {
      console.error((e as Error).message);
      process.exit(1);
    },
  );
}
