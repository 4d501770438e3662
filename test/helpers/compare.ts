import type { NamedArray } from '../../sdk/state';

/** max |a − b| / max |b|: the error measure of the parity checks (tests, scripts/gpu-parity.ts). */
export function relErr(a: Pick<NamedArray, 'data'>, b: Pick<NamedArray, 'data'>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.data.length; i++) {
    num = Math.max(num, Math.abs(Number(a.data[i]) - Number(b.data[i])));
    den = Math.max(den, Math.abs(Number(b.data[i])));
  }
  return num / Math.max(den, 1e-30);
}
