/**
 * A 3-D residual segmentation network (a stem, residual blocks of Conv3d + BatchNorm3d + ReLU, a 1×1×1 head)
 * trained with the public API on a toy task: find the bright ball in a noisy volume. Loss: voxel-wise
 * cross-entropy + soft Dice on the softmax (F.crossEntropy, F.diceLoss); AdamW with linear warm-up + cosine.
 *
 *   npm run build && node dist/examples/seg3d-residual.js [--steps 60] [--out DIR]
 */
import { buildTraining, schedules } from '../runtime/engine';
import { F, nn, ops, type Tensor } from '../sdk';
import { arg, type Batch, type ExampleResult, trainAndExport } from './harness';

/** conv-bn-relu-conv-bn plus the input, then ReLU (a 3-D BasicBlock at constant width). */
export class ResBlock3d extends nn.Module {
  readonly conv1: nn.Conv3d;
  readonly bn1: nn.BatchNorm3d;
  readonly conv2: nn.Conv3d;
  readonly bn2: nn.BatchNorm3d;
  constructor(ch: number) {
    super();
    this.conv1 = this.addModule('conv1', new nn.Conv3d(ch, ch, 3, { padding: 1, bias: false }));
    this.bn1 = this.addModule('bn1', new nn.BatchNorm3d(ch));
    this.conv2 = this.addModule('conv2', new nn.Conv3d(ch, ch, 3, { padding: 1, bias: false }));
    this.bn2 = this.addModule('bn2', new nn.BatchNorm3d(ch));
  }
  forward(x: Tensor): Tensor {
    const h = this.bn2.call(this.conv2.call(F.relu(this.bn1.call(this.conv1.call(x)))));
    return F.relu(ops.add(h, x));
  }
}

/** (N, 1, D, H, W) → class logits (N, classes, D, H, W). */
export class ResSegNet3d extends nn.Module {
  readonly stem: nn.Sequential;
  readonly blocks: nn.Sequential;
  readonly head: nn.Conv3d;
  constructor(width = 8, classes = 2, depth = 2) {
    super();
    this.stem = this.addModule(
      'stem',
      new nn.Sequential(new nn.Conv3d(1, width, 3, { padding: 1, bias: false }), new nn.BatchNorm3d(width)),
    );
    this.blocks = this.addModule(
      'blocks',
      new nn.Sequential(...Array.from({ length: depth }, () => new ResBlock3d(width))),
    );
    this.head = this.addModule('head', new nn.Conv3d(width, classes, 1));
  }
  forward(x: Tensor): Tensor {
    return this.head.call(this.blocks.call(F.relu(this.stem.call(x))));
  }
}

/** The training loss: voxel-wise cross-entropy + soft Dice on the softmax, both terms also reported. */
export function segLoss(logits: Tensor, y: Tensor): { loss: Tensor; metrics: { ce: Tensor; dice: Tensor } } {
  const ce = F.crossEntropy(logits, y);
  const dice = F.diceLoss(F.softmax(logits, 1), y);
  return { loss: ops.add(ce, dice), metrics: { ce, dice } };
}

/** `n` volumes of `size`³: a ball of random centre and radius, brighter than the noisy background; its mask. */
export function balls(n: number, size: number, rng: nn.Rng): Batch {
  const v = size ** 3;
  const x = new Float32Array(n * v);
  const y = new BigInt64Array(n * v);
  for (let i = 0; i < n; i++) {
    const c = [0, 1, 2].map(() => rng.uniform(size * 0.3, size * 0.7));
    const r = rng.uniform(size * 0.15, size * 0.3);
    for (let z = 0; z < size; z++)
      for (let q = 0; q < size; q++)
        for (let p = 0; p < size; p++) {
          const inside = (z - c[0]) ** 2 + (q - c[1]) ** 2 + (p - c[2]) ** 2 <= r * r;
          const k = i * v + (z * size + q) * size + p;
          x[k] = (inside ? 1 : 0) + 0.4 * rng.normal();
          y[k] = inside ? 1n : 0n;
        }
  }
  return {
    x: { dtype: 'float32', shape: [n, 1, size, size, size], data: x },
    y: { dtype: 'int64', shape: [n, size, size, size], data: y },
  };
}

export async function runSeg3dExample(
  o: { steps?: number; batch?: number; size?: number; width?: number; out?: string; log?: (l: string) => void } = {},
): Promise<ExampleResult> {
  const { steps = 60, batch = 2, size = 16, width = 8 } = o;
  const model = new ResSegNet3d(width, 2);
  const program = buildTraining({
    model,
    inputs: {
      x: { dtype: 'float32', shape: [batch, 1, size, size, size] },
      y: { dtype: 'int64', shape: [batch, size, size, size] },
    },
    loss: ({ x, y }) => {
      const logits = model.call(x);
      return { ...segLoss(logits, y), outputs: { logits } };
    },
    optimizer: { kind: 'adamw', weightDecay: 1e-4 },
  });
  const rng = new nn.Rng(1);
  return trainAndExport({
    name: 'seg3d-residual',
    model,
    program,
    steps,
    out: o.out,
    log: o.log,
    lr: schedules.warmup(Math.max(1, Math.round(steps / 10)), schedules.cosine(0.01, steps)),
    batch: () => balls(batch, size, rng),
    evalBatch: balls(batch, size, new nn.Rng(99)),
    input: { name: 'x', dtype: 'float32', shape: [batch, 1, size, size, size] },
    output: 'logits',
  });
}

if (require.main === module) {
  runSeg3dExample({ steps: Number(arg('steps') ?? 60), out: arg('out'), log: (l) => console.log(l) }).catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
