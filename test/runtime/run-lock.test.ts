import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCK_FILE, RunLock } from '../../runtime/engine/run-lock';

// Issue 18, finding 3: one run per folder.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function folder(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  return dir;
}
const built = path.join(__dirname, '../../dist/runtime/engine/run-lock.js');

test('a second lock on the same folder stops with one line naming the owner; release frees it', () => {
  const dir = folder('a');
  const lock = RunLock.acquire(dir);
  const info = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
  expect([info.pid, info.host]).toEqual([process.pid, os.hostname()]);
  expect(() => RunLock.acquire(dir)).toThrow(
    `${dir} is in use by another run (pid ${process.pid}, since ${info.started}): wait for it to finish or choose another --out`,
  );
  lock.release();
  expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  RunLock.acquire(dir).release();
});

test('the lock of a dead process is taken over with a notice', () => {
  const dir = folder('b');
  // A process that has exited: its pid is free (or reused by a process with another start time).
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  fs.writeFileSync(
    path.join(dir, LOCK_FILE),
    JSON.stringify({ pid: Number(dead), host: os.hostname(), started: 'then', command: 'x' }),
  );
  const notes: string[] = [];
  const lock = RunLock.acquire(dir, (m) => notes.push(m));
  expect(notes).toEqual([`took over the lock of ${dir} from pid ${dead} (since then), which is no longer running`]);
  expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
  lock.release();
});

test('a lock from another host is never taken over; an old unreadable one is', () => {
  const dir = folder('c');
  fs.writeFileSync(
    path.join(dir, LOCK_FILE),
    JSON.stringify({ pid: 1, host: 'elsewhere', started: 'then', command: 'x' }),
  );
  expect(() => RunLock.acquire(dir)).toThrow(
    /in use by another run \(pid 1 on host elsewhere, since then\); if that run is gone, delete .*run\.lock/,
  );
  fs.writeFileSync(path.join(dir, LOCK_FILE), '{"pid": 12');
  expect(() => RunLock.acquire(dir)).toThrow(/its lock file .* is being written/);
  const old = (Date.now() - 60_000) / 1000;
  fs.utimesSync(path.join(dir, LOCK_FILE), old, old);
  const notes: string[] = [];
  RunLock.acquire(dir, (m) => notes.push(m)).release();
  expect(notes[0]).toMatch(/replaced an unreadable lock file/);
});

(fs.existsSync(built) ? test : test.skip)(
  'the lock is released when the process exits, also on an uncaught error (needs the build)',
  () => {
    const dir = folder('d');
    const script = `require(${JSON.stringify(built)}).RunLock.acquire(${JSON.stringify(dir)}); throw new Error('boom')`;
    const r = spawnSync(process.execPath, ['-e', script]);
    expect(r.status).toBe(1);
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  },
);
