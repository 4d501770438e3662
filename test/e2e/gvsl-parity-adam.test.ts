/**
 * GVSL against the PyTorch fixture gvsl-half-24x32x40 (test/helpers/gvsl-fixture.ts), continued from
 * test/graphs/gvsl-parity.test.ts (outputs, losses, gradients): two Adam steps from the fixture weights, run by the
 * engine's TrainingSession, give the losses PyTorch had after one and two Adam steps. Three training steps at the
 * fixture's size, so in the slow tier.
 */
import { buildGvslTrainGraph } from '../../graphs/build';
import { TrainingSession } from '../../runtime/engine/session';
import { exportModel } from '../../sdk/export';
import { haveGvslFixture, loadGvslFixture, scalar } from '../helpers/gvsl-fixture';

(haveGvslFixture ? test : test.skip)(
  'two Adam steps reproduce the losses PyTorch had after one and two steps',
  async () => {
    const { weights, c, model, shape } = loadGvslFixture();
    const { graph } = buildGvslTrainGraph(model, shape);
    const t = await TrainingSession.create(exportModel(graph, { params: 'inputs' }).model, weights);
    const batch = { img_aug: c.get('img_aug')!, img: c.get('img')!, img2: c.get('img2')! };
    // loss_after_adam.k is the loss at the parameters after k Adam steps: the `loss` output of step k+1.
    const losses: number[] = [];
    try {
      for (let k = 0; k < 3; k++) losses.push((await t.step(batch, 1e-4)).loss);
    } finally {
      await t.release();
    }
    expect(Math.abs(losses[0] - scalar(c.get('loss')!)) / scalar(c.get('loss')!)).toBeLessThan(1e-4);
    for (const k of [1, 2]) {
      const want = scalar(c.get(`loss_after_adam.${k}`)!);
      expect(Math.abs(losses[k] - want) / Math.abs(want)).toBeLessThan(1e-3);
    }
  },
);
