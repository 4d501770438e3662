/**
 * Datasets the way users have them:
 * - nnU-Net v2 raw datasets: `dataset.json` (channel_names, labels, numTraining, file_ending), `imagesTr/`
 *   with `<case>_<XXXX><ending>` channel files, `labelsTr/<case><ending>`, optional `imagesTs/`;
 * - MONAI-style datalist JSON: `training` / `validation` / `test` lists of `{image, label}` (or plain paths),
 *   paths relative to the JSON's folder or a base dir; a fine-tuning run's config.json (`train` / `val`) too.
 *
 * Everything is resolved to absolute file paths; problems are DataErrors of one line naming the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from './errors';

/** One case: its channel files in channel order, and its label map (training cases). */
export interface DatasetCase {
  id: string;
  images: string[];
  label?: string;
}

/** A dataset resolved to files. */
export interface Dataset {
  /** Where it came from (a folder or a JSON file), for messages. */
  source: string;
  kind: 'nnunet' | 'datalist';
  /** Channel names in order (nnU-Net's channel_names; ['image'] for single-image datalists). */
  channels: string[];
  /** Class names by label value (nnU-Net's labels), when the dataset says. */
  labels?: Record<number, string>;
  training: DatasetCase[];
  /** Explicit validation cases (a datalist's `validation`); empty: split from training. */
  validation: DatasetCase[];
  /** Cases without labels (nnU-Net's imagesTs, a datalist's `test`). */
  test: DatasetCase[];
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`${file}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(`${file}: the ${what} is not valid JSON (${(e as Error).message})`);
  }
}

/** True when `p` is an nnU-Net raw dataset folder (it holds dataset.json and imagesTr/ or imagesTs/). */
export function isNnunetDataset(p: string): boolean {
  return fs.existsSync(path.join(p, 'dataset.json')) && (fs.existsSync(path.join(p, 'imagesTr')) || fs.existsSync(path.join(p, 'imagesTs')));
}

/** Reads an nnU-Net v2 raw dataset folder. */
export function readNnunetDataset(dir: string, warn: (m: string) => void = () => {}): Dataset {
  const root = path.resolve(dir);
  const jsonFile = path.join(root, 'dataset.json');
  if (!fs.existsSync(jsonFile)) throw new DataError(`${dir}: not an nnU-Net dataset (no dataset.json)`);
  const j = readJson(jsonFile, 'nnU-Net dataset.json');
  if (!isObj(j)) throw new DataError(`${jsonFile}: expected an object with channel_names, labels, numTraining, file_ending`);
  const names = j.channel_names ?? j.modality; // nnU-Net v1 called it modality
  if (!isObj(names) || Object.keys(names).length === 0) throw new DataError(`${jsonFile}: no channel_names (e.g. "channel_names": {"0": "CT"})`);
  const keys = Object.keys(names).map(Number).sort((a, b) => a - b);
  if (keys.some((k, i) => k !== i)) throw new DataError(`${jsonFile}: channel_names keys must be 0, 1, …, got ${Object.keys(names).join(', ')}`);
  const channels = keys.map((k) => String(names[String(k)]));
  const ending = typeof j.file_ending === 'string' ? j.file_ending : '.nii.gz';
  if (!/^\.nii(\.gz)?$/i.test(ending)) throw new DataError(`${jsonFile}: file_ending ${ending}: only NIfTI (.nii.gz, .nii) datasets are read; convert the images first`);
  let labels: Record<number, string> | undefined;
  if (j.labels !== undefined) {
    if (!isObj(j.labels)) throw new DataError(`${jsonFile}: labels must map names to values (e.g. {"background": 0, "liver": 1})`);
    labels = {};
    for (const [name, v] of Object.entries(j.labels)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new DataError(`${jsonFile}: label ${name} is ${JSON.stringify(v)}; only integer labels are read (not nnU-Net region lists)`);
      labels[v] = name;
    }
    const values = Object.keys(labels).map(Number).sort((a, b) => a - b);
    if (values.some((v, i) => v !== i)) throw new DataError(`${jsonFile}: label values must be 0, 1, …, ${values.length - 1} without gaps, got ${values.join(', ')}`);
  }
  const caseFile = new RegExp(`^(.+)_(\\d{4})${ending.replace(/\./g, '\\.')}$`, 'i');
  const readCases = (sub: string, withLabels: boolean): DatasetCase[] => {
    const folder = path.join(root, sub);
    if (!fs.existsSync(folder)) return [];
    const byCase = new Map<string, Map<number, string>>();
    for (const f of fs.readdirSync(folder).sort()) {
      if (!f.toLowerCase().endsWith(ending.toLowerCase())) continue;
      const m = caseFile.exec(f);
      if (!m) throw new DataError(`${path.join(folder, f)}: not named <case>_<XXXX>${ending} (nnU-Net adds a 4-digit channel number, e.g. ${f.slice(0, f.length - ending.length)}_0000${ending})`);
      const ch = Number(m[2]);
      if (ch >= channels.length) throw new DataError(`${path.join(folder, f)}: channel ${m[2]} but dataset.json names ${channels.length} channel(s) (${channels.join(', ')})`);
      if (!byCase.has(m[1])) byCase.set(m[1], new Map());
      byCase.get(m[1])!.set(ch, path.join(folder, f));
    }
    const cases: DatasetCase[] = [];
    for (const [id, files] of byCase) {
      const missing = channels.map((name, c) => [name, c] as const).filter(([, c]) => !files.has(c));
      if (missing.length) {
        const [name, c] = missing[0];
        throw new DataError(`${path.join(folder, `${id}_${String(c).padStart(4, '0')}${ending}`)}: missing (case ${id} has no channel ${c}, ${name}; every case needs all ${channels.length} channel files)`);
      }
      const c: DatasetCase = { id, images: channels.map((_, k) => files.get(k)!) };
      if (withLabels) {
        const label = path.join(root, 'labelsTr', `${id}${ending}`);
        if (!fs.existsSync(label)) throw new DataError(`${files.get(0)}: no label map ${path.join('labelsTr', `${id}${ending}`)} for case ${id}`);
        c.label = label;
      }
      cases.push(c);
    }
    return cases;
  };
  const training = readCases('imagesTr', true);
  const labelsDir = path.join(root, 'labelsTr');
  if (fs.existsSync(labelsDir)) {
    const known = new Set(training.map((c) => c.id));
    for (const f of fs.readdirSync(labelsDir).sort()) {
      if (!f.toLowerCase().endsWith(ending.toLowerCase())) continue;
      const id = f.slice(0, f.length - ending.length);
      if (!known.has(id)) throw new DataError(`${path.join(labelsDir, f)}: a label map without image (no imagesTr/${id}_0000${ending})`);
    }
  }
  if (typeof j.numTraining === 'number' && j.numTraining !== training.length) warn(`${jsonFile}: numTraining is ${j.numTraining} but imagesTr holds ${training.length} case(s); using the files`);
  return { source: root, kind: 'nnunet', channels, labels, training, validation: [], test: readCases('imagesTs', false) };
}

/**
 * Reads a MONAI-style datalist (`training`, `validation`, `test`), or a fine-tuning run's config.json
 * (`train`, `val`). Entries are `{image, label}` objects or plain image paths; `image` may be a list of channel
 * files. Relative paths are relative to `baseDir` (default: the JSON's folder).
 */
export function readDatalist(file: string, baseDir?: string): Dataset {
  const j = readJson(path.resolve(file), 'datalist');
  if (!isObj(j)) throw new DataError(`${file}: expected a datalist object with a "training" list of {"image": …, "label": …}`);
  const base = path.resolve(baseDir ?? path.dirname(path.resolve(file)));
  const list = (key: string, withLabels: boolean): DatasetCase[] => {
    const v = j[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new DataError(`${file}: "${key}" must be a list of {"image": …${withLabels ? ', "label": …' : ''}} entries`);
    return v.map((e, i) => {
      const where = `${file}: ${key}[${i}]`;
      const entry = typeof e === 'string' || Array.isArray(e) ? { image: e } : e;
      if (!isObj(entry) || entry.image === undefined) throw new DataError(`${where}: expected {"image": "…"${withLabels ? ', "label": "…"' : ''}}, got ${JSON.stringify(e)}`);
      const images = (Array.isArray(entry.image) ? entry.image : [entry.image]).map((p) => {
        if (typeof p !== 'string') throw new DataError(`${where}.image: expected a path, got ${JSON.stringify(p)}`);
        const f = path.resolve(base, p);
        if (!fs.existsSync(f)) throw new DataError(`${where}.image: ${f}: no such file`);
        return f;
      });
      const c: DatasetCase = { id: caseId(images[0]), images };
      if (entry.label !== undefined) {
        if (typeof entry.label !== 'string') throw new DataError(`${where}.label: expected a path, got ${JSON.stringify(entry.label)}`);
        c.label = path.resolve(base, entry.label);
        if (!fs.existsSync(c.label)) throw new DataError(`${where}.label: ${c.label}: no such file`);
      } else if (withLabels) throw new DataError(`${where}: no "label" (training and validation entries need one)`);
      return c;
    });
  };
  const runConfig = Array.isArray(j.train);
  const training = list(runConfig ? 'train' : 'training', true);
  const validation = list(runConfig ? 'val' : 'validation', true);
  const test = list('test', false);
  if (training.length + validation.length + test.length === 0) throw new DataError(`${file}: no "training", "validation" or "test" entries`);
  const counts = new Set([...training, ...validation, ...test].map((c) => c.images.length));
  if (counts.size > 1) throw new DataError(`${file}: entries have different numbers of channel images (${[...counts].join(', ')})`);
  const n = [...counts][0] ?? 1;
  return { source: path.resolve(file), kind: 'datalist', channels: n === 1 ? ['image'] : Array.from({ length: n }, (_, i) => `channel ${i}`), training, validation, test };
}

/** An nnU-Net dataset folder or a datalist JSON file. */
export function readDataset(p: string, opts: { baseDir?: string; warn?: (m: string) => void } = {}): Dataset {
  if (!fs.existsSync(p)) throw new DataError(`${p}: no such file or folder`);
  if (fs.statSync(p).isDirectory()) {
    if (!fs.existsSync(path.join(p, 'dataset.json'))) throw new DataError(`${p}: not an nnU-Net dataset (no dataset.json); give an nnU-Net raw dataset folder or a datalist .json`);
    return readNnunetDataset(p, opts.warn);
  }
  if (!/\.json$/i.test(p)) throw new DataError(`${p}: a dataset is an nnU-Net folder (with dataset.json) or a datalist .json file`);
  return readDatalist(p, opts.baseDir);
}

/**
 * The index of the one channel a single-channel model reads: `channel` (a name or an index) or the only one.
 * More than one channel without a choice is an error that lists them.
 */
export function pickChannel(ds: Dataset, channel?: string | number): number {
  if (channel === undefined || channel === '') {
    if (ds.channels.length === 1) return 0;
    throw new DataError(`${ds.source}: ${ds.channels.length} channels (${ds.channels.map((c, i) => `${i}: ${c}`).join(', ')}); the model takes one image per case: choose one with --channel NAME or --channel INDEX`);
  }
  const byIndex = typeof channel === 'number' || /^\d+$/.test(channel) ? Number(channel) : ds.channels.findIndex((c) => c.toLowerCase() === String(channel).toLowerCase());
  if (!(byIndex >= 0 && byIndex < ds.channels.length)) throw new DataError(`--channel ${channel}: not a channel of ${ds.source} (${ds.channels.map((c, i) => `${i}: ${c}`).join(', ')})`);
  return byIndex;
}

/** A case id from an image file: the name without .nii/.nii.gz and without nnU-Net's _XXXX channel suffix. */
export function caseId(file: string): string {
  return path.basename(file).replace(/\.nii(\.gz)?$/i, '').replace(/_\d{4}$/, '');
}

/**
 * Files named with nnU-Net channel suffixes (case_0000, case_0001, …) in a plain folder: the files of one
 * channel (`channel` as an index; default: the only one, else an error listing them).
 */
export function oneChannel(files: string[], where: string, channel?: string): string[] {
  const suffix = (f: string) => /_(\d{4})\.nii(\.gz)?$/i.exec(path.basename(f))?.[1];
  const chans = new Set(files.map(suffix));
  if (chans.has(undefined) || chans.size <= 1) return files;
  const list = [...chans].sort().join(', ');
  if (channel === undefined) throw new DataError(`${where}: files of ${chans.size} channels (_${[...chans].sort().join(', _')}); the model takes one image per case: choose one with --channel INDEX`);
  const want = /^\d+$/.test(channel) ? channel.padStart(4, '0') : '';
  if (!chans.has(want)) throw new DataError(`--channel ${channel}: ${where} has channels ${list}`);
  const picked = files.filter((f) => suffix(f) === want);
  const cases = new Set(files.map(caseId));
  if (picked.length !== cases.size) {
    const missing = [...cases].find((c) => !picked.some((f) => caseId(f) === c));
    throw new DataError(`${where}: case ${missing} has no _${want} file (channel ${Number(want)})`);
  }
  return picked;
}
