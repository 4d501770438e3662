#!/usr/bin/env node
// Peak memory of readNifti on a large synthetic volume (issue 18: "a 2 GB volume peaks at ~3x").
// Usage: node scripts/measure-nifti-rss.js [distDir=dist] [D,H,W=512,512,320] [float32|int16]
// Writes the volume (.nii and .nii.gz) to a temp folder, then reads each in a fresh child process and prints
// the peak RSS above the process's baseline, as a multiple of the Float32 volume it returns.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dist = path.resolve(process.argv[2] ?? 'dist');
const [D, H, W] = (process.argv[3] ?? '512,512,320').split(',').map(Number);
const datatype = process.argv[4] ?? 'float32';
const nifti = path.join(dist, 'runtime', 'data', 'nifti.js');

if (process.env.MEASURE_CHILD) {
  const { readNifti } = require(nifti);
  const base = process.memoryUsage().rss;
  const vol = readNifti(process.env.MEASURE_CHILD);
  // VmHWM, not resourceUsage().maxRSS: on Linux ru_maxrss survives exec and would count the parent's memory.
  const peak = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  process.stdout.write(JSON.stringify({ base, peak, volume: vol.data.byteLength }) + '\n');
  return;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nifti-rss-'));
try {
  const { writeNifti } = require(nifti);
  const n = D * H * W;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (((i * 2654435761) >>> 20) % 2000) - 1000; // incompressible-ish CT-like values
  const vol = { data, dims: [D, H, W], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], spacing: [1, 1, 1] };
  for (const ext of ['.nii', '.nii.gz']) {
    const file = path.join(tmp, `big${ext}`);
    writeNifti(file, vol, { datatype, level: 1 });
    const out = execFileSync(process.execPath, ['--max-old-space-size=8192', __filename, dist], {
      env: { ...process.env, MEASURE_CHILD: file },
    }).toString();
    const r = JSON.parse(out);
    const mib = (b) => (b / 2 ** 20).toFixed(0);
    console.log(
      `${ext.padEnd(7)} ${datatype} ${D}x${H}x${W}: file ${mib(fs.statSync(file).size)} MiB, volume ${mib(r.volume)} MiB, peak RSS above baseline ${mib(r.peak - r.base)} MiB = ${((r.peak - r.base) / r.volume).toFixed(2)}x the volume`,
    );
    fs.rmSync(file);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
