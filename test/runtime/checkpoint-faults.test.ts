/**
 * A checkpoint write that fails in the training loop (issue 18): the run stops with one line naming the step,
 * the folder, the error and the checkpoint that is intact; no temporary file or lock is left, and the run resumes
 * from that checkpoint. The fault is a real ENOSPC from the kernel: the checkpoint's temporary file is made a link
 * to /dev/full (sdk/bytes.ts writeFileAtomic names it `.checkpoint.safetensors.<pid>.tmp`). EACCES through the
 * CLI: test/e2e/cli-write-faults.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ATOMIC_TMP } from '../../sdk/bytes';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../runtime/engine/checkpoint';
import { UserError } from '../../runtime/engine/errors';
import { LOCK_FILE } from '../../runtime/engine/run-lock';
import { engineRun } from '../helpers/engine-run';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-faults-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
let n = 0;
const tmp = () => fs.mkdtempSync(path.join(base, `${n++}-`));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => ATOMIC_TMP.test(f) || f === LOCK_FILE);
/** From `step` on, this process's checkpoint writes in `dir` go to /dev/full. */
const fullFrom = (dir: string, step: number) => (s: number) => {
  if (s === step) fs.symlinkSync('/dev/full', path.join(dir, `.${CHECKPOINT_FILE}.${process.pid}.tmp`));
};

const hasDevFull = fs.existsSync('/dev/full') && fs.statSync('/dev/full').isCharacterDevice();
(hasDevFull ? describe : describe.skip)('ENOSPC while writing a checkpoint', () => {
  test('stops with one line; the previous checkpoint is intact, nothing is left behind, and the run resumes', async () => {
    const dir = tmp();
    const err = await engineRun({ dir, steps: 8, saveEvery: 2, onStep: fullFrom(dir, 3) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^step 4: cannot write the checkpoint in ${esc(dir)} \\(ENOSPC: no space left on the device\\); the checkpoint of step 2 is intact\\. Free space or fix permissions, then resume with --resume ${esc(dir)}$`,
      ),
    );
    expect(loadCheckpoint(dir).meta.step).toBe(2);
    expect(leftovers(dir)).toEqual([]);
    expect(await engineRun({ dir, steps: 8, saveEvery: 2 })).toMatchObject({ step: 8, interrupted: false });
    expect(loadCheckpoint(dir).meta.step).toBe(8);
  });

  test('on metrics.jsonl: one line naming the file; the checkpoint is intact', async () => {
    const dir = tmp();
    const metrics = path.join(dir, 'metrics.jsonl');
    const err = await engineRun({
      dir,
      steps: 8,
      saveEvery: 2,
      onStep: (s) => {
        if (s !== 3) return;
        fs.rmSync(metrics);
        fs.symlinkSync('/dev/full', metrics);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^step 3: cannot append to ${esc(metrics)} \\(ENOSPC: no space left on the device\\); the checkpoint of step 2 is intact\\.`,
      ),
    );
    expect(loadCheckpoint(dir).meta.step).toBe(2);
    expect(leftovers(dir)).toEqual([]);
  });

  test('on the plot right after a checkpoint: names that step, whose checkpoint was written', async () => {
    const dir = tmp();
    const plotFull = (s: number) => {
      if (s === 3) fs.symlinkSync('/dev/full', path.join(dir, `.loss.svg.${process.pid}.tmp`));
    };
    const err = await engineRun({ dir, steps: 8, saveEvery: 2, onStep: plotFull }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^step 4: cannot write the plots in ${esc(dir)} \\(ENOSPC: no space left on the device\\); the checkpoint of step 4 was written\\. Free space or fix permissions, then resume with --resume ${esc(dir)}$`,
      ),
    );
    expect(loadCheckpoint(dir).meta.step).toBe(4);
    expect(leftovers(dir)).toEqual([]);
    expect(await engineRun({ dir, steps: 8, saveEvery: 2 })).toMatchObject({ step: 8, interrupted: false });
  });

  test('on the first checkpoint, says that none was written', async () => {
    const dir = tmp();
    const err = await engineRun({ dir, steps: 8, saveEvery: 2, onStep: fullFrom(dir, 1) }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /^step 2: cannot write the checkpoint in .* \(ENOSPC: no space left on the device\); no checkpoint was written yet\./,
    );
    expect(fs.existsSync(path.join(dir, CHECKPOINT_FILE))).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });
});
