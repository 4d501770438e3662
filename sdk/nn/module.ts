import type { DType } from '../dtype';
import type { Graph } from '../graph';
import type { StateDict } from '../state';
import type { Tensor } from '../tensor';
import type { Initializer } from './init';
import { Rng } from './rng';

export interface ParamSpec {
  dtype: DType;
  shape: number[];
  init: Initializer;
}

/**
 * A PyTorch-like module: named parameters and sub-modules, whose full names are state_dict keys
 * (`unet.down1.maxpool_conv.1.double_conv.0.weight`). Modules hold no graph: `call` builds the forward
 * pass into the graph of its tensor arguments, under the module's path (which names nodes and errors).
 * A module called twice in one graph shares its parameters.
 */
export abstract class Module {
  private readonly ownParams = new Map<string, ParamSpec>();
  private readonly ownBuffers = new Map<string, ParamSpec>();
  /** Train mode (PyTorch's default) or eval mode; read when a graph is built (docs/nn.md). */
  training = true;
  private readonly ownChildren = new Map<string, Module>();
  private parent: Module | null = null;
  private localName = '';

  abstract forward(...args: any[]): any;

  /** Dotted path from the root module ('' for the root). */
  get path(): string {
    if (!this.parent) return this.localName;
    return this.parent.path ? `${this.parent.path}.${this.localName}` : this.localName;
  }

  /** Runs `forward` scoped to this module's path. */
  call<M extends Module>(this: M, ...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    const t = (args as unknown[]).flat().find((a): a is Tensor => !!a && typeof a === 'object' && 'graph' in a);
    if (!t) return this.forward(...args);
    return t.graph.withScope(this.path, () => this.forward(...args));
  }

  /** Registers a sub-module under `name` (its state_dict prefix). */
  protected addModule<M extends Module>(name: string, m: M): M {
    this.checkFree(name);
    if (m.parent) {
      throw new Error(
        `cannot register a module as '${this.key(name)}': it is already registered as '${m.path}' (one module has one path; to share its weights call the same module twice)`,
      );
    }
    if ((m as Module) === this || [...m.modules()].includes(this))
      throw new Error(`cannot register '${this.key(name)}': a module cannot contain itself`);
    m.parent = this;
    m.localName = name;
    this.ownChildren.set(name, m);
    return m;
  }

  /** Declares a parameter of this module. */
  protected addParam(name: string, shape: number[], init: Initializer, dtype: DType = 'float32'): void {
    this.checkFree(name);
    this.ownParams.set(name, { dtype, shape, init });
  }

  /** Declares a buffer (state that is updated, not trained; a state_dict entry: PyTorch's register_buffer). */
  protected addBuffer(name: string, shape: number[], init: Initializer, dtype: DType = 'float32'): void {
    this.checkFree(name);
    this.ownBuffers.set(name, { dtype, shape, init });
  }

  private checkFree(name: string): void {
    if (!name || name.includes('.'))
      throw new Error(`'${name}' is not a valid member name of '${this.path || '(root)'}' (non-empty, no dots)`);
    if (this.ownChildren.has(name) || this.ownParams.has(name) || this.ownBuffers.has(name)) {
      throw new Error(`'${this.key(name)}' is already registered: two members cannot share one path`);
    }
  }

  /** The graph tensor of one of this module's parameters. */
  protected param(g: Graph, name: string): Tensor {
    const spec = this.ownParams.get(name);
    if (!spec) throw new Error(`module '${this.path}' has no parameter '${name}'`);
    return g.param(this.key(name), spec.dtype, spec.shape, this);
  }

  /** The graph tensor of one of this module's buffers. */
  protected buf(g: Graph, name: string): Tensor {
    const spec = this.ownBuffers.get(name);
    if (!spec) throw new Error(`module '${this.path}' has no buffer '${name}'`);
    return g.buffer(this.key(name), spec.dtype, spec.shape, this);
  }

  /** Records a buffer's new value (output `new.<key>` of a training step). */
  protected setBuf(g: Graph, name: string, t: Tensor): void {
    g.updateBuffer(this.key(name), t);
  }

