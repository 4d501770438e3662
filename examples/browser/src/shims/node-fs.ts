// Stand-in for node:fs in the browser bundle: runtime/data/nifti.ts imports it for readNifti/writeNifti, which
// the app never calls (it parses bytes with parseNifti).
const unavailable = (..._args: unknown[]): never => {
  throw new Error('no file system in the browser');
};
export const readFileSync = unavailable;
export const writeFileSync = unavailable;
export const existsSync = (): boolean => false;
export const statSync = unavailable;
// readNifti streams the file in chunks (bounded memory); the app never calls it either.
export const openSync = unavailable;
export const closeSync = unavailable;
export const fstatSync: (fd: number) => { size: number } = unavailable;
export const readSync = unavailable;
// writeNifti writes atomically through sdk/bytes (temporary file, rename); the app never calls it.
export const renameSync = unavailable;
export const rmSync = unavailable;
