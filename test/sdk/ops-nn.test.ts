import { Graph } from '../../sdk/graph';
import { conv } from '../../sdk/ops';
import { NN } from '../../sdk/ops/group-nn';
import { NN_PRIMS } from '../../sdk/ops/names';
import { NN_GRAD_CASES, NN_HAND_GRAD_CASES } from '../cases/nn.grad';
import { NN_PRIM_CASES } from '../cases/nn.prim';
import { gradCheck } from '../helpers/gradcheck';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { primCheck } from '../helpers/primcheck';

const rows = <T extends { label?: string }>(table: Record<string, T[]>) =>
  Object.entries(table).flatMap(([prim, cs]) => cs.map((c) => [`${prim}: ${c.label ?? ''}`, c] as const));

test('the NN group registers every NN primitive under its own name', () => {
  for (const p of NN_PRIMS) expect(NN[p].name).toBe(p);
  for (const p of NN_PRIMS) {
    expect(NN_PRIM_CASES[p].length).toBeGreaterThan(0);
    expect(NN_GRAD_CASES[p].length).toBeGreaterThan(0);
  }
});

describe('forward: ORT vs plain-TS reference', () => {
  test.each(rows(NN_PRIM_CASES))('%s', async (_, c) => {
    await primCheck(c);
  });
});

describe('VJP: random-direction central differences', () => {
  test.each(rows(NN_GRAD_CASES))('%s', async (_, c) => {
    const r = await gradCheck(c);
    expect(r.rel).toBeLessThanOrEqual(r.tol);
  });
});

describe('VJP: hand-computed cases', () => {
  test.each(NN_HAND_GRAD_CASES.map((c) => [c.label ?? '', c] as const))('%s', async (_, c) => {
    await primCheck(c);
  });
});

describe('shape rules and unsupported gradients', () => {
  test('Conv names both shapes on a channel mismatch', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [1, 3, 8, 8]);
    const w = g.input('w', 'float32', [4, 2, 3, 3]);
    expect(() => conv(x, w)).toThrow(/X \[1,3,8,8\].*W \[4,2,3,3\]/);
  });
  test('Conv rejects a kernel larger than the padded input', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [1, 1, 2, 8]);
    const w = g.input('w', 'float32', [1, 1, 3, 3]);
    expect(() => conv(x, w)).toThrow(/larger than the padded input/);
  });
});

test('every exported model passes the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});
