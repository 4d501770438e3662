/** Plain-TypeScript reference of the HashUniform primitive (sdk/ops/hash-uniform.ts), in BigInt arithmetic. */
const M32 = 4294967296n;

export function refHashUniform(count: number, seed: number, salt: number): Float64Array {
  const mod = (v: bigint) => ((v % M32) + M32) % M32;
  const s = mod(BigInt(seed));
  const base = mod(s * 0x2545f491n + BigInt(salt));
  const addShift = (x: bigint) => mod(x + x / 65536n);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let h = mod(BigInt(i) * BigInt(0x3c6ef372 + 1) + base);
    for (let r = 0; r < 2; r++) h = mod(addShift(h) * 0x45d9f3bn);
    h = addShift(h);
    out[i] = Number(h / 256n) * 2 ** -24;
  }
  return out;
}
