import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TypedArray } from './dtype';

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes bytes atomically: a temporary file in the same folder, then a rename. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmpFile = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmpFile, data);
  fs.renameSync(tmpFile, file);
}
