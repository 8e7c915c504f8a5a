#!/usr/bin/python3
"""Chapter 05's GPT against GPT-2 written here in PyTorch from the published architecture.

gpt_dump writes a small GPT with random weights the way the gpt program saves its model
(DIR/hf: config.json, model.safetensors, vocab.json) and one training step's numbers
(DIR/step.safetensors). This script

1. checks the hf folder's layout: config.json with GPT2Config's keys for GPT2LMHeadModel,
   model.safetensors with exactly GPT2LMHeadModel's parameter names (the tied lm_head and
   the attn.bias mask buffers left out, as save_pretrained does) and the shapes the config
   implies (Conv1D's (in, out) layout), vocab.json with vocab_size tokens;
2. builds GPT-2 from those files (Radford et al. 2019; Hugging Face's modeling_gpt2.py):
   token and position embeddings; per block ln_1, causal self-attention through the fused
   c_attn and c_proj, residual; ln_2, c_fc, GELU (tanh form), c_proj, residual; ln_f; the
   output layer tied to wte;
3. compares with what dl computed on the same batch: logits, loss, every gradient, and the
   weights after one AdamW step (decay on matrices only, betas 0.9 and 0.95), each within a
   relative error of 1e-4.

(Hugging Face's transformers is not packaged in Debian 12, so GPT2LMHeadModel itself cannot
be loaded here; this script is the same computation under the same names.)

usage: check_gpt.py --dump PROGRAM --dir DIR
Exit codes: 0 agree, 1 a difference (printed), 77 PyTorch cannot be imported (ctest: skipped).
"""

import argparse
import json
import os
import subprocess
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:
    print(f"skipped: PyTorch is not installed ({error}); ./book deps --optional installs python3-torch")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "parity"))
import check_parity  # noqa: E402  (its safetensors reader)

TOLERANCE = 1e-4
CONFIG_KEYS = ["architectures", "model_type", "vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "n_inner",
               "activation_function", "layer_norm_epsilon", "tie_word_embeddings", "embd_pdrop", "resid_pdrop",
               "attn_pdrop", "initializer_range"]


def expected_shapes(c):
    e, inner = c["n_embd"], c["n_inner"] or 4 * c["n_embd"]
    shapes = {"transformer.wte.weight": (c["vocab_size"], e), "transformer.wpe.weight": (c["n_positions"], e),
              "transformer.ln_f.weight": (e,), "transformer.ln_f.bias": (e,)}
    for layer in range(c["n_layer"]):
        p = f"transformer.h.{layer}."
        shapes.update({p + "ln_1.weight": (e,), p + "ln_1.bias": (e,), p + "attn.c_attn.weight": (e, 3 * e),
                       p + "attn.c_attn.bias": (3 * e,), p + "attn.c_proj.weight": (e, e), p + "attn.c_proj.bias": (e,),
                       p + "ln_2.weight": (e,), p + "ln_2.bias": (e,), p + "mlp.c_fc.weight": (e, inner),
                       p + "mlp.c_fc.bias": (inner,), p + "mlp.c_proj.weight": (inner, e), p + "mlp.c_proj.bias": (e,)})
    return shapes


