import type { Graph } from '../../sdk/graph';
import { exportModel, type ExportOptions } from '../../sdk/export';
import type { NamedArray } from '../../sdk/state';
import { createSession, runSession, type SessionOptions } from '../../runtime/engine/ort';
import { recordModel } from './onnx-checker';

/** Exports `g`, runs it once in onnxruntime-node on the CPU, and returns its outputs. */
export async function runGraph(
  g: Graph,
  feeds: Record<string, NamedArray>,
  opts: ExportOptions & { session?: SessionOptions } = {},
): Promise<Record<string, NamedArray>> {
  const { session: so, ...eo } = opts;
  const m = exportModel(g, eo);
  recordModel(g.name, m.model);
  const s = await createSession(m.model, { threads: 1, graphOptimizationLevel: 'basic', ...so });
  try {
    return await runSession(s, feeds);
  } finally {
    await s.release();
  }
}
