import { onnx } from './generated/onnx';

/**
 * The side file of ONNX external data: initializers of at least `threshold` bytes (default 1024) move there,
 * each at a 16-byte aligned offset, and their TensorProto names the file, offset and length instead.
 */
export class ExternalData {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  constructor(
    readonly location: string,
    readonly threshold = 1024,
  ) {}

  /** Puts `raw` in the side file and points `t` at it when it is big enough; else stores it in `t` itself. */
  place(t: onnx.TensorProto.$Properties, raw: Uint8Array): void {
    if (raw.byteLength < this.threshold) {
      t.rawData = raw;
      return;
    }
    const pad = (16 - (this.size % 16)) % 16;
    if (pad) this.parts.push(new Uint8Array(pad));
    this.size += pad;
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      { key: 'location', value: this.location },
      { key: 'offset', value: String(this.size) },
      { key: 'length', value: String(raw.byteLength) },
    ];
    t.rawData = new Uint8Array(0);
    this.parts.push(raw);
    this.size += raw.byteLength;
  }

  /** The side file's bytes. */
  bytes(): Uint8Array {
    const data = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      data.set(p, off);
      off += p.byteLength;
    }
    return data;
  }
}
