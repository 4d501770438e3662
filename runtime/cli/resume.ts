import { loadCheckpoint } from '../engine/checkpoint';
import { UserError } from '../engine/errors';

/** The checkpoint `--resume DIR` names, or one line saying why it cannot be resumed. */
export function resumeCheckpoint<C>(dir: string): ReturnType<typeof loadCheckpoint<C>> {
  try {
    return loadCheckpoint<C>(dir);
  } catch (e) {
    throw new UserError(`--resume ${dir}: ${(e as Error).message}`);
  }
}
