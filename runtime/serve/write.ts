import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../sdk/bytes';
import { writeNifti } from '../data/nifti';
import type { Volume } from '../data/volume';
import { NIFTI_INTENT_VECTOR, toLps } from './mapping';
import { magnitude, type RegistrationResult } from './pipeline';

export { NIFTI_INTENT_VECTOR };

export interface WrittenFiles {
  warped?: string;
  /** The field on the fixed image's grid, ITK/ANTs convention (LPS, intent 1007); with the warped image only. */
  displacementItk?: string;
  /** The field on the model grid, RAS. */
  displacement: string;
  flowMagnitude: string;
  transform: string;
  model: { fixed: string; moving: string; warped: string };
}

/**
 * Writes a registration into `dir`:
 * - `warped.nii.gz`: the moving image on the fixed image's grid (its own intensities), with the fixed file's
 *   sform/qform codes;
 * - `displacement-itk.nii.gz`: the whole transform (affine + deformable) on the fixed image's grid, as ITK
 *   displacement-field transforms take it (ANTs' `*Warp.nii.gz` convention): T(p) = p + u(p) maps a fixed
 *   physical point to the moving one, u in mm with LPS components (ITK's physical frame), 5-D
 *   (dim = [5, X, Y, Z, 1, 3]), float32, intent code 1007 (NIFTI_INTENT_VECTOR: ITK reads the components as
 *   they are, without the RAS→LPS conversion it applies to intent 1006). `antsApplyTransforms -i moving -r
 *   fixed -t displacement-itk.nii.gz` or SimpleITK's DisplacementFieldTransform reproduce warped.nii.gz;
 * - `model/displacement-ras.nii.gz`: the same transform on the fixed model grid, RAS+ (x, y, z) components
 *   (NIfTI's world), intent 1007;
 * - `flow-magnitude.nii.gz`: |deformable flow| in mm on the fixed model grid (an overlay);
 * - `model/fixed.nii.gz`, `model/moving.nii.gz`, `model/warped.nii.gz`: the network's inputs and output;
 * - `transform.json`: the matrices, the geometry, how the volumes were fitted to the model grid.
 */
export function writeRegistration(
  dir: string,
  r: RegistrationResult,
  extra: Record<string, unknown> = {},
): WrittenFiles {
  fs.mkdirSync(path.join(dir, 'model'), { recursive: true });
  const file = (f: string) => path.join(dir, f);
  const files: WrittenFiles = {
    displacement: file('model/displacement-ras.nii.gz'),
    flowMagnitude: file('flow-magnitude.nii.gz'),
    transform: file('transform.json'),
    model: {
      fixed: file('model/fixed.nii.gz'),
      moving: file('model/moving.nii.gz'),
      warped: file('model/warped.nii.gz'),
    },
  };
  if (r.warped) {
    files.warped = file('warped.nii.gz');
    writeNifti(files.warped, r.warped, {
      description: 'gvsl-onnx register: moving on the fixed grid',
      intent: { code: 0 },
    });
  }
  if (r.displacementOnFixed) {
    files.displacementItk = file('displacement-itk.nii.gz');
    writeNifti(files.displacementItk, toLps(r.displacementOnFixed), {
      intent: { code: NIFTI_INTENT_VECTOR, name: 'disp mm LPS' },
      description: 'gvsl-onnx register: ITK displacement field, LPS mm, T(p) = p + u(p)',
    });
  }
  writeNifti(files.displacement, r.displacement, {
    intent: { code: NIFTI_INTENT_VECTOR, name: 'disp mm RAS' },
    description: 'gvsl-onnx register: displacement u(x) in mm (RAS), T(x) = x + u(x)',
  });
  // The deformable flow in mm: channels (d, h, w) in voxels times the grid spacing (sd, sh, sw).
  const n = r.flow.data.length / 3;
  const mm = new Float32Array(r.flow.data.length);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) mm[c * n + i] = r.flow.data[c * n + i] * r.flow.spacing[c];
  writeNifti(files.flowMagnitude, magnitude({ ...r.flow, data: mm }), {
    description: 'gvsl-onnx register: |flow| in mm',
  });
  writeNifti(files.model.fixed, r.model.fixed, { description: 'gvsl-onnx register: fixed on the model grid' });
  writeNifti(files.model.moving, r.model.moving, { description: 'gvsl-onnx register: moving on the model grid' });
  writeNifti(files.model.warped, r.model.warped, { description: 'gvsl-onnx register: network output warp_BA' });
  const json = {
    geometry: r.geometry,
    affine: rows(r.affine, 4),
    worldAffine: rows(r.worldAffine, 4),
    fit: r.fit,
    displacement: {
      ...(r.displacementOnFixed
        ? {
            itk: {
              file: 'displacement-itk.nii.gz',
              grid: 'the fixed image',
              units: 'mm',
              frame: 'LPS (ITK physical space)',
              intent: 'NIFTI_INTENT_VECTOR (1007)',
              meaning:
                'T(p) = p + u(p) maps a fixed physical point to the moving one (ITK DisplacementFieldTransform, ANTs *Warp.nii.gz)',
            },
          }
        : {}),
      model: {
        file: 'model/displacement-ras.nii.gz',
        grid: 'the fixed model grid',
        units: 'mm',
        frame: 'RAS+ (NIfTI world)',
        meaning: 'T(x) = x + u(x) maps a fixed world point to the moving world point',
      },
    },
    ...extra,
  };
  writeFileAtomic(files.transform, JSON.stringify(json, null, 2) + '\n');
  return files;
}

function rows(m: number[], width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.length; i += width) out.push(m.slice(i, i + width));
  return out;
}

/** Writes a label map as integers: uint8 when its labels fit, else int16 (else float32, exact to 2^24). */
export function writeLabelMap(file: string, labels: Volume, description = 'gvsl-onnx register: labels'): void {
  let max = 0;
  for (const v of labels.data) if (v > max) max = v;
  writeNifti(file, labels, { datatype: max <= 255 ? 'uint8' : max <= 32767 ? 'int16' : 'float32', description });
}
