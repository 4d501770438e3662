/** examples/transformer-encoder.ts at a tiny size (see check-example.ts for what is checked). */
import * as fs from 'node:fs';
import { runTransformerExample } from '../../examples/transformer-encoder';
import { checkExampleRun, exampleDir } from './check-example';

test('pre-norm transformer encoder classifier (embeddings, TransformerEncoder with dropout, mean pool) trains, exports a checked graph that reproduces the eval output', async () => {
  const out = exampleDir();
  checkExampleRun(await runTransformerExample({ steps: 40, batch: 16, len: 7, dModel: 16, out }), 0.8);
  fs.rmSync(out, { recursive: true });
});
