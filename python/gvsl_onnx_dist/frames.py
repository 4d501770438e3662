"""Reads the batch stream of ``onnx-train batches`` (format: runtime/pretrain/distributed/frames.ts).

frame = u32 little-endian header length | UTF-8 JSON header | payload (each tensor of header["tensors"], float32
little-endian, row-major, in order). The first frame is {"type": "ready"}; then one {"type": "batch"} frame per
(step, micro-batch).
"""

from __future__ import annotations

import json
import struct
from typing import BinaryIO

import numpy as np


class StreamEnded(Exception):
    """The stream ended (the child exited) before a whole frame arrived."""


def _read_exact(f: BinaryIO, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            raise StreamEnded(f"stream ended after {got} of {n} bytes")
        got += k
    return bytes(buf) if n < 4096 else buf


def read_frame(f: BinaryIO) -> tuple[dict, dict[str, np.ndarray]]:
    """The next frame's header and tensors (name -> float32 array)."""
    (n,) = struct.unpack("<I", _read_exact(f, 4))
    header = json.loads(bytes(_read_exact(f, n)).decode("utf8"))
    tensors: dict[str, np.ndarray] = {}
    for t in header.get("tensors", []):
        if t["dtype"] != "float32":
            raise ValueError(f"frame tensor {t['name']!r} has dtype {t['dtype']}, expected float32")
        count = int(np.prod(t["shape"]))
        tensors[t["name"]] = np.frombuffer(_read_exact(f, 4 * count), dtype="<f4").reshape(t["shape"])
    return header, tensors
