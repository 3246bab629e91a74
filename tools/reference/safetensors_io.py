"""Safetensors by hand (no `safetensors` package): 8-byte LE header length, JSON header, raw LE data."""
import json
import struct

import numpy as np

NUMPY_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2")}


def write(path, tensors, metadata=None):
    """tensors: name -> (dtype, shape, raw little-endian bytes), written in the given order."""
    header = {"__metadata__": {"format": "pt", **(metadata or {})}}
    offset = 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # data section 8-byte aligned, as the Rust writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, raw in tensors.values():
            f.write(raw)


def f32(array):
    a = np.ascontiguousarray(array, dtype="<f4")
    return ("F32", a.shape, a.tobytes())


def f16(array):
    a = np.ascontiguousarray(array, dtype="<f2")
    return ("F16", a.shape, a.tobytes())


def bf16(tensor):
    """torch tensor -> BF16 bytes (round to nearest even, as torch's .bfloat16())."""
    import torch

    bits = tensor.detach().to(torch.bfloat16).contiguous().view(torch.int16).numpy().astype("<i2")
    return ("BF16", tuple(tensor.shape), bits.tobytes())


def read(path):
    """name -> float32 numpy array, in header order."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data) or data[8:9] != b"{":
        raise ValueError(f"{path}: bad header (length {n}, file {len(data)} bytes)")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    if metadata.get("format") not in ("pt", "tf", "flax", "mlx"):  # what transformers demands
        raise ValueError(f"{path}: __metadata__.format is {metadata.get('format')!r}, transformers refuses it")
    body = data[8 + n :]
    # The Rust safetensors checks: sorted by offset, the entries tile the data section exactly.
    end = 0
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        if entry["data_offsets"][0] != end:
            raise ValueError(f"{path}: tensor {name} starts at {entry['data_offsets'][0]}, expected {end}")
        end = entry["data_offsets"][1]
    if end != len(body):
        raise ValueError(f"{path}: data section is {len(body)} bytes, tensors cover {end}")
    out = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = np.frombuffer(body[begin:end], dtype=NUMPY_DTYPES[entry["dtype"]])
        if entry["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        out[name] = raw.astype(np.float32).reshape(entry["shape"])
    return out
