/** Plain-TypeScript references for the composite layers (torch.nn.GroupNorm, LeakyReLU), float64 on ND arrays. */
import { ND } from './nd';

/**
 * torch.nn.GroupNorm: per sample and group of C/groups channels, (x − mean) / √(var + eps) · γ_c + β_c with
 * the biased variance over the group's channels and every spatial position.
 */
export function refGroupNorm(x: ND, groups: number, gamma: ND, beta: ND, eps = 1e-5): ND {
  const [n, c] = x.shape;
  const inner = x.size / (n * c);
  const per = (c / groups) * inner;
  const y = new ND([...x.shape]);
  for (let b = 0; b < n; b++) {
    for (let grp = 0; grp < groups; grp++) {
      const start = (b * c + grp * (c / groups)) * inner;
      let mean = 0;
      for (let i = 0; i < per; i++) mean += x.data[start + i];
      mean /= per;
      let v = 0;
      for (let i = 0; i < per; i++) v += (x.data[start + i] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / per + eps);
      for (let i = 0; i < per; i++) {
        const ch = grp * (c / groups) + Math.floor(i / inner);
        y.data[start + i] = (x.data[start + i] - mean) * inv * gamma.data[ch] + beta.data[ch];
      }
    }
  }
  return y;
}

/** torch.nn.LeakyReLU: x for x > 0, slope·x otherwise. */
export function refLeakyRelu(x: ND, slope: number): ND {
  return x.map((v) => (v > 0 ? v : slope * v));
}
