// The e2e test's static server refuses every way out of its folder (node --test examples/browser/static-server.test.mjs).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './scripts/static-server.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'static-server-'));
const dist = path.join(tmp, 'dist');
let server;
let base;

before(async () => {
  fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'index.html'), 'index');
  fs.writeFileSync(path.join(dist, 'assets', 'a.js'), 'a');
  for (const sib of ['public', 'dist-secret']) {
    fs.mkdirSync(path.join(tmp, sib));
    fs.writeFileSync(path.join(tmp, sib, 'secret.txt'), 'secret');
  }
  fs.symlinkSync(path.join(tmp, 'public', 'secret.txt'), path.join(dist, 'link.txt'));
  server = await serve(dist);
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const get = async (p) => {
  const r = await fetch(base + p);
  return [r.status, await r.text()];
};

test('serves files of its folder, with the isolation headers', async () => {
  assert.deepEqual(await get('/'), [200, 'index']);
  assert.deepEqual(await get('/assets/a.js'), [200, 'a']);
  assert.equal((await fetch(base + '/')).headers.get('cross-origin-embedder-policy'), 'require-corp');
});

test('refuses traversal to sibling folders in every spelling', async () => {
  for (const p of [
    '/..%2fpublic/secret.txt',
    '/..%2f..%2f' + path.basename(tmp) + '/public/secret.txt',
    '/..%2fdist-secret/secret.txt',
    '/%2e%2e/public/secret.txt',
    '/assets/..%2f..%2fpublic/secret.txt',
    '/..%5cpublic%5csecret.txt',
    '/link.txt',
    '/a%00.js',
    '/%zz',
  ]) {
    const [status, body] = await get(p);
    assert.notEqual(body, 'secret', p);
    assert.equal(status, 404, p);
  }
});
