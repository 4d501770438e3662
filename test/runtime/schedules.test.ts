/**
 * Learning-rate schedules against torch.optim.lr_scheduler (PyTorch 1.13): the fixture is made by
 * test/runtime/fixtures/make_lr_schedules.py with Debian's python3-torch; entry k is the lr of step k + 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constant, cosine, linear, type Schedule, sequential, stepDecay, warmup } from '../../runtime/engine/schedules';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/lr-schedules.json'), 'utf8')) as {
  base_lr: number;
  lrs: Record<string, number[]>;
};
const lr = fixture.base_lr;

const CASES: [string, Schedule][] = [
  ['step', stepDecay(lr, 7, 0.5)],
  ['cosine', cosine(lr, 30, 0.001)],
  ['linear', linear(lr, 0.25, 1, 8)],
  ['warmup_cosine', warmup(5, cosine(lr, 25), 0.1)],
];

test.each(CASES)('%s equals PyTorch for 40 steps (past T_max and the milestones)', (name, s) => {
  const want = fixture.lrs[name];
  expect(want).toHaveLength(40);
  want.forEach((w, k) => expect(Math.abs(s(k) - w)).toBeLessThanOrEqual(1e-12 + 1e-12 * Math.abs(w)));
});

test('warmup is SequentialLR of LinearLR and the schedule, which restarts at the milestone', () => {
  const after = cosine(0.1, 25);
  const w = warmup(5, after, 0.1);
  const seq = sequential([linear(0.1, 0.1, 1, 5), after], [5]);
  for (let k = 0; k < 40; k++) expect(w(k)).toBe(seq(k));
  expect(w(5)).toBe(after(0));
});

test('constant, and one-line errors for bad arguments and steps', () => {
  expect(constant(0.3)(17)).toBe(0.3);
  expect(() => cosine(0.1, 0)).toThrow('tMax must be a positive number, got 0');
  expect(() => sequential([constant(1), constant(2)], [])).toThrow(
    'sequential needs one milestone fewer than schedules: got 2 schedules and 0 milestones',
  );
  expect(() => sequential([constant(1), constant(2), constant(3)], [5, 3])).toThrow(
    'milestones must be increasing positive integers, got [5,3]',
  );
  expect(() => constant(1)(-1)).toThrow("a schedule's step must be an integer >= 0, got -1");
});
