import { det3, invert3 } from './affine';

/** The quaternion form of a NIfTI qform: rotation (b, c, d), offset, voxel sizes and qfac (= pixdim[0]). */
export interface Qform {
  b: number;
  c: number;
  d: number;
  offset: [number, number, number];
  pixdim: [number, number, number];
  qfac: 1 | -1;
}

/** The 4x4 row-major affine of a qform, as nifti1_io.c's nifti_quatern_to_mat44 builds it. */
export function qformToAffine(q: Qform): number[] {
  let { b, c, d } = q;
  let a = 1 - (b * b + c * c + d * d);
  // NOTE: float32 headers often store a rotation whose b²+c²+d² exceeds 1 by rounding; nifti1_io then
  // renormalises and takes a = 0, which keeps 90° rotations exact (nifti-reader-js does not).
  if (a < 1e-7) {
    const s = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= s;
    c *= s;
    d *= s;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  const [xd, yd, zd0] = q.pixdim.map((v) => (v > 0 ? v : 1));
  const zd = q.qfac < 0 ? -zd0 : zd0;
  const r = [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b,
  ];
  const s = [xd, yd, zd];
  const out = [0, 0, 0, q.offset[0], 0, 0, 0, q.offset[1], 0, 0, 0, q.offset[2], 0, 0, 0, 1];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 4 + j] = r[i * 3 + j] * s[j];
  return out;
}

/**
 * The qform closest to an affine (nifti1_io.c's nifti_mat44_to_quatern): column norms become pixdim, the
 * direction matrix is orthogonalised by polar decomposition, a reflection goes into qfac.
 */
export function affineToQform(m: readonly number[]): Qform {
  const cols = [0, 1, 2].map((j) => [m[j], m[4 + j], m[8 + j]]);
  const pixdim = cols.map((v) => Math.hypot(...v)) as [number, number, number];
  const q = new Array<number>(9);
  for (let j = 0; j < 3; j++) {
    const n = pixdim[j];
    for (let i = 0; i < 3; i++) q[i * 3 + j] = n > 0 ? cols[j][i] / n : i === j ? 1 : 0;
    if (!(n > 0)) pixdim[j] = 1;
  }
  const p = polar(q);
  let qfac: 1 | -1 = 1;
  if (det3(p) < 0) {
    qfac = -1;
    p[2] = -p[2];
    p[5] = -p[5];
    p[8] = -p[8];
  }
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = p;
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, offset: [m[3], m[7], m[11]], pixdim, qfac };
}

/** The orthogonal factor of a 3x3 matrix (Newton iteration X ← (X + X⁻ᵀ)/2). */
function polar(m: readonly number[]): number[] {
  let x = [...m];
  for (let it = 0; it < 50; it++) {
    const inv = invert3(x);
    const next = x.map((v, k) => 0.5 * (v + inv[(k % 3) * 3 + Math.floor(k / 3)]));
    const delta = next.reduce((s, v, k) => s + Math.abs(v - x[k]), 0);
    x = next;
    if (delta < 1e-14) break;
  }
  return x;
}
