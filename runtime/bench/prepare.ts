import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VolumeShape } from '../../graphs/build';
import { exportModel } from '../../sdk/export';
import { countFlops } from '../../sdk/flops';
import type { StateDict } from '../../sdk/state';
import { saveSafetensors } from '../checkpoint/safetensors';
import { parseWidths } from '../../graphs/unet';
import { checkWebGpuGraph } from '../engine/gpu-limits';
import { buildBenchGraph } from './graphs';
import type { BenchSpec, ChildJob } from './spec';

/** ORT refuses protobuf models above 2 GiB; weights beyond this go to an external-data file. */
const INLINE_LIMIT = 1.5 * 2 ** 30;

export interface PreparedBenchmark {
  job: ChildJob;
  flops: number;
  nodes: number;
}

/**
 * Builds and exports the benchmark's graph into `dir` (model, and the starting parameters of a training
 * graph), in the parent process, so that the child's peak RSS holds only ORT's session and its runs.
 */
export function prepareBenchmark(spec: BenchSpec, dir: string): PreparedBenchmark {
  const shape: VolumeShape = [spec.batch, 1, ...spec.size];
  const { graph, train, dataInputs, weights: init } = buildBenchGraph(spec.model, spec.chan, shape, spec.classes);
  if (spec.ep === 'webgpu') {
    const rebuild = (size: number[], chan?: readonly number[]) =>
      buildBenchGraph(
        spec.model,
        parseWidths(chan ?? spec.chan),
        [spec.batch, 1, size[0], size[1], size[2]],
        spec.classes,
      ).graph;
    checkWebGpuGraph(graph, { size: spec.size, chan: spec.chan }, rebuild);
  }
  const weights = init(spec.seed);
  const bytes = [...graph.params.values()].reduce((s, t) => s + 4 * t.size, 0);
  const externalData = bytes > INLINE_LIMIT ? { location: 'model.onnx.data' } : undefined;
  const m = exportModel(graph, train ? { params: 'inputs', externalData } : { weights, externalData });
  const modelFile = path.join(dir, 'model.onnx');
  fs.writeFileSync(modelFile, m.model);
  if (m.external) fs.writeFileSync(path.join(dir, m.external.location), m.external.data);
  let stateFile: string | undefined;
  if (train) {
    const state: StateDict = new Map([...graph.params.keys()].map((k) => [k, weights.get(k)!]));
    stateFile = path.join(dir, 'state.safetensors');
    saveSafetensors(stateFile, state);
  }
  const job: ChildJob = {
    modelFile,
    stateFile,
    inputs: dataInputs,
    ep: spec.ep,
    threads: spec.threads,
    arena: spec.arena,
    warmup: spec.warmup,
    runs: spec.runs,
    seed: spec.seed,
    profilePrefix: spec.profileDir
      ? path.join(path.resolve(spec.profileDir), `onnx-train-bench-${spec.model}-${spec.size.join('x')}`)
      : undefined,
  };
  return { job, flops: countFlops(graph), nodes: m.nodeCount };
}
