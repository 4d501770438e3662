import * as path from 'node:path';
import { loadVolume } from '../data';
import type { ExecutionProvider } from '../engine/ort';
import { dimsText } from '../serve/grid';
import { checkLabelMap, registrationMetrics } from '../serve/metrics';
import { loadModel } from '../serve/model';

/** The bundled samples' brain masks registered by a finished run, as `onnx-train register --labels` scores them. */
export interface SampleMaskDice {
  fixed: string;
  moving: string;
  /** The model grid the pair was registered on (the run's crop size, isotropic spacing in mm). */
  grid: { dims: [number, number, number]; spacing: number };
  /** Dice of the warped moving brain mask with the fixed one, on the fixed image's grid. */
  dice: { identity: number; registered: number };
}

/**
 * Registers `volumes[1]` to `volumes[0]` (the bundled samples, whose brain masks lie in `labels/` beside them under
 * the same names) with the run in `dir`, through the pipeline and metrics of `onnx-train register --labels
 * --fixed-labels` (runtime/serve): the whole fields of view fitted onto the run's grid, the moving mask warped
 * nearest neighbour onto the fixed image's grid; before = the model's identity. Deterministic for given weights.
 */
export async function sampleMaskDice(
  dir: string,
  volumes: readonly string[],
  opts: { ep?: ExecutionProvider; threads?: number } = {},
): Promise<SampleMaskDice> {
  const [fixedFile, movingFile] = volumes;
  const labelOf = (f: string) => path.join(path.dirname(f), 'labels', path.basename(f));
  const fixed = loadVolume(fixedFile);
  const moving = loadVolume(movingFile);
  const labels = { fixed: loadVolume(labelOf(fixedFile)), moving: loadVolume(labelOf(movingFile)) };
  checkLabelMap(labels.fixed, fixed, labelOf(fixedFile), fixedFile);
  checkLabelMap(labels.moving, moving, labelOf(movingFile), movingFile);
  const model = await loadModel(dir, opts);
  try {
    const r = await model.register(fixed, moving, { warpOriginal: false });
    const d = registrationMetrics(r, fixed, labels).metrics.dice!;
    const g = r.model.fixed;
    return {
      fixed: path.basename(fixedFile),
      moving: path.basename(movingFile),
      grid: { dims: [...g.dims], spacing: g.spacing[0] },
      dice: { identity: d.before.mean, registered: d.after.mean },
    };
  } finally {
    await model.release();
  }
}

/** The result as one line for the end of a run. */
export function sampleMaskLine(s: SampleMaskDice): string {
  const f = (x: number) => x.toFixed(4);
  return `brain masks of ${s.moving} warped onto ${s.fixed} (onnx-train register --labels: model grid ${dimsText(s.grid.dims)} at ${s.grid.spacing.toFixed(1)} mm, Dice on the fixed image's grid): Dice ${f(s.dice.identity)} (identity) -> ${f(s.dice.registered)} (trained)`;
}
