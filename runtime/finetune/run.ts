import * as path from 'node:path';
import { buildSegGraph, buildSegTrainGraph, SegNet } from '../../graphs/seg';
import { parseWidths } from '../../graphs/unet';
import { saveModel } from '../../sdk/export';
import type { StateDict } from '../../sdk/state';
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import { trainLoop } from '../engine/loop';
import { writePlots } from '../engine/plot';
import { programFromStepGraph } from '../engine/program';
import { inRun, openRunData, type RunOptions, withRunTrainer, writeRunFiles } from '../engine/run';
import { BEST_FILE, SEG_INFO_KEY, SegPredictor } from '../engine/seg-predictor';
import { argmaxChannels } from '../engine/sliding-window';
import { batchMaker } from './batches';
import { type FinetuneConfig, infoOf } from './config';
import { loadPair, type LabelledVolume } from './data';
import { diceScores, finiteMean, meanPerClass } from './dice';
import { loadBackbone } from './weights';

/** The best validation score so far (kept in the checkpoint's extra, so a resumed run knows it). */
export interface Best {
  dice: number;
  perClass: number[];
  step: number;
}

export interface FinetuneResult {
  dir: string;
  checkpoint: string;
  best: string;
  segOnnx: string;
  step: number;
  status: 'done' | 'interrupted';
  bestScore: Best | null;
  dataWait: number;
  seconds: number;
}

/** Per-class validation Dice (averaged over the volumes) of the current parameters, on the prepared grids. */
async function validate(
  predictor: SegPredictor,
  vols: readonly LabelledVolume[],
  params: StateDict,
  cfg: FinetuneConfig,
): Promise<number[]> {
  predictor.setParams(params);
  const scores: number[][] = [];
  for (const v of vols) {
    const probs = await predictor.probabilities(v.image, cfg.overlap);
    scores.push(diceScores(argmaxChannels(probs, cfg.classes), v.label.data, cfg.classes));
  }
  return meanPerClass(scores);
}

/**
 * Segmentation fine-tuning (or linear evaluation) of the GVSL backbone + out_conv: the training-step graph run
 * by ONNX Runtime on random labelled crops prepared in a worker thread, per-class validation Dice by
 * sliding-window inference every `valEvery` steps (and at the end), the best parameters kept. Writes into
 * `opts.out`: config.json, train.onnx, metrics.jsonl, loss.svg, dice.svg, checkpoint.safetensors, best.safetensors
 * and, at the end, seg.onnx (the best model, preprocessing in its metadata).
 */
