/**
 * Builds a small 3-D conv net with the DSL (Conv3d → GroupNorm → LeakyReLU → MaxPool3d → Upsample → Conv3d),
 * exports it to ONNX, runs it with onnxruntime-node and prints what came out.
 *
 *   npm run example            (after npm ci, which builds the TypeScript)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createSession, runSession } from '../runtime/engine/ort';
import { Graph, saveModel } from '../sdk';
import { SmallNet } from './small-convnet-model';

async function main(): Promise<void> {
  const net = new SmallNet();
  const g = new Graph('small_convnet');
  const x = g.input('x', 'float32', [1, 1, 16, 16, 16]);
  g.output('y', net.call(x));
  const weights = net.initStateDict(42);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gvsl-onnx-example-'));
  const file = path.join(dir, 'small-convnet.onnx');
  const exported = saveModel(g, file, { weights });
  console.log(
    `built ${g.nodes.length} DSL nodes -> ${exported.nodeCount} ONNX nodes, ${net.numParameters()} parameters`,
  );
  console.log(`wrote ${file} (${exported.model.byteLength} bytes)`);

  // A smooth test volume: a centred Gaussian blob.
  const n = 16;
  const data = new Float32Array(n ** 3);
  for (let z = 0; z < n; z++)
    for (let y = 0; y < n; y++)
      for (let q = 0; q < n; q++) {
        const r2 = ((z - 7.5) ** 2 + (y - 7.5) ** 2 + (q - 7.5) ** 2) / 16;
        data[(z * n + y) * n + q] = Math.exp(-r2);
      }
  const session = await createSession(file);
  const out = await runSession(session, { x: { dtype: 'float32', shape: [1, 1, n, n, n], data } });
  const y = out.y.data as Float32Array;
  let min = Infinity,
    max = -Infinity,
    sum = 0;
  for (const v of y) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  console.log(
    `onnxruntime-node output y: shape [${out.y.shape}], min ${min.toFixed(5)}, max ${max.toFixed(5)}, mean ${(sum / y.length).toFixed(5)}`,
  );
  console.log(
    `y[0, 0, 8, 8, 6..9] = ${Array.from(y.slice(8 * 256 + 8 * 16 + 6, 8 * 256 + 8 * 16 + 10), (v) => v.toFixed(5)).join(' ')}`,
  );
  await session.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
