/**
 * writeFileAtomic (sdk/bytes.ts) under real write faults (issue 18): the previous file is untouched and no
 * temporary file is left. ENOSPC comes from the kernel: the temporary file's name is made a symbolic link to
 * /dev/full, whose writes fail with ENOSPC. EACCES needs a folder the process cannot write, which chmod does not
 * give root (test/e2e/cli-write-faults.test.ts runs the CLI as another user for that).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeNifti } from '../../runtime/data/nifti';
import { makeVolume } from '../../runtime/data/volume';
import { ATOMIC_TMP, writeFileAtomic } from '../../sdk/bytes';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'bytes-'));
afterAll(() => {
  fs.chmodSync(base, 0o700);
  fs.rmSync(base, { recursive: true, force: true });
});
let n = 0;
const tmp = () => fs.mkdtempSync(path.join(base, `${n++}-`));
const tmpOf = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => ATOMIC_TMP.test(f));

test('replaces a file through a temporary file named as ATOMIC_TMP expects', () => {
  const file = path.join(tmp(), 'a.bin');
  writeFileAtomic(file, 'old');
  expect(ATOMIC_TMP.test(path.basename(tmpOf(file)))).toBe(true);
  writeFileAtomic(file, Uint8Array.of(1, 2, 3));
  expect([...fs.readFileSync(file)]).toEqual([1, 2, 3]);
  expect(leftovers(path.dirname(file))).toEqual([]);
});

const hasDevFull = fs.existsSync('/dev/full') && fs.statSync('/dev/full').isCharacterDevice();
(hasDevFull ? test : test.skip)(
  'ENOSPC (a write into /dev/full): the error is rethrown, the old file intact, no temporary file left',
  () => {
    const file = path.join(tmp(), 'checkpoint.safetensors');
    writeFileAtomic(file, 'previous checkpoint');
    fs.symlinkSync('/dev/full', tmpOf(file));
    let err: NodeJS.ErrnoException | undefined;
    try {
      writeFileAtomic(file, new Uint8Array(1 << 20));
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.code).toBe('ENOSPC');
    expect(err?.path).toBe(file); // a failed write(2) names no path: the CLI's one line needs it
    expect(fs.readFileSync(file, 'utf8')).toBe('previous checkpoint');
    expect(leftovers(path.dirname(file))).toEqual([]);
    expect(fs.statSync('/dev/full').isCharacterDevice()).toBe(true); // the link was removed, not its target
  },
);

// Root passes any permission check: chmod cannot make a folder unwritable to it.
const root = process.getuid?.() === 0;
(root ? test.skip : test)(
  'EACCES (a read-only folder; skipped as root, see cli-write-faults): the old file intact, nothing left',
  () => {
    const dir = tmp();
    const file = path.join(dir, 'checkpoint.safetensors');
    writeFileAtomic(file, 'previous checkpoint');
    fs.chmodSync(dir, 0o555);
    try {
      expect(() => writeFileAtomic(file, 'new')).toThrow(expect.objectContaining({ code: 'EACCES', path: file }));
    } finally {
      fs.chmodSync(dir, 0o755);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('previous checkpoint');
    expect(leftovers(dir)).toEqual([]);
  },
);

// Outputs other than checkpoints go through the same atomic write (segment's and register's NIfTI files).
(hasDevFull ? test : test.skip)(
  'writeNifti on a full disk: one error naming the file, the previous image intact',
  () => {
    const file = path.join(tmp(), 'labels.nii.gz');
    const vol = makeVolume(new Float32Array(64).fill(1), [4, 4, 4]);
    writeNifti(file, vol);
    const before = fs.readFileSync(file);
    fs.symlinkSync('/dev/full', tmpOf(file));
    expect(() => writeNifti(file, makeVolume(new Float32Array(4096), [16, 16, 16]))).toThrow(
      expect.objectContaining({ code: 'ENOSPC', path: file }),
    );
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(leftovers(path.dirname(file))).toEqual([]);
  },
);
