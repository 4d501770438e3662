import type { ArgumentsCamelCase, Argv } from 'yargs';
import { BuildError, ParameterError } from '../../sdk/errors';
import { CheckpointError } from '../checkpoint/bytes';
import { UserError } from '../engine/errors';
import { configArgument, configFlags } from './config-file';
import { inputError } from './options';
import { recordCommandLine } from './resume';

/** A subcommand: registered on the yargs parser by `main`. */
export interface Command {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<any>;
  handler: (args: any) => Promise<void> | void;
}

/**
 * A subcommand whose handler takes the arguments yargs infers from its builder (camelCase names included), so
 * the option types are written once, in the builder.
 */
export function defineCommand<T>(c: {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<T>;
  handler: (args: ArgumentsCamelCase<T>) => Promise<void> | void;
}): Command {
  return c;
}

const COMMANDS: Command[] = [];

/** Adds subcommands. */
export function registerCommands(...cmds: Command[]): void {
  COMMANDS.push(...cmds);
}

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json sits beside dist/, outside the compiled tree
  return (require('../../../package.json') as { version: string }).version;
}

/** File-system errors a user causes (full disk, permissions, paths), in words. */
const FS_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a path component is not a folder',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ELOOP: 'too many symbolic links (a loop?)',
  ENAMETOOLONG: 'name too long',
  EIO: 'input/output error',
};

/**
 * The one line a user-caused error prints (its message: input errors, bad files and checkpoints, and
 * file-system errors with the path they name), or null for a bug, which keeps its stack trace.
 */
export function oneLine(e: unknown): string | null {
  if (e instanceof UserError || e instanceof BuildError || e instanceof ParameterError) return inputError(e).message;
  if (e instanceof CheckpointError) return e.message;
  const fsError = e as NodeJS.ErrnoException;
  if (fsError && typeof fsError.code === 'string' && FS_ERRORS[fsError.code]) {
    const where = fsError.path ? `${fsError.path}: ` : '';
    return `${where}${FS_ERRORS[fsError.code]} (${fsError.code}${fsError.syscall ? ` in ${fsError.syscall}` : ''})`;
  }
  return null;
}

/** Runs the CLI; returns the exit code. Errors from user input print one line, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  // NOTE: yargs 18 is ESM-only; a dynamic import keeps this package CommonJS.
  const { default: yargs } = await import('yargs');
  const { hideBin } = await import('yargs/helpers');
  const args = hideBin(argv);
  recordCommandLine(args);
  let y = yargs(args)
    .scriptName('onnx-train')
    .usage('$0 <command> [options]\n\nGVSL pre-training and inference as ONNX graphs, run with ONNX Runtime.')
    .version(version())
    .strict()
    .demandCommand(1, 'Choose a command (see --help).')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      // NOTE: yargs wraps errors thrown by an option's coerce (the parse-time checks of parse.ts) in a YError.
      if (err && err.name === 'YError') throw new UserError(err.message);
      throw err ?? new UserError(msg);
    });
  for (const c of COMMANDS) y = y.command(c.command, c.describe, c.builder, c.handler);
  y = y.option('config', {
    type: 'string',
    global: true,
    describe:
      "read flags from this JSON or YAML file, or re-run a run folder's config.json (flags given here win; see docs/datasets-and-configs.md)",
  });
  let configFile: string | undefined;
  try {
    configFile = configArgument(args);
    if (configFile) {
      const words = args.filter((x, i) => !x.startsWith('-') && args[i - 1] !== '--config');
      // distributed prepare takes pretrain's flags (and a pre-training run's config.json).
      const command = words[0] === 'distributed' && words[1] === 'prepare' ? 'pretrain' : (words[0] ?? '');
      y = y.config(configFlags(configFile, command));
    }
    await y.parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const line = oneLine(e);
    if (line !== null) {
      // A key of the config file that is no flag of the command: say where it came from.
      const where =
        configFile && /^Unknown arguments?: /.test(line) ? ` (on the command line or in --config ${configFile})` : '';
      process.stderr.write(`onnx-train: ${line}${where}\n`);
      return 1;
    }
    throw e;
  }
}
