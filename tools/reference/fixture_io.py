"""What the reference scripts share when they write fixtures: JSON files, the golden set of a model
(config, weights, inputs, expected logits, loss and gradients, parameter shapes), their command
line, and GPT-2's byte table. No torch import: the tokenizer references run without it."""
import argparse
import json
import os

import safetensors_io as st


def write_json(path, value, **options):
    """`value` as JSON (json.dumps `options`) and a newline."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(value, **options) + "\n")


def write_config(path, config):
    write_json(path, config, indent=2, sort_keys=True)


def expected_tensors(logits, loss):
    """The `logits` and `loss` [1] entries of expected.safetensors, float32."""
    return {"logits": st.f32(logits.detach().numpy()), "loss": st.f32(loss.detach().reshape(1).numpy())}


def write_golden(d, config, model, weights, inputs, logits, loss):
    """write_model_golden's files and parameter-shapes.json (`named_parameters()` names and shapes)."""
    write_model_golden(d, config, model, weights, inputs, logits, loss)
    write_json(os.path.join(d, "parameter-shapes.json"), [[n, list(p.shape)] for n, p in model.named_parameters()])


def write_model_golden(d, config, model, weights, inputs, logits, loss):
    """config.json, inputs.json, model.safetensors (`weights`, float32) and expected.safetensors
    (logits, loss, grad.<name> of every parameter after `loss.backward()`)."""
    os.makedirs(d, exist_ok=True)
    write_config(os.path.join(d, "config.json"), config)
    write_json(os.path.join(d, "inputs.json"), inputs)
    st.write(os.path.join(d, "model.safetensors"), {n: st.f32(w.numpy()) for n, w in weights.items()})
    expected = expected_tensors(logits, loss)
    for name, p in model.named_parameters():
        expected[f"grad.{name}"] = st.f32(p.grad.numpy())
    st.write(os.path.join(d, "expected.safetensors"), expected, {"loss": repr(loss.item())})


def generate_main(doc, generate):
    """The command line of a model reference: `generate --out DIR` calls generate(DIR)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the golden fixtures")
    gen.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.out)


def out_and_lines(default_lines):
    """The command line of a tokenizer reference: `--out DIR [--lines N]`; DIR is created."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--lines", type=int, default=default_lines)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    return args


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table (space -> 'Ġ')."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))
