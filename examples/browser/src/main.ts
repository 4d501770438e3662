// The page: picks the volumes, hands them to the inference worker, shows progress, timing and the slices.
import type { DisplayVolume, EpChoice, ModelInfo, RunRequest, RunResult, WorkerMessage } from './protocol';
import { chooseProvider } from './provider';
import { displayWindow, drawSlice, PLANES, type Plane } from './view';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const base = new URL('./', document.baseURI).href;
const ROWS = ['fixed', 'moving', 'warped'] as const;

let busy = false;
let last: RunResult | null = null;
let windows: Record<string, [number, number]> = {};

fetch(new URL('model/model.json', base))
  .then((r) => r.json())
  .then((m: ModelInfo) => {
    $('model').textContent = `${m.description}; grid ${m.dims.join('×')}, geometry ${m.geometry}`;
  });

/** Runs one registration in the worker; resolves with its result (also kept for redrawing and for tests). */
function register(
  fixed: RunRequest['fixed'],
  moving: RunRequest['moving'],
  ep: EpChoice,
  precision: RunRequest['precision'] = 'auto',
): Promise<RunResult> {
  if (busy) return Promise.reject(new Error('a registration is already running'));
  busy = true;
  setButtons();
  const started = performance.now();
  const tick = setInterval(
    () => ($('status').dataset.elapsed = `${((performance.now() - started) / 1000).toFixed(1)} s`),
    100,
  );
  return new Promise<RunResult>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      if (m.type === 'progress') {
        ($('progress') as HTMLProgressElement).value = m.fraction;
        $('status').textContent = m.stage;
        return;
      }
      clearInterval(tick);
      busy = false;
      setButtons();
      if (m.type === 'error') {
        $('status').textContent = `failed: ${m.message}`;
        reject(new Error(m.message));
        return;
      }
      show(m);
      resolve(m);
    };
    const threads = Number(new URLSearchParams(location.search).get('threads')) || undefined;
    worker.postMessage({ type: 'run', fixed, moving, ep, precision, base, threads } satisfies RunRequest, [
      fixed.bytes,
      moving.bytes,
    ]);
  });
}

function show(r: RunResult): void {
  last = r;
  windows = {};
  for (const k of ROWS) windows[k] = displayWindow(r.display[k]);
  const t = r.timings;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  $('status').textContent = `done in ${s(t.total)}`;
  $('ep-note').textContent = `Ran on ${r.epNote}.`;
  $('timings').textContent =
    `inference ${s(t.inference)} · session ${s(t.session)} · preparation ${s(t.prepare)} · outputs ${s(t.finish)} · reading ${s(t.load)} · model: ${r.model}`;
  $('fit').textContent = `Model grid: ${r.fit}.`;
  for (const [id, bytes] of [
    ['save-warped', r.files.warped],
    ['save-field', r.files.displacement],
  ] as const) {
    const a = $(id) as HTMLAnchorElement;
    if (a.href) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/gzip' }));
    a.hidden = false;
  }
  draw();
}

function draw(): void {
  const views = $('views');
  if (!last) return;
  if (!views.childElementCount) {
    views.append(cell('', 'label'), ...PLANES.map((p) => cell(p, 'label')));
    for (const row of ROWS) {
      views.append(cell(row === 'warped' ? 'warped moving + flow' : row, 'label'));
      for (const p of PLANES) {
        const c = document.createElement('canvas');
        c.id = `view-${row}-${p}`;
        views.append(c);
      }
    }
  }
  const frac = (p: Plane) => Number(($(`slice-${p}`) as HTMLInputElement).value) / 1000;
  const flow = last.display.flow;
  let max = 0;
  for (const v of flow.data) max = Math.max(max, v);
  $('legend-text').textContent = `|flow| 0 … ${max.toFixed(1)} mm`;
  // The overlay is off or faint by default (alpha 0.3): the warped image stays readable under it.
  const opacity = ($('overlay-on') as HTMLInputElement).checked
    ? Number(($('overlay') as HTMLInputElement).value) / 100
    : 0;
  for (const row of ROWS) {
    const vol: DisplayVolume = last.display[row];
    for (const p of PLANES) {
      const overlay = row === 'warped' ? { vol: flow, max, opacity } : undefined;
      drawSlice($(`view-${row}-${p}`) as HTMLCanvasElement, vol, p, frac(p), windows[row], overlay);
    }
  }
}

function cell(text: string, cls: string): HTMLElement {
  const d = document.createElement('div');
  d.className = cls;
  d.textContent = text;
  return d;
}

function setButtons(): void {
  const files =
    ($('fixed-file') as HTMLInputElement).files?.length && ($('moving-file') as HTMLInputElement).files?.length;
  ($('run-files') as HTMLButtonElement).disabled = busy || !files;
  ($('run-samples') as HTMLButtonElement).disabled = busy;
}

async function samples(): Promise<[RunRequest['fixed'], RunRequest['moving']]> {
  const get = async (f: string) => ({
    name: f,
    bytes: await (await fetch(new URL(`samples/${f}`, base))).arrayBuffer(),
  });
  return [await get('ch2-2mm.nii.gz'), await get('itk-t1-head.nii.gz')];
}

const ep = () => ($('ep') as HTMLSelectElement).value as EpChoice;
const report = (e: unknown) => console.error(e);
$('run-samples').addEventListener('click', async () => {
  const [f, m] = await samples();
  register(f, m, ep()).catch(report);
});
$('run-files').addEventListener('click', async () => {
  const pick = async (id: string) => {
    const file = ($(id) as HTMLInputElement).files![0];
    return { name: file.name, bytes: await file.arrayBuffer() };
  };
  register(await pick('fixed-file'), await pick('moving-file'), ep()).catch(report);
});
for (const id of ['fixed-file', 'moving-file']) $(id).addEventListener('change', setButtons);
for (const id of ['slice-axial', 'slice-coronal', 'slice-sagittal', 'overlay', 'overlay-on'])
  $(id).addEventListener('input', draw);

/** For scripted use (the end-to-end test): register the samples with a chosen provider. */
declare global {
  interface Window {
    gvsl: {
      registerSamples(ep: EpChoice, precision?: RunRequest['precision']): Promise<RunResult>;
      last(): RunResult | null;
      /** The provider `ep` resolves to on this browser, and why. */
      provider(ep: EpChoice): ReturnType<typeof chooseProvider>;
    };
  }
}
window.gvsl = {
  async registerSamples(ep, precision = 'auto') {
    const [f, m] = await samples();
    return register(f, m, ep, precision);
  },
  last: () => last,
  provider: (ep) => chooseProvider(ep, 'auto'),
};
