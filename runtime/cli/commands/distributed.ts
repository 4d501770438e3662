import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import {
  checkPortFree,
  findExecutable,
  type LaunchOptions,
  shellLine,
  torchrunArgs,
} from '../../pretrain/distributed/launch';
import { prepareDistributed, readPreparedRun } from '../../pretrain/distributed/prepare';
import { accumulationSteps, streamRankBatches } from '../../pretrain/distributed/rank-batches';
import { DataError } from '../../data/errors';
import { UserError } from '../../engine/errors';
import { type Command, defineCommand } from '../main';
import { numberOption, RULES } from '../parse';
import { type PretrainArgs, pretrainConfig, pretrainOptions } from './pretrain';

/** The package's root folder (where package.json, bin/ and python/ are). */
function packageRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error('package.json not found above ' + __dirname);
    d = up;
  }
  return d;
}

const prepareCommand: Command = {
  command: 'prepare [data..]',
  describe:
    'Write a run folder for torchrun: grads.onnx, apply.onnx, manifest.json, config.json and the starting checkpoint',
  builder: (y) =>
    pretrainOptions(y).option(
      'micro-batch',
      numberOption('micro-batch', RULES.positiveInt, {
        default: 1,
        describe: 'samples per gradients-graph run on a rank (--batch, the global batch, must be a multiple of it)',
      }),
    ),
  handler(a: PretrainArgs & { microBatch: number }) {
    const { cfg, resume } = pretrainConfig(a, ['micro-batch', 'out']);
    const out = a.out ?? a.resume;
    if (!out) throw new UserError('distributed prepare needs --out (the run folder to write)');
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    const { dir, manifest } = prepareDistributed(cfg, {
      out,
      microBatch: a.microBatch,
      resume: resume && { ...resume, dir: a.resume },
      log: (m) => a.quiet || process.stderr.write(`${m}\n`),
      warn,
    });
    const mib = (manifest.grads.elements * 4) / 2 ** 20;
    console.log(
      `prepared ${dir}: global batch ${manifest.global_batch} in micro-batches of ${manifest.micro_batch}, ${manifest.params.length} parameters, flat gradient buffer ${manifest.grads.elements.toLocaleString('en')} float32 (${mib.toFixed(2)} MiB all-reduced per step), from step ${resume?.step ?? 0}`,
    );
    console.log(`launch with: onnx-train distributed launch ${dir} --nproc-per-node G [--launch]`);
  },
};

