import { parseNifti } from '../../../runtime/data/nifti';
import type { Volume } from '../../../runtime/data/volume';

/** NIfTI bytes (gzipped or not) → a Volume, with the project's own reader (the one Node uses). */
export async function readNiftiBytes(bytes: ArrayBuffer, name: string): Promise<Volume> {
  let raw = new Uint8Array(bytes);
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('gzip'));
    raw = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return parseNifti(raw, name);
}
