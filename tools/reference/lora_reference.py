#!/usr/bin/python3
"""LoRA on the plain-PyTorch GPT-2 and Llama references, with PEFT's semantics (no peft, no transformers).

Each targeted module computes `base(x) + lora_B(lora_A(dropout(x))) * scaling`, scaling =
lora_alpha / r (PEFT's LoraLayer / Linear.forward); GPT-2's Conv1D (weight [in, out], PEFT's
fan_in_fan_out) gets the same lora_A [r, in] / lora_B [out, r] matrices. A module is targeted when
its path equals a target name or ends with "." + name (PEFT's check_target_module_exists), so
GPT-2's "c_proj" adapts attn.c_proj and mlp.c_proj. The base weights are the committed GPT-2 and
Llama fixtures, frozen; lora_A and lora_B are N(0, 0.2) (PEFT starts lora_B at zero, which would
leave lora_A's gradient zero and the logits those of the base model: nothing to compare). Float64,
dropout off. Gradients are taken for the adapter matrices only, as with a frozen base.

  /usr/bin/python3 tools/reference/lora_reference.py generate --out libs/model/fixtures/golden-lora

Cases (each a directory): adapter/ (adapter_config.json, adapter_model.safetensors with PEFT's
keys `base_model.model.<module>.lora_A.weight`), base.json (the base fixture's directory, relative
to the fixtures root), inputs.json, expected.safetensors (logits, loss, grad.<adapter key>).
  gpt2/   golden-gpt2/causal-lm, target_modules c_attn and c_proj, r 4, lora_alpha 8
  llama/  golden-llama/gqa/causal-lm (4 query heads over 2 key/value heads), q_proj, v_proj and
          down_proj, r 2, lora_alpha 6
"""
import json
import os

import torch
from torch import nn

import safetensors_io as st
from causal_common import causal_lm_loss
from fixture_io import expected_tensors, generate_main, write_json
from gpt2_reference import GPT2LMHeadModel
from llama_reference import LlamaForCausalLM

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "libs", "model", "fixtures")
CASES = {
    "gpt2": {"base": "golden-gpt2/causal-lm", "build": GPT2LMHeadModel, "targets": ["c_attn", "c_proj"], "r": 4, "alpha": 8, "fan_in_fan_out": True},
    "llama": {"base": "golden-llama/gqa/causal-lm", "build": LlamaForCausalLM, "targets": ["q_proj", "v_proj", "down_proj"], "r": 2, "alpha": 6, "fan_in_fan_out": False},
}


class LoraModule(nn.Module):
    """PEFT's lora.Linear around a base Linear or Conv1D (inference: dropout is the identity)."""

    def __init__(self, base, in_features, out_features, r, alpha, generator):
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.Linear(in_features, r, bias=False)
        self.lora_B = nn.Linear(r, out_features, bias=False)
        self.scaling = alpha / r
        with torch.no_grad():
            self.lora_A.weight.copy_(0.2 * torch.randn(self.lora_A.weight.shape, generator=generator))
            self.lora_B.weight.copy_(0.2 * torch.randn(self.lora_B.weight.shape, generator=generator))

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


def is_targeted(path, targets):
    return any(path == t or path.endswith("." + t) for t in targets)


def add_lora(model, case, generator):
    """Wraps every targeted module (model order) and returns {PEFT key: module}."""
    adapted = {}
    for path, module in list(model.named_modules()):
        if not path or not is_targeted(path, case["targets"]) or not hasattr(module, "weight"):
            continue
        rows, cols = module.weight.shape
        in_f, out_f = (rows, cols) if case["fan_in_fan_out"] else (cols, rows)
        wrapped = LoraModule(module, in_f, out_f, case["r"], case["alpha"], generator)
        parent_path, _, name = path.rpartition(".")
        setattr(model.get_submodule(parent_path), name, wrapped)
        adapted[path] = wrapped
    return adapted


def adapter_config(case):
    return {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": None, "bias": "none",
        "fan_in_fan_out": case["fan_in_fan_out"], "inference_mode": True, "init_lora_weights": True,
        "layers_pattern": None, "layers_to_transform": None, "lora_alpha": case["alpha"], "lora_dropout": 0.0,
        "modules_to_save": None, "peft_type": "LORA", "r": case["r"], "rank_pattern": {}, "revision": None,
        "target_modules": case["targets"], "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False,
    }


def generate(out):
    generator = torch.Generator().manual_seed(0)
    for name, case in CASES.items():
        base_dir = os.path.join(FIXTURES, case["base"])
        with open(os.path.join(base_dir, "config.json")) as f:
            config = json.load(f)
        with open(os.path.join(base_dir, "inputs.json")) as f:
            inputs = json.load(f)
        model = case["build"](config)
        weights = st.read(os.path.join(base_dir, "model.safetensors"))
        with torch.no_grad():
            for key, p in model.named_parameters():
                p.copy_(torch.from_numpy(weights[key].copy()))
                p.requires_grad_(False)  # the frozen base
        adapted = add_lora(model, case, generator)
        model = model.double()
        ids = torch.tensor(inputs["input_ids"], dtype=torch.long)
        mask = torch.tensor(inputs["attention_mask"], dtype=torch.long)
        logits, _ = model.decode(ids, None, mask)
        loss = causal_lm_loss(logits, torch.tensor(inputs["labels"], dtype=torch.long))
        loss.backward()
        d = os.path.join(out, name)
        os.makedirs(os.path.join(d, "adapter"), exist_ok=True)
        adapter, expected = {}, expected_tensors(logits, loss)
        for path, module in adapted.items():
            for matrix in ("lora_A", "lora_B"):
                key = f"base_model.model.{path}.{matrix}.weight"
                weight = getattr(module, matrix).weight
                adapter[key] = st.f32(weight.detach().float().numpy())
                expected[f"grad.{key}"] = st.f32(weight.grad.numpy())
        st.write(os.path.join(d, "adapter", "adapter_model.safetensors"), adapter)
        write_json(os.path.join(d, "adapter", "adapter_config.json"), adapter_config(case), indent=2)
        st.write(os.path.join(d, "expected.safetensors"), expected, {"loss": repr(loss.item())})
        write_json(os.path.join(d, "inputs.json"), inputs)
        write_json(os.path.join(d, "base.json"), {"base": case["base"]})


def main():
    generate_main(__doc__, generate)


if __name__ == "__main__":
    main()
