import { flatten } from '../functional/misc';
import type { Tensor } from '../tensor';
import { Module } from './module';

/** torch.nn.Identity: returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** torch.nn.Flatten(start_dim=1, end_dim=-1). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/** torch.nn.ModuleList: children '0', '1', … (state_dict prefixes as PyTorch's); no forward of its own. */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];
  constructor(modules: readonly M[] = []) {
    super();
    for (const m of modules) this.append(m);
  }
  append(m: M): this {
    this.items.push(this.addModule(String(this.items.length), m));
    return this;
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): M {
    const m = this.items[i < 0 ? i + this.items.length : i];
    if (!m) throw new Error(`ModuleList index ${i} is out of range (length ${this.items.length})`);
    return m;
  }
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
  forward(): never {
    throw new Error(`ModuleList '${this.path}' has no forward: call its modules`);
  }
}

/** torch.nn.ModuleDict: children by name, in insertion order; no forward of its own. */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly items = new Map<string, M>();
  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  set(name: string, m: M): this {
    this.items.set(name, this.addModule(name, m));
    return this;
  }
  get(name: string): M {
    const m = this.items.get(name);
    if (!m)
      throw new Error(`ModuleDict '${this.path}' has no module '${name}' (has: ${[...this.items.keys()].join(', ')})`);
    return m;
  }
  has(name: string): boolean {
    return this.items.has(name);
  }
  keys(): string[] {
    return [...this.items.keys()];
  }
  forward(): never {
    throw new Error(`ModuleDict '${this.path}' has no forward: call its modules`);
  }
}
