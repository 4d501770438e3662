#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'runtime', 'cli', 'index.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('onnx-train: the TypeScript build is missing; run `npm run build` (npm ci does it).\n');
  process.exit(1);
}
require(entry)
  .run(process.argv)
  .then((code) => process.exit(code))
  .catch((e) => {
    process.stderr.write(`onnx-train: ${e && e.stack ? e.stack : e}\n`);
    process.exit(2);
  });
