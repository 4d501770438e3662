import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadVolume, prepareVolume, presetFromName, type Volume } from '../data';
import { isNnunetDataset, oneChannel, pickChannel, readDataset } from '../data/datasets';
import { DataError } from '../data/errors';
import { degenerateWarning } from '../data/geometry-check';
import type { PretrainConfig } from './config';

const VOLUME_FILE = /\.nii(\.gz)?$/i;
const isDicomDir = (dir: string) => fs.readdirSync(dir).some((f) => /\.dcm$/i.test(f));

/**
 * Resolves the data arguments to volume sources: a .nii/.nii.gz file, a DICOM folder (slices *.dcm), a
 * folder holding such files and DICOM sub-folders (one level), an nnU-Net raw dataset folder (the images of
 * imagesTr and imagesTs; labels are not needed) or a datalist .json (every image it lists). Multi-channel
 * datasets need `channel` (a name or an index).
 */
export function discoverVolumes(
  args: readonly string[],
  opts: { channel?: string; warn?: (m: string) => void } = {},
): string[] {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const out: string[] = [];
  for (const a of args) {
    const p = path.resolve(a);
    if (!fs.existsSync(p))
      throw new DataError(
        `${a}: ${fs.lstatSync(p, { throwIfNoEntry: false }) ? 'a dangling symbolic link (its target does not exist)' : 'no such file or folder'}`,
      );
    if (isNnunetDataset(p) || (fs.statSync(p).isFile() && /\.json$/i.test(p))) {
      const ds = readDataset(p, { warn });
      const ch = pickChannel(ds, opts.channel);
      for (const c of [...ds.training, ...ds.validation, ...ds.test]) out.push(c.images[ch]);
    } else if (fs.statSync(p).isFile()) {
      if (!VOLUME_FILE.test(p)) throw new DataError(`${a}: not a volume (expected .nii, .nii.gz or a DICOM folder)`);
      out.push(p);
    } else if (isDicomDir(p)) {
      out.push(p);
    } else {
      const found: string[] = [];
      for (const f of fs.readdirSync(p).sort()) {
        const q = path.join(p, f);
        const st = fs.statSync(q, { throwIfNoEntry: false });
        if (!st) {
          warn(`${q}: a dangling symbolic link (its target does not exist); skipped`);
          continue;
        }
        if (st.isFile() ? VOLUME_FILE.test(f) : st.isDirectory() && isDicomDir(q)) found.push(q);
      }
      out.push(...oneChannel(found, a, opts.channel));
    }
  }
  if (out.length === 0)
    throw new DataError(`no volumes found in ${args.join(', ')} (looked for .nii, .nii.gz and DICOM folders)`);
  if (out.length === 1)
    throw new DataError(
      `only one volume found (${out[0]}): GVSL trains on pairs of different volumes, give at least two`,
    );
  return out;
}

/** Loads and prepares every volume (reorient to RAS, resample, normalise); checks the crop fits. */
export function loadVolumes(cfg: PretrainConfig, warn: (msg: string) => void): Volume[] {
  const preset = presetFromName(cfg.normalize);
  const vols = cfg.volumes.map((f) => {
    const raw = loadVolume(f);
    const degenerate = degenerateWarning(raw);
    if (degenerate) warn(degenerate);
    const v = prepareVolume(raw, { normalize: preset, spacing: cfg.spacing });
    v.name = v.name ?? path.basename(f);
    return v;
  });
  const fits = vols.filter((v) => v.dims.every((d, i) => d >= cfg.size[i]));
  if (fits.length === 0) {
    const dims = vols.map((v) => `${v.name ?? '?'} ${v.dims.join('x')}`).join(', ');
    warn(
      `the crop ${cfg.size.join('x')} is larger than every volume after resampling (${dims}): crops are zero-padded; use a smaller --size or a finer --spacing`,
    );
  }
  return vols;
}
