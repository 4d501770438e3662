import type { BenchResult, ProfileSummary } from './spec';

const s3 = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3));
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** The readable summary `onnx-train bench` prints on stderr. */
export function formatSummary(r: BenchResult, p: ProfileSummary | null, top = 8): string {
  const lines = [
    `${r.model} ${r.size.join('×')} batch ${r.batch}${r.classes ? `, ${r.classes} classes` : ''}, widths ${r.chan.join(',')}, ${r.ep} EP, ${r.threads} thread(s)${r.cpu_arena ? '' : ', no CPU arena'}, ${r.impl}`,
    `  ${s3(r.median_s)} s per run (median of ${r.runs}; min ${s3(r.min_s)}, max ${s3(r.max_s)}) after ${r.warmup} warm-up run(s)`,
    `  ${s3(r.flops / 1e9)} GFLOP per run (Conv/MatMul/Gemm, ${r.nodes} ONNX nodes) → ${s3(r.gflops_per_s)} GFLOP/s; ${s3(r.voxels_per_s / 1e3)} k voxels/s`,
    r.fp32_peak_gflops && r.peak_fraction != null
      ? `  ${pct(r.peak_fraction)} of the fp32 peak of ${r.threads} core(s) (${s3(r.fp32_peak_gflops)} GFLOP/s: ${r.machine.simd_fp32_lanes} lanes × 2 FMA × 2 × ${(r.machine.cpu_mhz / 1000).toFixed(2)} GHz per core)`
      : '  fp32 peak unknown (the OS reports no clock)',
    `  ${r.machine.cpu}, ${r.machine.logical_cpus} logical CPUs; load average ${r.load_avg[0]} before, ${r.load_avg[1]} after`,
    `  peak RSS ${r.peak_rss_mib} MiB${r.arena_peak_mib != null ? `, CPU arena held up to ${r.arena_peak_mib} MiB` : ''}`,
  ];
  if (p) {
    lines.push(`  profile: ${s3(p.kernelMs)} ms of kernels per run (mean of ${p.runs} timed run(s)); top ops:`);
    for (const o of p.ops.slice(0, top))
      lines.push(`    ${o.op.padEnd(20)} ${s3(o.ms).padStart(7)} ms  ${pct(o.share).padStart(7)}  (${o.nodes} nodes)`);
    lines.push('  top nodes:');
    for (const n of p.topNodes.slice(0, 5)) lines.push(`    ${s3(n.ms).padStart(7)} ms  ${n.op.padEnd(10)} ${n.node}`);
    lines.push(`  trace: ${p.trace}`);
  }
  return lines.join('\n');
}
