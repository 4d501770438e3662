import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { ParameterError } from '../../sdk/errors';
import { PRESETS } from '../data/normalize';
import { UserError } from '../engine/errors';
import { EXECUTION_PROVIDERS } from '../engine/ort';
import type { RunOptions } from '../engine/run';
import { numberOption, RULES } from './parse';

/** yargs options shared by every command that runs ONNX Runtime. */
export const epOption = {
  choices: EXECUTION_PROVIDERS,
  default: 'cpu' as const,
  describe: 'ONNX Runtime execution provider',
};
export const threadsOption = numberOption('threads', RULES.positiveInt, {
  describe: 'intra-op threads (default: all cores)',
});
/** The intensity presets (runtime/data's PRESETS). */
export const normalizeChoices = PRESETS;

/** The flag that sets each model parameter a ParameterError names (graphs/ speaks of parameters, the CLI of flags). */
const FLAG_OF: Record<string, string> = { widths: '--chan', shape: '--shape', size: '--size' };

/**
 * An error met while reading the user's input, as the one-line UserError the CLI prints: a ParameterError
 * speaks of the parameter's flag; any other error keeps its message.
 */
export function inputError(e: unknown): UserError {
  if (e instanceof UserError) return e;
  if (e instanceof ParameterError && FLAG_OF[e.parameter])
    return new UserError(`${FLAG_OF[e.parameter]} ${e.requirement}`);
  return new UserError((e as Error).message);
}

/** Runs `parse` (a parse or check of user input); its errors become inputError's one-line UserErrors. */
export function parseInput<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw inputError(e);
  }
}

/**
 * Checks before any work that `file` can be written as an output file: not an existing folder, its folder
 * creatable and writable (probed with a temporary file). A UserError naming `flag` otherwise.
 */
export function checkOutputFile(flag: string, file: string): void {
  const abs = path.resolve(file);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory())
    throw new UserError(
      `${flag} ${file}: is a folder; give a file name (for example ${path.join(file, 'labels.nii.gz')})`,
    );
  checkOutputFolder(flag, path.dirname(abs), file);
}

/** Checks before any work that the folder `dir` exists or can be created, and can be written to. */
export function checkOutputFolder(flag: string, dir: string, shown = dir): void {
  try {
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory())
      throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `${flag} ${shown}: cannot write there (${code === 'ENOTDIR' ? 'a file is in the way of the folder' : (code ?? (e as Error).message)}); choose another ${flag}`,
    );
  }
}

/** The options every training run (pretrain, finetune) takes: where it writes, how it resumes, how ONNX Runtime runs. */
export function trainingRunOptions<T>(y: Argv<T>, kind: 'pretrain' | 'finetune') {
  return y
    .option(
      'save-every',
      numberOption('save-every', RULES.positiveInt, {
        default: 100,
        describe: 'checkpoint every N steps (and at the end, and on Ctrl-C)',
      }),
    )
    .option('resume', {
      type: 'string',
      describe:
        kind === 'pretrain'
          ? 'continue the run in this folder from its checkpoint (same data order and augmentations)'
          : 'continue the run in this folder from its checkpoint',
    })
    .option('out', { type: 'string', describe: `run folder (default runs/${kind}-<date>)` })
    .option('ep', epOption)
    .option('threads', threadsOption)
    .option('arena', {
      type: 'boolean',
      default: true,
      describe:
        "ORT's CPU memory arena (--no-arena: plain malloc per tensor; at 64³ it now needs more memory than the arena and is slower, see docs/performance.md)",
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON line of metrics per step on stdout' });
}

/** The RunOptions of a training command's arguments: a resumed run writes into its own folder, a new one into runs/<kind>-<date>. */
export function runOptionsOf(
  a: {
    resume?: string;
    out?: string;
    ep: RunOptions['ep'];
    threads?: number;
    arena: boolean;
    quiet: boolean;
    json: boolean;
  },
  kind: 'pretrain' | 'finetune',
): RunOptions {
  const out =
    a.resume ?? a.out ?? path.join('runs', `${kind}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  return {
    out,
    ep: a.ep,
    threads: a.threads,
    noArena: !a.arena,
    quiet: a.quiet,
    json: a.json,
    resumed: a.resume !== undefined,
  };
}
