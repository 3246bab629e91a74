"""`generate`: pytorch_model.bin fixtures (good, sharded and hostile) for libs/model's checkpoint tests.

Run with Debian's Python (torch 1.13):
    /usr/bin/python3 tools/reference/torch_bin_fixtures.py generate --out libs/model/fixtures/bin
The good checkpoints hold the golden sequence-classification weights (read from
libs/model/fixtures/golden), so a test can compare a .bin load with the safetensors load. The hostile
files are written, never loaded: loading them with torch.load would run their payload.
"""
import argparse
import collections
import json
import os
import shutil

import numpy as np
import torch

import safetensors_io as st

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "libs", "model", "fixtures", "golden", "sequence-classification")


def golden_state_dict():
    """The golden weights as transformers' state_dict() has them: an OrderedDict with _metadata and the position_ids buffer."""
    weights = st.read(os.path.join(GOLDEN, "model.safetensors"))
    state = collections.OrderedDict((name, torch.from_numpy(np.array(array))) for name, array in weights.items())
    state["bert.embeddings.position_ids"] = torch.arange(64).expand((1, -1))  # int64, a view with stride 0
    state._metadata = collections.OrderedDict([("", {"version": 1})])
    return state


def write_model_dir(out, name, state, **save_options):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(GOLDEN, "config.json"), os.path.join(d, "config.json"))
    torch.save(state, os.path.join(d, "pytorch_model.bin"), **save_options)
    return d


def dtype_cases():
    """Every storage type a checkpoint may hold, views and a Parameter; the expected values go to dtypes.json."""
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, generator=g)
    shared = torch.arange(10, dtype=torch.float32)
    cases = collections.OrderedDict()
    cases["f32"] = base
    cases["f32_transposed"] = base.t()  # non-contiguous strides over the same storage
    cases["f32_slice"] = shared[3:7]  # storage offset 3
    cases["f32_shared"] = shared  # same storage as f32_slice
    cases["f32_expanded"] = shared[:3].expand(2, 3)  # stride 0 on the first axis
    cases["f64"] = torch.randn(3, generator=g, dtype=torch.float64)
    cases["f16"] = torch.randn(2, 3, generator=g).half()
    cases["bf16"] = torch.randn(2, 3, generator=g).bfloat16()
    cases["i64"] = torch.tensor([[0, 1, 2], [-3, 4, 5]], dtype=torch.int64)
    cases["i32"] = torch.tensor([7, -8], dtype=torch.int32)
    cases["i16"] = torch.tensor([300, -300], dtype=torch.int16)
    cases["i8"] = torch.tensor([-5, 5], dtype=torch.int8)
    cases["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    cases["bool"] = torch.tensor([True, False, True])
    cases["scalar"] = torch.tensor(2.5)
    cases["parameter"] = torch.nn.Parameter(torch.ones(2, 2) * 0.5)
    cases["empty"] = torch.zeros(0, 3)
    expected = {
        name: {"shape": list(t.shape), "values": t.detach().to(torch.float64).reshape(-1).tolist()}
        for name, t in cases.items()
    }
    return cases, expected


def write_sharded(out):
    """The golden weights in two shards, as save_pretrained(max_shard_size=...) writes them, in both formats."""
    state = golden_state_dict()
    del state["bert.embeddings.position_ids"]
    names = list(state.keys())
    halves = [names[: len(names) // 2], names[len(names) // 2 :]]
    total_size = sum(t.numel() * 4 for t in state.values())
    for kind, stem, ext in (("sharded-bin", "pytorch_model", "bin"), ("sharded-safetensors", "model", "safetensors")):
        d = os.path.join(out, kind)
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(GOLDEN, "config.json"), os.path.join(d, "config.json"))
        weight_map = {}
        for i, shard_names in enumerate(halves):
            shard_file = f"{stem}-{i + 1:05d}-of-{len(halves):05d}.{ext}"
            shard = {n: state[n].contiguous() for n in shard_names}
            if ext == "bin":
                torch.save(shard, os.path.join(d, shard_file))
            else:
                st.write(os.path.join(d, shard_file), {n: st.f32(t.numpy()) for n, t in shard.items()})
            weight_map.update({n: shard_file for n in shard_names})
        index = {"metadata": {"total_size": total_size}, "weight_map": weight_map}
        with open(os.path.join(d, f"{stem}.{ext}.index.json"), "w") as f:
            f.write(json.dumps(index, indent=2) + "\n")


class RunsACommand:
    """What a malicious checkpoint carries: unpickling it calls os.system (never loaded here)."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/tunefleet-pwned",))


def write_hostile(out):
    d = os.path.join(out, "hostile")
    os.makedirs(d, exist_ok=True)
    good = torch.ones(2)
    torch.save({"weight": good, "payload": RunsACommand()}, os.path.join(d, "os-system.bin"))
    torch.save({"weight": good, "payload": RunsACommand()}, os.path.join(d, "os-system-protocol4.bin"), pickle_protocol=4)
    torch.save({"weight": good, "array": np.ones(2, dtype=np.float32)}, os.path.join(d, "numpy-global.bin"))
    torch.save({"weight": good, "payload": RunsACommand()}, os.path.join(d, "os-system-legacy.bin"), _use_new_zipfile_serialization=False)
    with open(os.path.join(out, "zip", "pytorch_model.bin"), "rb") as f:
        data = f.read()
    with open(os.path.join(d, "truncated.bin"), "wb") as f:
        f.write(data[: len(data) // 2])


def generate(out):
    os.makedirs(out, exist_ok=True)
    write_model_dir(out, "zip", golden_state_dict())
    write_model_dir(out, "zip-protocol4", golden_state_dict(), pickle_protocol=4)
    write_model_dir(out, "legacy", golden_state_dict(), _use_new_zipfile_serialization=False)
    cases, expected = dtype_cases()
    torch.save(cases, os.path.join(out, "dtypes.bin"))
    torch.save(cases, os.path.join(out, "dtypes-legacy.bin"), _use_new_zipfile_serialization=False)
    with open(os.path.join(out, "dtypes.json"), "w") as f:
        f.write(json.dumps(expected) + "\n")
    write_sharded(out)
    write_hostile(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["generate"])
    parser.add_argument("--out", default=os.path.join(HERE, "..", "..", "libs", "model", "fixtures", "bin"))
    args = parser.parse_args()
    generate(args.out)
