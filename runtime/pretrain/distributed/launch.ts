import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface LaunchOptions {
  /** Prepared run folder (absolute). */
  dir: string;
  nnodes: number;
  nprocPerNode: number;
  /** Rendezvous host: 127.0.0.1 on one node; on several, the first node's address reachable from the others. */
  host: string;
  port: number;
  /** ONNX Runtime device of each rank: cpu, or cuda (one GPU per local rank). */
  ep: 'cpu' | 'cuda';
  threads?: number;
  /** Times torchrun restarts all ranks after a failure (they resume from the last checkpoint). */
  maxRestarts: number;
  /** torchrun executable. */
  torchrun: string;
  /** Node.js and the onnx-train CLI script the ranks start their batch children with. */
  node: string;
  cli: string;
  /** Steps to run (default: the config's). */
  steps?: number;
}

/**
 * The torchrun command line for a prepared run folder: one node uses a fixed master address and port; several
 * nodes use the c10d rendezvous at host:port (every node runs the same line, with its own --node-rank
 * picked by the rendezvous).
 */
export function torchrunArgs(o: LaunchOptions): string[] {
  const rdzv =
    o.nnodes === 1
      ? ['--master-addr', o.host, '--master-port', String(o.port)]
      : ['--rdzv-backend', 'c10d', '--rdzv-endpoint', `${o.host}:${o.port}`, '--rdzv-id', path.basename(o.dir)];
  return [
    o.torchrun,
    '--nnodes',
    String(o.nnodes),
    '--nproc-per-node',
    String(o.nprocPerNode),
    ...rdzv,
    '--max-restarts',
    String(o.maxRestarts),
    '-m',
    'gvsl_onnx_dist.run',
    o.dir,
    '--ep',
    o.ep,
    ...(o.threads ? ['--threads', String(o.threads)] : []),
    ...(o.steps ? ['--steps', String(o.steps)] : []),
    '--nodejs',
    o.node,
    '--cli',
    o.cli,
  ];
}

/** A shell-quoted command line. */
export function shellLine(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The executable `name` resolves to on PATH (or the path itself when it contains a slash), or null. */
export function findExecutable(name: string, envPath = process.env.PATH ?? ''): string | null {
  const ok = (f: string) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) return ok(name) ? path.resolve(name) : null;
  for (const d of envPath.split(path.delimiter)) if (d && ok(path.join(d, name))) return path.join(d, name);
  return null;
}

/** Resolves when `host:port` can be listened on; rejects with the system's code (EADDRINUSE, …) otherwise. */
export function checkPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve()));
  });
}
