/**
 * A 2-D ResNet-style image classifier (torchvision's resnet layout at toy width: 7×7 stride-2 stem, BatchNorm,
 * 3/2/1 max-pool, BasicBlocks with a projection shortcut, adaptive average pool, Linear), trained with the public
 * API (SGD + Nesterov momentum, weight decay, step decay) on a toy task: horizontal, vertical or diagonal stripes
 * under noise. Its state_dict keys and initialisation are torchvision's (conv1, bn1, layer1.0.conv1,
 * layer2.0.downsample.0, fc).
 *
 *   npm run build && node dist/examples/resnet-cnn.js [--steps 60] [--out DIR]
 */
import { buildTraining, schedules, type TrainingProgram } from '../runtime/engine';
import { F, nn, ops, type Tensor } from '../sdk';
import { arg, type Batch, type ExampleResult, trainAndExport } from './harness';

/** torchvision.models.resnet.BasicBlock. */
export class BasicBlock extends nn.Module {
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | null;
  constructor(inplanes: number, planes: number, stride = 1) {
    super();
    this.conv1 = this.addModule('conv1', new nn.Conv2d(inplanes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.addModule('bn1', new nn.BatchNorm2d(planes));
    this.conv2 = this.addModule('conv2', new nn.Conv2d(planes, planes, 3, { padding: 1, bias: false }));
    this.bn2 = this.addModule('bn2', new nn.BatchNorm2d(planes));
    this.downsample =
      stride !== 1 || inplanes !== planes
        ? this.addModule(
            'downsample',
            new nn.Sequential(new nn.Conv2d(inplanes, planes, 1, { stride, bias: false }), new nn.BatchNorm2d(planes)),
          )
        : null;
  }
  forward(x: Tensor): Tensor {
    const identity = this.downsample ? this.downsample.call(x) : x;
    const out = this.bn2.call(this.conv2.call(ops.relu(this.bn1.call(this.conv1.call(x)))));
    return ops.relu(ops.add(out, identity));
  }
}

/** A two-stage ResNet: (N, 3, H, W) → logits (N, classes). */
export class TinyResNet extends nn.Module {
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
  readonly layer1: nn.Sequential;
  readonly layer2: nn.Sequential;
  readonly avgpool = new nn.AdaptiveAvgPool2d(1);
  readonly fc: nn.Linear;
  constructor(width = 8, classes = 3) {
    super();
    this.conv1 = this.addModule('conv1', new nn.Conv2d(3, width, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.addModule('bn1', new nn.BatchNorm2d(width));
    this.addModule('maxpool', this.maxpool);
    this.layer1 = this.addModule('layer1', new nn.Sequential(new BasicBlock(width, width)));
    this.layer2 = this.addModule('layer2', new nn.Sequential(new BasicBlock(width, 2 * width, 2)));
    this.addModule('avgpool', this.avgpool);
    this.fc = this.addModule('fc', new nn.Linear(2 * width, classes));
    // torchvision's ResNet initialisation: kaiming_normal_(mode='fan_out', relu) for every conv (BatchNorm 1/0 and
    // the fc's default are the modules' own).
    for (const m of this.modules())
      if (m instanceof nn.Conv2d) m.setInit('weight', nn.init.kaimingNormal(0, 'fan_out'));
  }
  forward(x: Tensor): Tensor {
    const h = this.maxpool.call(ops.relu(this.bn1.call(this.conv1.call(x))));
    const pooled = this.avgpool.call(this.layer2.call(this.layer1.call(h)));
    return this.fc.call(F.flatten(pooled, 1));
  }
}

/** `n` images (3 × size × size) of stripes in one of three orientations (the class), random phase, noise. */
export function stripes(n: number, size: number, rng: nn.Rng): Batch {
  const x = new Float32Array(n * 3 * size * size);
  const y = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(0, 3);
    const phase = rng.uniform(0, 2 * Math.PI);
    y[i] = BigInt(c);
    for (let ch = 0; ch < 3; ch++) {
      for (let r = 0; r < size; r++) {
        for (let q = 0; q < size; q++) {
          const t = c === 0 ? r : c === 1 ? q : (r + q) / Math.SQRT2;
          x[((i * 3 + ch) * size + r) * size + q] = Math.sin(t * 1.2 + phase) + 0.5 * rng.normal();
        }
      }
    }
  }
  return { x: { dtype: 'float32', shape: [n, 3, size, size], data: x }, y: { dtype: 'int64', shape: [n], data: y } };
}

/** The example's training step: cross-entropy, SGD with Nesterov momentum and weight decay. */
export function resnetProgram(model: TinyResNet, batch: number, size: number): TrainingProgram {
  return buildTraining({
    model,
    inputs: { x: { dtype: 'float32', shape: [batch, 3, size, size] }, y: { dtype: 'int64', shape: [batch] } },
    loss: ({ x, y }) => {
      const logits = model.call(x);
      return { loss: F.crossEntropy(logits, y), outputs: { logits } };
    },
    optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  });
}

export async function runResnetExample(
  o: { steps?: number; batch?: number; size?: number; width?: number; out?: string; log?: (l: string) => void } = {},
): Promise<ExampleResult> {
  const { steps = 60, batch = 16, size = 32, width = 8 } = o;
  const model = new TinyResNet(width, 3);
  const program = resnetProgram(model, batch, size);
  const rng = new nn.Rng(1);
  return trainAndExport({
    name: 'resnet-cnn',
    model,
    program,
    steps,
    out: o.out,
    log: o.log,
    lr: schedules.stepDecay(0.05, Math.max(1, Math.round((steps * 2) / 3)), 0.2),
    batch: () => stripes(batch, size, rng),
    evalBatch: stripes(batch, size, new nn.Rng(99)),
    input: { name: 'x', dtype: 'float32', shape: [batch, 3, size, size] },
    output: 'logits',
  });
}

if (require.main === module) {
  runResnetExample({ steps: Number(arg('steps') ?? 60), out: arg('out'), log: (l) => console.log(l) }).catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
