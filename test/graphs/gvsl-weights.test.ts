/**
 * Real PyTorch GVSL checkpoints (test/data/make_gvsl_pth.py: a narrow GVSL saved by torch.save in float16,
 * its safetensors twin, a backbone-only .pth, and PyTorch's forward outputs) through loadModelWeights and
 * the exported graphs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildGvslGraph, buildUnetGraph, GVSL, UNetBase, type VolumeShape } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { loadWeights } from '../../runtime/checkpoint/load';
import { loadSafetensors, saveSafetensors } from '../../runtime/checkpoint/safetensors';
import { CHECKPOINT_FILE, saveCheckpoint } from '../../runtime/engine/checkpoint';
import { UserError } from '../../runtime/engine/errors';
import { loadModelWeights } from '../../runtime/checkpoint/weights';
import type { StateDict } from '../../sdk/state';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { runGraph } from '../helpers/run';
import { relErr } from '../helpers/compare';
import { TEST_DATA } from '../helpers/paths';

const DATA = TEST_DATA;
const PTH = path.join(DATA, 'gvsl-narrow.pth');
const ST = path.join(DATA, 'gvsl-narrow.safetensors');
const UNET_PTH = path.join(DATA, 'gvsl-narrow-unet.pth');
const FORWARD = loadSafetensors(path.join(DATA, 'gvsl-narrow-forward.safetensors')).tensors;
const CHAN = parseWidths('8,8,8,8,16,8,8,8,16');

// The reference forward is the official code's geometry.
const model = new GVSL(1, CHAN, { geometry: 'official' });
const shape = FORWARD.get('A')!.shape as unknown as VolumeShape;

/** Keys, dtypes, shapes and bytes of two state_dicts that should be identical; returns the differences. */
function diff(a: StateDict, b: StateDict): string[] {
  const out: string[] = [];
  if ([...a.keys()].join() !== [...b.keys()].join()) out.push('different keys or key order');
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y) continue;
    if (x.dtype !== y.dtype || x.shape.join() !== y.shape.join())
      out.push(`${k}: ${x.dtype}[${x.shape}] vs ${y.dtype}[${y.shape}]`);
    else if (
      !Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).equals(
        Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength),
      )
    )
      out.push(`${k}: values differ`);
  }
  return out;
}

test("the .pth holds exactly the tensors of its safetensors twin, under the model's keys in PyTorch's order", () => {
  const pth = loadWeights(PTH);
  const st = loadWeights(ST);
  expect(pth.format).toBe('pth');
  expect(pth.wrapperKey).toBeUndefined();
  expect(diff(pth.tensors, st.tensors)).toEqual([]);
  expect(pth.tensors.get('fc_shear.weight')!.dtype).toBe('float16');
  expect([...pth.tensors.keys()]).toEqual([...model.paramSpecs().keys()]);
  expect(st.metadata.chan).toBe(CHAN.join(','));
});

test('loadModelWeights converts the float16 checkpoint to float32 identically for .pth and .safetensors, and says so', () => {
  const a = loadModelWeights(model, PTH);
  const b = loadModelWeights(model, ST);
  expect(diff(a.tensors, b.tensors)).toEqual([]);
  expect(a.missing).toEqual([]);
  expect([...a.tensors.values()].every((t) => t.dtype === 'float32')).toBe(true);
  expect(a.notes).toEqual([`${PTH}: converted all ${model.paramSpecs().size} tensors from float16 to float32`]);
  expect(b.metadata.chan).toBe(CHAN.join(','));
});

test('the exported gvsl graph reproduces the PyTorch reference forward, and .pth and safetensors weights give the same outputs', async () => {
  const feeds = { A: FORWARD.get('A')!, B: FORWARD.get('B')! };
  const g = buildGvslGraph(model, shape);
  const fromPth = await runGraph(g, feeds, { weights: loadModelWeights(model, PTH).tensors });
  const fromSt = await runGraph(g, feeds, { weights: loadModelWeights(model, ST).tensors });
  const errors: Record<string, number> = {};
  for (const [ours, theirs] of [
    ['res_A', 'res'],
    ['warp_BA', 'warp'],
    ['aff_mat_BA', 'aff'],
    ['flow_BA', 'flow'],
  ]) {
    expect(fromPth[ours].shape).toEqual(FORWARD.get(theirs)!.shape);
    expect(fromPth[ours].data).toEqual(fromSt[ours].data);
    errors[theirs] = relErr(fromPth[ours], FORWARD.get(theirs)!);
  }
  expect(Object.entries(errors).filter(([, e]) => !(e < 1e-4))).toEqual([]);
});

