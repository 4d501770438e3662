/** A graph-building error: says which op, at which module path, and what was wrong. */
export class BuildError extends Error {
  constructor(
    readonly op: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${op} at '${path || '<root>'}': ${detail}`);
    this.name = 'BuildError';
  }
}

/**
 * A model or graph parameter given a value it cannot take (`widths`, `shape`, …). The message names the parameter;
 * a front end (the CLI) maps `parameter` to its own spelling of it (a flag) and keeps `requirement`.
 */
export class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    readonly requirement: string,
  ) {
    super(`${parameter} ${requirement}`);
    this.name = 'ParameterError';
  }
}

/** Thrown by shape rules; the graph builder turns it into a BuildError naming the op and module path. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** Throws a ShapeError unless `cond` holds. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new ShapeError(typeof message === 'function' ? message() : message);
}
