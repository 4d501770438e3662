/** An error caused by the user's input: the CLI prints its message alone (no stack trace) and exits 1. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
