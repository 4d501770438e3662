/**
 * A minimal, safe pickle reader (protocols 2-5, the opcodes torch.save emits for state_dicts and the
 * dicts around them). Nothing is ever executed: a global resolves through the caller's whitelist
 * (`findClass`) or to an inert `PyGlobal`, and calling an inert global only records the call as a
 * `PyObject`.
 */

/** A reference to a Python global that is not on the whitelist. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

/** The inert record of calling a non-whitelisted global (REDUCE, NEWOBJ), with its BUILD state. */
export class PyObject {
  state: unknown = undefined;
  constructor(
    readonly cls: string,
    readonly args: unknown[],
  ) {}
}

/** A dict or OrderedDict (keys are strings, numbers, or other pickled values by identity). */
export class PyDict {
  readonly items = new Map<unknown, unknown>();
  state: unknown = undefined;
}

/** A whitelisted global that may be called. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

export interface UnpickleHooks {
  /** Whitelisted globals by `module.name`; anything else becomes a `PyGlobal`. */
  findClass(qualified: string): unknown;
  persistentLoad(pid: unknown): unknown;
}

/** Unpickles `bytes`; errors are thrown as `Error`s whose message starts with "pickle:". */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const fail = (msg: string): never => {
    throw new Error(`pickle: ${msg} (at byte ${pos})`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('data ends early (truncated?)');
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const utf8 = (n: number) => Buffer.from(take(n)).toString('utf8');
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('data ends early (truncated?)');
    const s = Buffer.from(bytes.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = () => (stack.length ? stack.pop() : fail('stack underflow'));
  const top = () => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = () => {
    const items = stack;
    stack = marks.pop() ?? fail('MARK missing');
    return items;
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof PyDict)) fail('SETITEM(S) on a non-dict');
    for (let i = 0; i + 1 < kv.length; i += 2) (d as PyDict).items.set(kv[i], kv[i + 1]);
  };
  const appendItems = (l: unknown, xs: unknown[]) => {
    if (!Array.isArray(l)) fail('APPEND(S) on a non-list');
    (l as unknown[]).push(...xs);
  };
  const global = (module: string, name: string) => hooks.findClass(`${module}.${name}`) ?? new PyGlobal(module, name);
  const call = (f: unknown, args: unknown) => {
    if (!Array.isArray(args)) fail('call arguments are not a tuple');
    if (f instanceof PyCallable) return f.call(args as unknown[]);
    if (f instanceof PyGlobal) return new PyObject(`${f.module}.${f.name}`, args as unknown[]);
    return fail(`cannot call a ${describe(f)}`);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        take(8);
        break; // FRAME: frames only group opcodes
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        marks.push(stack);
        stack = [];
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        need(2);
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break; // BININT2
      case 0x8a:
        stack.push(longLE(take(u8())));
        break; // LONG1
      case 0x8b:
        stack.push(longLE(take(u32())));
        break; // LONG4
      case 0x47:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break; // BINFLOAT (big-endian)
      case 0x58:
        stack.push(utf8(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(utf8(u8()));
        break; // SHORT_BINUNICODE
      case 0x8d: {
        need(8);
        const n = Number(view.getBigUint64(pos, true));
        pos += 8;
        stack.push(utf8(n));
        break;
      } // BINUNICODE8
      case 0x54:
        stack.push(Buffer.from(take(u32())).toString('latin1'));
        break; // BINSTRING
      case 0x55:
        stack.push(Buffer.from(take(u8())).toString('latin1'));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(take(u32()).slice());
        break; // BINBYTES
      case 0x43:
        stack.push(take(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x7d:
        stack.push(new PyDict());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x8f:
        stack.push([]);
        break; // EMPTY_SET (as a list)
      case 0x64: {
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x6c:
      case 0x74:
      case 0x91: {
        const xs = popMark();
        stack.push(xs);
        break;
      } // LIST, TUPLE, FROZENSET (popMark swaps `stack`)
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      } // TUPLE3
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      } // SETITEMS
      case 0x61: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      } // APPEND
      case 0x65:
      case 0x90: {
        const xs = popMark();
        appendItems(top(), xs);
        break;
      } // APPENDS, ADDITEMS
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo entry ${i} is missing`);
        stack.push(memo.get(i));
        break;
      }
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52:
      case 0x81: {
        const args = pop();
        stack.push(call(pop(), args));
        break;
      } // REDUCE, NEWOBJ
      case 0x92: {
        pop();
        const args = pop();
        stack.push(call(pop(), args));
        break;
      } // NEWOBJ_EX (kwargs dropped)
      case 0x51:
        stack.push(hooks.persistentLoad(pop()));
        break; // BINPERSID
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject || obj instanceof PyDict) obj.state = state;
        else fail(`BUILD on a ${describe(obj)}`);
        break;
      }
      default:
        fail(
          `unsupported opcode 0x${op.toString(16)}${op >= 0x20 && op < 0x7f ? ` ('${String.fromCharCode(op)}')` : ''}`,
        );
    }
  }
}

/** A short description of an unpickled value for error messages. */
export function describe(v: unknown): string {
  if (v instanceof PyObject) return `${v.cls} object`;
  if (v instanceof PyGlobal) return `reference to ${v.module}.${v.name}`;
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PyCallable) return v.name;
  if (Array.isArray(v)) return 'list/tuple';
  if (v === null) return 'None';
  return typeof v;
}

/** A little-endian two's-complement integer: a number when it is safe, else a bigint. */
function longLE(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
