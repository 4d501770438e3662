import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildGvslGraph,
  buildGvslTrainGraph,
  buildUnetGraph,
  GEOMETRIES,
  type Geometry,
  GVSL,
  gvslDocString,
  parseShape,
} from '../../../graphs/build';
import { OFFICIAL_WIDTHS, parseWidths } from '../../../graphs/unet';
import { exportModel, saveModel } from '../../../sdk/export';
import type { StateDict } from '../../../sdk/state';
import { saveSafetensors } from '../../checkpoint/safetensors';
import { formatFloat16Report, GVSL_FLOAT16, toFloat16 } from '../../serve/fp16';
import { decodeOnnx, saveOnnx } from '../../engine/onnx-file';
import { loadModelWeights } from '../../checkpoint/weights';
import { backboneWidths } from '../../finetune/weights';
import { UserError } from '../../engine/errors';
import { type Command, defineCommand } from '../main';
import { parseInput } from '../options';
import { numberOption, RULES, widthsOption } from '../parse';

export const MODELS = ['gvsl', 'gvsl-train', 'unet'] as const;

export const exportCommand: Command = defineCommand({
  command: 'export',
  describe: 'Export a GVSL graph (inference, backbone or training step) to ONNX',
  builder: (y) =>
    y
      .option('model', {
        choices: MODELS,
        default: 'gvsl' as const,
        describe:
          'gvsl: inputs A, B → res_A, warp_BA, aff_mat_BA, flow_BA; unet: x → global, local; gvsl-train: one training step (forward + backward + Adam)',
      })
      .option(
        'chan',
        widthsOption('chan', {
          describe: `U-Net channel widths c0..c8; default those of --weights (read from its tensor shapes), else ${OFFICIAL_WIDTHS.join(',')}`,
        }),
      )
      .option('geometry', {
        choices: GEOMETRIES,
        default: 'exact' as Geometry,
        describe:
          "exact: identity warps are exact, one (D,H,W) axis order for matrix and flow, one fused sampling, zero-initialised flow; official: the official code's warps (for its weights and fixtures)",
      })
      .option('shape', {
        type: 'string',
        default: '1,1,64,64,64',
        describe: 'input shape N,C,D,H,W (static)',
        // Checked at parse time as the other numbers (a flag given twice: the last wins; a config file may give a list).
        coerce: (v: unknown) =>
          parseInput(() =>
            parseShape(Array.isArray(v) && v.every((x) => typeof x === 'string') ? v[v.length - 1] : String(v)),
          ),
      })
      .option('weights', {
        type: 'string',
        describe:
          'weights to embed: .safetensors or PyTorch .pth/.pt (full GVSL or backbone-only state_dict); default: seeded official initialisation',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'output .onnx file' })
      .option('with-grads', { type: 'boolean', default: false, describe: 'gvsl-train: also output grad.<param>' })
      .option('external-data', {
        type: 'boolean',
        default: false,
        describe: 'store weights in <out>.data beside the model (needed above 2 GB)',
      })
      .option('fp16', {
        type: 'boolean',
        default: false,
        describe:
          'gvsl/unet: float16 weights and compute in the network (U-Net, heads), warps and affine matrix in float32, inputs and outputs float32 (for WebGPU; see the docs/registration-serving.md, "Deployment exports")',
      })
      .option(
        'opset',
        numberOption('opset', { int: true, min: 13, max: 21 }, { default: 17, describe: 'target ONNX opset (13..21)' }),
      )
      .option(
        'seed',
        numberOption('seed', RULES.seed, {
          default: 0,
          describe: 'seed of the initialisation when no --weights are given',
        }),
      ),
  async handler(a) {
    // As register and finetune: the widths of --weights unless given.
    const chan = parseInput(() => parseWidths(a.chan ?? (a.weights ? backboneWidths(a.weights) : OFFICIAL_WIDTHS)));
    if (!a.chan && a.weights)
      process.stderr.write(`note: --chan ${chan.join(',')} read from the tensor shapes of ${a.weights}\n`);
    const shape = a.shape;
    const model = new GVSL(shape[1], chan, { geometry: a.geometry });
    let weights: StateDict;
    if (a.weights) {
      const w = loadModelWeights(model, a.weights, { allowBackboneOnly: a.model === 'unet', seed: a.seed });
      for (const note of w.notes) process.stderr.write(`note: ${note}\n`);
      if (w.metadata.geometry && w.metadata.geometry !== a.geometry) {
        process.stderr.write(
          `note: ${a.weights} was made with geometry '${w.metadata.geometry}'; exporting with --geometry ${a.geometry} as asked\n`,
        );
      }
      weights = w.tensors;
    } else {
      weights = model.initStateDict(a.seed);
    }
    const dir = path.dirname(path.resolve(a.out));
    if (!fs.existsSync(dir)) throw new UserError(`output folder ${dir} does not exist`);
    if (a.fp16 && a.model === 'gvsl-train')
      throw new UserError('--fp16 is for the inference graphs (--model gvsl or unet); the training step stays float32');
    if (a.model === 'gvsl-train') {
      const { graph, step } = buildGvslTrainGraph(model, shape, { withGrads: a.withGrads });
      const m = saveModel(graph, a.out, {
        params: 'inputs',
        opset: a.opset,
        externalData: a.externalData,
        docString: gvslDocString(model),
      });
      // The graph takes parameters as inputs: write the starting state beside it for other toolchains.
      const stateFile = a.out.replace(/\.onnx$/, '') + '.state.safetensors';
      const state: StateDict = new Map();
      // In state_dict order (the graph lists parameters in the order it uses them).
      const trained = new Set(step.trained);
      for (const name of [...model.paramSpecs().keys()].filter((n) => trained.has(n))) {
        const w = weights.get(name)!;
        state.set(name, w);
        for (const s of step.stateNames.get(name)!)
          state.set(s, { dtype: w.dtype, shape: w.shape, data: new Float32Array(w.data.length) });
      }
      saveSafetensors(stateFile, state, {
        chan: chan.join(','),
        shape: shape.join(','),
        geometry: model.geometry,
        step: '0',
      });
      console.log(`wrote ${a.out} (${m.nodeCount} nodes, training step) and its starting state ${stateFile}`);
      return;
    }
    const g = a.model === 'gvsl' ? buildGvslGraph(model, shape) : buildUnetGraph(model.unet, shape);
    if (a.fp16) {
      const full = exportModel(g, {
        weights,
        opset: a.opset,
        docString: a.model === 'gvsl' ? gvslDocString(model) : undefined,
      });
      const { model: halfModel, report } = toFloat16(decodeOnnx(full.model), GVSL_FLOAT16);
      const half = saveOnnx(halfModel, a.out, { externalData: a.externalData });
      console.log(
        `wrote ${a.out} (float16 network, ${(half.model.byteLength + (half.external?.data.byteLength ?? 0)).toLocaleString('en')} bytes${a.externalData ? `, weights in ${path.basename(a.out)}.data` : ''})`,
      );
      console.log(formatFloat16Report(report));
      return;
    }
    const m = saveModel(g, a.out, {
      weights,
      opset: a.opset,
      externalData: a.externalData,
      docString: a.model === 'gvsl' ? gvslDocString(model) : undefined,
    });
    console.log(
      `wrote ${a.out} (${m.nodeCount} nodes${a.externalData ? `, weights in ${path.basename(a.out)}.data` : ''})`,
    );
  },
});
