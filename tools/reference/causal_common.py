"""What the GPT-2 and Llama references share: the causal mask (Marian's decoder uses it too), the
shifted loss, greedy decoding (with and without a key/value cache, optional repetition penalty) and
the fixture writer."""
import os

import torch
import torch.nn.functional as F

from fixture_io import write_golden, write_json

MIN = torch.finfo(torch.float32).min


def causal_mask(attention_mask, seq, past, dtype):
    """[batch, 1, seq, past + seq] additive: key j is visible to query i when j <= past + i and not padding."""
    total = past + seq
    rows = torch.arange(seq)[:, None] + past
    cols = torch.arange(total)[None, :]
    visible = (cols <= rows)[None, None, :, :] & attention_mask[:, None, None, :].bool()
    return torch.zeros(visible.shape, dtype=dtype).masked_fill(~visible, MIN)


def causal_lm_loss(logits, labels):
    """transformers' ForCausalLMLoss: labels shifted left inside the loss, -100 at each row's end, mean over labelled."""
    shifted = F.pad(labels, (0, 1), value=-100)[:, 1:]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), shifted.reshape(-1), ignore_index=-100)


def repetition_penalty(scores, seen, penalty):
    """transformers' RepetitionPenaltyLogitsProcessor on one row: seen tokens' logits / penalty if > 0, * penalty if < 0."""
    index = torch.tensor(sorted(set(seen)), dtype=torch.long)
    picked = scores[index]
    scores = scores.clone()
    scores[index] = torch.where(picked < 0, picked * penalty, picked / penalty)
    return scores


def greedy(model, prompt, new_tokens, use_cache, penalty=1.0, min_margin=1e-3):
    """Greedy decoding of one prompt. Asserts each step's top-2 margin, so float32 runs pick the same tokens."""
    ids = list(prompt)
    cache = None
    with torch.no_grad():
        for _ in range(new_tokens):
            if use_cache:
                step = ids if cache is None else ids[-1:]
                logits, cache = model.decode(torch.tensor([step]), cache)
            else:
                logits, _ = model.decode(torch.tensor([ids]), None)
            scores = logits[0, -1]
            if penalty != 1.0:
                scores = repetition_penalty(scores, ids, penalty)
            top = torch.topk(scores, 2).values
            assert top[0] - top[1] > min_margin, f"near tie at step {len(ids) - len(prompt)}: {top.tolist()}"
            ids.append(int(torch.argmax(scores)))
    return ids[len(prompt):]


def write_fixture(d, config, model, weights, inputs, generation):
    """config.json, model.safetensors, inputs.json, expected.safetensors (logits, loss, grad.*),
    parameter-shapes.json (fixture_io.write_golden) and generation.json."""
    ids = torch.tensor(inputs["input_ids"], dtype=torch.long)
    mask = torch.tensor(inputs["attention_mask"], dtype=torch.long)
    logits, _ = model.decode(ids, None, mask)
    loss = causal_lm_loss(logits, torch.tensor(inputs["labels"], dtype=torch.long))
    loss.backward()
    write_golden(d, config, model, weights, inputs, logits, loss)
    write_json(os.path.join(d, "generation.json"), generation)


def init_weights(model, generator, is_norm):
    """N(0, 0.2) everywhere (gradients well above float32 noise); norm weights 1 + N(0, 0.1), norm biases N(0, 0.1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if is_norm(name):
                base = 1.0 if name.endswith(".weight") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def generation_record(model, prompt, new_tokens):
    return {
        "prompt": prompt,
        "max_new_tokens": new_tokens,
        "greedy_cached": greedy(model, prompt, new_tokens, True),
        "greedy_uncached": greedy(model, prompt, new_tokens, False),
        "repetition_penalty": 1.5,
        "greedy_repetition_penalty": greedy(model, prompt, new_tokens, True, penalty=1.5),
    }