# [torch-gpt2]
def gpt2(w, c, ids):
    """GPT2LMHeadModel's forward pass in evaluation mode: ids (B, T) -> logits (B, T, V)."""
    b, t = ids.shape
    e, heads = c["n_embd"], c["n_head"]
    d, eps = e // heads, c["layer_norm_epsilon"]
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][torch.arange(t)]
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    for layer in range(c["n_layer"]):
        p = f"transformer.h.{layer}."
        h = F.layer_norm(x, (e,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        q, k, v = (h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]).split(e, dim=-1)  # Conv1D: x W + b
        q, k, v = (z.view(b, t, heads, d).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / d ** 0.5
        attention = torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)
        y = (attention @ v).transpose(1, 2).reshape(b, t, e)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = F.layer_norm(x, (e,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = F.gelu(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")  # gelu_new
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = F.layer_norm(x, (e,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    return x @ w["transformer.wte.weight"].T  # lm_head, tied to wte
# [torch-gpt2]


def rel_error(ours, theirs):
    ours, theirs = torch.as_tensor(ours, dtype=torch.float64), theirs.detach().double()
    return float((ours - theirs).abs().max() / max(1.0, float(theirs.abs().max())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", required=True, help="the gpt_dump program")
    parser.add_argument("--dir", required=True, help="where gpt_dump writes")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    subprocess.run([args.dump, args.dir], check=True)
    failures = []

    # 1. The folder's layout.
    hf = os.path.join(args.dir, "hf")
    with open(os.path.join(hf, "config.json")) as f:
        config = json.load(f)
    missing = [key for key in CONFIG_KEYS if key not in config]
    if missing:
        failures.append(f"config.json lacks {missing}")
    if config.get("architectures") != ["GPT2LMHeadModel"] or config.get("model_type") != "gpt2" \
            or config.get("activation_function") != "gelu_new" or config.get("tie_word_embeddings") is not True:
        failures.append(f"config.json does not describe a tied GPT2LMHeadModel with gelu_new: {config}")
    weights, _ = check_parity.read_safetensors(os.path.join(hf, "model.safetensors"))
    failures += check_parity.layout_failures(weights, expected_shapes(config))
    with open(os.path.join(hf, "vocab.json")) as f:
        vocab = json.load(f)
    if len(vocab) != config["vocab_size"] or sorted(vocab.values()) != list(range(config["vocab_size"])):
        failures.append(f"vocab.json has {len(vocab)} tokens with ids not 0..{config['vocab_size'] - 1}")
    if failures:
        print("\n".join(failures))
        return 1

    # 2-3. The same step in PyTorch.
    step, meta = check_parity.read_safetensors(os.path.join(args.dir, "step.safetensors"))
    batch, steps = int(meta["batch"]), int(meta["steps"])
    ids = check_parity.ids(step["in.ids"]).view(batch, steps)
    targets = check_parity.ids(step["in.targets"])
    w = {name: check_parity.t(a).requires_grad_() for name, a in weights.items()}
    logits = gpt2(w, config, ids).reshape(batch * steps, -1)
    loss = F.cross_entropy(logits, targets, ignore_index=-100)
    loss.backward()
    errors = {"logits": rel_error(step["out.logits"], logits), "loss": rel_error(step["loss"], loss.reshape(1))}
    for name, p in w.items():
        errors["grad." + name] = rel_error(step["grad." + name], p.grad)
    decayed = [p for p in w.values() if p.dim() >= 2]
    kept = [p for p in w.values() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decayed, "weight_decay": float(meta["weight_decay"])},
                                   {"params": kept, "weight_decay": 0.0}],
                                  lr=float(meta["lr"]), betas=(0.9, 0.95), eps=1e-8)
    optimizer.step()
    e = config["n_embd"]
    for name, p in w.items():
        if name.endswith("attn.c_attn.bias"):
            # The key bias adds q.b to every score of a row, which the softmax cancels: its
            # gradient is zero up to rounding (checked above), and Adam divides that rounding
            # noise by its own square root, so the step of those E entries is noise on both
            # sides. The query and value parts are compared.
            keep = torch.cat([torch.arange(0, e), torch.arange(2 * e, 3 * e)])
            errors["adamw." + name] = rel_error(step["adamw." + name][keep.numpy()], p[keep])
        else:
            errors["adamw." + name] = rel_error(step["adamw." + name], p)
    worst = max(errors, key=errors.get)
    for name, error in sorted(errors.items()):
        if error > TOLERANCE:
            failures.append(f"{name}: relative error {error:.2e} > {TOLERANCE:.0e}")
    print(f"{len(errors)} comparisons (logits, loss, {len(w)} gradients, {len(w)} AdamW steps); worst {worst} "
          f"at {errors[worst]:.2e}")
    if failures:
        print("\n".join(failures))
        return 1
    print("GPT agrees with GPT-2 in PyTorch, and the hf folder has GPT2LMHeadModel's layout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
