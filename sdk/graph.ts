import { type Dim, fmtDims, SYMBOL_RE } from './dim';
import { allocate, type DType, fromNumbers, numel, type TypedArray } from './dtype';
import { BuildError, ShapeError } from './errors';
import type { Primitive } from './primitive';
import { describe, type Node, Tensor } from './tensor';

/**
 * Builds one ONNX graph. Tensors are created by `input`, `param`, `constant` and by applying primitives;
 * every op's shape rule runs as it is built. Module paths scope node names and error messages.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly params = new Map<string, Tensor>();
  readonly outputs = new Map<string, Tensor>();
  /** State_dict keys of `params` that are buffers (updated, not trained: no gradient, no optimizer state). */
  readonly buffers = new Set<string>();
  /** New values of buffers computed by this graph (a train-mode BatchNorm's running stats), by key. */
  readonly bufferUpdates = new Map<string, Tensor>();
  /**
   * Carry buffers declared int64 (BatchNorm's num_batches_tracked) as int32 tensors in this graph: no WebGPU
   * kernel of ONNX Runtime 1.30 reads an int64 input (docs/gpus.md). `buildTraining` sets it for its graphs, and
   * the `Trainer` converts at its boundary, so state dicts keep PyTorch's int64. Set it before any buffer.
   */
  int64BuffersAsInt32 = false;
  /** Keys of the buffers declared int64 and carried as int32 here (see `int64BuffersAsInt32`). */
  readonly int32CarriedBuffers = new Set<string>();
  /** Which object declared each parameter or buffer: a second owner of one key is an error (no silent sharing). */
  private readonly owners = new Map<string, object>();
  private seed: Tensor | null = null;
  private nextId = 0;
  private path = '';
  private readonly usedNames = new Set<string>();
  private readonly nameCounts = new Map<string, number>();
  /** For each symbolic dim, the tensors holding it and where (in build order): how the lowering finds its value. */
  readonly dimSources = new Map<string, { t: Tensor; axis: number }[]>();

  constructor(readonly name = 'graph') {}

  /** The module path new nodes are built under. */
  get scope(): string {
    return this.path;
  }

  /** Runs `fn` with new nodes scoped to the absolute module path `path`. */
  withScope<T>(path: string, fn: () => T): T {
    const saved = this.path;
    this.path = path;
    try {
      return fn();
    } finally {
      this.path = saved;
    }
  }

  /** Runs `fn` one scope level deeper (`path.name`). */
  scoped<T>(name: string, fn: () => T): T {
    return this.withScope(this.path ? `${this.path}.${name}` : name, fn);
  }

  /**
   * A graph input. Dims are numbers or named symbols (`g.input('x', 'float32', ['N', 3, 'H', 'W'])`): one name
   * is one run-time value wherever it appears; shape rules carry symbols through (sdk/dim.ts).
   */
  input(name: string, dtype: DType, shape: readonly Dim[]): Tensor {
    for (const d of shape) {
      if (typeof d === 'string' && !SYMBOL_RE.test(d)) {
        throw new BuildError(
          'input',
          this.path,
          `'${name}': symbolic dim '${d}' must be an identifier (letters, digits, _), got ${fmtDims(shape)}`,
        );
      }
    }
    this.checkShape(
      'input',
      name,
      shape.filter((d): d is number => typeof d === 'number'),
    );
    const t = this.make(dtype, shape, { kind: 'input' }, this.claim(name, 'input'));
    this.inputs.push(t);
    return t;
  }

  /**
   * A named parameter (a state_dict key). Declaring the same name twice returns the same tensor, so a
   * module applied twice shares its weights; a second declaration with another type is an error.
   */
  param(name: string, dtype: DType, shape: readonly number[], owner?: object): Tensor {
    const old = this.params.get(name);
    if (old && (old.dtype !== dtype || old.shape.join() !== shape.join())) {
      throw new BuildError(
        'param',
        this.path,
        `parameter '${name}' redeclared as ${dtype}[${shape}] but is ${old.type}`,
      );
    }
    if (old && owner) {
      const prev = this.owners.get(name);
      if (prev && prev !== owner) {
        throw new BuildError(
          'param',
          this.path,
          `two different modules declare '${name}': give them different paths (register them under different names) or call the same module object twice to share weights`,
        );
      }
      if (!prev) this.owners.set(name, owner);
    } else if (owner) this.owners.set(name, owner);
    if (old) {
      if (old.dtype !== dtype || old.shape.join() !== shape.join()) {
        throw new BuildError(
          'param',
          this.path,
          `parameter '${name}' redeclared as ${dtype}[${shape}] but is ${old.type}`,
        );
      }
      return old;
    }
    this.checkShape('param', name, shape);
    const t = this.make(dtype, shape, { kind: 'param' }, this.claim(name, 'param'));
    this.params.set(name, t);
    return t;
  }

  /**
   * A buffer (BatchNorm's running_mean …): a state_dict entry exported like a parameter (initializer, or
   * input by key) but never trained. Same sharing rules as `param`.
   */
  buffer(name: string, dtype: DType, shape: readonly number[], owner?: object): Tensor {
    if (this.params.has(name) && !this.buffers.has(name))
      throw new BuildError('buffer', this.path, `'${name}' is already a parameter`);
    const narrow = dtype === 'int64' && this.int64BuffersAsInt32;
    const t = this.param(name, narrow ? 'int32' : dtype, shape, owner);
    this.buffers.add(name);
    if (narrow) this.int32CarriedBuffers.add(name);
    return t;
  }

  /** Records the new value of a buffer; a training step outputs it as `new.<name>` (docs/nn.md). */
  updateBuffer(name: string, t: Tensor): void {
    const old = this.params.get(name);
    if (!old || !this.buffers.has(name))
      throw new BuildError('buffer', this.path, `'${name}' is not a buffer of this graph`);
    if (t.dtype !== old.dtype || t.shape.join() !== old.shape.join()) {
      throw new BuildError('buffer', this.path, `new value of '${name}' is ${t.type}, but the buffer is ${old.type}`);
    }
    if (this.bufferUpdates.has(name))
      throw new BuildError(
        'buffer',
        this.path,
        `buffer '${name}' is updated twice in one graph (a train-mode BatchNorm called twice?)`,
      );
    this.bufferUpdates.set(name, t);
  }

  /** The int32 scalar input `dropout_seed` that random masks are hashed from (created on first use). */
  dropoutSeed(): Tensor {
    this.seed ??= this.withScope('', () => this.input('dropout_seed', 'int32', []));
    return this.seed;
  }

  /** A constant (an ONNX initializer). `data` is numbers or the dtype's typed array. */
  constant(data: TypedArray | readonly number[], dtype: DType, shape: readonly number[]): Tensor {
    // A typed array of another storage type (e.g. a Float32Array for a float64 constant) is converted.
    const arr =
      ArrayBuffer.isView(data) && data.constructor === allocate(dtype, 0).constructor
        ? (data as TypedArray)
        : fromNumbers(dtype, Array.from(data as ArrayLike<number | bigint>, Number));
    if (arr.length !== numel(shape)) {
      throw new BuildError('constant', this.path, `${arr.length} values do not fill shape [${shape}]`);
    }
    return this.make(
      dtype,
      shape,
      { kind: 'const', data: arr },
      this.claim(this.uniqueName(this.prefixed('const')), 'constant'),
    );
  }

  /** A scalar constant (shape []). */
  scalar(value: number, dtype: DType = 'float32'): Tensor {
    return this.constant([value], dtype, []);
  }

  /** A constant filled with one value. */
  full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
    const arr = allocate(dtype, numel(shape));
    (arr as unknown as { fill(v: unknown): void }).fill(dtype === 'int64' ? BigInt(value) : value);
    return this.constant(arr, dtype, shape);
  }

  /** Marks `t` as a graph output called `name`. */
  output(name: string, t: Tensor): void {
    if (t.graph !== this) throw new BuildError('output', this.path, `output '${name}' belongs to another graph`);
    if (this.outputs.has(name)) throw new BuildError('output', this.path, `output '${name}' declared twice`);
    this.outputs.set(name, t);
  }

  /** Applies a primitive: checks inputs with its shape rule and returns its outputs. */
  apply<A>(op: Primitive<A>, inputs: readonly (Tensor | null)[], attrs: A): Tensor[] {
    for (const t of inputs) {
      if (t && t.graph !== this) throw new BuildError(op.name, this.path, 'inputs come from different graphs');
    }
    let types;
    try {
      types = op.infer(inputs, attrs);
    } catch (e) {
      if (e instanceof ShapeError) {
        const shapes = inputs
          .map((t, i) => `${(op.inputs[i] ?? `in${i}`).replace(/\?$/, '')}=${describe(t)}`)
          .join(', ');
        throw new BuildError(op.name, this.path, `${e.message} (inputs: ${shapes})`);
      }
      throw e;
    }
    const nodeName = this.claim(this.uniqueName(this.prefixed(op.name)), 'node');
    const node: Node<A> = {
      id: this.nodes.length,
      prim: op.name,
      op,
      inputs: [...inputs],
      attrs,
      outputs: [],
      path: this.path,
      name: nodeName,
    };
    types.forEach((ty, i) => {
      for (const s of ty.shape) {
        if (typeof s === 'number' && (!Number.isInteger(s) || s < 0)) {
          throw new BuildError(op.name, this.path, `shape rule produced an invalid shape [${ty.shape}]`);
        }
      }
      // A single output shares its node's name; ONNX keeps node and value names in separate namespaces.
      const valueName = types.length === 1 ? nodeName : this.claim(`${nodeName}:${i}`, 'value');
      node.outputs.push(this.make(ty.dtype, ty.shape, { kind: 'op', node, index: i }, valueName));
    });
    this.nodes.push(node);
    return node.outputs;
  }

  private make(dtype: DType, shape: readonly Dim[], source: Tensor['source'], name: string): Tensor {
    const t = new Tensor(this, this.nextId++, dtype, Object.freeze([...shape]), source, name);
    shape.forEach((d, axis) => {
      if (typeof d !== 'string') return;
      const list = this.dimSources.get(d);
      if (list) list.push({ t, axis });
      else this.dimSources.set(d, [{ t, axis }]);
    });
    return t;
  }

  private prefixed(label: string): string {
    return this.path ? `${this.path}/${label}` : label;
  }

  private uniqueName(base: string): string {
    let k = this.nameCounts.get(base) ?? 0;
    let name = base;
    while (this.usedNames.has(name)) name = `${base}_${++k}`;
    this.nameCounts.set(base, k);
    return name;
  }

  private claim(name: string, what: string): string {
    if (!name) throw new BuildError(what, this.path, 'names must be non-empty');
    if (this.usedNames.has(name))
      throw new BuildError(what, this.path, `the name '${name}' is already used in this graph`);
    this.usedNames.add(name);
    return name;
  }

  private checkShape(what: string, name: string, shape: readonly number[]): void {
    if (!shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new BuildError(what, this.path, `'${name}' needs a static shape of non-negative integers, got [${shape}]`);
    }
  }
}

/** The nodes that contribute to `roots`, in a topological order (build order is one). */
export function liveNodes(g: Graph, roots: Iterable<Tensor>): Node[] {
  const live = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const t = stack.pop()!;
    if (t.source.kind !== 'op' || live.has(t.source.node.id)) continue;
    live.add(t.source.node.id);
    for (const x of t.source.node.inputs) if (x) stack.push(x);
  }
  return g.nodes.filter((n) => live.has(n.id));
}
