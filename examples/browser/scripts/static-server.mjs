// The e2e test's static server: files under one folder only, with the cross-origin isolation headers that
// threaded WebAssembly needs. Bound to 127.0.0.1.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.gz': 'application/gzip',
};

/**
 * The file under `root` that a request path names, or null when it names something outside (`..` in any
 * spelling, `%2f`-encoded slashes, NUL bytes, symlinks that leave the folder) or nothing.
 */
export function resolveUnder(root, urlPath) {
  let p;
  try {
    p = decodeURIComponent(new URL(urlPath, 'http://x').pathname);
  } catch {
    return null; // malformed percent-encoding
  }
  if (p.includes('\0')) return null;
  const base = fs.realpathSync(root);
  const target = path.resolve(base, '.' + path.posix.normalize('/' + p));
  const file = p.endsWith('/') ? path.join(target, 'index.html') : target;
  if (!fs.existsSync(file)) return null;
  const real = fs.realpathSync(file);
  const rel = path.relative(base, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || !fs.statSync(real).isFile()) return null;
  return real;
}

/** Serves `dir` on 127.0.0.1 at a free port; resolves to the listening server. */
export function serve(dir) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const file = resolveUnder(dir, req.url);
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      const body = fs.readFileSync(file);
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      res.end(body);
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
