import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BuildError } from '../../sdk/errors';
import { exportModel, saveModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import { onnx } from '../../sdk/onnx/generated/onnx';
import { add, matmul, mul, reduceSum } from '../../sdk/ops';
import { createSession, runSession } from '../../runtime/engine/ort';
import { checkModelFiles, checkRecordedModels } from '../helpers/onnx-checker';

function weightsGraph() {
  const g = new Graph('w');
  const x = g.input('x', 'float32', [2, 300]);
  const w = g.param('layer.weight', 'float32', [300, 4]);
  const b = g.param('layer.bias', 'float32', [4]);
  g.scoped('layer', () => g.output('y', add(matmul(x, w), b)));
  const weights = new Map([
    [
      'layer.weight',
      { dtype: 'float32' as const, shape: [300, 4], data: Float32Array.from({ length: 1200 }, (_, i) => Math.sin(i)) },
    ],
    ['layer.bias', { dtype: 'float32' as const, shape: [4], data: Float32Array.of(1, 2, 3, 4) }],
  ]);
  return { g, weights };
}

test('initializers vs external data give the same results, and both pass the ONNX checker', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-'));
  const { g, weights } = weightsGraph();
  const inline = path.join(dir, 'inline.onnx');
  const ext = path.join(dir, 'ext.onnx');
  saveModel(g, inline, { weights });
  const e = saveModel(g, ext, { weights, externalData: true });
  expect(fs.existsSync(`${ext}.data`)).toBe(true);
  expect(e.model.byteLength).toBeLessThan(fs.statSync(inline).size - 4000);
  const x = {
    dtype: 'float32' as const,
    shape: [2, 300],
    data: Float32Array.from({ length: 600 }, (_, i) => Math.cos(i)),
  };
  const a = await runSession(await createSession(inline), { x });
  const b = await runSession(await createSession(ext), { x });
  expect(Array.from(b.y.data as Float32Array)).toEqual(Array.from(a.y.data as Float32Array));
  // Loading external data from bytes (the browser path).
  const c = await runSession(
    await createSession(e.model, { externalData: [{ path: 'ext.onnx.data', data: e.external!.data }] }),
    { x },
  );
  expect(Array.from(c.y.data as Float32Array)).toEqual(Array.from(a.y.data as Float32Array));
  expect(checkModelFiles([inline, ext])).toEqual([]);
});

test('node names follow module paths; dead nodes are eliminated; order is topological', () => {
  const { g, weights } = weightsGraph();
  g.scoped('unused', () => mul(g.inputs[0], 3));
  const proto = onnx.ModelProto.decode(exportModel(g, { weights }).model);
  const names = proto.graph!.node!.map((n) => n.name);
  expect(names.some((n) => n!.startsWith('layer/MatMul'))).toBe(true);
  expect(names.some((n) => n!.startsWith('unused'))).toBe(false);
  const seen = new Set(proto.graph!.input!.map((i) => i.name).concat(proto.graph!.initializer!.map((i) => i.name)));
  for (const n of proto.graph!.node!) {
    for (const i of n.input!) if (i) expect(seen.has(i)).toBe(true);
    for (const o of n.output!) seen.add(o);
  }
});

test('parameters become graph inputs with params: inputs', () => {
  const { g } = weightsGraph();
  const proto = onnx.ModelProto.decode(exportModel(g, { params: 'inputs' }).model);
  expect(proto.graph!.input!.map((i) => i.name)).toEqual(['x', 'layer.weight', 'layer.bias']);
  expect(proto.graph!.initializer!.length).toBe(0);
});

test('the exporter refuses an op newer than the target opset, and missing or misshaped weights', () => {
  const { g, weights } = weightsGraph();
  expect(() => exportModel(g, { weights, opset: 12 })).toThrow(/opset 12 is not supported/);
  expect(() => exportModel(g, {})).toThrow(/no weight given for parameter 'layer.weight'/);
  const bad = new Map(weights);
  bad.set('layer.bias', { dtype: 'float32', shape: [5], data: new Float32Array(5) });
  expect(() => exportModel(g, { weights: bad })).toThrow(
    /weight 'layer.bias' is float32\[5\] but the graph needs float32\[4\]/,
  );
  const h = new Graph('scatter');
  const d = h.input('d', 'float32', [4]);
  h.output('y', reduceSum(d, [0]));
  expect(() => exportModel(h, { opset: 13 })).not.toThrow();
});

test('exported models pass the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});

test('BuildError is what shape errors become', () => {
  const g = new Graph('e');
  const x = g.input('x', 'float32', [2, 3]);
  const y = g.input('y', 'float32', [4]);
  let err: unknown;
  g.scoped('unet', () =>
    g.scoped('down2', () => {
      try {
        add(x, y);
      } catch (e) {
        err = e;
      }
    }),
  );
  expect(err).toBeInstanceOf(BuildError);
  expect((err as Error).message).toBe(
    "Add at 'unet.down2': shapes [2,3] and [4] do not broadcast (inputs: A=float32[2,3], B=float32[4])",
  );
});

test('an output named apart from its value is written by the producing node; inputs and repeats get an Identity', async () => {
  const g = new Graph('names');
  const x = g.input('x', 'float32', [3]);
  const h = mul(x, 2); // also consumed by the next node
  const y = add(h, 1);
  g.output('twice', h);
  g.output('again', h); // the same value under a second name
  g.output('y', y);
  g.output('x_out', x); // a graph input
  const model = onnx.ModelProto.decode(exportModel(g).model);
  const nodes = model.graph!.node!;
  const ops = nodes.map((n) => n.opType);
  expect(ops.filter((o) => o === 'Identity')).toHaveLength(2);
  expect(nodes.find((n) => n.opType === 'Mul')!.output).toEqual(['twice']);
  expect(nodes.find((n) => n.opType === 'Add')!.input).toContain('twice');
  expect(nodes.filter((n) => n.opType === 'Identity').map((n) => [n.input![0], n.output![0]])).toEqual([
    ['twice', 'again'],
    ['x', 'x_out'],
  ]);
  expect(model.graph!.valueInfo!.map((v) => v.name)).not.toContain(h.name);
  const r = await runSession(await createSession(exportModel(g).model), {
    x: { dtype: 'float32', shape: [3], data: Float32Array.of(1, 2, 3) },
  });
  expect(Array.from(r.twice.data as Float32Array)).toEqual([2, 4, 6]);
  expect(Array.from(r.again.data as Float32Array)).toEqual([2, 4, 6]);
  expect(Array.from(r.y.data as Float32Array)).toEqual([3, 5, 7]);
  expect(Array.from(r.x_out.data as Float32Array)).toEqual([1, 2, 3]);
});
