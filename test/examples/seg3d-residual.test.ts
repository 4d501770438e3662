/** examples/seg3d-residual.ts at a tiny size (see check-example.ts for what is checked). */
import * as fs from 'node:fs';
import { runSeg3dExample } from '../../examples/seg3d-residual';
import { checkExampleRun, exampleDir } from './check-example';

test('3-D residual segmentation net (Conv3d + BatchNorm3d blocks, cross-entropy + soft Dice) trains, exports a checked graph that reproduces the eval output', async () => {
  const out = exampleDir();
  checkExampleRun(await runSeg3dExample({ steps: 20, batch: 2, size: 8, width: 4, out }), 0.8);
  fs.rmSync(out, { recursive: true });
});
