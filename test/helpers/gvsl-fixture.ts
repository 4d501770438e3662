/**
 * The GVSL parity fixture ../shared/fixtures/gvsl-half-24x32x40 (made with an independent PyTorch GVSL; see
 * docs/parity.md), read by test/graphs/gvsl-parity.test.ts and test/e2e/gvsl-parity-adam.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { loadSafetensors } from '../../runtime/checkpoint/safetensors';
import type { NamedArray, StateDict } from '../../sdk/state';
import { SHARED } from './paths';

export const GVSL_FIXTURE = path.join(SHARED, 'fixtures', 'gvsl-half-24x32x40');
/** Whether the fixture is there (the tests are skipped without it). */
export const haveGvslFixture = fs.existsSync(path.join(GVSL_FIXTURE, 'case.safetensors'));

export interface GvslFixture {
  /** The PyTorch model's state_dict. */
  weights: StateDict;
  /** Inputs and PyTorch's results (keys in docs/parity.md). */
  c: StateDict;
  /** Our GVSL at the fixture's widths, in the official code's geometry (graphs/gvsl.ts Geometry). */
  model: GVSL;
  shape: [number, number, number, number, number];
}

export function loadGvslFixture(): GvslFixture {
  const w = loadSafetensors(path.join(GVSL_FIXTURE, 'weights.safetensors'));
  const c = loadSafetensors(path.join(GVSL_FIXTURE, 'case.safetensors')).tensors;
  const model = new GVSL(1, parseWidths(w.metadata.chan), { geometry: 'official' });
  return { weights: w.tensors, c, model, shape: c.get('img')!.shape as GvslFixture['shape'] };
}

export const scalar = (a: NamedArray): number => Number(a.data[0]);
