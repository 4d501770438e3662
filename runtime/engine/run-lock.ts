import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from './errors';

/** The lock file in a run folder. */
export const LOCK_FILE = 'run.lock';

interface LockInfo {
  pid: number;
  host: string;
  /** Kernel start time of the process (Linux, /proc/PID/stat field 22): tells a reused pid apart. */
  startTicks?: string;
  started: string;
  command: string;
}

/** /proc/PID/stat's start time, or undefined off Linux. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process a lock names still runs (same host only; a pid reused by another process is not it). */
function alive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = startTicks(info.pid);
  return !(info.startTicks && now && now !== info.startTicks);
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * An exclusive lock on a run folder, so that two runs never write into one folder: `run.lock` created with
 * O_EXCL, holding the owner's pid, host and start time. A lock whose process is gone (killed, crashed) is
 * taken over with a notice; a live one stops the second run with one line. Released on exit, errors and
 * Ctrl-C (`release`, also from a process 'exit' handler).
 */
export class RunLock {
  private static readonly held = new Set<RunLock>();
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly file: string,
    private readonly token: string,
  ) {
    process.on('exit', this.onExit);
    RunLock.held.add(this);
  }

  /** Releases every lock this process holds (before it dies of a signal, when no 'exit' handler runs). */
  static releaseAll(): void {
    for (const l of [...RunLock.held]) l.release();
  }

  /** Locks `dir` (which must exist) or throws a UserError naming the owner; `flag` names the CLI option. */
  static acquire(
    dir: string,
    notice: (m: string) => void = (m) => process.stderr.write(`note: ${m}\n`),
    flag = '--out',
  ): RunLock {
    const file = path.join(dir, LOCK_FILE);
    const info: LockInfo = {
      pid: process.pid,
      host: os.hostname(),
      startTicks: startTicks(process.pid),
      started: new Date().toISOString(),
      command: process.argv.slice(1).join(' '),
    };
    const token = JSON.stringify(info);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx'); // O_CREAT | O_EXCL: fails with EEXIST while another run holds it
        try {
          fs.writeSync(fd, token);
        } finally {
          fs.closeSync(fd);
        }
        return new RunLock(file, token);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST')
          throw new UserError(
            `cannot create the lock file ${file} (${code ?? (e as Error).message}): choose another ${flag}`,
          );
      }
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // released meanwhile: try again
      }
      let owner: LockInfo | null;
      try {
        owner = JSON.parse(text) as LockInfo;
      } catch {
        owner = null;
      }
      if (owner && owner.host !== os.hostname()) {
        throw new UserError(
          `${dir} is in use by another run (pid ${owner.pid} on host ${owner.host}, since ${owner.started}); if that run is gone, delete ${file}, or choose another ${flag}`,
        );
      }
      // An unreadable lock may be one being written this instant: stale only once it is a few seconds old.
      if (!owner && Date.now() - mtime(file) < 5000) {
        throw new UserError(
          `${dir} is in use by another run (its lock file ${file} is being written): choose another ${flag}`,
        );
      }
      if (owner && alive(owner)) {
        throw new UserError(
          `${dir} is in use by another run (pid ${owner.pid}, since ${owner.started}): wait for it to finish or choose another ${flag}`,
        );
      }
      // Stale: move it aside atomically, and make sure what was moved is the stale lock just read.
      const aside = `${file}.stale.${process.pid}`;
      try {
        fs.renameSync(file, aside);
      } catch {
        continue;
      }
      if (fs.readFileSync(aside, 'utf8') !== text) {
        fs.renameSync(aside, file); // another run took it over first: put its lock back, try again
        continue;
      }
      fs.rmSync(aside, { force: true });
      notice(
        owner
          ? `took over the lock of ${dir} from pid ${owner.pid} (since ${owner.started}), which is no longer running`
          : `replaced an unreadable lock file ${file}`,
      );
    }
    throw new UserError(`${dir}: could not lock the run folder (another run keeps taking it); choose another ${flag}`);
  }

  /** Removes the lock if it is still this process's. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    RunLock.held.delete(this);
    process.off('exit', this.onExit);
    try {
      if (fs.readFileSync(this.file, 'utf8') === this.token) fs.unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
