import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { prepareBenchmark } from './prepare';
import { describeMachine, fp32PeakGflops, loadAverage } from './machine';
import { findTrace, readTrace } from './profile';
import {
  type BenchResult,
  type BenchSpec,
  type ChildJob,
  type ChildReport,
  isSegModel,
  type ProfileSummary,
} from './spec';

const ARENA_NOTE = 'not exposed by onnxruntime-node; --profile reads it from the trace (mem_arena_held)';

/** The compiled child script; none when running from the TypeScript sources. */
export function childScript(): string {
  const f = path.join(__dirname, 'child.js');
  if (!fs.existsSync(f)) throw new Error(`the benchmark runs ${f}, which is missing: build first (npm run build)`);
  return f;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `job` in a fresh Node process and returns its report. */
function runChild(job: ChildJob, dir: string): Promise<{ times: number[]; maxRssKiB: number }> {
  const jobFile = path.join(dir, 'job.json');
  fs.writeFileSync(jobFile, JSON.stringify(job));
  return new Promise((resolve, reject) => {
    // The child's stdout goes to our stderr: our stdout carries only the JSON line.
    const child = fork(childScript(), [jobFile], { stdio: ['ignore', 2, 2, 'ipc'] });
    let report: ChildReport | null = null;
    child.on('message', (m: ChildReport) => (report = m));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const r = report as ChildReport | null;
      if (r && 'error' in r) reject(new Error(`benchmark failed: ${r.error}`));
      else if (r) resolve(r);
      else
        reject(
          new Error(
            `the benchmark process ended without a result (${signal ? `signal ${signal}` : `exit code ${code}`}${signal === 'SIGKILL' ? ': out of memory?' : ''})`,
          ),
        );
    });
  });
}

/** Builds the graph, times it in a child process, and summarizes (profile included with `profileDir`). */
export async function runBenchmark(spec: BenchSpec): Promise<{ result: BenchResult; profile: ProfileSummary | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-train-bench-'));
  try {
    const prep = prepareBenchmark(spec, dir);
    const started = Date.now();
    const loadBefore = loadAverage();
    const { times, maxRssKiB } = await runChild(prep.job, dir);
    const loadAfter = loadAverage();
    const machine = describeMachine();
    const peak = machine.cpu_mhz ? fp32PeakGflops(machine, spec.threads) : null;
    let profile: ProfileSummary | null = null;
    if (prep.job.profilePrefix) {
      const trace = findTrace(prep.job.profilePrefix, started - 1000);
      if (!trace) throw new Error(`ONNX Runtime wrote no profile named ${prep.job.profilePrefix}_*.json`);
      profile = readTrace(trace, spec.warmup);
    }
    const med = median(times);
    const voxels = spec.batch * spec.size[0] * spec.size[1] * spec.size[2];
    const result: BenchResult = {
      impl: `onnxruntime-node-${ort.env.versions.node ?? ort.env.versions.common}`,
      model: spec.model,
      size: [...spec.size],
      chan: [...spec.chan],
      batch: spec.batch,
      ...(isSegModel(spec.model) ? { classes: spec.classes } : {}),
      ep: spec.ep,
      threads: spec.threads,
      warmup: spec.warmup,
      runs: spec.runs,
      cpu_arena: spec.arena,
      times_s: times,
      median_s: med,
      min_s: Math.min(...times),
      max_s: Math.max(...times),
      voxels_per_s: voxels / med,
      peak_rss_mib: Math.round(maxRssKiB / 1024),
      arena_peak_mib: profile?.arenaPeakMiB != null ? Math.round(profile.arenaPeakMiB) : null,
      arena: ARENA_NOTE,
      flops: prep.flops,
      gflops_per_s: prep.flops / med / 1e9,
      nodes: prep.nodes,
      machine,
      load_avg: [loadBefore, loadAfter],
      fp32_peak_gflops: peak,
      peak_fraction: peak ? prep.flops / med / 1e9 / peak : null,
    };
    if (profile)
      result.profile = { trace: profile.trace, top_ops: profile.ops.slice(0, 10), top_nodes: profile.topNodes };
    return { result, profile };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
