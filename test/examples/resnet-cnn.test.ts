/** examples/resnet-cnn.ts at a tiny size (see check-example.ts for what is checked). */
import * as fs from 'node:fs';
import { runResnetExample } from '../../examples/resnet-cnn';
import { checkExampleRun, exampleDir } from './check-example';

test('ResNet-style CNN (stem 7×7/2, BatchNorm, max-pool 3/2/1, BasicBlocks, adaptive pool) trains, exports a checked graph that reproduces the eval output', async () => {
  const out = exampleDir();
  checkExampleRun(await runResnetExample({ steps: 30, batch: 8, size: 16, width: 4, out }), 0.7);
  fs.rmSync(out, { recursive: true });
});
