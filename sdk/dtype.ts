/** Element types the DSL knows, with their ONNX TensorProto.DataType codes. */
export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';

export const ONNX_ELEM_TYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

export const DTYPE_OF_ONNX: Record<number, DType> = Object.fromEntries(
  Object.entries(ONNX_ELEM_TYPE).map(([k, v]) => [v, k as DType]),
);

export const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int64: 8,
  int32: 4,
  bool: 1,
  uint8: 1,
};

export type TypedArray = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16';
}

export function isInt(d: DType): boolean {
  return d === 'int64' || d === 'int32' || d === 'uint8';
}

/** A zero-filled typed array of the storage type ORT uses for `dtype` (float16 is raw Uint16 bits). */
export function allocate(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
      return new Uint16Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
    case 'uint8':
      return new Uint8Array(n);
  }
}

/** Converts plain numbers to the storage type of `dtype` (float16 is not supported from numbers). */
export function fromNumbers(dtype: DType, values: ArrayLike<number>): TypedArray {
  if (dtype === 'int64') return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
  if (dtype === 'float16') throw new Error('fromNumbers: float16 constants must be given as raw Uint16Array bits');
  const out = allocate(dtype, values.length) as Float32Array;
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

/** Reads any storage array back as numbers (int64 through Number()). */
export function toNumbers(data: TypedArray): number[] {
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
