/** Plain-TypeScript reference of the HashUniform primitive (sdk/ops/hash-uniform.ts), in BigInt arithmetic. */
const M31 = 1n << 31n;
const mod = (v: bigint, m = M31) => ((v % m) + m) % m;
const rot = (x: bigint) => mod(x, 1n << 15n) * (1n << 16n) + x / (1n << 15n);

export function refHashUniform(count: number, seed: number, salt: number): Float64Array {
  const key = 2n * mod(mod(BigInt(seed)) * 0x2545f491n + BigInt(salt), 1n << 30n) + 1n;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const y = mod(BigInt(i) * key);
    const z = mod(y + key);
    let x = y;
    for (const w of [y, z, y]) x = rot(mod(x * x + w));
    x = mod(x * x + z);
    out[i] = Number(x / 128n) * 2 ** -24;
  }
  return out;
}
