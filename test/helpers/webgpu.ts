/**
 * WebGPU in tests: SwiftShader's software Vulkan driver (Debian's chromium ships it; jest.config.js points
 * VK_ICD_FILENAMES at it before the workers start), and one training run on a chosen provider.
 */
import * as fs from 'node:fs';
import type { TrainingProgram } from '../../runtime/engine/program';
import { Trainer, type TrainerOptions } from '../../runtime/engine/trainer';
import type { NamedArray, StateDict } from '../../sdk/state';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** Whether the WebGPU execution provider can run here (on SwiftShader); WebGPU tests skip without it. */
export const haveWebGpu = fs.existsSync(ICD) && process.env.VK_ICD_FILENAMES === ICD;

export interface TrainedRun {
  losses: number[];
  state: StateDict;
  /** The eval graph's loss on the first batch after training (with `evaluate`). */
  evalLoss?: number;
}

/** Trains `program` from `weights` over `batches` (one step each) with the Trainer options `o`, then reads back. */
export async function trainOn(
  program: TrainingProgram,
  weights: StateDict,
  lr: number,
  batches: Record<string, NamedArray>[],
  o: Partial<TrainerOptions>,
  evaluate = false,
): Promise<TrainedRun> {
  const t = await Trainer.create(program, { weights, lr, ...o });
  try {
    const losses: number[] = [];
    for (const b of batches) losses.push((await t.step(b)).loss);
    const state = await t.stateDict();
    const evalLoss = evaluate ? (await t.evaluate(batches[0])).metrics.loss : undefined;
    return { losses, state, ...(evalLoss === undefined ? {} : { evalLoss }) };
  } finally {
    await t.release();
  }
}
