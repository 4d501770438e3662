/**
 * The batch stream from `onnx-train batches` to a rank runner: length-prefixed frames on a pipe.
 *
 *   frame  = u32 (little-endian) header length | header (UTF-8 JSON) | payload
 *   header = {"type": "ready", "volumes": n}                                      (once, payload empty)
 *          | {"type": "batch", "step": t, "micro": j, "samples": [first, end],
 *             "tensors": [{"name": "img_aug", "dtype": "float32", "shape": [m, 1, D, H, W]}, …]}
 *   payload = each tensor's data in header order, little-endian, row-major, no padding
 *
 * Errors are one line on the child's stderr and a non-zero exit; the end of the stream is the pipe's end.
 */
import type { NamedArray } from '../../../sdk/state';

export type FrameHeader =
  | { type: 'ready'; volumes: number }
  | {
      type: 'batch';
      step: number;
      micro: number;
      samples: [number, number];
      tensors: { name: string; dtype: 'float32'; shape: number[] }[];
    };

/** One frame as bytes (the tensors' data is copied once, behind the header). */
export function encodeFrame(header: FrameHeader, tensors: NamedArray[] = []): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  const parts = [len, json, ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
  return Buffer.concat(parts);
}

/** Parses the frames in `buf` (for tests and tools; the runner reads them in Python). */
export function decodeFrames(buf: Buffer): { header: FrameHeader; tensors: NamedArray[] }[] {
  const out: { header: FrameHeader; tensors: NamedArray[] }[] = [];
  let at = 0;
  while (at < buf.length) {
    const n = buf.readUInt32LE(at);
    const header = JSON.parse(buf.subarray(at + 4, at + 4 + n).toString('utf8')) as FrameHeader;
    at += 4 + n;
    const tensors: NamedArray[] = [];
    if (header.type === 'batch') {
      for (const t of header.tensors) {
        const count = t.shape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(count);
        Buffer.from(data.buffer).set(buf.subarray(at, at + 4 * count));
        at += 4 * count;
        tensors.push({ dtype: 'float32', shape: t.shape, data });
      }
    }
    out.push({ header, tensors });
  }
  return out;
}
