import * as fs from 'node:fs';
import { pid, platform } from 'node:process';
import type { TypedArray } from './dtype';

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The temporary files writeFileAtomic leaves when its process is killed mid-write: `.<name>.<pid>.tmp`. */
export const ATOMIC_TMP = /^\..+\.(\d+)\.tmp$/;

/**
 * The temporary file an atomic write of `file` goes through (same folder, named as ATOMIC_TMP expects, so a run's
 * leftover cleanup removes it after a kill). String splitting rather than node:path, which the browser bundle
 * (through writeNifti) does not have; `pid` and `platform` come from node:process, which it replaces by a stand-in
 * (so its type check needs no Node globals).
 */
export function atomicTmpPath(file: string): string {
  const cut = Math.max(file.lastIndexOf('/'), platform === 'win32' ? file.lastIndexOf('\\') : -1) + 1;
  return `${file.slice(0, cut)}.${file.slice(cut)}.${pid}.tmp`;
}

/**
 * Writes bytes atomically: a temporary file in the same folder, then a rename. On failure (no space, no
 * permission) the temporary file is removed and the error rethrown with `file` as its path (a failed write(2)
 * names none, an open the temporary file); the previous `file` is untouched.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmpFile = atomicTmpPath(file);
  try {
    fs.writeFileSync(tmpFile, data);
    fs.renameSync(tmpFile, file);
  } catch (e) {
    fs.rmSync(tmpFile, { force: true });
    const err = e as { code?: string; path?: string }; // NodeJS.ErrnoException, without Node's global types
    if (err.code && (!err.path || err.path === tmpFile)) err.path = file; // the temporary file is gone
    throw e;
  }
}
