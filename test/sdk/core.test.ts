import { Graph } from '../../sdk/graph';
import { add, reduceSum } from '../../sdk/ops';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { runGraph } from '../helpers/run';

test('a two-op graph runs in onnxruntime-node and passes the ONNX checker', async () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [2, 3]);
  const y = g.input('y', 'float32', [3]);
  g.output('z', reduceSum(add(x, y), [1]));
  const out = await runGraph(g, {
    x: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    y: { dtype: 'float32', shape: [3], data: Float32Array.from([10, 20, 30]) },
  });
  expect(out.z.shape).toEqual([2]);
  expect(Array.from(out.z.data as Float32Array)).toEqual([66, 75]);
  expect(checkRecordedModels()).toEqual([]);
});
