"""Writes test fixtures in the safetensors layout, without the safetensors package.

File = u64 little-endian header length N, N bytes of JSON header, raw data.
Header: {"__metadata__": {str: str}, name: {"dtype": "F32" | "I32", "shape": [...], "data_offsets": [begin, end]}}
with offsets relative to the end of the header. Data is little-endian, row-major.
The C# reader is tests/Baton.Tests/Layers/GoldenFixture.cs.
"""
import json
import struct

import numpy as np


def write(path, tensors, metadata=None):
    """tensors: dict name -> array-like (floats become float32, ints int32)."""
    header = {}
    blobs = []
    offset = 0
    for name, value in tensors.items():
        a = np.asarray(value)
        if a.dtype.kind in "iu":
            a, dtype = a.astype("<i4"), "I32"
        else:
            a, dtype = a.astype("<f4"), "F32"
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
