/**
 * The dependency rules of docs/architecture.md, checked on every relative import (static, dynamic and
 * require) of the published code:
 *
 *   sdk ← graphs ← runtime/{engine,checkpoint,data} ← runtime/{pretrain,finetune,serve,bench} ← runtime/cli
 *
 * A layer imports only layers to its left (and itself); the applications never import each other; nothing
 * but the CLI itself imports runtime/cli; the published code never imports tests, scripts or examples.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const LIBRARIES = ['engine', 'checkpoint', 'data'];
const APPLICATIONS = ['pretrain', 'finetune', 'serve', 'bench'];

/** The layer of a repository-relative path: its rank, and the unit (application) it belongs to. */
function layerOf(rel: string): { rank: number; unit: string } | null {
  const [top, sub] = rel.split('/');
  if (top === 'sdk') return { rank: 0, unit: 'sdk' };
  if (top === 'graphs') return { rank: 1, unit: 'graphs' };
  if (top !== 'runtime') return null;
  if (LIBRARIES.includes(sub)) return { rank: 2, unit: 'library' };
  if (APPLICATIONS.includes(sub)) return { rank: 3, unit: sub };
  if (sub === 'cli') return { rank: 4, unit: 'cli' };
  return { rank: -1, unit: `runtime/${sub}` };
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(rel);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Relative import specifiers of a file, resolved to repository-relative paths. */
function importsOf(rel: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
  const re = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;
  return [...text.matchAll(re)].map((m) =>
    path
      .relative(ROOT, path.resolve(path.dirname(path.join(ROOT, rel)), m[1]))
      .split(path.sep)
      .join('/'),
  );
}

/** Why importing `to` from `from` breaks a rule (null when allowed). */
function violation(from: string, to: string): string | null {
  const a = layerOf(from);
  const b = layerOf(to);
  if (!a) return null;
  if (/(^|\/)package\.json$/.test(to)) return null; // the version, read from the compiled file's place
  if (!b) return `the published code imports ${to} (tests, scripts and examples sit above it)`;
  if (a.rank < 0)
    return `${from} is outside the layers (runtime/ holds only ${[...LIBRARIES, ...APPLICATIONS, 'cli'].join(', ')})`;
  if (b.rank < 0) return `${to} is outside the layers`;
  if (b.unit === 'cli' && a.unit !== 'cli') return 'nothing but the CLI imports runtime/cli';
  if (b.rank > a.rank) return `${a.unit} (layer ${a.rank}) imports the higher layer ${b.unit} (layer ${b.rank})`;
  if (a.rank === 3 && b.rank === 3 && a.unit !== b.unit)
    return `the application ${a.unit} imports the application ${b.unit}`;
  return null;
}

const FILES = ['sdk', 'graphs', 'runtime'].flatMap(sourceFiles);

test('the source tree has the layers the rules name', () => {
  expect(FILES.length).toBeGreaterThan(100);
  for (const dir of [...LIBRARIES, ...APPLICATIONS, 'cli'])
    expect(FILES.some((f) => f.startsWith(`runtime/${dir}/`))).toBe(true);
  // Every runtime file sits in one of the named folders (no loose runtime/*.ts).
  expect(FILES.filter((f) => layerOf(f)!.rank < 0)).toEqual([]);
});

test('every import follows the layer rules', () => {
  const broken: string[] = [];
  for (const f of FILES) {
    for (const to of importsOf(f)) {
      const why = violation(f, to);
      if (why) broken.push(`${f} → ${to}: ${why}`);
    }
  }
  expect(broken).toEqual([]);
});

test('the rules catch a broken import', () => {
  expect(violation('sdk/graph.ts', 'graphs/unet')).toMatch(/higher layer/);
  expect(violation('runtime/engine/run.ts', 'runtime/pretrain/config')).toMatch(/higher layer/);
  expect(violation('runtime/serve/model.ts', 'runtime/finetune/config')).toMatch(/application finetune/);
  expect(violation('runtime/data/errors.ts', 'runtime/cli/errors')).toMatch(/CLI/);
  expect(violation('runtime/engine/session.ts', 'test/helpers/compare')).toMatch(/tests, scripts and examples/);
  expect(violation('runtime/cli/commands/pretrain.ts', 'runtime/pretrain/run')).toBeNull();
  expect(violation('runtime/finetune/run.ts', 'runtime/engine/run')).toBeNull();
  expect(importsOf('runtime/engine/session.ts')).toContain('sdk/graph');
});
