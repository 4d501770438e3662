import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bytesOf } from '../../sdk/bytes';
import {
  formatLoadReport,
  loadWeights,
  matchStateDict,
  type ParamSpec,
  readWeights,
} from '../../runtime/checkpoint/load';
import { loadPth, readPth, readPthContent } from '../../runtime/checkpoint/pth';
import {
  loadSafetensors,
  readSafetensors,
  saveSafetensors,
  writeSafetensors,
} from '../../runtime/checkpoint/safetensors';
import type { NamedArray, StateDict } from '../../sdk/state';
import { SHARED, TEST_DATA } from '../helpers/paths';

// test/data is written once by test/data/make_pth.py (torch 1.13); the fixture by the shared reference code (../shared/reference).
const DATA = TEST_DATA;
const FIXTURE = path.join(SHARED, 'fixtures', 'gvsl-half-24x32x40');
const haveFixture = fs.existsSync(path.join(FIXTURE, 'weights.safetensors'));
const data = (f: string) => fs.readFileSync(path.join(DATA, f));

function expectSameTensors(a: StateDict, b: StateDict): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, x] of a) {
    const y = b.get(k)!;
    expect({ k, dtype: x.dtype, shape: x.shape, cls: x.data.constructor.name }).toEqual({
      k,
      dtype: y.dtype,
      shape: y.shape,
      cls: y.data.constructor.name,
    });
    expect(Buffer.from(bytesOf(x.data)).equals(Buffer.from(bytesOf(y.data)))).toBe(true);
  }
}

/** The twin lacks the bool and the 0-d entries (st.py has no BOOL and writes 0-d arrays as [1]). */
function twinKeys(sd: StateDict): StateDict {
  return new Map([...sd].filter(([k]) => k !== 'extra.mask' && k !== 'norm.num_batches_tracked'));
}

/** A raw safetensors file from a header object and data bytes, for corrupting on purpose. */
function rawSt(header: unknown, dataBytes = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(dataBytes, 8 + json.length);
  return out;
}

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

describe('PyTorch .pth (zip) reader', () => {
  const pth = readPth(data('tiny.pth'), 'tiny.pth');
  const twin = readSafetensors(data('tiny.safetensors'), 'tiny.safetensors');

  test('loads exactly the tensors of its safetensors twin, in state_dict order', () => {
    expect(twin.metadata).toEqual({ source: 'make_pth.py' });
    expectSameTensors(twinKeys(pth), twin.tensors);
    expect([...pth.keys()].slice(0, 3)).toEqual([
      'unet.inc.double_conv.0.weight',
      'unet.inc.double_conv.0.bias',
      'unet.inc.double_conv.1.weight',
    ]);
    expect(pth.get('unet.inc.double_conv.0.weight')!.shape).toEqual([2, 1, 3, 3, 3]);
  });

  test('strides, storage offsets, shared storages and every dtype', () => {
    const vals = (k: string) => Array.from(pth.get(k)!.data as ArrayLike<number | bigint>);
    expect(pth.get('extra.transposed')!.shape).toEqual([4, 3]);
    expect(vals('extra.transposed')).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(vals('extra.view_a')).toEqual([1, 1.5, 2, 2.5, 3, 3.5]);
    expect(vals('extra.view_b').slice(0, 4)).toEqual([2.5, 3, 3.5, 4]);
    expect(vals('extra.strided')).toEqual([0.5, 2, 3.5, 5, 6.5, 8, 9.5]);
    expect(vals('extra.i64')).toEqual([0n, -5n, 2n ** 53n + 1n, -(2n ** 62n)]);
    expect(vals('extra.f64')).toEqual([1 / 3, -2.5e-300, 1e300, 0.1]);
    expect(Array.from(pth.get('extra.f16')!.data as Uint16Array, (h) => h.toString(16))).toEqual([
      '3800',
      'bd00',
      '7bff',
      '1',
    ]);
    expect(pth.get('extra.mask')).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
    expect(pth.get('norm.num_batches_tracked')).toEqual({ dtype: 'int64', shape: [], data: new BigInt64Array([7n]) });
    expect(pth.get('extra.empty')!.shape).toEqual([0, 3]);
    // Views of one storage are copied apart.
    (pth.get('extra.view_a')!.data as Float32Array)[3] = 99;
    expect(vals('extra.view_b')[0]).toBe(2.5);
  });

  test('deflated archives and wrapped state_dicts', () => {
    expectSameTensors(readPth(data('tiny-deflate.pth')), readPth(data('tiny.pth')));
    const wrapped = readPthContent(data('tiny-wrapped.pth'));
    expect(wrapped.wrapperKey).toBe('state_dict');
    expectSameTensors(wrapped.tensors, readPth(data('tiny.pth')));
    const viaLoad = loadWeights(path.join(DATA, 'tiny-wrapped.pth'));
    expect([viaLoad.format, viaLoad.wrapperKey, viaLoad.metadata]).toEqual(['pth', 'state_dict', {}]);
  });

  test('refuses a pickled nn.Module, legacy files and non-checkpoints with clear messages', () => {
    expect(() => loadPth(path.join(DATA, 'tiny-module.pth'))).toThrow(
      /tiny-module\.pth: this \.pth holds a pickled nn\.Module, not a state_dict: save model\.state_dict\(\) instead/,
    );
    expect(() => readPth(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]), 'old.pth')).toThrow(
      /old\.pth: legacy \(non-zip\) torch\.save format/,
    );
    expect(() => readPth(new Uint8Array([1, 2, 3]), 'x.pth')).toThrow(/x\.pth: not a PyTorch checkpoint/);
  });

  test('truncated and corrupt archives', () => {
    const bytes = data('tiny.pth');
    expect(() => readPth(bytes.subarray(0, bytes.length - 30), 't.pth')).toThrow(
      /t\.pth: no zip end-of-central-directory record \(truncated/,
    );
    expect(() => readPth(bytes.subarray(0, 1000), 't.pth')).toThrow(/t\.pth: .*truncated/);
    const corrupt = Buffer.from(bytes);
    const at = corrupt.indexOf(Buffer.from('tiny/data/0')) + 'tiny/data/0'.length + 200; // inside storage 0
    corrupt[at] ^= 0xff;
    expect(() => readPth(corrupt, 'c.pth')).toThrow(/c\.pth: entry tiny\/data\/\d+: CRC-32 mismatch/);
  });
});

