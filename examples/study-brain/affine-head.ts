/**
 * Does GVSL's affine head look at its input? For pre-training runs (or their step-0 weights with --init), feeds
 * the run's own 24³-style centre crops of the bundled samples in several pairings and prints, for each, the pooled
 * head feature x = mean(f_conv([g_B, g_A])) and the four fc outputs before the clamp, next to the fc biases:
 * when the fc outputs hardly change between pairings while the biases are of the same size, the head emits a
 * learned constant.
 *
 *   npx tsc -p . && node dist/examples/study-brain/affine-head.js RUN [RUN…] [--init]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { GVSL } from '../../graphs/build';
import { configGeometry } from '../../graphs/gvsl';
import { parseWidths } from '../../graphs/unet';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import { concat, reduceMean, split } from '../../sdk/ops';
import type { StateDict } from '../../sdk/state';
import { loadModelWeights } from '../../runtime/checkpoint/weights';
import { cropAt, type Volume } from '../../runtime/data';
import { createSession, runSession } from '../../runtime/engine/ort';
import type { PretrainConfig } from '../../runtime/pretrain/config';
import { loadVolumes } from '../../runtime/pretrain/volumes';

const { values: a, positionals: runs } = parseArgs({
  allowPositionals: true,
  options: { init: { type: 'boolean', default: false } },
});

const HEADS = ['fc_rot', 'fc_scl', 'fc_trans', 'fc_shear'] as const;
const fmt = (v: ArrayLike<number>) => `[${Array.from(v, (x) => x.toFixed(3)).join(' ')}]`;
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

async function main(): Promise<void> {
  for (const run of runs) {
    const cfg = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as PretrainConfig;
    const model = new GVSL(1, parseWidths(cfg.chan), { geometry: configGeometry(cfg) });
    const state: StateDict = a.init ? model.initStateDict(cfg.seed) : loadModelWeights(model, run).tensors;
    const shape = [1, 1, ...cfg.size];
    const g = new Graph('affine_head');
    const A = g.input('A', 'float32', shape);
    const B = g.input('B', 'float32', shape);
    const { global } = model.unet.call(concat([A, B], 0));
    const [gA, gB] = split(global, { axis: 0, sizes: [1, 1] });
    const f = model.f_conv.call(concat([gB, gA], 1));
    const x = reduceMean(f, [2, 3, 4]);
    g.output('f', f);
    g.output('x', x);
    for (const h of HEADS) g.output(h, model[h].call(x));
    g.output('gA', gA);
    const s = await createSession(exportModel(g, { weights: state }).model, {});
    const [ch2, itk] = loadVolumes(cfg, () => {});
    const crop = (v: Volume) =>
      cropAt(
        v,
        v.dims.map((d, k) => Math.floor((d - cfg.size[k]) / 2)),
        cfg.size,
      ).data;
    let seed = 1;
    const noise = Float32Array.from({ length: crop(ch2).length }, () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    });
    const pairings: [string, Float32Array, Float32Array][] = [
      ['A=ch2, B=itk', crop(ch2), crop(itk)],
      ['A=itk, B=ch2', crop(itk), crop(ch2)],
      ['A=B=ch2', crop(ch2), crop(ch2)],
      ['A=ch2, B=noise', crop(ch2), noise],
      ['A=B=0', new Float32Array(noise.length), new Float32Array(noise.length)],
    ];
    console.log(`${run}${a.init ? ' (step-0 weights)' : ''}:`);
    const gn = (k: string) => fmt(state.get(k)!.data as Float32Array);
    console.log(
      `  f_conv GroupNorm weights: ${gn('f_conv.double_conv.1.weight')} and ${gn('f_conv.double_conv.4.weight')}`,
    );
    console.log(`  f_conv GroupNorm biases: ${gn('f_conv.double_conv.1.bias')} and ${gn('f_conv.double_conv.4.bias')}`);
    for (const h of HEADS)
      console.log(
        `  ${h}: |W| ${norm(state.get(`${h}.weight`)!.data as Float32Array).toFixed(3)}, bias ${fmt(state.get(`${h}.bias`)!.data as Float32Array)}`,
      );
    const first: Record<string, Float32Array> = {};
    /** |v − v of the first pairing| / |v of the first pairing|: how much a tensor follows the input. */
    const change = (k: string, v: Float32Array) => {
      first[k] ??= v;
      return (norm(v.map((t, i) => t - first[k][i])) / norm(first[k])).toFixed(4);
    };
    try {
      for (const [name, fa, fb] of pairings) {
        const t = (d: Float32Array) => ({ dtype: 'float32' as const, shape, data: d });
        const out = await runSession(s, { A: t(fa), B: t(fb) });
        const xs = out.x.data as Float32Array;
        const ga = out.gA.data as Float32Array;
        const fs_ = out.f.data as Float32Array;
        console.log(
          `  ${name}: relative change vs the first pairing: g_A ${change('gA', ga)}, f_conv map ${change('f', fs_)}, x ${change('x', xs)}; x ${fmt(xs)}; ${HEADS.map((h) => `${h} ${fmt(out[h].data as Float32Array)}`).join('; ')}`,
        );
      }
    } finally {
      await s.release();
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
