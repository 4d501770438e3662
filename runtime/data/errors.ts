import { UserError } from '../engine/errors';

/**
 * A problem with input data (unreadable, truncated or unsupported file, NaN voxels, too few volumes). It is a
 * UserError, so the CLI prints its one-line message without a stack trace; messages name the file.
 */
export class DataError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
