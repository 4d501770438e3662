/**
 * The progress bar's names (the Dice loss is `dice_loss`, the validation Dice stays visible) and metrics.jsonl on
 * resume (streamed, a torn last line dropped).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lossPlotSvg, MetricsLog, Progress, progressName, readMetrics } from '../../runtime/engine/progress';

test('loss terms read as <term>_loss; the last validation score stays on the bar', () => {
  expect(progressName('loss_dice')).toBe('dice_loss');
  expect(progressName('loss')).toBe('loss');
  expect(progressName('val_dice')).toBe('val_dice');
  const lines: string[] = [];
  const write = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
  const isTTY = process.stderr.isTTY;
  try {
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    const p = new Progress(1, 2, false);
    p.update(1, { loss: 0.1265, loss_dice: 0.1265, val_dice: 0.78, val_dice_1: 0.78 });
    p.update(2, { loss: 0.12, loss_dice: 0.12 });
  } finally {
    write.mockRestore();
    Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
  }
  expect(lines[0]).toMatch(/loss 0\.1265 dice_loss 0\.1265 \| val_dice 0\.7800 \|/);
  expect(lines[0]).not.toMatch(/val_dice_1/);
  expect(lines[1]).toMatch(/dice_loss 0\.1200 \| val_dice 0\.7800 \(step 1\)/);
});

test('resume keeps the lines up to the checkpoint, streaming, and drops a torn line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-'));
  const file = path.join(dir, 'metrics.jsonl');
  const body = Array.from({ length: 50 }, (_, i) =>
    JSON.stringify({ step: i + 1, time: i, lr: 1e-3, loss: 1 / (i + 1) }),
  ).join('\n');
  fs.writeFileSync(file, `${body}\n{"step": 51, "ti`);
  const log = new MetricsLog(file, 30);
  log.append({ step: 31, time: 31, lr: 1e-3, loss: 0.5 });
  const lines = readMetrics(file);
  expect(lines.map((l) => l.step)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
  expect(lines[30].loss).toBe(0.5);
  fs.rmSync(dir, { recursive: true });
});

test('lossPlotSvg (the study plots) no longer spreads values into Math.min/max: 5·10⁴ steps × 4 terms draw', () => {
  const lines = Array.from({ length: 50_000 }, (_, i) => ({
    step: i + 1,
    time: i,
    lr: 1e-3,
    loss: 1 + 1 / (i + 1),
    loss_ncc: 0.9,
    loss_mse: 0.01,
    loss_smooth: 1e-4,
  }));
  // Before: RangeError: Maximum call stack size exceeded (issue 18, finding 1).
  expect(lossPlotSvg(lines, ['loss', 'loss_ncc', 'loss_mse', 'loss_smooth'])).toMatch(/^<svg/);
});
