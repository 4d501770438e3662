"""The project's safetensors checkpoints (runtime/checkpoint/safetensors.ts), read and written with numpy.

Layout: u64 little-endian header length, a JSON header ``{"__metadata__": {str: str}, name: {"dtype", "shape",
"data_offsets"}}`` padded with spaces to 8 bytes, then the raw little-endian data in header order.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}
_NAMES = {np.dtype(v).str: k for k, v in _DTYPES.items()}


class CheckpointError(Exception):
    pass


def read(path: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Tensors (in file order) and metadata of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise CheckpointError(f"{path}: {len(raw)} bytes is too short for a safetensors file (truncated?)")
    (n,) = struct.unpack_from("<Q", raw, 0)
    if n > len(raw) - 8:
        raise CheckpointError(f"{path}: header length {n} exceeds the file (truncated, or not a safetensors file)")
    header = json.loads(raw[8 : 8 + n].decode("utf8"))
    data = memoryview(raw)[8 + n :]
    meta = header.pop("__metadata__", {}) or {}
    tensors: dict[str, np.ndarray] = {}
    for name, h in header.items():
        if h["dtype"] not in _DTYPES:
            raise CheckpointError(f"{path}: tensor {name!r} has dtype {h['dtype']} (supported: {', '.join(_DTYPES)})")
        b, e = h["data_offsets"]
        if e > len(data):
            raise CheckpointError(f"{path}: tensor {name!r} runs past the end of the data (truncated file?)")
        tensors[name] = np.frombuffer(data[b:e], dtype=np.dtype(_DTYPES[h["dtype"]]).newbyteorder("<")).reshape(h["shape"]).copy()
    return tensors, meta


def encode(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> list[bytes | memoryview]:
    """The file's pieces: length, padded header, then each tensor's bytes."""
    parts = []
    if metadata:
        parts.append('"__metadata__":' + json.dumps(metadata, separators=(",", ":"), ensure_ascii=False))
    offset = 0
    arrays = []
    for name, t in tensors.items():
        a = np.ascontiguousarray(t)
        if a.dtype.str not in _NAMES:
            raise CheckpointError(f"tensor {name!r}: unsupported dtype {a.dtype}")
        entry = {"dtype": _NAMES[a.dtype.str], "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        parts.append(json.dumps(name) + ":" + json.dumps(entry, separators=(",", ":")))
        offset += a.nbytes
        arrays.append(a)
    js = ("{" + ",".join(parts) + "}").encode("utf8")
    js += b" " * (-len(js) % 8)
    return [struct.pack("<Q", len(js)), js, *(memoryview(a).cast("B") for a in arrays)]


def write_atomic(path: str, tensors: dict[str, np.ndarray], metadata: dict[str, str], _fault=None) -> None:
    """Writes to a temporary file beside `path`, syncs it, then renames it over `path`: readers see the old
    file or the new one, never a partial one. `_fault` (tests) is called half-way through the data."""
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    parts = encode(tensors, metadata)
    with open(tmp, "wb") as f:
        for i, p in enumerate(parts):
            if _fault is not None and i == max(2, len(parts) // 2):
                f.flush()
                _fault()
            f.write(p)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
