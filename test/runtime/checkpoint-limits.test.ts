import * as zlib from 'node:zlib';
import { readPth } from '../../runtime/checkpoint/pth';
import { readSafetensors, writeSafetensors } from '../../runtime/checkpoint/safetensors';
import { craftPth, makeZip } from '../helpers/craft-pth';

// Crafted archives (issue 18, findings 4 and 7): limits come from the file's own declarations.
describe('.pth reader limits', () => {
  test('a well-formed crafted archive reads (the crafting is right)', () => {
    const sd = readPth(craftPth(), 'ok.pth');
    expect(Array.from(sd.get('w')!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    const deflated = readPth(craftPth({ storage: { method: 8 } }), 'ok.pth');
    expect(Array.from(deflated.get('w')!.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  test('zip bomb: a deflated entry that inflates past its declared size stops at that size', () => {
    // 64 MiB of zeros deflate to ~64 KiB; the directory claims 16 bytes.
    const bomb = makeZip([{ name: 'archive/data.pkl', data: new Uint8Array(64 << 20), method: 8, declaredSize: 16 }]);
    expect(bomb.length).toBeLessThan(200_000);
    const rss = process.memoryUsage().rss;
    expect(() => readPth(bomb, 'bomb.pth')).toThrow(
      /bomb\.pth: entry archive\/data\.pkl: inflates to more than the 16 bytes the directory declares/,
    );
    expect(process.memoryUsage().rss - rss).toBeLessThan(32 << 20);
  });

  test('a declared size deflate cannot produce is refused before inflating', () => {
    const lie = makeZip([{ name: 'archive/data.pkl', data: new Uint8Array(100), method: 8, declaredSize: 2 ** 31 }]);
    expect(() => readPth(lie, 'lie.pth')).toThrow(
      /lie\.pth: entry archive\/data\.pkl: declares 2147483648 bytes from \d+ compressed, more than deflate can produce/,
    );
  });

  test('a stored entry whose directory size differs from its data is refused', () => {
    const pth = craftPth({ storage: { declaredSize: 8 } });
    expect(() => readPth(pth, 's.pth')).toThrow(
      /s\.pth: .*(stored entry of 16 bytes, the directory says 8|has 8 bytes, 4 × torch.FloatStorage need 16)/,
    );
  });

  test('a storage smaller than its pickle declares is refused from the directory, before inflating', () => {
    const pth = craftPth({ numel: 4, storage: { data: new Uint8Array(8), method: 8 } });
    expect(() => readPth(pth, 'short.pth')).toThrow(
      /short\.pth: storage file archive\/data\/0 has 8 bytes, 4 × torch.FloatStorage need 16/,
    );
  });

  test('a negative storage offset is refused', () => {
    expect(() => readPth(craftPth({ size: 2, storageOffset: -2 }), 'neg.pth')).toThrow(
      /neg\.pth: .*negative storage offset -2/,
    );
  });
});

describe('safetensors offsets', () => {
  const f32 = (...v: number[]) => ({ dtype: 'float32' as const, shape: [v.length], data: Float32Array.from(v) });

  /** Rewrites the header of a valid file, keeping its data bytes. */
  function withOffsets(offsets: Record<string, [number, number]>): Uint8Array {
    const bytes = writeSafetensors(
      new Map([
        ['a', f32(1, 2)],
        ['b', f32(3, 4)],
      ]),
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
    for (const [k, o] of Object.entries(offsets)) header[k].data_offsets = o;
    const json = Buffer.from(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(bytes.subarray(8 + n), 8 + json.length);
    return out;
  }

  test('overlapping tensors are refused', () => {
    expect(readSafetensors(withOffsets({}), 'ok').tensors.get('b')!.data).toEqual(Float32Array.of(3, 4));
    expect(() => readSafetensors(withOffsets({ b: [4, 12] }), 'o.st')).toThrow(
      /o\.st: tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/,
    );
    expect(() => readSafetensors(withOffsets({ b: [0, 8] }), 'o.st')).toThrow(/overlap/);
  });

  test('out-of-range offsets are refused', () => {
    expect(() => readSafetensors(withOffsets({ b: [12, 20] }), 'r.st')).toThrow(
      /r\.st: tensor "b": data_offsets \[12, 20\] run past the 16 data bytes/,
    );
    expect(() => readSafetensors(withOffsets({ b: [-8, 0] }), 'r.st')).toThrow(
      /data_offsets \[-8,0\] is not \[begin, end\]/,
    );
  });

  test('zlib is bounded the same way for gzip (sanity of the Node option the readers rely on)', () => {
    const gz = zlib.gzipSync(new Uint8Array(1 << 20));
    expect(() => zlib.gunzipSync(gz, { maxOutputLength: 1000 })).toThrow(/larger than 1000 bytes/);
  });
});
