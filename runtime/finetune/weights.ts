import * as fs from 'node:fs';
import { isBackbone, type SegNet } from '../../graphs/seg';
import type { StateDict } from '../../sdk/state';
import { formatLoadReport, loadWeights, matchStateDict } from '../checkpoint/load';
import { UserError } from '../engine/errors';
import { checkpointFile } from '../engine/checkpoint';

/**
 * The backbone (`unet.*`) weights for `model` from a GVSL checkpoint: a pre-training run folder or its
 * checkpoint.safetensors, an official GVSL `.pth`, a backbone-only state_dict (with or without the `unet.`
 * prefix), or a segmentation checkpoint. Everything else in the file (GVSL heads, optimizer state, another
 * head) is ignored; the backbone must match strictly (PyTorch's load_state_dict messages otherwise).
 */
export function loadBackbone(model: SegNet, fileOrDir: string): { tensors: StateDict; notes: string[] } {
  const { file, all } = readTensors(fileOrDir);
  const prefixed = [...all.keys()].filter(isBackbone);
  const src: StateDict = prefixed.length ? new Map(prefixed.map((k) => [k, all.get(k)!])) : all;
  const expected = new Map([...model.paramSpecs()].filter(([k]) => isBackbone(k)));
  const report = matchStateDict(expected, src, { prefixes: ['unet.'] });
  if (report.missing.length || report.unexpected.length || report.mismatched.length) {
    throw new UserError(
      `${file} does not fit the backbone (widths ${model.chan.join(',')}): ${formatLoadReport(report)}`,
    );
  }
  const notes = [`${file}: backbone loaded (${report.tensors.size} tensors)`];
  const ignored = all.size - src.size;
  if (ignored) notes.push(`${file}: ${ignored} other tensor(s) ignored (heads, optimizer state)`);
  return { tensors: report.tensors, notes };
}

/**
 * The U-Net widths c0..c8 of a checkpoint's backbone, read from its convolution shapes (the output channels of
 * inc, down1..4 and up1..4), so `finetune --weights` needs no --chan.
 */
export function backboneWidths(fileOrDir: string): number[] {
  const { file, all } = readTensors(fileOrDir);
  const blocks = [
    'inc.double_conv',
    'down1.maxpool_conv.1.double_conv',
    'down2.maxpool_conv.1.double_conv',
    'down3.maxpool_conv.1.double_conv',
    'down4.maxpool_conv.1.double_conv',
    'up1.conv.double_conv',
    'up2.conv.double_conv',
    'up3.conv.double_conv',
    'up4.conv.double_conv',
  ];
  return blocks.map((b) => {
    const t = all.get(`unet.${b}.0.weight`) ?? all.get(`${b}.0.weight`);
    if (!t)
      throw new UserError(
        `${file}: no U-Net backbone found (no ${b}.0.weight, with or without the unet. prefix); is it a GVSL checkpoint?`,
      );
    return t.shape[0];
  });
}

/** Every tensor of a weights file (or a run folder's checkpoint), with the file actually read. */
function readTensors(fileOrDir: string): { file: string; all: StateDict } {
  const file = checkpointFile(fileOrDir);
  if (!fs.existsSync(file)) throw new UserError(`weights file ${file} does not exist`);
  try {
    return { file, all: loadWeights(file).tensors };
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
}
