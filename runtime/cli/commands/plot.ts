import * as path from 'node:path';
import { metricsFileOf, plotRuns, writeRunPlots } from '../../engine/plot';
import { UserError } from '../../engine/errors';
import { type Command, defineCommand } from '../main';
import { checkOutputFile } from '../options';
import { numberOption } from '../parse';

export const plotCommand: Command = defineCommand({
  command: 'plot [runs..]',
  describe:
    "Redraw a run's plots from its metrics.jsonl (loss.svg/.png, dice.svg/.png), or compare several runs in one chart (--out)",
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'run folders (or metrics.jsonl files)' })
      .option('out', {
        type: 'string',
        describe: "write one chart of all RUNs here (.svg or .png); default: redraw each run folder's own plots",
      })
      .option(
        'bins',
        numberOption(
          'bins',
          { int: true, min: 10, max: 100000 },
          { default: 800, describe: 'points per curve (values are binned: min/max band, mean, EMA)' },
        ),
      ),
  handler(a) {
    if (!a.runs?.length) throw new UserError('plot needs one or more RUN folders (or metrics.jsonl files)');
    for (const r of a.runs) {
      try {
        metricsFileOf(r);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
    }
    if (a.out) {
      if (!/\.(svg|png)$/i.test(a.out))
        throw new UserError(`--out ${a.out}: the chart is written as .svg or .png: end the name with one of them`);
      checkOutputFile('--out', a.out);
      plotRuns(a.runs, a.out, { bins: a.bins });
      process.stderr.write(`wrote ${a.out} (${a.runs.length} run${a.runs.length > 1 ? 's' : ''})\n`);
      return;
    }
    if (a.runs.length > 1)
      throw new UserError(`${a.runs.length} runs: give --out FILE.png (or .svg) to draw them in one chart`);
    const dir = a.runs[0];
    if (path.basename(dir) === 'metrics.jsonl')
      throw new UserError(`${dir}: give the run folder (its plots are written there), or --out FILE`);
    const files = [
      ...writeRunPlots(dir, 'loss', undefined, { bins: a.bins }),
      ...writeRunPlots(dir, 'dice', (k) => k.startsWith('val_'), { bins: a.bins }),
    ];
    process.stderr.write(`wrote ${files.join(', ')}\n`);
  },
});
