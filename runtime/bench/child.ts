/**
 * The process a benchmark runs in (forked by runtime/bench/run.ts), so that its peak RSS is the
 * benchmark's own: load the session, the warm-up runs, then the timed runs; report by IPC.
 * argv[2]: the ChildJob as a JSON file.
 */
import * as fs from 'node:fs';
import type { NamedArray } from '../../sdk/state';
import { Rng } from '../../sdk/nn/rng';
import { loadSafetensors } from '../checkpoint/safetensors';
import { createSession, runSession, type SessionOptions } from '../engine/ort';
import { TrainingSession } from '../engine/session';
import type { ChildJob, ChildReport } from './spec';

/** bench_torch.py's learning rate. */
const LR = 1e-4;

function noise(shape: number[], rng: Rng): NamedArray {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { dtype: 'float32', shape, data };
}

async function bench(job: ChildJob): Promise<ChildReport> {
  const rng = new Rng(job.seed);
  const feeds: Record<string, NamedArray> = {};
  for (const { name, shape } of job.inputs) feeds[name] = noise(shape, rng);
  const opts: SessionOptions = {
    ep: job.ep,
    threads: job.threads,
    noArena: !job.arena,
    profilePrefix: job.profilePrefix,
  };
  let once: () => Promise<unknown>;
  let release: () => Promise<void>;
  if (job.stateFile) {
    const ts = await TrainingSession.create(job.modelFile, loadSafetensors(job.stateFile).tensors, opts);
    once = () => ts.step(feeds, LR);
    release = () => ts.release();
  } else {
    const s = await createSession(job.modelFile, opts);
    once = () => runSession(s, feeds);
    release = () => s.release();
  }
  for (let i = 0; i < job.warmup; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < job.runs; i++) {
    const t0 = performance.now();
    await once();
    times.push((performance.now() - t0) / 1000);
  }
  await release();
  return { times, maxRssKiB: process.resourceUsage().maxRSS };
}

const send = (r: ChildReport) => new Promise<void>((resolve) => process.send!(r, () => resolve()));

bench(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as ChildJob)
  .then(send, (e: Error) => send({ error: e.message }))
  .then(() => process.disconnect());
