/**
 * 4x4 and 3x3 matrix helpers on plain row-major arrays (`m[r*4 + c]`), used for voxel-to-world affines and
 * augmentation matrices. Everything is float64; exact for the permutations and flips of orient.ts.
 */
export type Mat4 = number[];
export type Mat3 = number[];
export type Vec3 = [number, number, number];

export function identity4(): Mat4 {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
}

export function mul4(a: readonly number[], b: readonly number[]): Mat4 {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[r * 4 + k] * b[k * 4 + c];
    out[r * 4 + c] = s + 0; // no -0
  }
  return out;
}

/** The point `m · (p, 1)`. */
export function apply4(m: readonly number[], p: readonly number[]): Vec3 {
  return [0, 1, 2].map((r) => m[r * 4] * p[0] + m[r * 4 + 1] * p[1] + m[r * 4 + 2] * p[2] + m[r * 4 + 3]) as Vec3;
}

/** Inverse of an affine 4x4 (last row 0 0 0 1). */
export function invertAffine(m: readonly number[]): Mat4 {
  const r = invert3([m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]]);
  const t = [m[3], m[7], m[11]];
  const out = identity4();
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) out[i * 4 + j] = r[i * 3 + j];
    out[i * 4 + 3] = -(r[i * 3] * t[0] + r[i * 3 + 1] * t[1] + r[i * 3 + 2] * t[2]);
  }
  return out;
}

export function mul3(a: readonly number[], b: readonly number[]): Mat3 {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 3; k++) out[r * 3 + c] += a[r * 3 + k] * b[k * 3 + c];
  }
  return out;
}

export function det3(m: readonly number[]): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

export function invert3(m: readonly number[]): Mat3 {
  const d = det3(m);
  if (d === 0 || !Number.isFinite(d)) throw new Error(`singular 3x3 matrix [${m.join(', ')}]`);
  const c = [
    m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
    m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
    m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3],
  ];
  return c.map((v) => v / d);
}

/** Euclidean norm of column `c` of the 3x3 part of an affine. */
export function columnNorm(m: readonly number[], c: number): number {
  return Math.hypot(m[c], m[4 + c], m[8 + c]);
}