describe('safetensors', () => {
  test('round trip keeps order (integer-like names too), dtypes, metadata; unaligned offsets read back', () => {
    const sd: StateDict = new Map<string, NamedArray>([
      ['b', { dtype: 'uint8', shape: [3], data: new Uint8Array([1, 2, 3]) }],
      ['10', { dtype: 'float32', shape: [2, 2], data: new Float32Array([1.5, -2, 3, 4]) }],
      ['2', { dtype: 'int64', shape: [], data: new BigInt64Array([-(2n ** 60n)]) }],
      ['h', { dtype: 'float16', shape: [1], data: new Uint16Array([0x3c00]) }],
      ['m', { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) }],
      ['d', { dtype: 'float64', shape: [1, 1], data: new Float64Array([Math.PI]) }],
      ['i', { dtype: 'int32', shape: [0], data: new Int32Array(0) }],
    ]);
    const bytes = writeSafetensors(sd, { note: 'hi' });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ note: 'hi' });
    expectSameTensors(back.tensors, sd);
    expect(back.tensors.get('10')!.data.byteOffset % 4).toBe(0); // stored at data offset 3
  });

  test('save/load through a file, atomically', () => {
    const f = path.join(tmpDir, 'w.safetensors');
    const twin = loadSafetensors(path.join(DATA, 'tiny.safetensors'));
    saveSafetensors(f, twin.tensors, twin.metadata);
    expect(fs.readdirSync(tmpDir)).toEqual(['w.safetensors']);
    const back = loadWeights(f);
    expect(back.format).toBe('safetensors');
    expectSameTensors(back.tensors, twin.tensors);
    // The numpy writer and ours agree byte for byte apart from the header's layout.
    expect(Buffer.from(fs.readFileSync(f)).subarray(-100).equals(data('tiny.safetensors').subarray(-100))).toBe(true);
  });

  (haveFixture ? test : test.skip)('reads the GVSL parity fixture', () => {
    const w = loadSafetensors(path.join(FIXTURE, 'weights.safetensors'));
    expect(w.tensors.size).toBe(104);
    expect(w.metadata.chan).toBe('16,32,64,128,256,128,64,32,16');
    expect(w.tensors.get('unet.inc.double_conv.0.weight')!.shape).toEqual([16, 1, 3, 3, 3]);
    expect([...w.tensors.keys()][0]).toBe('unet.inc.double_conv.0.weight');
    const c = loadSafetensors(path.join(FIXTURE, 'case.safetensors'));
    expect(c.tensors.get('img')).toMatchObject({ dtype: 'float32', shape: [1, 1, 24, 32, 40] });
  });

  test('truncated and corrupt files name the file and the tensor', () => {
    const good = data('tiny.safetensors');
    expect(() => readSafetensors(good.subarray(0, good.length - 1), 'a.safetensors')).toThrow(
      /a\.safetensors: tensor "extra\.u8": data_offsets \[\d+, \d+\] run past the \d+ data bytes \(truncated file\?\)/,
    );
    expect(() => readSafetensors(good.subarray(0, 5), 'a.safetensors')).toThrow(
      'a.safetensors: 5 bytes is too short for a safetensors file (truncated?)',
    );
    expect(() => readSafetensors(good.subarray(0, 100), 'a.safetensors')).toThrow(
      /a\.safetensors: header length \d+ exceeds the 92 bytes after it/,
    );
    const f32 = new Uint8Array(8);
    expect(() =>
      readSafetensors(rawSt({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32), 'b.st'),
    ).toThrow('b.st: tensor "w": 8 data bytes, but F32 [3] needs 12');
    expect(() =>
      readSafetensors(rawSt({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, f32), 'b.st'),
    ).toThrow(/b\.st: tensor "w": unsupported dtype "C64"/);
    expect(() =>
      readSafetensors(rawSt({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, f32), 'b.st'),
    ).toThrow(/b\.st: tensor "w": shape \[-1\] is not a list/);
    expect(() =>
      readSafetensors(rawSt({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, f32), 'b.st'),
    ).toThrow(/b\.st: tensor "w": data_offsets \[8,4\] is not \[begin, end\]/);
    expect(() => readSafetensors(rawSt({ __metadata__: { a: 1 } }), 'b.st')).toThrow(
      'b.st: __metadata__ must map strings to strings',
    );
    const bad = rawSt({ w: 1 });
    bad[8] = 0x21;
    expect(() => readSafetensors(bad, 'b.st')).toThrow(/b\.st: header is not valid JSON/);
  });

  test('writer refuses inconsistent arrays', () => {
    const one = (t: NamedArray) => new Map([['w', t]]);
    expect(() => writeSafetensors(one({ dtype: 'float32', shape: [2], data: new Float32Array(3) }))).toThrow(
      'writeSafetensors: tensor "w": 3 elements for shape [2] (2)',
    );
    expect(() => writeSafetensors(one({ dtype: 'int64', shape: [1], data: new Float32Array(1) }))).toThrow(
      'writeSafetensors: tensor "w": a Float32Array cannot hold int64 data',
    );
  });
});

describe('loadWeights and matchStateDict', () => {
  test('unknown formats are refused by name', () => {
    const f = path.join(tmpDir, 'w.npz');
    fs.writeFileSync(f, 'hello world');
    expect(() => loadWeights(f)).toThrow(
      `${f}: unknown weights format (expected a .safetensors file or a PyTorch .pth/.pt/.bin checkpoint written by torch.save)`,
    );
    fs.rmSync(f);
    expect(readWeights(data('tiny.pth'), 'model.bin').format).toBe('pth');
    expect(readWeights(data('tiny.safetensors'), 'weights').format).toBe('safetensors');
  });

  const sd = readPth(data('tiny.pth'));
  const spec = (s: StateDict) =>
    new Map<string, ParamSpec>([...s].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]));
  const model = new Map<string, ParamSpec>([
    ['unet.inc.double_conv.0.weight', { dtype: 'float32', shape: [2, 1, 3, 3, 3] }],
    ['unet.inc.double_conv.0.bias', { dtype: 'float32', shape: [2] }],
    ['head.weight', { dtype: 'float32', shape: [3, 2] }],
  ]);

  test('strict match: a full fit, then missing, unexpected and mismatched keys in PyTorch words', () => {
    const full = matchStateDict(spec(sd), sd);
    expect([full.missing, full.unexpected, full.mismatched, full.converted, full.prefix]).toEqual([
      [],
      [],
      [],
      [],
      undefined,
    ]);
    expectSameTensors(full.tensors, sd);
    expect(formatLoadReport(full)).toBe('');

    const got: StateDict = new Map(
      [...sd].filter(([k]) => k.startsWith('unet.inc.double_conv.0') || k === 'norm.running_mean'),
    );
    got.set('head.weight', { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
    const r = matchStateDict(
      new Map([
        ...model,
        ['head.bias', { dtype: 'float32', shape: [3] }],
        ['head.extra', { dtype: 'float32', shape: [1] }],
      ]),
      got,
    );
    expect(r.missing).toEqual(['head.bias', 'head.extra']);
    expect(r.unexpected).toEqual(['norm.running_mean']);
    expect(r.mismatched.map((m) => m.key)).toEqual(['head.weight']);
    expect([...r.tensors.keys()]).toEqual(['unet.inc.double_conv.0.weight', 'unet.inc.double_conv.0.bias']);
    expect(formatLoadReport(r)).toBe(
      'Missing key(s) in state_dict: "head.bias", "head.extra". Unexpected key(s) in state_dict: "norm.running_mean". ' +
        'size mismatch for head.weight: copying a param with shape [2, 3] from checkpoint, the shape in current model is [3, 2].',
    );
  });

  test('the unet. prefix is added or removed to fit a backbone-only state_dict', () => {
    const backbone: StateDict = new Map(
      [...sd].filter(([k]) => k.startsWith('unet.')).map(([k, t]) => [k.slice('unet.'.length), t]),
    );
    const added = matchStateDict(model, backbone, { prefixes: ['unet.'] });
    expect([added.prefix, added.missing, added.unexpected]).toEqual([
      { added: 'unet.' },
      ['head.weight'],
      ['inc.double_conv.1.weight', 'inc.double_conv.1.bias'],
    ]);
    expect(added.tensors.get('unet.inc.double_conv.0.weight')).toBe(backbone.get('inc.double_conv.0.weight'));
    expect(formatLoadReport(added)).toBe(
      'Missing key(s) in state_dict: "head.weight". Unexpected key(s) in state_dict: "inc.double_conv.1.weight", "inc.double_conv.1.bias". ' +
        '(checkpoint keys compared with the prefix "unet." added)',
    );

    const prefixed: StateDict = new Map([...sd].filter(([k]) => k.startsWith('unet.')));
    const same = matchStateDict(model, prefixed, { prefixes: ['unet.'] });
    expect([same.prefix, same.missing, same.unexpected]).toEqual([
      undefined,
      ['head.weight'],
      ['unet.inc.double_conv.1.weight', 'unet.inc.double_conv.1.bias'],
    ]);

    const bare = new Map([...model].filter(([k]) => k.startsWith('unet.')).map(([k, s]) => [k.slice(5), s]));
    const removed = matchStateDict(bare, prefixed, { prefixes: ['unet.'] });
    expect([removed.prefix, removed.missing, removed.unexpected.length]).toEqual([{ removed: 'unet.' }, [], 2]);
    expect(matchStateDict(bare, prefixed).missing).toEqual(['inc.double_conv.0.weight', 'inc.double_conv.0.bias']);
  });

  test('float and int dtypes convert like copy_; others are reported', () => {
    const got: StateDict = new Map([
      ['a', sd.get('extra.f64')!],
      ['b', sd.get('extra.f16')!],
      ['c', sd.get('extra.i32')!],
      ['d', sd.get('extra.i64')!],
    ]);
    const want = new Map<string, ParamSpec>([
      ['a', { dtype: 'float32', shape: [2, 2] }],
      ['b', { dtype: 'float32', shape: [4] }],
      ['c', { dtype: 'int64', shape: [1, 3] }],
      ['d', { dtype: 'float32', shape: [4] }],
    ]);
    const r = matchStateDict(want, got);
    expect(r.converted).toEqual(['a', 'b', 'c']);
    expect(Array.from(r.tensors.get('a')!.data as Float32Array)).toEqual(
      Array.from(new Float32Array([1 / 3, -0, 1e300, 0.1])),
    );
    expect(Array.from(r.tensors.get('b')!.data as Float32Array)).toEqual([0.5, -1.25, 65504, 2 ** -24]);
    expect(r.tensors.get('c')!.data).toEqual(new BigInt64Array([1n, -2n, 3n]));
    expect(formatLoadReport(r)).toBe(
      'dtype mismatch for d: copying a param with dtype int64 from checkpoint, the dtype in current model is float32.',
    );
  });
});
