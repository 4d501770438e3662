import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadVolume, prepareVolume, presetFromName, reorient, resample, type Volume } from '../data';
import { DataError } from '../data/errors';
import type { FinetuneConfig, LabelledPair } from './config';

const VOLUME_FILE = /\.nii(\.gz)?$/i;

/** A file name without its .nii / .nii.gz extension: images and labels are matched by it. */
export const stemOf = (file: string) => path.basename(file).replace(VOLUME_FILE, '');

function listVolumes(dir: string, what: string): string[] {
  const p = path.resolve(dir);
  if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) throw new DataError(`${what} ${dir}: no such folder`);
  return fs
    .readdirSync(p)
    .filter((f) => VOLUME_FILE.test(f))
    .sort()
    .map((f) => path.join(p, f));
}

/**
 * Pairs every image of `imagesDir` with the label map of the same name (ignoring .nii vs .nii.gz) in
 * `labelsDir`. An image without a label map is an error naming it; label maps without an image are reported
 * through `warn`.
 */
export function pairFiles(imagesDir: string, labelsDir: string, warn: (m: string) => void = () => {}): LabelledPair[] {
  const images = listVolumes(imagesDir, '--images');
  if (images.length === 0) throw new DataError(`--images ${imagesDir}: no .nii or .nii.gz files`);
  const labels = new Map(listVolumes(labelsDir, '--labels').map((f) => [stemOf(f), f]));
  const pairs = images.map((image) => {
    const label = labels.get(stemOf(image));
    if (!label)
      throw new DataError(
        `${image}: no label map of the same name in ${labelsDir} (expected ${stemOf(image)}.nii.gz or ${stemOf(image)}.nii)`,
      );
    labels.delete(stemOf(image));
    return { image, label };
  });
  if (labels.size)
    warn(
      `${labels.size} label map(s) in ${labelsDir} have no image and are ignored: ${[...labels.values()].map((f) => path.basename(f)).join(', ')}`,
    );
  return pairs;
}

/** Throws a DataError naming the label file when its voxel grid (dims and affine) is not the image's. */
export function checkSameGrid(image: Volume, label: Volume): void {
  const fmt = (v: Volume) =>
    `${[...v.dims].reverse().join('x')} voxels of ${[...v.spacing]
      .reverse()
      .map((s) => +s.toFixed(4))
      .join('x')} mm`;
  if (image.dims.some((d, i) => d !== label.dims[i])) {
    throw new DataError(
      `${label.name}: the label map's grid (${fmt(label)}) does not match its image ${image.name} (${fmt(image)}); labels must be drawn on the image's voxel grid`,
    );
  }
  // NIfTI stores the affine in float32: allow its rounding, nothing more.
  const worst = image.affine
    .slice(0, 12)
    .reduce((w, a, i) => Math.max(w, Math.abs(a - label.affine[i]) / (1 + Math.abs(a))), 0);
  if (worst > 1e-4) {
    const row = (m: number[]) =>
      `[${m
        .slice(0, 12)
        .map((x) => +x.toFixed(3))
        .join(' ')}]`;
    throw new DataError(
      `${label.name}: the label map's affine ${row(label.affine)} does not match its image ${image.name} ${row(image.affine)}: same dims, but the voxels lie elsewhere in space`,
    );
  }
}

/** Throws when a label map holds something other than the class indices 0..classes−1. */
export function checkLabelValues(label: Volume, classes: number): void {
  let bad = -1;
  let count = 0;
  for (let i = 0; i < label.data.length; i++) {
    const v = label.data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
      if (bad < 0) bad = i;
      count++;
    }
  }
  if (bad >= 0) {
    throw new DataError(
      `${label.name}: value ${label.data[bad]} (${count} voxel(s)) is not a class index 0..${classes - 1} (--classes ${classes}); relabel the map or raise --classes`,
    );
  }
}

/** An image prepared for the network and its label map on the same (prepared) grid. */
export interface LabelledVolume {
  image: Volume;
  label: Volume;
}

/**
 * Loads a pair, checks the grids match and the label values, then prepares both like pre-training: reorient
 * to RAS (exact, both), resample to `spacing` (image trilinear, labels nearest), normalise the image.
 */
export function loadPair(
  pair: LabelledPair,
  cfg: Pick<FinetuneConfig, 'classes' | 'normalize' | 'spacing'>,
): LabelledVolume {
  const img = loadVolume(pair.image);
  const lab = loadVolume(pair.label);
  lab.name = pair.label;
  checkSameGrid(img, lab);
  checkLabelValues(lab, cfg.classes);
  const image = prepareVolume(img, { normalize: presetFromName(cfg.normalize), spacing: cfg.spacing });
  let label = reorient(lab);
  if (cfg.spacing !== undefined) label = resample(label, cfg.spacing, { mode: 'nearest' });
  return { image, label };
}
