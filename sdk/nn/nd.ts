import { Module } from './module';

/**
 * What the 1-D, 2-D and 3-D members of a module family (Conv1d/2d/3d, MaxPool1d/2d/3d, BatchNorm1d/2d/3d, …)
 * share. Each member is a class of its own (so `x instanceof nn.Conv2d` works and TypeDoc documents it) whose
 * body only names its number of spatial axes, `static override readonly dims = 2`; the family's base class
 * declares that static and reads it in its one constructor through `new.target`.
 */

/** The spatial axes of an input with `dims` of them, as PyTorch's docs write them: 'L', 'H, W', 'D, H, W'. */
export const spatialAxes = (dims: number): string => ['L', 'H, W', 'D, H, W'][dims - 1];

/** The base of a 1-D/2-D/3-D family: `dims` is the concrete class's static `dims`. */
export abstract class NdModule extends Module {
  /** The number of spatial axes (1, 2 or 3) that each concrete class declares. */
  declare static readonly dims: number;
  /** The number of spatial axes: 1, 2 or 3 (Conv2d: 2). */
  readonly dims: number;
  constructor() {
    super();
    this.dims = new.target.dims;
  }
}
