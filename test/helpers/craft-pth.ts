/**
 * Crafted torch.save archives for the reader's failure tests: a zip writer (stored or deflated entries, with
 * the directory's sizes overridable to lie) and a minimal protocol-2 pickle of a one-tensor state_dict.
 */
import * as zlib from 'node:zlib';

export interface CraftEntry {
  name: string;
  data: Uint8Array;
  /** 0 stored (default), 8 deflate. */
  method?: 0 | 8;
  /** The uncompressed size the directory declares (default: the true size). */
  declaredSize?: number;
}

/** A zip archive of `entries` (local headers, central directory, end record; no ZIP64). */
export function makeZip(entries: CraftEntry[]): Uint8Array {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = Buffer.from(e.method === 8 ? zlib.deflateRawSync(e.data) : e.data);
    const size = e.declaredSize ?? e.data.length;
    const crc = zlib.crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method ?? 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(e.method ?? 0, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, dir, end]));
}

/**
 * The pickle torch.save writes for `{ [key]: FloatTensor view }`: storage "0" of `numel` floats, a 1-D view
 * of `size` elements at `storageOffset` (which may be crafted negative).
 */
export function tensorPickle(key: string, numel: number, size: number, storageOffset: number): Uint8Array {
  const parts: Buffer[] = [];
  const op = (...b: number[]) => parts.push(Buffer.from(b));
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0);
    parts.push(b);
  };
  const global = (mod: string, name: string) => parts.push(Buffer.from(`c${mod}\n${name}\n`, 'latin1'));
  const int = (v: number) => {
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(v, 1);
    parts.push(b);
  };
  op(0x80, 0x02, 0x7d); // PROTO 2, EMPTY_DICT
  str(key);
  global('torch._utils', '_rebuild_tensor_v2');
  op(0x28, 0x28); // MARK (args), MARK (persistent id)
  str('storage');
  global('torch', 'FloatStorage');
  str('0');
  str('cpu');
  int(numel);
  op(0x74, 0x51); // TUPLE, BINPERSID
  int(storageOffset);
  int(size);
  op(0x85); // TUPLE1: size
  int(1);
  op(0x85); // TUPLE1: stride
  op(0x89); // requires_grad False
  global('collections', 'OrderedDict');
  op(0x29, 0x52); // EMPTY_TUPLE, REDUCE: backward hooks
  op(0x74, 0x52, 0x73, 0x2e); // TUPLE, REDUCE, SETITEM, STOP
  return new Uint8Array(Buffer.concat(parts));
}

/** A torch.save-style .pth of one float tensor; `storage` overrides the storage bytes' entry. */
export function craftPth(
  opts: { numel?: number; size?: number; storageOffset?: number; storage?: Partial<CraftEntry> } = {},
): Uint8Array {
  const numel = opts.numel ?? 4;
  const data = new Uint8Array(new Float32Array(Array.from({ length: numel }, (_, i) => i + 1)).buffer);
  return makeZip([
    { name: 'archive/data.pkl', data: tensorPickle('w', numel, opts.size ?? numel, opts.storageOffset ?? 0) },
    { name: 'archive/data/0', data, ...opts.storage },
  ]);
}
