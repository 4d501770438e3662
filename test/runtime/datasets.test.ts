/**
 * Dataset readers (runtime/data/datasets.ts) on tiny crafted nnU-Net v2 raw folders and MONAI datalists in a
 * temp dir: files resolved per case and channel, and one clear line for each mistake users make.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  caseId,
  oneChannel,
  pickChannel,
  readDatalist,
  readDataset,
  readNnunetDataset,
} from '../../runtime/data/datasets';
import { discoverVolumes } from '../../runtime/pretrain/volumes';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'datasets-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;

/** An nnU-Net raw dataset with empty placeholder files (the readers resolve names; loading is tested elsewhere). */
function nnunet(files: string[], json: Record<string, unknown> = {}): string {
  const dir = path.join(root, `Dataset${String(++n).padStart(3, '0')}_Test`);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '');
  }
  fs.writeFileSync(
    path.join(dir, 'dataset.json'),
    JSON.stringify({
      channel_names: { 0: 'CT' },
      labels: { background: 0, liver: 1 },
      numTraining: 2,
      file_ending: '.nii.gz',
      ...json,
    }),
  );
  return dir;
}

describe('nnU-Net v2 raw datasets', () => {
  test('cases, channels, labels, imagesTs', () => {
    const dir = nnunet(
      [
        'imagesTr/a_0000.nii.gz',
        'imagesTr/a_0001.nii.gz',
        'imagesTr/b_0000.nii.gz',
        'imagesTr/b_0001.nii.gz',
        'labelsTr/a.nii.gz',
        'labelsTr/b.nii.gz',
        'imagesTs/c_0000.nii.gz',
        'imagesTs/c_0001.nii.gz',
      ],
      { channel_names: { 0: 'T1', 1: 'T2' } },
    );
    const ds = readNnunetDataset(dir);
    expect(ds.channels).toEqual(['T1', 'T2']);
    expect(ds.labels).toEqual({ 0: 'background', 1: 'liver' });
    expect(ds.training.map((c) => [c.id, c.images.map((f) => path.basename(f)), path.basename(c.label!)])).toEqual([
      ['a', ['a_0000.nii.gz', 'a_0001.nii.gz'], 'a.nii.gz'],
      ['b', ['b_0000.nii.gz', 'b_0001.nii.gz'], 'b.nii.gz'],
    ]);
    expect(ds.test.map((c) => c.id)).toEqual(['c']);
    // Two channels: the model takes one, chosen by name or index.
    expect(() => pickChannel(ds)).toThrow(
      /2 channels \(0: T1, 1: T2\); the model takes one image per case: choose one with --channel/,
    );
    expect(pickChannel(ds, 't2')).toBe(1);
    expect(pickChannel(ds, '0')).toBe(0);
    expect(() => pickChannel(ds, 'FLAIR')).toThrow(/--channel FLAIR: not a channel of .* \(0: T1, 1: T2\)/);
    // pretrain takes every image of one channel, imagesTs included.
    expect(discoverVolumes([dir], { channel: 'T1' }).map((f) => path.basename(f))).toEqual([
      'a_0000.nii.gz',
      'b_0000.nii.gz',
      'c_0000.nii.gz',
    ]);
  });

  test('one line per mistake', () => {
    const oneLine = (fn: () => unknown, re: RegExp) => {
      let msg = '';
      try {
        fn();
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(re);
      expect(msg).not.toContain('\n');
    };
    oneLine(
      () =>
        readNnunetDataset(
          nnunet(['imagesTr/a_0000.nii.gz', 'labelsTr/a.nii.gz'], { channel_names: { 0: 'T1', 1: 'T2' } }),
        ),
      /a_0001\.nii\.gz: missing \(case a has no channel 1, T2; every case needs all 2 channel files\)/,
    );
    oneLine(
      () => readNnunetDataset(nnunet(['imagesTr/a_0000.nii.gz', 'labelsTr/a.nii.gz', 'labelsTr/z.nii.gz'])),
      /labelsTr\/z\.nii\.gz: a label map without image \(no imagesTr\/z_0000\.nii\.gz\)/,
    );
    oneLine(
      () => readNnunetDataset(nnunet(['imagesTr/a_0000.nii.gz'])),
      /a_0000\.nii\.gz: no label map labelsTr\/a\.nii\.gz for case a/,
    );
    oneLine(
      () => readNnunetDataset(nnunet(['imagesTr/a.nii.gz', 'labelsTr/a.nii.gz'])),
      /a\.nii\.gz: not named <case>_<XXXX>\.nii\.gz \(nnU-Net adds a 4-digit channel number, e\.g\. a_0000\.nii\.gz\)/,
    );
    oneLine(
      () => readNnunetDataset(nnunet(['imagesTr/a_0000.nrrd'], { file_ending: '.nrrd' })),
      /file_ending \.nrrd: only NIfTI/,
    );
    oneLine(
      () => readNnunetDataset(nnunet([], { labels: { background: 0, tumor: [1, 2] } })),
      /label tumor is \[1,2\]; only integer labels are read/,
    );
    oneLine(() => readNnunetDataset(nnunet([], { channel_names: undefined })), /no channel_names/);
    oneLine(() => readDataset(path.join(root, 'nowhere')), /nowhere: no such file or folder/);
    const warnings: string[] = [];
    readNnunetDataset(nnunet(['imagesTr/a_0000.nii.gz', 'labelsTr/a.nii.gz'], { numTraining: 5 }), (m) =>
      warnings.push(m),
    );
    expect(warnings[0]).toMatch(/numTraining is 5 but imagesTr holds 1 case/);
  });
});

describe('MONAI datalists', () => {
  const dir = path.join(root, 'monai');
  beforeAll(() => {
    fs.mkdirSync(path.join(dir, 'img'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'lab'), { recursive: true });
    for (const f of ['img/1.nii.gz', 'img/2.nii.gz', 'img/3.nii.gz', 'lab/1.nii.gz', 'lab/2.nii.gz'])
      fs.writeFileSync(path.join(dir, f), '');
  });

  test('training/validation/test, paths relative to the JSON or a base dir', () => {
    const file = path.join(dir, 'datalist.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        training: [{ image: 'img/1.nii.gz', label: 'lab/1.nii.gz' }],
        validation: [{ image: 'img/2.nii.gz', label: 'lab/2.nii.gz' }],
        test: ['img/3.nii.gz'],
      }),
    );
    const ds = readDatalist(file);
    expect(ds.training[0]).toEqual({
      id: '1',
      images: [path.join(dir, 'img/1.nii.gz')],
      label: path.join(dir, 'lab/1.nii.gz'),
    });
    expect(ds.validation.map((c) => c.id)).toEqual(['2']);
    expect(ds.test.map((c) => c.images[0])).toEqual([path.join(dir, 'img/3.nii.gz')]);
    expect(pickChannel(ds)).toBe(0);
    // The same list elsewhere, relative to --base-dir.
    const moved = path.join(root, 'list.json');
    fs.writeFileSync(moved, JSON.stringify({ training: [{ image: 'img/1.nii.gz', label: 'lab/1.nii.gz' }] }));
    expect(readDatalist(moved, dir).training[0].label).toBe(path.join(dir, 'lab/1.nii.gz'));
    expect(() => readDatalist(moved)).toThrow(/list\.json: training\[0\]\.image: .*img\/1\.nii\.gz: no such file/);
  });

  test('errors name the entry', () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ training: [{ image: 'img/1.nii.gz' }] }));
    expect(() => readDatalist(file)).toThrow(/bad\.json: training\[0\]: no "label"/);
    fs.writeFileSync(file, JSON.stringify({ training: [{ image: 'img/1.nii.gz', label: 'lab/9.nii.gz' }] }));
    expect(() => readDatalist(file)).toThrow(/training\[0\]\.label: .*lab\/9\.nii\.gz: no such file/);
    fs.writeFileSync(file, '{"training": [');
    expect(() => readDatalist(file)).toThrow(/bad\.json: the datalist is not valid JSON/);
    fs.writeFileSync(file, JSON.stringify({ something: [] }));
    expect(() => readDatalist(file)).toThrow(/no "training", "validation" or "test" entries/);
    fs.writeFileSync(
      file,
      JSON.stringify({ training: [{ image: ['img/1.nii.gz', 'img/2.nii.gz'], label: 'lab/1.nii.gz' }] }),
    );
    expect(() => pickChannel(readDatalist(file))).toThrow(/2 channels \(0: channel 0, 1: channel 1\)/);
  });
});

test('plain folders with channel suffixes, case ids', () => {
  const files = ['x_0000.nii.gz', 'x_0001.nii.gz', 'y_0000.nii.gz', 'y_0001.nii.gz'].map((f) => path.join(root, f));
  expect(() => oneChannel(files, 'imgs')).toThrow(/imgs: files of 2 channels \(_0000, _0001\); .* --channel INDEX/);
  expect(oneChannel(files, 'imgs', '1').map((f) => path.basename(f))).toEqual(['x_0001.nii.gz', 'y_0001.nii.gz']);
  expect(() => oneChannel(files.slice(0, 3), 'imgs', '1')).toThrow(/case y has no _0001 file/);
  expect(caseId('/a/liver_007_0000.nii.gz')).toBe('liver_007');
  expect(caseId('/a/brain.nii')).toBe('brain');
});