export async function finetune(
  cfg: FinetuneConfig,
  opts: RunOptions,
  resume?: { state: StateDict; step: number; extra?: Record<string, unknown> },
): Promise<FinetuneResult> {
  const startStep = resume?.step ?? 0;
  return inRun(opts, startStep, cfg.steps, async ({ dir, t0, log, warn }) => {
    const model = new SegNet(cfg.classes, parseWidths(cfg.chan));

    let state: StateDict;
    if (resume) state = resume.state;
    else {
      state = model.initStateDict(cfg.seed);
      if (cfg.weights) {
        const b = loadBackbone(model, cfg.weights);
        for (const [k, v] of b.tensors) state.set(k, v);
        b.notes.forEach(log);
      } else if (cfg.mode === 'linear')
        warn('linear mode without --weights: the frozen backbone is a random initialisation');
    }
    const val = cfg.val.map((p) => loadPair(p, cfg));
    const data = await openRunData(
      opts,
      path.join(__dirname, 'batches.js'),
      cfg,
      batchMaker,
      startStep + 1,
      cfg.steps,
      warn,
    );

    const optimizer = { kind: 'adam' } as const;
    const {
      graph,
      step: ts,
      terms,
    } = buildSegTrainGraph(model, [cfg.batch, 1, ...cfg.size], { mode: cfg.mode, ceWeight: cfg.ceWeight, optimizer });
    const program = programFromStepGraph(graph, ts, { optimizer, model, train: writeRunFiles(dir, cfg, graph).model });
    const trained = ts.trained.reduce(
      (n, k) =>
        n +
        model
          .paramSpecs()
          .get(k)!
          .shape.reduce((a, b) => a * b, 1),
      0,
    );
    log(
      `segmentation ${cfg.mode}: ${cfg.classes} classes, ${trained.toLocaleString('en')} of ${model.numParameters().toLocaleString('en')} parameters trained, widths ${cfg.chan.join(',')}, crop ${cfg.size.join('x')}, batch ${cfg.batch}, ${cfg.train.length} training / ${cfg.val.length} validation volumes, ep ${opts.ep}`,
    );

    const predictor = val.length
      ? await SegPredictor.fromModel(model, infoOf(cfg), { ep: opts.ep, threads: opts.threads })
      : null;
    const paramsOf = (s: StateDict): StateDict => new Map([...s].filter(([k]) => model.paramSpecs().has(k)));
    let best = (resume?.extra?.best as Best | undefined) ?? null;
    const bestFile = path.join(dir, BEST_FILE);
    const saveBest = (params: StateDict, b: Best | null, step: number) =>
      saveCheckpoint(dir, params, { config: cfg, step, extra: { best: b } }, BEST_FILE);
    const valTerms = ['val_dice', ...Array.from({ length: cfg.classes - 1 }, (_, i) => `val_dice_${i + 1}`)];
    return withRunTrainer(
      program,
      state,
      cfg.lr,
      opts,
      startStep,
      data,
      {},
      async (trainer) => {
        const r = await trainLoop({
          dir,
          trainer,
          source: data.source,
          startStep,
          steps: cfg.steps,
          terms,
          saveEvery: cfg.saveEvery,
          quiet: opts.quiet,
          json: opts.json,
          resumed: !!resume,
          t0,
          save: (s, step) => saveCheckpoint(dir, s, { config: cfg, step, extra: { best } }),
          afterStep: async (step, t) => {
            if (!predictor || (step % cfg.valEvery !== 0 && step !== cfg.steps)) return undefined;
            const params = paramsOf(await t.stateDict());
            const perClass = await validate(predictor, val, params, cfg);
            const dice = finiteMean(perClass);
            const better = Number.isFinite(dice) && (!best || dice > best.dice);
            if (better) {
              best = { dice, perClass, step };
              saveBest(params, best, step);
            }
            log(
              `step ${step}: validation Dice ${dice.toFixed(4)}${cfg.classes > 2 ? ` (${perClass.map((d, i) => `${i + 1}: ${d.toFixed(3)}`).join(', ')})` : ''}${better ? ' (best so far)' : ` (best ${best ? best.dice.toFixed(4) : '-'} at step ${best?.step ?? '-'})`}`,
            );
            return Object.fromEntries(valTerms.map((k, i) => [k, i === 0 ? dice : perClass[i - 1]]));
          },
          plot: (run) => {
            writePlots(dir, 'dice', run, (k) => k.startsWith('val_'));
          },
        });
        const final = paramsOf(await trainer.stateDict());
        // Without validation the last parameters are the ones kept.
        if (val.length === 0 && !r.interrupted) saveBest(final, null, r.step);
        const segOnnx = path.join(dir, 'seg.onnx');
        if (!r.interrupted) {
          const kept = loadCheckpoint(bestFile).state;
          saveModel(buildSegGraph(model, [1, 1, ...cfg.size]), segOnnx, {
            weights: kept,
            metadata: { [SEG_INFO_KEY]: JSON.stringify(infoOf(cfg)) },
          });
        }
        return {
          dir,
          checkpoint: r.checkpoint,
          best: bestFile,
          segOnnx,
          step: r.step,
          status: r.interrupted ? 'interrupted' : 'done',
          bestScore: best,
          dataWait: data.source.waited,
          seconds: (performance.now() - t0) / 1000,
        };
      },
      async () => {
        await predictor?.release();
      },
    );
  });
}
