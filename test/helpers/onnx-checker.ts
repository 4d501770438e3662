import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Models exported by runGraph in this test file, to be checked together by `checkRecordedModels`. */
const recorded: { label: string; bytes: Uint8Array }[] = [];

export function recordModel(label: string, bytes: Uint8Array): void {
  recorded.push({ label, bytes });
}

const PY = '/usr/bin/python3';
const SCRIPT = `
import sys, onnx
bad = []
known = onnx.defs.onnx_opset_version()
for p in sys.argv[1:]:
    try:
        m = onnx.load(p)
        # An older onnx (Debian's 1.12 knows opsets <= 17) would check newer nodes against stale schemas.
        if any(o.domain in ('', 'ai.onnx') and o.version > known for o in m.opset_import):
            continue
        onnx.checker.check_model(m, full_check=True)
    except Exception as e:
        bad.append(p + ': ' + str(e).splitlines()[0])
print('\\n'.join(bad))
`;

/** True when Debian's python3-onnx is installed (CI installs it; see .ci/run). */
export function haveOnnxChecker(): boolean {
  try {
    execFileSync(PY, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `onnx.checker.check_model(full_check=True)` (ONNX's own checker, with its shape inference) on
 * model files; returns one line per failing model.
 */
export function checkModelFiles(files: string[]): string[] {
  if (files.length === 0) return [];
  const out = execFileSync(PY, ['-c', SCRIPT, ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.split('\n').filter((l) => l.trim());
}

/** Checks every model recorded so far (and forgets them); returns failures as `label: message`. */
export function checkRecordedModels(): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-check-'));
  const byFile = new Map<string, string>();
  recorded.splice(0).forEach((m, i) => {
    const f = path.join(dir, `m${i}.onnx`);
    fs.writeFileSync(f, m.bytes);
    byFile.set(f, m.label);
  });
  try {
    return checkModelFiles([...byFile.keys()]).map((l) => {
      const f = l.slice(0, l.indexOf(': '));
      return `${byFile.get(f) ?? f}${l.slice(f.length)}`;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
