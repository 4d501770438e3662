/**
 * Training plots: smoothed curves, a single validation point visible, SVG and PNG output, several runs overlaid.
 * (The 10⁶-step log is drawn in test/e2e/plot-million-steps.test.ts.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { niceTicks, plotRuns, stepLabel, writeRunPlots } from '../../runtime/engine/plot';
import { writeLog } from '../helpers/metrics-log';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'plot-'));

describe('plot', () => {
  test('one validation point is drawn as a marker; a one-line log still plots', () => {
    const dir = tmp();
    fs.writeFileSync(
      path.join(dir, 'metrics.jsonl'),
      JSON.stringify({ step: 5, time: 1, lr: 1e-4, loss: 0.3, val_dice: 0.78, val_dice_1: 0.78 }) + '\n',
    );
    const files = writeRunPlots(dir, 'dice', (k) => k.startsWith('val_'));
    expect(files.map((f) => path.basename(f))).toEqual(['dice.svg', 'dice.png']);
    const svg = fs.readFileSync(files[0], 'utf8');
    expect(svg.match(/<circle /g)!.length).toBeGreaterThanOrEqual(2);
    // The marker is inside the panel, at 0.78 on a 0..1 axis, and the PNG has its dark pixels.
    const png = PNG.sync.read(fs.readFileSync(files[1]));
    let dark = 0;
    for (let i = 0; i < png.data.length; i += 4)
      if (png.data[i] < 60 && png.data[i + 1] < 60 && png.data[i + 2] < 60) dark++;
    expect(dark).toBeGreaterThan(20);
    fs.rmSync(dir, { recursive: true });
  });

  test('several runs overlaid into one file, by extension', () => {
    const dir = tmp();
    for (const [name, seed] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      fs.mkdirSync(path.join(dir, name));
      writeLog(path.join(dir, name, 'metrics.jsonl'), 300, { seed, val: [100, 200, 300] });
    }
    plotRuns([path.join(dir, 'a'), path.join(dir, 'b')], path.join(dir, 'cmp.svg'));
    plotRuns([path.join(dir, 'a'), path.join(dir, 'b')], path.join(dir, 'cmp.png'));
    const svg = fs.readFileSync(path.join(dir, 'cmp.svg'), 'utf8');
    expect(svg).toContain('>a<');
    expect(svg).toContain('>b<');
    expect(PNG.sync.read(fs.readFileSync(path.join(dir, 'cmp.png'))).height).toBeGreaterThan(200);
    expect(() => plotRuns([path.join(dir, 'missing')], path.join(dir, 'x.svg'))).toThrow(/no metrics.jsonl/);
    fs.rmSync(dir, { recursive: true });
  });

  test('ticks and step labels', () => {
    expect(niceTicks(0.81, 0.9, 4)).toEqual([0.82, 0.84, 0.86, 0.88, 0.9].map((v) => expect.closeTo(v, 9)));
    expect(stepLabel(1_000_000)).toBe('1M');
    expect(stepLabel(250_000)).toBe('250k');
    expect(stepLabel(950)).toBe('950');
  });
});
