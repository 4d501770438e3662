import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OpTime, ProfileSummary } from './spec';

/** One event of ORT's Chrome-trace profile (times in µs). */
interface TraceEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; mem_arena_held?: string };
}

/**
 * The trace ORT wrote for `prefix`: `<prefix>_<date>.json`, the newest one (NOTE: `endProfiling()` returns
 * undefined in onnxruntime-node, so the name is found on disk).
 */
export function findTrace(prefix: string, since = 0): string | null {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix) + '_';
  const found = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(base) && f.endsWith('.json'))
    .map((f) => path.join(dir, f))
    .map((f) => ({ f, t: fs.statSync(f).mtimeMs }))
    .filter(({ t }) => t >= since)
    .sort((a, b) => b.t - a.t);
  return found.length ? found[0].f : null;
}

/**
 * Kernel time by op type and by node, per step, over the runs after the first `skip` (the warm-up);
 * plus the largest memory the CPU arena held meanwhile.
 */
export function summarizeTrace(trace: string, events: TraceEvent[], skip = 1, top = 10): ProfileSummary {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const from = runs.length > skip ? runs[skip].ts : 0;
  const counted = Math.max(1, runs.length - skip);
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= from);
  const byOp = new Map<string, { us: number; nodes: Set<string> }>();
  const byNode = new Map<string, { op: string; us: number }>();
  let arena = -1;
  for (const e of kernels) {
    const op = e.args?.op_name ?? '?';
    const node = e.name.slice(0, -'_kernel_time'.length);
    const o = byOp.get(op) ?? { us: 0, nodes: new Set<string>() };
    o.us += e.dur;
    o.nodes.add(node);
    byOp.set(op, o);
    const n = byNode.get(node) ?? { op, us: 0 };
    n.us += e.dur;
    byNode.set(node, n);
    const held = Number(e.args?.mem_arena_held);
    if (Number.isFinite(held)) arena = Math.max(arena, held);
  }
  const totalUs = [...byOp.values()].reduce((s, o) => s + o.us, 0);
  const ms = (us: number) => us / 1000 / counted;
  const ops: OpTime[] = [...byOp]
    .sort((a, b) => b[1].us - a[1].us)
    .map(([op, o]) => ({ op, ms: ms(o.us), share: totalUs ? o.us / totalUs : 0, nodes: o.nodes.size }));
  const topNodes = [...byNode]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, top)
    .map(([node, n]) => ({ node, op: n.op, ms: ms(n.us) }));
  return {
    trace,
    runs: counted,
    kernelMs: ms(totalUs),
    ops,
    topNodes,
    arenaPeakMiB: arena >= 0 ? arena / 2 ** 20 : null,
  };
}

/** Reads and summarizes a trace file. */
export function readTrace(trace: string, skip = 1): ProfileSummary {
  return summarizeTrace(trace, JSON.parse(fs.readFileSync(trace, 'utf8')) as TraceEvent[], skip);
}