test('a backbone-only .pth (keys without "unet.", wrapped under "model") loads for the U-Net, not for GVSL unless allowed', async () => {
  const full = loadModelWeights(model, PTH).tensors;
  // As a UNetBase of its own, the keys match as they are.
  const alone = loadModelWeights(new UNetBase(1, CHAN), UNET_PTH);
  expect(alone.missing).toEqual([]);
  expect(alone.notes[0]).toBe(`${UNET_PTH}: the state_dict was read from the checkpoint's "model" entry`);
  // For GVSL: the heads are missing.
  const heads = [...model.paramSpecs().keys()].filter((k) => !k.startsWith('unet.'));
  let err: unknown;
  try {
    loadModelWeights(model, UNET_PTH);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  // PyTorch's wording; the list is cut after a dozen keys.
  expect((err as Error).message).toContain(
    `does not fit this model: Missing key(s) in state_dict: ${heads
      .slice(0, 12)
      .map((k) => `"${k}"`)
      .join(', ')}, … and ${heads.length - 12} more.`,
  );
  const w = loadModelWeights(model, UNET_PTH, { allowBackboneOnly: true, seed: 4 });
  expect(w.missing).toEqual(heads);
  expect(w.notes).toEqual([
    `${UNET_PTH}: the state_dict was read from the checkpoint's "model" entry`,
    `${UNET_PTH}: keys read with the prefix "unet." added`,
    `${UNET_PTH}: converted all ${model.paramSpecs().size - heads.length} tensors from float16 to float32`,
    `${UNET_PTH}: backbone-only weights; ${heads.length} head parameter(s) keep a fresh initialisation (seed 4)`,
  ]);
  const unetPart = (sd: StateDict) => new Map([...sd].filter(([k]) => k.startsWith('unet.')));
  expect(diff(unetPart(w.tensors), unetPart(full))).toEqual([]);
  expect(diff(new Map([...alone.tensors].map(([k, v]) => [`unet.${k}`, v])), unetPart(full))).toEqual([]);
  expect(w.tensors.get('fc_rot.weight')!.data).toEqual(model.initStateDict(4).get('fc_rot.weight')!.data);
  // The unet graph gives the same features from either file.
  const g = buildUnetGraph(model.unet, shape);
  const x = { x: FORWARD.get('A')! };
  const a = await runGraph(g, x, { weights: w.tensors });
  const b = await runGraph(g, x, { weights: full });
  expect(a.local.data).toEqual(b.local.data);
  expect(a.global.data).toEqual(b.global.data);
});

test('a checkpoint made with other widths is refused with PyTorch-style size mismatches', () => {
  const wide = new GVSL(1, parseWidths('8,16,16,32,32,32,16,16,16'), { geometry: 'official' });
  let err: unknown;
  try {
    loadModelWeights(wide, PTH);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  const msg = (err as Error).message;
  expect(msg).toContain(
    `${PTH} does not fit this model: size mismatch for unet.down1.maxpool_conv.1.double_conv.0.weight: copying a param with shape [8, 8, 3, 3, 3] from checkpoint, the shape in current model is [16, 8, 3, 3, 3].`,
  );
  expect(msg).toContain(
    'size mismatch for unet.up4.conv.double_conv.0.weight: copying a param with shape [16, 16, 3, 3, 3] from checkpoint, the shape in current model is [16, 24, 3, 3, 3].',
  );
  expect(msg).not.toMatch(/Missing|Unexpected/);
  expect(msg).not.toContain('\n');
});

test('a training checkpoint (its run folder or file) loads as weights: the optimizer state is left out, and said', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gvsl-weights-'));
  try {
    const weights = loadModelWeights(model, ST).tensors;
    const state: StateDict = new Map();
    for (const [k, v] of weights) {
      state.set(k, v);
      for (const slot of ['adam.m.', 'adam.v.'])
        state.set(slot + k, { ...v, data: new Float32Array(v.data.length).fill(0.5) });
    }
    saveCheckpoint(dir, state, { config: { chan: [...CHAN] }, step: 3 });
    for (const from of [dir, path.join(dir, CHECKPOINT_FILE)]) {
      const w = loadModelWeights(model, from);
      expect([...w.tensors.keys()]).toEqual([...weights.keys()]);
      for (const [k, v] of w.tensors) expect(v.data).toEqual(weights.get(k)!.data);
      expect(w.notes).toContain(
        `${path.join(dir, CHECKPOINT_FILE)}: a training checkpoint; its ${2 * weights.size} optimizer-state tensors are not weights and were left out`,
      );
    }
    // In a plain state_dict the same names are unexpected keys, listed PyTorch's way but cut after a dozen.
    saveSafetensors(path.join(dir, 'plain.safetensors'), state);
    expect(() => loadModelWeights(model, path.join(dir, 'plain.safetensors'))).toThrow(
      new RegExp(
        `Unexpected key\\(s\\) in state_dict: ("adam\\.[mv]\\.[^"]+", ){12}… and ${2 * weights.size - 12} more\\.$`,
      ),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every exported model passes the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});
