/**
 * The plots' PNG encoder (runtime/engine/plot/png.ts) writes the same bytes as pngjs (adaptive row filters, zlib
 * level 9, RLE), for images of odd sizes on which each of the five filters wins rows, and for a chart; pngjs reads
 * them back.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { RasterCanvas, summariseMetrics } from '../../runtime/engine/plot';
import { choosePanels, drawChart, figureSize } from '../../runtime/engine/plot/chart';
import { encodePng } from '../../runtime/engine/plot/png';
import { writeLog } from '../helpers/metrics-log';

const pngjs = (rgba: Uint8Array, width: number, height: number): Buffer => {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png, { colorType: 6 });
};

describe('encodePng', () => {
  test('the same bytes as pngjs on images of odd sizes where each filter wins rows; they decode to the pixels', () => {
    const filters = new Set<number>();
    let s = 3;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [w, h] of [
      [1, 1],
      [7, 3],
      [33, 17],
    ]) {
      // Rows made for each filter in turn (all zero; constant along x; the row above; the average and the Paeth
      // prediction of the neighbours), with some noise: each filter is the best for some rows.
      const rgba = new Uint8Array(w * h * 4);
      const bw = w * 4;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < bw; x++) {
          const i = y * bw + x;
          const left = x >= 4 ? rgba[i - 4] : Math.floor(rnd() * 256);
          const up = y > 0 ? rgba[i - bw] : Math.floor(rnd() * 256);
          const upLeft = y > 0 && x >= 4 ? rgba[i - bw - 4] : 0;
          const p = left + up - upLeft;
          const [da, db, dc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
          const paeth = da <= db && da <= dc ? left : db <= dc ? up : upLeft;
          const v = [0, left, up, (left + up) >> 1, paeth][y % 5];
          rgba[i] = rnd() < 0.05 ? rnd() * 256 : v;
        }
      }
      const ours = encodePng(rgba, w, h);
      expect(ours.equals(pngjs(rgba, w, h))).toBe(true);
      expect(Buffer.from(PNG.sync.read(ours).data).equals(Buffer.from(rgba))).toBe(true);
      // The filter byte that starts each row (IDAT at 8 + 25 (IHDR) + 8).
      const raw = zlib.inflateSync(ours.subarray(41, ours.length - 16));
      for (let y = 0; y < h; y++) filters.add(raw[y * (w * 4 + 1)]);
    }
    expect([...filters].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  test("a chart's first panel: the same bytes as pngjs", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'png-'));
    const file = path.join(dir, 'metrics.jsonl');
    writeLog(file, 300, { val: [100, 200, 300] });
    const run = summariseMetrics(file, 'a');
    const panels = choosePanels([run]);
    const { width, height } = figureSize(panels.length, 1);
    const c = new RasterCanvas(width, height);
    drawChart(c, [run], panels);
    // pngjs is slow under jest (see png.ts): a 400×200 crop (lines, band, text) rather than the whole chart.
    const [w, h] = [400, 200];
    const crop = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) crop.set(c.data.subarray(y * width * 4, (y * width + w) * 4), y * w * 4);
    expect(encodePng(crop, w, h).equals(pngjs(crop, w, h))).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });
});
