import type { SpatialParams } from './spatial';

/**
 * Warps each source (all [D, H, W] as in `p.dims`) with the same transform: trilinear interpolation, zeros
 * outside (torch grid_sample's padding_mode='zeros'). Zero parameters give an exact copy.
 */
export function applySpatial(p: SpatialParams, sources: readonly Float32Array[]): Float32Array[] {
  const [D, H, W] = p.dims;
  const outs = sources.map((s) => new Float32Array(s.length));
  const HW = H * W;
  const n = D * H * W;
  const { flow, matrix: m, centre: c, translation: t } = p;
  // The official flow stage's zoom S/(S − 1) − ½ (see SpatialOptions.official), else the identity.
  const zoom = p.dims.map((s) => (p.official && s > 1 ? s / (s - 1) : 1));
  const shift = p.dims.map((s) => (p.official && s > 1 ? -0.5 : 0));
  let o = 0;
  for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++, o++) {
    // Inline sourceCoord(p, d, h, w).
    const x = (flow ? d + flow[o] : d) * zoom[0] + shift[0] - c[0];
    const y = (flow ? h + flow[n + o] : h) * zoom[1] + shift[1] - c[1];
    const z = (flow ? w + flow[2 * n + o] : w) * zoom[2] + shift[2] - c[2];
    const qd = c[0] + m[0] * x + m[1] * y + m[2] * z + t[0];
    const qh = c[1] + m[3] * x + m[4] * y + m[5] * z + t[1];
    const qw = c[2] + m[6] * x + m[7] * y + m[8] * z + t[2];
    const d0 = Math.floor(qd);
    const h0 = Math.floor(qh);
    const w0 = Math.floor(qw);
    if (d0 < -1 || d0 >= D || h0 < -1 || h0 >= H || w0 < -1 || w0 >= W) continue;
    const [fd, fh, fw] = [qd - d0, qh - h0, qw - w0];
    const inside = d0 >= 0 && d0 + 1 < D && h0 >= 0 && h0 + 1 < H && w0 >= 0 && w0 + 1 < W;
    for (let s = 0; s < sources.length; s++) {
      const src = sources[s];
      let v = 0;
      for (let c = 0; c < 8; c++) {
        const [dd, dh, dw] = [c >> 2, (c >> 1) & 1, c & 1];
        const wgt = (dd ? fd : 1 - fd) * (dh ? fh : 1 - fh) * (dw ? fw : 1 - fw);
        if (wgt === 0) continue;
        const [zd, zh, zw] = [d0 + dd, h0 + dh, w0 + dw];
        if (!inside && (zd < 0 || zd >= D || zh < 0 || zh >= H || zw < 0 || zw >= W)) continue;
        v += wgt * src[zd * HW + zh * W + zw];
      }
      outs[s][o] = v;
    }
  }
  return outs;
}
