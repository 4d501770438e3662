// Stand-in for node:zlib in the browser bundle: gzipped NIfTI bytes are inflated with DecompressionStream
// (src/nifti.ts) before parseNifti sees them, so these are never reached.
const unavailable = (..._args: unknown[]): never => {
  throw new Error('gzip data must be inflated with DecompressionStream first');
};
export const gunzipSync = unavailable;
export const gzipSync = unavailable;
