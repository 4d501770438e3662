// End-to-end test of the browser app (npm run test:browser): builds it with a small GVSL model, serves it on
// 127.0.0.1 with COOP/COEP headers, drives Debian's headless Chromium (/usr/bin/chromium, never a downloaded
// browser) with playwright-core, registers the bundled samples on the WebAssembly EP and on the WebGPU EP
// (SwiftShader's software adapter), checks both against Node's `register` on the same inputs (1e-4), and saves
// a screenshot (examples/browser/test-results/e2e.png).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { serve } from './scripts/static-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gvsl-browser-'));
const pub = path.join(tmp, 'public');
const out = path.join(tmp, 'dist');
const dist = (p) => require(path.join(root, 'dist', p));

let server;
let browser;
let url;

/** A small GVSL (16³ grid) whose heads give a clearly non-zero affine matrix and flow, exported with the CLI. */
function makeModel() {
  const { GVSL } = dist('graphs/gvsl.js');
  const { parseWidths } = dist('graphs/unet.js');
  const { saveSafetensors } = dist('runtime/checkpoint/safetensors.js');
  const chan = '8,8,8,8,16,8,8,8,16';
  const model = new GVSL(1, parseWidths(chan), { geometry: 'exact' });
  const sd = model.initStateDict(5);
  const set = (k, v) => (sd.get(k).data = Float32Array.from(v));
  set('fc_rot.bias', [0.3, -0.2, 0.25]);
  set('fc_trans.bias', [0.5, -0.4, 0.3]);
  set('out_flow.bias', [0.4, -0.3, 0.5]);
  saveSafetensors(path.join(tmp, 'weights.safetensors'), sd, { geometry: 'exact' });
  const onnx = path.join(tmp, 'gvsl.onnx');
  execFileSync(
    process.execPath,
    [
      path.join(root, 'bin', 'onnx-train.js'),
      'export',
      '--model',
      'gvsl',
      '--chan',
      chan,
      '--shape',
      '1,1,16,16,16',
      '--weights',
      path.join(tmp, 'weights.safetensors'),
      '--out',
      onnx,
    ],
    { stdio: 'pipe' },
  );
  return onnx;
}

before(async () => {
  const env = { ...process.env, GVSL_MODEL: makeModel(), GVSL_PUBLIC: pub, GVSL_OUT: out };
  execFileSync(process.execPath, [path.join(here, 'scripts', 'prepare.mjs')], { env, stdio: 'pipe' });
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', here, '--logLevel', 'warn'],
    { env, stdio: 'pipe', cwd: root },
  );
  server = await serve(out);
  url = `http://127.0.0.1:${server.address().port}/`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--disable-gpu-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ], // playwright gives it a fresh profile folder
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** The reference: Node's register on the same files, with the same model and preprocessing. */
async function nodeReference() {
  const { loadModel } = dist('runtime/serve/model.js');
  const { readNifti, presetFromName } = dist('runtime/data/index.js');
  const info = JSON.parse(fs.readFileSync(path.join(pub, 'model', 'model.json'), 'utf8'));
  const m = await loadModel(path.join(pub, 'model', 'gvsl.onnx'), {
    spacing: info.minSpacing,
    normalize: presetFromName(info.normalize),
  });
  const samples = path.join(root, 'data', 'samples');
  const r = await m.register(
    readNifti(path.join(samples, 'ch2-2mm.nii.gz')),
    readNifti(path.join(samples, 'itk-t1-head.nii.gz')),
    { warpOriginal: true },
  );
  await m.release();
  return r;
}

const maxDiff = (a, b) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

