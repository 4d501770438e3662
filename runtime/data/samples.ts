import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Files of data/samples (see its README), in a fixed order: ch2 at 2 mm, then itk-t1-head. */
export const SAMPLE_FILES = ['ch2-2mm.nii.gz', 'itk-t1-head.nii.gz'] as const;

/** The bundled samples folder, found from the sources (runtime/data) or the build (dist/runtime/data). */
export function samplesDir(): string {
  const candidates = [resolve(__dirname, '..', '..', 'data', 'samples'), resolve(__dirname, '..', '..', '..', 'data', 'samples')];
  const dir = candidates.find((d) => existsSync(join(d, SAMPLE_FILES[0])));
  if (!dir) throw new Error(`bundled sample volumes not found (looked in ${candidates.join(', ')})`);
  return dir;
}

/** Full paths of the bundled sample volumes. */
export function samplePaths(): string[] {
  const dir = samplesDir();
  return SAMPLE_FILES.map((f) => join(dir, f));
}
