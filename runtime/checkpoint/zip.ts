/**
 * A small read-only zip reader (what torch.save writes): central directory, ZIP64 sizes and offsets,
 * stored and deflated entries, CRC-32 checked on read.
 */
import * as zlib from 'node:zlib';
import { CheckpointError } from './bytes';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
/** Deflate's maximal expansion (258-byte matches coded in about 2 bits each): about 1032:1. */
const MAX_DEFLATE_RATIO = 1032;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipReader {
  /** Entries by name, in central-directory order. */
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readDirectory();
  }

  /** The uncompressed bytes of entry `name` (a view into the archive for stored entries). */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw this.error(`entry ${name} is missing`);
    const at = e.localOffset;
    if (at + 30 > this.bytes.length || this.u32(at) !== SIG_LOCAL)
      throw this.error(`entry ${name}: bad local header (corrupt or truncated file)`);
    const start = at + 30 + this.u16(at + 26) + this.u16(at + 28);
    if (start + e.compressedSize > this.bytes.length)
      throw this.error(`entry ${name}: data runs past the end of the file (truncated?)`);
    const raw = this.bytes.subarray(start, start + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size)
        throw this.error(`entry ${name}: stored entry of ${e.compressedSize} bytes, the directory says ${e.size}`);
      out = raw;
    } else if (e.method === 8) {
      // Deflate expands at most ~1032:1; a larger declared size is a lie, refused before any inflating.
      if (e.size > e.compressedSize * MAX_DEFLATE_RATIO + 64) {
        throw this.error(
          `entry ${name}: declares ${e.size} bytes from ${e.compressedSize} compressed, more than deflate can produce (corrupt or malicious file)`,
        );
      }
      try {
        // Bounded by the declared size: a zip bomb stops at e.size + 1 bytes instead of filling memory.
        out = zlib.inflateRawSync(raw, { maxOutputLength: e.size + 1 });
      } catch (err) {
        const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
        throw this.error(
          tooBig
            ? `entry ${name}: inflates to more than the ${e.size} bytes the directory declares (corrupt or malicious file)`
            : `entry ${name}: cannot inflate (${(err as Error).message})`,
        );
      }
    } else {
      throw this.error(`entry ${name}: unsupported compression method ${e.method} (only stored and deflate)`);
    }
    if (out.length !== e.size) throw this.error(`entry ${name}: ${out.length} bytes, the directory says ${e.size}`);
    if (zlib.crc32(out) !== e.crc) throw this.error(`entry ${name}: CRC-32 mismatch (corrupt file)`);
    return out;
  }

  private readDirectory(): void {
    const n = this.bytes.length;
    let eocd = -1;
    for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--) {
      if (this.u32(i) === SIG_EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw this.error('no zip end-of-central-directory record (truncated or not a zip file)');
    let count = this.u16(eocd + 10);
    let dirSize = this.u32(eocd + 12);
    let dirOffset = this.u32(eocd + 16);
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== SIG_EOCD64_LOCATOR) throw this.error('ZIP64 locator missing (corrupt file)');
      const e64 = this.u64(loc + 8);
      if (e64 + 56 > n || this.u32(e64) !== SIG_EOCD64)
        throw this.error('bad ZIP64 end-of-central-directory record (corrupt file)');
      count = this.u64(e64 + 32);
      dirSize = this.u64(e64 + 40);
      dirOffset = this.u64(e64 + 48);
    }
    if (dirOffset + dirSize > n) throw this.error('central directory runs past the end of the file (truncated?)');
    let p = dirOffset;
    for (let k = 0; k < count; k++) {
      if (p + 46 > n || this.u32(p) !== SIG_CENTRAL) throw this.error(`central directory entry ${k} is corrupt`);
      const nameLen = this.u16(p + 28);
      const extraLen = this.u16(p + 30);
      const e: ZipEntry = {
        name: Buffer.from(this.bytes.subarray(p + 46, p + 46 + nameLen)).toString('utf8'),
        flags: this.u16(p + 8),
        method: this.u16(p + 10),
        crc: this.u32(p + 16),
        compressedSize: this.u32(p + 20),
        size: this.u32(p + 24),
        localOffset: this.u32(p + 42),
      };
      this.applyZip64(e, p + 46 + nameLen, extraLen);
      if (e.flags & 1) throw this.error(`entry ${e.name} is encrypted`);
      this.entries.set(e.name, e);
      p += 46 + nameLen + extraLen + this.u16(p + 32);
    }
  }

  /** ZIP64 extra field: 64-bit values for whichever of size, compressed size, offset overflowed. */
  private applyZip64(e: ZipEntry, at: number, len: number): void {
    for (let q = at; q + 4 <= at + len;) {
      const id = this.u16(q);
      const size = this.u16(q + 2);
      if (id === 0x0001) {
        let r = q + 4;
        for (const f of ['size', 'compressedSize', 'localOffset'] as const) {
          if (e[f] === 0xffffffff) {
            e[f] = this.u64(r);
            r += 8;
          }
        }
      }
      q += 4 + size;
    }
  }

  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }
  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }
  private u64(at: number): number {
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error('a ZIP64 size or offset is out of range (corrupt file)');
    return Number(v);
  }

  private error(msg: string): CheckpointError {
    return new CheckpointError(`${this.source}: ${msg}`);
  }
}
