/**
 * The part every example shares: train a program with the public Trainer, evaluate it, write a checkpoint, export the
 * model's inference graph (built in eval mode, weights inside, a symbolic batch axis 'N') and run that one file with
 * ONNX Runtime at two batch sizes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Schedule, Trainer, type TrainingProgram } from '../runtime/engine';
import { createSession, runSession } from '../runtime/engine/ort';
import { type DType, Graph, type nn, saveModel } from '../sdk';
import type { NamedArray } from '../sdk/state';

export type Batch = Record<string, NamedArray>;

export interface ExampleSpec {
  name: string;
  model: nn.Module;
  program: TrainingProgram;
  lr: number | Schedule;
  steps: number;
  /** The batch of step s (1-based): a pure function of s. */
  batch(step: number): Batch;
  /** A held-out batch for `evaluate` and for running the exported graph. */
  evalBatch: Batch;
  /** The inference graph's input (fed from `evalBatch`; its batch axis is exported as 'N') and the eval output it must reproduce. */
  input: { name: string; dtype: DType; shape: number[] };
  output: string;
  out?: string;
  log?: (line: string) => void;
}

export interface ExampleResult {
  losses: number[];
  evalMetrics: Record<string, number>;
  onnxFile: string;
  checkpoint: string;
  /** The eval graph's `output` and the exported inference graph's, on `evalBatch`. */
  evalOutput: Float32Array;
  exportedOutput: Float32Array;
  /** The same exported file run on the first sample of `evalBatch` alone (batch 1). */
  exportedFirstOutput: Float32Array;
}

/** The first sample of a batch (axis 0), as a batch of one. */
export function firstSample(a: NamedArray): NamedArray {
  const n = a.data.length / a.shape[0];
  return { dtype: a.dtype, shape: [1, ...a.shape.slice(1)], data: a.data.slice(0, n) };
}

/**
 * Runs one exported file on the whole batch and on its first sample alone: a file exported with a symbolic batch
 * takes both. Returns the outputs of each run.
 */
export async function runAtTwoBatchSizes(file: string, feeds: Batch): Promise<[Batch, Batch]> {
  const session = await createSession(file);
  try {
    const first = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, firstSample(v)]));
    return [await runSession(session, feeds), await runSession(session, first)];
  } finally {
    await session.release();
  }
}

export async function trainAndExport(s: ExampleSpec): Promise<ExampleResult> {
  const log = s.log ?? (() => {});
  const out = s.out ?? fs.mkdtempSync(path.join(os.tmpdir(), `${s.name}-`));
  fs.mkdirSync(out, { recursive: true });
  const trainer = await Trainer.create(s.program, { weights: s.model.initStateDict(0), lr: s.lr });
  try {
    const losses: number[] = [];
    for (let step = 1; step <= s.steps; step++) {
      const m = await trainer.step(s.batch(step));
      losses.push(m.loss);
      if (step === 1 || step % Math.max(1, Math.round(s.steps / 10)) === 0) {
        log(
          `step ${step}: ${Object.entries(m)
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join(', ')}, lr ${trainer.lr.toExponential(2)}`,
        );
      }
    }
    const ev = await trainer.evaluate(s.evalBatch);
    log(
      `eval: ${Object.entries(ev.metrics)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ')}`,
    );
    const checkpoint = await trainer.save(path.join(out, 'checkpoint.safetensors'));

    const g = new Graph(s.name);
    s.model.eval();
    try {
      g.output(s.output, s.model.call(g.input(s.input.name, s.input.dtype, ['N', ...s.input.shape.slice(1)])));
    } finally {
      s.model.train();
    }
    const onnxFile = path.join(out, `${s.name}.onnx`);
    saveModel(g, onnxFile, { weights: await trainer.stateDict() });
    const [r, r1] = await runAtTwoBatchSizes(onnxFile, { [s.input.name]: s.evalBatch[s.input.name] });
    log(`wrote ${checkpoint} and ${onnxFile} (symbolic batch N)`);
    return {
      losses,
      evalMetrics: ev.metrics,
      onnxFile,
      checkpoint,
      evalOutput: ev.outputs[s.output].data as Float32Array,
      exportedOutput: r[s.output].data as Float32Array,
      exportedFirstOutput: r1[s.output].data as Float32Array,
    };
  } finally {
    await trainer.release();
  }
}

/** `--name value` from the command line. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
