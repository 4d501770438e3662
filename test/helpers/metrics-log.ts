import * as fs from 'node:fs';

/** A pre-training-like log: noisy losses that fall slowly, as the sample run's. */
export function writeLog(file: string, steps: number, opts: { val?: number[]; seed?: number } = {}): void {
  const fd = fs.openSync(file, 'w');
  let s = opts.seed ?? 1;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let chunk = '';
  for (let i = 1; i <= steps; i++) {
    const trend = 0.87 - 0.04 * (i / steps);
    const line: Record<string, number> = {
      step: i,
      time: i * 0.5,
      lr: 1e-3,
      loss: trend + 0.2 * (rnd() - 0.5),
      loss_ncc: 0.9 - 0.02 * (i / steps) + 0.05 * (rnd() - 0.5),
      loss_mse: 0.01 * Math.exp(-i / steps) + 0.002 * rnd(),
    };
    if (opts.val?.includes(i)) line.val_dice = 0.5 + 0.3 * (i / steps);
    chunk += JSON.stringify(line) + '\n';
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}
