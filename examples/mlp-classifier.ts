/**
 * An MLP classifier trained end to end with the public API: the model defined with `nn` modules, its training
 * step built by `buildTraining` (AdamW, linear warm-up + cosine schedule, gradient clipping), trained with a
 * `Trainer`, evaluated with the eval graph, checkpointed, and its inference graph exported to ONNX and run.
 * The task: three Gaussian blobs in the plane, one class each.
 *
 *   npm run build && node dist/examples/mlp-classifier.js [--steps 300] [--out DIR]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAtTwoBatchSizes } from './harness';
import { buildTraining, schedules, Trainer } from '../runtime/engine';
import { F, Graph, nn, ops, saveModel, type Tensor } from '../sdk';
import type { NamedArray } from '../sdk/state';

/** Linear → ReLU → Linear → ReLU → Linear; state_dict keys as PyTorch's `nn.Sequential` of the same layers. */
export class MLP extends nn.Module {
  readonly layers: nn.Linear[];
  constructor(inFeatures: number, hidden: number, classes: number) {
    super();
    // Keys '0', '2', '4' as torch.nn.Sequential(Linear, ReLU, Linear, ReLU, Linear) names them.
    this.layers = [
      this.addModule('0', new nn.Linear(inFeatures, hidden)),
      this.addModule('2', new nn.Linear(hidden, hidden)),
      this.addModule('4', new nn.Linear(hidden, classes)),
    ];
  }
  /** x (N, in) → logits (N, classes). */
  forward(x: Tensor): Tensor {
    const [a, b, c] = this.layers;
    return c.call(ops.relu(b.call(ops.relu(a.call(x)))));
  }
}

/** Fraction of rows whose largest logit is the label. */
function accuracy(logits: Tensor, labels: Tensor): Tensor {
  const hit = ops.cast(ops.equal(ops.argMax(logits, { axis: 1 }), labels), 'float32');
  return ops.reduceMean(hit, [0]);
}

/** `n` points of three Gaussian blobs (centres on a circle of radius 2, σ 0.6) and their classes. */
export function blobs(n: number, rng: nn.Rng): { x: NamedArray; y: NamedArray } {
  const x = new Float32Array(n * 2);
  const y = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(0, 3);
    const a = (2 * Math.PI * c) / 3;
    x[2 * i] = 2 * Math.cos(a) + 0.6 * rng.normal();
    x[2 * i + 1] = 2 * Math.sin(a) + 0.6 * rng.normal();
    y[i] = BigInt(c);
  }
  return { x: { dtype: 'float32', shape: [n, 2], data: x }, y: { dtype: 'int64', shape: [n], data: y } };
}

export interface MlpExampleOptions {
  steps?: number;
  hidden?: number;
  batch?: number;
  /** Folder for the checkpoint and mlp.onnx (default: a new temporary folder). */
  out?: string;
  log?: (line: string) => void;
}

export interface MlpExampleResult {
  losses: number[];
  evalLoss: number;
  evalAccuracy: number;
  /** The exported inference graph (weights inside). */
  onnxFile: string;
  checkpoint: string;
  /** Logits of the eval set from `Trainer.evaluate` and from ONNX Runtime running `onnxFile`. */
  evalLogits: Float32Array;
  exportedLogits: Float32Array;
  /** The same file run on the first eval sample alone (batch 1). */
  exportedFirstLogits: Float32Array;
}

/** Trains, evaluates, checkpoints and exports the MLP classifier. */
export async function runMlpExample(o: MlpExampleOptions = {}): Promise<MlpExampleResult> {
  const { steps = 300, hidden = 32, batch = 64 } = o;
  const log = o.log ?? (() => {});
  const out = o.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-example-'));
  fs.mkdirSync(out, { recursive: true });

  const model = new MLP(2, hidden, 3);
  const program = buildTraining({
    model,
    inputs: { x: { dtype: 'float32', shape: [batch, 2] }, y: { dtype: 'int64', shape: [batch] } },
    loss: ({ x, y }) => {
      const logits = model.call(x);
      return { loss: F.crossEntropy(logits, y), metrics: { accuracy: accuracy(logits, y) }, outputs: { logits } };
    },
    optimizer: { kind: 'adamw', weightDecay: 0.01 },
    clipGradNorm: 1.0,
  });
  const lr = schedules.warmup(Math.max(1, Math.round(steps / 20)), schedules.cosine(0.01, steps));
  const trainer = await Trainer.create(program, { weights: model.initStateDict(0), lr });
  try {
    const rng = new nn.Rng(1);
    const losses: number[] = [];
    for (let s = 1; s <= steps; s++) {
      const m = await trainer.step(blobs(batch, rng));
      losses.push(m.loss);
      if (s % Math.max(1, Math.round(steps / 10)) === 0 || s === 1)
        log(
          `step ${s}: loss ${m.loss.toFixed(4)}, batch accuracy ${m.accuracy.toFixed(3)}, lr ${trainer.lr.toExponential(2)}`,
        );
    }
    const evalSet = blobs(batch, new nn.Rng(99));
    const ev = await trainer.evaluate(evalSet);
    log(`eval: loss ${ev.metrics.loss.toFixed(4)}, accuracy ${ev.metrics.accuracy.toFixed(3)}`);
    const checkpoint = await trainer.save(path.join(out, 'checkpoint.safetensors'));

    // The inference graph: the model alone, weights inside, any batch size (symbolic batch N).
    const g = new Graph('mlp');
    g.output('logits', model.call(g.input('x', 'float32', ['N', 2])));
    const onnxFile = path.join(out, 'mlp.onnx');
    saveModel(g, onnxFile, { weights: await trainer.stateDict() });
    const [r, r1] = await runAtTwoBatchSizes(onnxFile, { x: evalSet.x });
    log(`wrote ${checkpoint} and ${onnxFile} (symbolic batch N)`);
    return {
      losses,
      evalLoss: ev.metrics.loss,
      evalAccuracy: ev.metrics.accuracy,
      onnxFile,
      checkpoint,
      evalLogits: ev.outputs.logits.data as Float32Array,
      exportedLogits: r.logits.data as Float32Array,
      exportedFirstLogits: r1.logits.data as Float32Array,
    };
  } finally {
    await trainer.release();
  }
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  runMlpExample({ steps: Number(arg('steps') ?? 300), out: arg('out'), log: (l) => console.log(l) }).catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