const launchCommand: Command = defineCommand({
  command: 'launch <run>',
  describe: 'Print (or, with --launch, run) the torchrun command line that trains a prepared run folder',
  builder: (y) =>
    y
      .positional('run', { type: 'string', describe: 'run folder written by distributed prepare' })
      .option('nnodes', numberOption('nnodes', RULES.positiveInt, { default: 1, describe: 'machines' }))
      .option(
        'nproc-per-node',
        numberOption('nproc-per-node', RULES.positiveInt, {
          default: 1,
          describe: 'ranks per machine (one per GPU with --ep cuda)',
        }),
      )
      .option('host', {
        type: 'string',
        default: '127.0.0.1',
        describe: 'rendezvous address (several nodes: the first node, reachable from all)',
      })
      .option(
        'port',
        numberOption('port', { int: true, min: 1, max: 65535 }, { default: 29500, describe: 'rendezvous port' }),
      )
      .option('ep', {
        choices: ['cpu', 'cuda'] as const,
        default: 'cpu' as const,
        describe: 'ONNX Runtime device per rank (cuda: CUDA EP with IO binding, NCCL)',
      })
      .option('threads', numberOption('threads', RULES.positiveInt, { describe: 'intra-op threads per rank' }))
      .option(
        'max-restarts',
        numberOption('max-restarts', RULES.nonNegativeInt, {
          default: 0,
          describe: 'torchrun restarts after a rank fails (the ranks resume from the last checkpoint)',
        }),
      )
      .option('steps', numberOption('steps', RULES.positiveInt, { describe: "total steps (default: the config's)" }))
      .option('torchrun', {
        type: 'string',
        describe:
          'torchrun executable (default: python/.venv/bin/torchrun when scripts/setup-python.sh made it, else torchrun on PATH)',
      })
      .option('launch', { type: 'boolean', default: false, describe: 'run it (default: print it)' }),
  async handler(a) {
    const dir = path.resolve(a.run!);
    const { cfg, manifest } = readPreparedRun(dir);
    const world = a.nnodes * a.nprocPerNode;
    try {
      accumulationSteps(manifest.global_batch, { rank: 0, world, microBatch: manifest.micro_batch });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const root = packageRoot();
    const venv = path.join(root, 'python', '.venv', 'bin', 'torchrun');
    const torchrun = a.torchrun ?? (fs.existsSync(venv) ? venv : 'torchrun');
    const o: LaunchOptions = {
      dir,
      nnodes: a.nnodes,
      nprocPerNode: a.nprocPerNode,
      host: a.host,
      port: a.port,
      ep: a.ep,
      threads: a.threads,
      maxRestarts: a.maxRestarts,
      torchrun,
      node: process.execPath,
      cli: path.join(root, 'bin', 'onnx-train.js'),
      steps: a.steps,
    };
    const args = torchrunArgs(o);
    if (!a.launch) {
      console.log(shellLine(args));
      return;
    }
    const exe = findExecutable(torchrun);
    if (!exe)
      throw new UserError(
        `torchrun not found (${torchrun}): run scripts/setup-python.sh (it makes python/.venv with torch and the runner), or pass --torchrun PATH`,
      );
    if (a.nnodes === 1) {
      try {
        await checkPortFree(a.host, a.port);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(
          code === 'EADDRINUSE'
            ? `port ${a.port} on ${a.host} is already in use (another run?): choose another with --port`
            : `cannot listen on ${a.host}:${a.port} (${code ?? (e as Error).message}): check --host and --port`,
        );
      }
    }
    process.stderr.write(
      `${shellLine(args)}\n(global batch ${cfg.batch}: ${world} rank(s) × ${manifest.global_batch / world / manifest.micro_batch} micro-batch(es) of ${manifest.micro_batch})\n`,
    );
    const child = spawn(exe, args.slice(1), { stdio: 'inherit' });
    const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
    process.exitCode = code;
  },
});

export const distributedCommand: Command = {
  command: 'distributed <command>',
  describe: 'Data-parallel pre-training with torchrun (docs/distributed.md): prepare a run folder, launch it',
  builder: (y) =>
    y
      .command(prepareCommand.command, prepareCommand.describe, prepareCommand.builder, prepareCommand.handler)
      .command(launchCommand.command, launchCommand.describe, launchCommand.builder, launchCommand.handler)
      .demandCommand(1, 'Choose prepare or launch.'),
  handler() {},
};

interface BatchesArgs {
  run: string;
  rank: number;
  world: number;
  startStep: number;
  lastStep?: number;
}

export const batchesCommand: Command = {
  command: 'batches <run>',
  describe:
    "Stream one rank's training batches of a prepared distributed run as binary frames on stdout (the runner starts it)",
  builder: (y: Argv) =>
    y
      .positional('run', { type: 'string', describe: 'run folder written by distributed prepare' })
      .option('rank', numberOption('rank', RULES.nonNegativeInt, { demandOption: true }))
      .option('world', numberOption('world', RULES.positiveInt, { demandOption: true }))
      .option(
        'start-step',
        numberOption('start-step', RULES.positiveInt, { default: 1, describe: 'first step (1-based) to stream' }),
      )
      .option(
        'last-step',
        numberOption('last-step', RULES.positiveInt, { describe: "last step (default: the config's steps)" }),
      ),
  async handler(a: BatchesArgs) {
    if (process.stdout.isTTY)
      throw new UserError('batches writes binary frames: pipe its output into a reader (the rank runner starts it)');
    const dir = path.resolve(a.run);
    const { cfg, manifest } = readPreparedRun(dir);
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    // Reading stops early (the runner exits): end quietly.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
    });
    try {
      await streamRankBatches(
        cfg,
        { rank: a.rank, world: a.world, microBatch: manifest.micro_batch },
        a.startStep,
        a.lastStep ?? cfg.steps,
        process.stdout,
        warn,
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') return;
      if (e instanceof DataError) throw new UserError(e.message);
      throw new UserError((e as Error).message);
    }
  },
};
