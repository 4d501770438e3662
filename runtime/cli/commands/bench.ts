import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseWidths } from '../../../graphs/unet';
import { formatSummary } from '../../bench/format';
import { runBenchmark } from '../../bench/run';
import { BENCH_MODELS, type BenchSpec } from '../../bench/spec';
import { checkExecutionProvider } from '../../engine/ort';
import { UserError } from '../../engine/errors';
import { type Command, defineCommand } from '../main';
import { MAX_BUFFER_OPTION, setMaxBufferMiB } from '../../engine/gpu-limits';
import { epOption, inputError, threadsOption } from '../options';
import { numberOption, RULES, sizeOption, widthsOption } from '../parse';

export const benchCommand: Command = defineCommand({
  command: 'bench',
  describe: 'Time a GVSL graph (training step, inference or backbone) with ONNX Runtime; prints one JSON line',
  builder: (y) =>
    y
      .option('model', {
        choices: BENCH_MODELS,
        default: 'gvsl-train' as const,
        describe:
          'gvsl-train: training step (forward + loss + backward + Adam); gvsl: inference on a pair; unet: backbone forward; unet-train: backbone with mean(global²)+mean(local²) and Adam; seg-train: segmentation fine-tuning step (Dice, Adam); seg: segmentation inference',
      })
      .option('size', sizeOption('size', { default: '64', describe: 'volume D,H,W (or one number for a cube)' }))
      .option(
        'chan',
        widthsOption('chan', { default: '32,64,128,256,512,256,128,64,32', describe: 'U-Net channel widths c0..c8' }),
      )
      .option(
        'batch',
        numberOption('batch', RULES.positiveInt, { default: 1, describe: 'volumes (pairs for gvsl models) per run' }),
      )
      .option(
        'classes',
        numberOption(
          'classes',
          { int: true, min: 2 },
          { default: 2, describe: 'segmentation classes, background included (seg, seg-train)' },
        ),
      )
      .option('ep', epOption)
      .option(
        'warmup',
        numberOption('warmup', RULES.nonNegativeInt, {
          default: 1,
          describe: 'untimed runs first (ORT training graphs reach their steady speed after ~3)',
        }),
      )
      .option('runs', numberOption('runs', RULES.positiveInt, { default: 5, describe: 'timed runs after the warm-up' }))
      .option('threads', threadsOption)
      .option('max-buffer-mib', { ...MAX_BUFFER_OPTION, ...numberOption('max-buffer-mib', RULES.positive) })
      .option('arena', {
        type: 'boolean',
        default: true,
        describe:
          "ORT's CPU memory arena (--no-arena: plain malloc per tensor; at 64³ it now needs more memory than the arena and is slower, see docs/performance.md)",
      })
      .option('profile', {
        type: 'boolean',
        default: false,
        describe: "write ONNX Runtime's per-node profile and print the top ops by time",
      })
      .option('profile-dir', { type: 'string', default: '.', describe: 'folder for the profile trace' })
      .option(
        'seed',
        numberOption('seed', RULES.seed, { default: 0, describe: 'seed of the weights and input noise' }),
      ),
  async handler(a) {
    setMaxBufferMiB(a.maxBufferMib);
    let spec: BenchSpec;
    try {
      spec = {
        model: a.model,
        size: a.size,
        chan: parseWidths(a.chan),
        batch: a.batch,
        classes: a.classes,
        ep: a.ep,
        warmup: a.warmup,
        runs: a.runs,
        threads: a.threads ?? os.availableParallelism(),
        arena: a.arena,
        profileDir: a.profile ? a.profileDir : undefined,
        seed: a.seed,
      };
    } catch (e) {
      throw inputError(e);
    }
    if (spec.classes < 2) throw new UserError(`--classes must be at least 2 (background + 1), got ${spec.classes}`);
    if (spec.profileDir && !fs.statSync(spec.profileDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UserError(`--profile-dir ${spec.profileDir} is not a folder`);
    }
    checkExecutionProvider(spec.ep);
    // A failure inside the benchmark's process (out of memory, a provider error) is reported in one line.
    const { result, profile } = await runBenchmark(spec).catch((e: Error) => {
      throw new UserError(e.message);
    });
    process.stdout.write(JSON.stringify(result) + '\n');
    process.stderr.write(formatSummary(result, profile) + '\n');
  },
});