  protected hasParam(name: string): boolean {
    return this.ownParams.has(name);
  }

  protected hasBuffer(name: string): boolean {
    return this.ownBuffers.has(name);
  }

  /** Sets train mode (default) or eval mode on this module and every child; returns the module. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Eval mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Replaces the initialiser of an existing parameter (e.g. zero-init of a head). */
  setInit(name: string, init: Initializer): void {
    const spec = this.ownParams.get(name);
    if (!spec) throw new Error(`module '${this.path}' has no parameter '${name}'`);
    spec.init = init;
  }

  protected key(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  children(): [string, Module][] {
    return [...this.ownChildren];
  }

  /** Every module below and including this one, depth-first in registration order. */
  *modules(): Generator<Module> {
    yield this;
    for (const c of this.ownChildren.values()) yield* c.modules();
  }

  /** [state_dict key, spec] in PyTorch's order: own parameters first, then each child's. */
  *namedParameters(): Generator<[string, ParamSpec]> {
    for (const [n, s] of this.ownParams) yield [this.key(n), s];
    for (const c of this.ownChildren.values()) yield* c.namedParameters();
  }

  /** [state_dict key, spec] of every buffer, own first, then each child's. */
  *namedBuffers(): Generator<[string, ParamSpec]> {
    for (const [n, s] of this.ownBuffers) yield [this.key(n), s];
    for (const c of this.ownChildren.values()) yield* c.namedBuffers();
  }

  /** Every state_dict entry in PyTorch's order: per module its parameters, then its buffers, then its children. */
  *namedState(): Generator<[string, ParamSpec]> {
    for (const [n, s] of this.ownParams) yield [this.key(n), s];
    for (const [n, s] of this.ownBuffers) yield [this.key(n), s];
    for (const c of this.ownChildren.values()) yield* c.namedState();
  }

  /** Types of every state_dict entry (parameters and buffers) by key. */
  stateSpecs(): Map<string, { dtype: DType; shape: number[] }> {
    return new Map([...this.namedState()].map(([k, s]) => [k, { dtype: s.dtype, shape: [...s.shape] }]));
  }

  /** Parameter types by state_dict key (buffers excluded: see `stateSpecs`). */
  paramSpecs(): Map<string, { dtype: DType; shape: number[] }> {
    return new Map([...this.namedParameters()].map(([k, s]) => [k, { dtype: s.dtype, shape: [...s.shape] }]));
  }

  /**
   * A fresh, seeded initialisation of every parameter and buffer, in state_dict order. Parameters draw from
   * one RNG stream in parameter order (so a model without buffers initialises exactly as before buffers
   * existed); buffers are deterministic (zeros, ones) and draw nothing.
   */
  initStateDict(seed = 0): StateDict {
    const rng = new Rng(seed);
    const params = new Map([...this.namedParameters()].map(([k, s]) => [k, s.init(rng, s.shape)]));
    const sd: StateDict = new Map();
    for (const [k, s] of this.namedState())
      sd.set(k, { dtype: s.dtype, shape: [...s.shape], data: params.get(k) ?? s.init(rng, s.shape) });
    return sd;
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    let n = 0;
    for (const [, s] of this.namedParameters()) n += s.shape.reduce((a, b) => a * b, 1);
    return n;
  }
}

/**
 * Runs its children in order, as torch.nn.Sequential: `new Sequential(a, b)` names them '0', '1', …;
 * `new Sequential({ conv: a, bn: b })` (PyTorch's OrderedDict form) names them by key.
 */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[] | [Record<string, Module>]) {
    super();
    const first = layers[0];
    const named: [string, Module][] =
      layers.length === 1 && first && !(first instanceof Module)
        ? Object.entries(first as Record<string, Module>)
        : (layers as Module[]).map((m, i) => [String(i), m]);
    this.layers = named.map(([k, m]) => this.addModule(k, m));
  }
  /** A list of tensors goes to the first layer as is (a Conv takes it as the channel concatenation). */
  forward(x: Tensor | readonly Tensor[]): Tensor {
    return this.layers.reduce<Tensor | readonly Tensor[]>((h, m) => m.call(h), x) as Tensor;
  }
}