test(
  'the page registers the samples on WebAssembly and on WebGPU (SwiftShader) as Node does',
  { timeout: 120000 },
  async () => {
    const t0 = performance.now();
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    // One WebAssembly thread: the test machines have 2 cores, shared with the GPU process's software renderer.
    await page.goto(`${url}?threads=1`);
    assert.equal(
      await page.evaluate(() => self.crossOriginIsolated),
      true,
      'COOP/COEP: the page is cross-origin isolated',
    );
    const ref = await nodeReference();
    console.log(`# Node reference ready at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const ep of ['wasm', 'webgpu']) {
      const r = await page
        .evaluate(async (ep) => {
          const res = await window.gvsl.registerSamples(ep, 'fp32');
          const b64 = (a) => {
            const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
            let s = '';
            for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
            return btoa(s);
          };
          const raw = Object.fromEntries(Object.entries(res.raw).map(([k, v]) => [k, Array.isArray(v) ? v : b64(v)]));
          return {
            ep: res.ep,
            epNote: res.epNote,
            timings: res.timings,
            fit: res.fit,
            raw,
            status: document.getElementById('ep-note').textContent,
          };
        }, ep)
        .catch((e) => assert.fail(`${ep}: ${e.message}\n${logs.join('\n')}`));
      const f32 = (s) => new Float32Array(new Uint8Array(Buffer.from(s, 'base64')).buffer);
      assert.equal(r.ep, ep, `${ep}: ran on ${r.ep} (${r.epNote})`);
      assert.match(r.status, ep === 'webgpu' ? /^Ran on WebGPU \(.*\), float32 model/ : /^Ran on WebAssembly \(CPU\)/);
      assert.equal(r.fit, ref.fit.description.replaceAll(`${path.join(root, 'data', 'samples')}${path.sep}`, ''));
      // Same preprocessing code on both sides: the network's inputs are identical.
      assert.equal(maxDiff(f32(r.raw.fixed), ref.model.fixed.data), 0);
      assert.equal(maxDiff(f32(r.raw.moving), ref.model.moving.data), 0);
      const tol = 1e-4;
      assert.ok(maxAbs(ref.flow.data) > 0.1, 'a non-trivial flow');
      assert.ok(maxDiff(f32(r.raw.warp), ref.model.warped.data) < tol, `${ep}: warp_BA`);
      assert.ok(maxDiff(f32(r.raw.flow), ref.flow.data) < tol, `${ep}: flow_BA`);
      assert.ok(maxDiff(r.raw.affine, ref.affine) < tol, `${ep}: aff_mat_BA`);
      // The displacement is in mm (up to ~150 mm here): the same 1e-4, relative to its largest value.
      assert.ok(
        maxDiff(f32(r.raw.displacement), ref.displacement.data) / maxAbs(ref.displacement.data) < tol,
        `${ep}: displacement`,
      );
      console.log(
        `# ${ep}: ${r.epNote}; ${Object.entries(r.timings)
          .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
          .join(', ')}`,
      );
    }
    // Downloads of the last run (WebGPU): warped.nii.gz and the ITK field, the same files as Node's register.
    const files = await page.evaluate(() => {
      const b64 = (u) => {
        let s = '';
        for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
        return btoa(s);
      };
      const f = window.gvsl.last().files;
      const links = ['save-warped', 'save-field']
        .map((id) => document.getElementById(id))
        .map((a) => ({ download: a.download, href: a.href.startsWith('blob:'), hidden: a.hidden }));
      return { warped: b64(f.warped), displacement: b64(f.displacement), links };
    });
    assert.deepEqual(files.links, [
      { download: 'warped.nii.gz', href: true, hidden: false },
      { download: 'displacement-itk.nii.gz', href: true, hidden: false },
    ]);
    const { parseNifti } = dist('runtime/data/index.js');
    const { toLps } = dist('runtime/serve/mapping.js');
    const warped = parseNifti(Buffer.from(files.warped, 'base64'), 'warped.nii.gz');
    assert.deepEqual(warped.affine, ref.warped.affine);
    assert.ok(
      maxDiff(warped.data, ref.warped.data) < 1e-3 * maxAbs(ref.warped.data),
      'downloaded warped.nii.gz = Node register',
    );
    const itk = toLps(ref.displacementOnFixed);
    const n = itk.data.length / 3;
    for (let c = 0; c < 3; c++) {
      const comp = parseNifti(Buffer.from(files.displacement, 'base64'), 'displacement-itk.nii.gz', { volume: c });
      assert.ok(
        maxDiff(comp.data, itk.data.subarray(c * n, (c + 1) * n)) < 1e-4 * maxAbs(itk.data),
        `downloaded field component ${c} = Node register (LPS)`,
      );
    }
    // On a software WebGPU adapter (SwiftShader here), 'auto' prefers WebAssembly and says why.
    const auto = await page.evaluate(() => window.gvsl.provider('auto'));
    assert.equal(auto.ep, 'wasm', auto.note);
    assert.match(auto.note, /software renderer/);
    // The page shows the slices, the provider, the timing.
    for (const id of ['view-fixed-axial', 'view-moving-coronal', 'view-warped-sagittal'])
      assert.ok(await page.locator(`#${id}`).isVisible());
    assert.match(await page.locator('#timings').textContent(), /^inference \d+\.\d\d s/);
    fs.mkdirSync(path.join(here, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(here, 'test-results', 'e2e.png'), fullPage: true });
    console.log(`# browser part: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  },
);
