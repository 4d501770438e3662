import * as os from 'node:os';
import { allocate, BYTES, type DType, type TypedArray } from '../../sdk/dtype';

/** An error in a checkpoint file: the message names the file (and the entry when there is one). */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

// NOTE: checkpoints are little-endian and typed arrays use the host's byte order; every supported
// Node platform is little-endian, so a big-endian host is refused rather than silently misread.
const HOST_LE = os.endianness() === 'LE';

/**
 * Copies `bytes` (any alignment, little-endian) into a fresh, aligned typed array for `dtype`;
 * `bf16` widens bfloat16 bits to float32 (exact).
 */
export function typedFromBytes(dtype: DType, bytes: Uint8Array, bf16 = false): TypedArray {
  if (!HOST_LE) throw new CheckpointError('reading checkpoints needs a little-endian host');
  if (bf16) {
    const n = bytes.length >> 1;
    const out = new Float32Array(n);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = ((bytes[2 * i + 1] << 8) | bytes[2 * i]) << 16;
    return out;
  }
  const out = allocate(dtype, bytes.length / BYTES[dtype]);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}

/** The typed-array class each dtype is stored in (float16 as raw Uint16 bits, bool as Uint8). */
export function storageMatches(dtype: DType, data: TypedArray): boolean {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array;
    case 'float64':
      return data instanceof Float64Array;
    case 'float16':
      return data instanceof Uint16Array;
    case 'int64':
      return data instanceof BigInt64Array;
    case 'int32':
      return data instanceof Int32Array;
    case 'bool':
    case 'uint8':
      return data instanceof Uint8Array;
  }
}

/** The element count of `shape`, checking that every size is a non-negative integer. */
export function checkedNumel(shape: unknown, where: () => string): number {
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new CheckpointError(`${where()}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  let n = 1;
  for (const s of shape as number[]) n *= s;
  if (!Number.isSafeInteger(n)) throw new CheckpointError(`${where()}: shape ${JSON.stringify(shape)} is too large`);
  return n;
}
