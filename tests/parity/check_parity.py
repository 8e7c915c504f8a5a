#!/usr/bin/python3
"""Numerical parity of dl with PyTorch: the Python half.

tests/parity/parity_dump.cpp runs each case with dl and writes one safetensors file per
case: the inputs (in.*), the initial parameters under PyTorch's names, the outputs
(out.*), the loss, every gradient (grad.*) and, for the chapter models, the parameters
after one Adam step (adam.*) and after one SGD-with-momentum step (sgd.*). The file's
metadata names the kind of case and its settings (stride, label smoothing, the
optimisers' hyper-parameters, ...).

This script builds the equivalent PyTorch computation for each file, loads dl's
initial weights and inputs into it, and recomputes every one of those tensors. Each
recomputed tensor is compared with dl's by its relative error

    rel(ours, torch) = max|ours - torch| / max(max|torch|, 1e-6)

(the largest absolute difference, scaled by the largest magnitude of the PyTorch
tensor, so that a tensor of tiny values is not judged on an absolute scale). A tensor
passes when rel <= 1e-4, a few hundred float32 roundings: both sides compute in
float32 but sum in different orders.

The optimiser steps are compared from the same gradients: PyTorch's Adam and SGD start
from dl's initial weights and are given dl's gradients (grad.*, themselves compared with
PyTorch's above). Starting them from PyTorch's own gradients would not be a fair test:
Adam's first step moves a weight by lr * g' / (|g'| + eps) with g' = g + weight_decay * w,
and for the few weights where g' cancels to about eps (1e-8) while g is about 1e-6, a
difference of 1e-10 in g (rel 1e-8 of the largest gradient, float32 noise) changes the
step by a tenth of lr; the MLP's and CNN's first layers have hundreds of such weights.

usage: check_parity.py --dir DIR [--dump PARITY_DUMP --group ops|models|attention]
  With --dump, the script first runs PARITY_DUMP DIR GROUP to write the files.
Exit codes: 0 all tensors agree, 1 some do not (they are listed) or the dump failed,
2 bad usage, 77 PyTorch cannot be imported (ctest reports the test as skipped).
"""

import argparse
import json
import os
import struct
import subprocess
import sys

SKIP = 77
TOLERANCE = 1e-4

try:
    import torch  # first, so that the message names PyTorch when it is missing
    import torch.nn.functional as F
    import numpy as np  # a dependency of python3-torch
except ImportError as error:  # the check must not pass silently without PyTorch: ctest shows SKIPPED
    print(f"SKIPPED: PyTorch cannot be imported by {sys.executable} ({error}); "
          "install python3-torch (./book deps --optional) to run the parity tests", flush=True)
    sys.exit(SKIP)


def read_safetensors(path):
    """The tensors (name -> float32 array) and the metadata of a safetensors file:
    an 8-byte little-endian header length, the JSON header, then raw little-endian data."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len])
    data = blob[8 + header_len:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} has dtype {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
        tensors[name] = array.astype(np.float32)  # a writable native-order copy
    return tensors, metadata


def layout_failures(weights, expected):
    """What differs between a saved model's tensors (name -> array) and the names and shapes its
    architecture expects (name -> shape): the Hugging Face layout checks of chapters 04 to 06."""
    failures = []
    if set(weights) != set(expected):
        failures.append(f"model.safetensors: missing {sorted(set(expected) - set(weights))}, "
                        f"unexpected {sorted(set(weights) - set(expected))}")
    for name, shape in expected.items():
        if name in weights and list(weights[name].shape) != list(shape):
            failures.append(f"{name}: shape {list(weights[name].shape)}, the config makes it {list(shape)}")
    return failures


def t(array):
    """A float32 torch tensor holding a copy of `array`."""
    return torch.from_numpy(np.array(array, dtype=np.float32))


def ids(array):
    """Integer ids stored as floats (exact below 2^24) as a torch int64 tensor."""
    return torch.from_numpy(np.array(array, dtype=np.int64))


def load_params(module, tensors, names):
    """Copies dl's initial weights into `module`; the names must be exactly the module's."""
    expected = sorted(name for name, _ in module.named_parameters())
    if sorted(names) != expected:
        raise ValueError(f"parameter names differ: dl {sorted(names)}, torch {expected}")
    with torch.no_grad():
        for name, p in module.named_parameters():
            if tuple(p.shape) != tensors[name].shape:
                raise ValueError(f"{name}: dl shape {tensors[name].shape}, torch {tuple(p.shape)}")
            p.copy_(t(tensors[name]))


# ---- op-level cases: each returns {name: tensor} for everything dl wrote ----------------

def weighted_sum(y, r):
    """The dumper's loss: sum(y * r) with its fixed random r."""
    return (y * t(r)).sum()


def case_conv2d(x, meta):
    inp = t(x["in.x"]).requires_grad_()
    w = t(x["weight"]).requires_grad_()
    b = t(x["bias"]).requires_grad_()
    y = F.conv2d(inp, w, b, stride=int(meta["stride"]), padding=int(meta["padding"]),
                 dilation=int(meta["dilation"]))
    loss = weighted_sum(y, x["in.r"])
    loss.backward()
    return {"out.y": y, "loss": loss, "grad.x": inp.grad, "grad.weight": w.grad, "grad.bias": b.grad}


def case_max_pool2d(x, meta):
    inp = t(x["in.x"]).requires_grad_()
    y = F.max_pool2d(inp, int(meta["kernel"]), stride=int(meta["stride"]), padding=int(meta["padding"]))
    loss = weighted_sum(y, x["in.r"])
    loss.backward()
    return {"out.y": y, "loss": loss, "grad.x": inp.grad}


def case_recurrent(x, meta):
    lstm = meta["kind"] == "lstm"
    cls = torch.nn.LSTM if lstm else torch.nn.GRU
    module = cls(int(meta["input_size"]), int(meta["hidden_size"]), num_layers=int(meta["num_layers"]))
    names = meta["params"].split(",")
    load_params(module, x, names)
    inp = t(x["in.x"]).requires_grad_()
    h0 = t(x["in.h0"]).requires_grad_()
    if lstm:
        c0 = t(x["in.c0"]).requires_grad_()
        output, (h_n, c_n) = module(inp, (h0, c0))
    else:
        output, h_n = module(inp, h0)
    loss = weighted_sum(output, x["in.r_output"]) + weighted_sum(h_n, x["in.r_h_n"])
    if lstm:
        loss = loss + weighted_sum(c_n, x["in.r_c_n"])
    loss.backward()
    got = {"out.output": output, "out.h_n": h_n, "loss": loss, "grad.x": inp.grad, "grad.h0": h0.grad}
    if lstm:
        got.update({"out.c_n": c_n, "grad.c0": c0.grad})
    got.update({f"grad.{name}": p.grad for name, p in module.named_parameters()})
    return got


def case_recurrent_packed(x, meta):
    """A bidirectional stack over a padded batch, as torch packs it; dl masked its outputs
    after each sequence's length, where pad_packed_sequence writes zeros."""
    lstm = meta["kind"] == "lstm_packed"
    cls = torch.nn.LSTM if lstm else torch.nn.GRU
    module = cls(int(meta["input_size"]), int(meta["hidden_size"]), num_layers=int(meta["num_layers"]),
                 bidirectional=True)
    load_params(module, x, meta["params"].split(","))
    inp = t(x["in.x"]).requires_grad_()
    h0 = t(x["in.h0"]).requires_grad_()
    lengths = ids(x["in.lengths"])
    packed = torch.nn.utils.rnn.pack_padded_sequence(inp, lengths, enforce_sorted=False)
    if lstm:
        c0 = t(x["in.c0"]).requires_grad_()
        out, (h_n, c_n) = module(packed, (h0, c0))
    else:
        out, h_n = module(packed, h0)
    output, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=inp.shape[0])
    loss = weighted_sum(output, x["in.r_output"]) + weighted_sum(h_n, x["in.r_h_n"])
    if lstm:
        loss = loss + weighted_sum(c_n, x["in.r_c_n"])
    loss.backward()
    got = {"out.output": output, "out.h_n": h_n, "loss": loss, "grad.x": inp.grad, "grad.h0": h0.grad}
    if lstm:
        got.update({"out.c_n": c_n, "grad.c0": c0.grad})
    got.update({f"grad.{name}": p.grad for name, p in module.named_parameters()})
    return got

def case_cross_entropy(x, meta):
    logits = t(x["in.logits"]).requires_grad_()
    loss = F.cross_entropy(logits, ids(x["in.targets"]), label_smoothing=float(meta["label_smoothing"]),
                           ignore_index=int(meta.get("ignore_index", -100)))
    loss.backward()
    return {"loss": loss, "grad.logits": logits.grad}


# [torch-ctc]
def case_ctc(x, meta):
    """dl's loss is ctc_loss(log_softmax(logits)); PyTorch's fused backward is right after a
    log_softmax only, so the gradient is compared with respect to the logits."""
    logits = t(x["in.logits"]).requires_grad_()
    loss = F.ctc_loss(torch.log_softmax(logits, dim=-1), ids(x["in.targets"]), ids(x["in.input_lengths"]),
                      ids(x["in.target_lengths"]), blank=0, reduction=meta["reduction"])
    loss.backward()
    return {"loss": loss, "grad.logits": logits.grad}
# [torch-ctc]


# ---- attention: the Transformer's ops and modules ------------------------------------------

def case_layer_norm(x, meta):
    inp = t(x["in.x"]).requires_grad_()
    w = t(x["weight"]).requires_grad_()
    b = t(x["bias"]).requires_grad_()
    y = F.layer_norm(inp, (inp.shape[-1],), w, b, eps=float(meta["eps"]))
    loss = weighted_sum(y, x["in.r"])
    loss.backward()
    return {"out.y": y, "loss": loss, "grad.x": inp.grad, "grad.weight": w.grad, "grad.bias": b.grad}


def case_gelu(x, meta):
    inp = t(x["in.x"]).requires_grad_()
    y = F.gelu(inp, approximate=meta["approximate"])
    loss = weighted_sum(y, x["in.r"])
    loss.backward()
    return {"out.y": y, "loss": loss, "grad.x": inp.grad}


def case_masked_softmax(x, meta):
    inp = t(x["in.x"]).requires_grad_()
    mask = t(x["in.mask"]).requires_grad_()
    y = torch.softmax(inp + mask, dim=-1)
    loss = weighted_sum(y, x["in.r"])
    loss.backward()
    return {"out.y": y, "loss": loss, "grad.x": inp.grad, "grad.mask": mask.grad}


def allowed_keys(key_padding, queries, causal):
    """The boolean (B, 1, T, S) mask of PyTorch's attn_mask (True: may attend) from dl's
    key padding (B, S), 1 for a real token, and the causal flag (query i sees keys j <= i)."""
    real = torch.from_numpy(np.array(key_padding) > 0.5)  # (B, S)
    allowed = real[:, None, None, :].expand(-1, 1, queries, -1)
    if causal:
        allowed = allowed & torch.ones(queries, real.shape[1], dtype=torch.bool).tril()
    return allowed


def case_sdpa(x, meta):
    q, k, v = (t(x[f"in.{name}"]).requires_grad_() for name in ("q", "k", "v"))
    # The definition, written with torch ops (this torch may predate F.scaled_dot_product_attention).
    mask = allowed_keys(x["in.key_padding"], q.shape[2], meta["causal"] == "1")
    scores = (q @ k.transpose(-2, -1)) / q.shape[-1] ** 0.5
    y = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1) @ v
    loss = weighted_sum(y, x["in.r"])
    loss.backward()
    return {"out.y": y, "loss": loss, "grad.q": q.grad, "grad.k": k.grad, "grad.v": v.grad}


def load_attention(attn, x, prefix):
    """dl's separate query/key/value/out projections into torch.nn.MultiheadAttention: its
    in_proj_weight (3E, E) stacks query, key and value rows in that order."""
    with torch.no_grad():
        attn.in_proj_weight.copy_(t(np.concatenate([x[f"{prefix}{n}.weight"] for n in ("query", "key", "value")])))
        attn.in_proj_bias.copy_(t(np.concatenate([x[f"{prefix}{n}.bias"] for n in ("query", "key", "value")])))
        attn.out_proj.weight.copy_(t(x[f"{prefix}out_proj.weight"]))
        attn.out_proj.bias.copy_(t(x[f"{prefix}out_proj.bias"]))


def attention_grads(attn, prefix):
    """The gradients of torch's fused projections under dl's names."""
    e = attn.embed_dim
    w, b = attn.in_proj_weight.grad, attn.in_proj_bias.grad
    got = {}
    for i, name in enumerate(("query", "key", "value")):
        got[f"grad.{prefix}{name}.weight"] = w[i * e:(i + 1) * e]
        got[f"grad.{prefix}{name}.bias"] = b[i * e:(i + 1) * e]
    got[f"grad.{prefix}out_proj.weight"] = attn.out_proj.weight.grad
    got[f"grad.{prefix}out_proj.bias"] = attn.out_proj.bias.grad
    return got


def case_mha(x, meta):
    attn = torch.nn.MultiheadAttention(int(meta["embed_dim"]), int(meta["num_heads"]), batch_first=True)
    load_attention(attn, x, "")
    inp = t(x["in.x"]).requires_grad_()
    padding = torch.from_numpy(np.array(x["in.key_padding"]) < 0.5)  # PyTorch: True marks padding
    y, _ = attn(inp, inp, inp, key_padding_mask=padding, need_weights=False)
    loss = weighted_sum(y, x["in.r"])
    loss.backward()
    got = {"out.y": y, "loss": loss, "grad.x": inp.grad}
    got.update(attention_grads(attn, ""))
    return got


def case_encoder_layer(x, meta):
    layer = torch.nn.TransformerEncoderLayer(
        int(meta["d_model"]), int(meta["nhead"]), dim_feedforward=int(meta["dim_feedforward"]), dropout=0.0,
        activation="gelu", layer_norm_eps=float(meta["layer_norm_eps"]), batch_first=True,
        norm_first=meta["norm_first"] == "1")
    load_attention(layer.self_attn, x, "self_attn.")
    with torch.no_grad():
        for name in ("linear1", "linear2", "norm1", "norm2"):
            for part in ("weight", "bias"):
                getattr(getattr(layer, name), part).copy_(t(x[f"{name}.{part}"]))
    inp = t(x["in.x"]).requires_grad_()
    padding = torch.from_numpy(np.array(x["in.key_padding"]) < 0.5)
    y = layer(inp, src_key_padding_mask=padding)
    loss = weighted_sum(y, x["in.r"])
    loss.backward()
    got = {"out.y": y, "loss": loss, "grad.x": inp.grad}
    got.update(attention_grads(layer.self_attn, "self_attn."))
    for name in ("linear1", "linear2", "norm1", "norm2"):
        for part in ("weight", "bias"):
            got[f"grad.{name}.{part}"] = getattr(getattr(layer, name), part).grad
    return got


# ---- chapter models: the torch twins of chapters/*/ (same layer names and order) ----------

# [torch-mlp]
class MLP(torch.nn.Module):
    """chapters/01-deep-learning/mlp.hpp: 784 -> 256 -> 128 -> 10, ReLU between, logits out."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 256)
        self.fc2 = torch.nn.Linear(256, 128)
        self.fc3 = torch.nn.Linear(128, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
# [torch-mlp]


# [torch-cnn]
class CNN(torch.nn.Module):
    """chapters/02-cnn/cnn.hpp: two (conv 3x3 pad 1, ReLU, max-pool 2) blocks, flatten in
    NCHW order, 3136 -> 128 (ReLU) -> 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc1 = torch.nn.Linear(64 * 7 * 7, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        h = x.reshape(-1, 1, 28, 28)
        h = self.pool(F.relu(self.conv1(h)))
        h = self.pool(F.relu(self.conv2(h)))
        h = F.relu(self.fc1(torch.flatten(h, 1)))
        return self.fc2(h)
# [torch-cnn]


# [torch-charlm]
class CharLM(torch.nn.Module):
    """chapters/03-rnn/charlm.hpp: embedding -> LSTM (one layer, (T, B, E)) -> linear head.
    The dump uses dropout 0, so the chapter's two dropouts are the identity and left out."""

    def __init__(self, vocab, embedding_dim, hidden_size):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embedding_dim)
        self.lstm = torch.nn.LSTM(embedding_dim, hidden_size)
        self.head = torch.nn.Linear(hidden_size, vocab)

    def forward(self, ids, state):
        output, (h_n, c_n) = self.lstm(self.embed(ids), state)
        return self.head(output), h_n, c_n
# [torch-charlm]


def case_model(x, meta):
    kind = meta["kind"]
    if kind == "mlp":
        module = MLP()
    elif kind == "cnn":
        module = CNN()
    else:
        module = CharLM(int(meta["vocab"]), int(meta["embedding_dim"]), int(meta["hidden_size"]))
    names = meta["params"].split(",")
    initial = {name: x[name] for name in names}
    targets = ids(x["in.targets"])

    def forward_loss():
        """One forward pass from the current weights: the outputs dl recorded, and the loss."""
        if kind == "charlm":
            logits, h_n, c_n = module(ids(x["in.ids"]), (t(x["in.h0"]), t(x["in.c0"])))
            outputs = {"out.logits": logits, "out.h_n": h_n, "out.c_n": c_n}
            # the chapter's train_step: the (T, B, V) scores as T*B rows
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)
        else:
            logits = module(t(x["in.x"]))
            outputs = {"out.logits": logits}
            loss = F.cross_entropy(logits, targets)
        return outputs, loss

    load_params(module, initial, names)
    outputs, loss = forward_loss()
    loss.backward()
    got = dict(outputs)
    got["loss"] = loss
    got.update({f"grad.{name}": p.grad.clone() for name, p in module.named_parameters()})

    # Each optimiser steps from dl's initial weights with dl's gradients (see the module
    # docstring: Adam's first step is too ill-conditioned to start from gradients that
    # differ in the last bits).
    optimisers = {
        "adam": lambda params: torch.optim.Adam(
            params, lr=float(meta["adam.lr"]), betas=(float(meta["adam.beta1"]), float(meta["adam.beta2"])),
            eps=float(meta["adam.eps"]), weight_decay=float(meta["adam.weight_decay"])),
        "sgd": lambda params: torch.optim.SGD(
            params, lr=float(meta["sgd.lr"]), momentum=float(meta["sgd.momentum"]),
            weight_decay=float(meta["sgd.weight_decay"]), nesterov=meta["sgd.nesterov"] == "1"),
    }
    for prefix, make in optimisers.items():
        load_params(module, initial, names)
        for name, p in module.named_parameters():
            p.grad = t(x[f"grad.{name}"])
        make(module.parameters()).step()
        got.update({f"{prefix}.{name}": p.detach().clone() for name, p in module.named_parameters()})
    return got


CASES = {
    "conv2d": case_conv2d,
    "max_pool2d": case_max_pool2d,
    "lstm": case_recurrent,
    "gru": case_recurrent,
    "cross_entropy": case_cross_entropy,
    "ctc": case_ctc,
    "lstm_packed": case_recurrent_packed,
    "gru_packed": case_recurrent_packed,
    "layer_norm": case_layer_norm,
    "gelu": case_gelu,
    "masked_softmax": case_masked_softmax,
    "sdpa": case_sdpa,
    "mha": case_mha,
    "encoder_layer": case_encoder_layer,
    "mlp": case_model,
    "cnn": case_model,
    "charlm": case_model,
}


def rel_error(ours, theirs):
    """max|ours - theirs| / max(max|theirs|, 1e-6), computed in float64."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        return float("inf")
    if ours.size == 0:
        return 0.0
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-6))


def exactly_zero(name):
    """Gradients that are 0 in exact arithmetic, so that both sides hold only rounding noise:
    an attention key's bias b adds q.b to every score in a query's row, which the softmax
    cancels. Their difference is judged against the case's largest tensor instead of their
    own (noise-sized) magnitude."""
    return name.startswith("grad.") and name.endswith("key.bias")


def compared_names(tensors):
    """Everything dl computed: outputs, loss, gradients, stepped weights (not inputs or initial weights)."""
    return [name for name in tensors
            if name == "loss" or name.split(".", 1)[0] in ("out", "grad", "adam", "sgd")]


def check_file(path, failures, summary):
    case = os.path.basename(path)[:-len(".safetensors")]
    tensors, meta = read_safetensors(path)
    kind = meta.get("kind")
    if kind not in CASES:
        failures.append(f"{case}: unknown kind {kind!r}")
        return
    got = {name: value.detach().numpy() for name, value in CASES[kind](tensors, meta).items()}
    ours = compared_names(tensors)
    case_scale = max((float(np.max(np.abs(got[name]))) for name in ours
                      if name in got and not exactly_zero(name) and got[name].size), default=0.0)
    worst = 0.0
    for name in ours:
        if name not in got:
            failures.append(f"{case} {name}: dl wrote it but the torch side did not compute it")
            continue
        if tuple(tensors[name].shape) != tuple(got[name].shape):
            print(f"{case:24s} {name:28s} shape dl {tensors[name].shape} torch {got[name].shape}  FAIL")
            failures.append(f"{case} {name}: shape dl {tensors[name].shape}, torch {got[name].shape}")
            continue
        if exactly_zero(name):
            diff = float(np.max(np.abs(np.asarray(tensors[name], np.float64) - np.asarray(got[name], np.float64))))
            err = diff / max(case_scale, 1e-6)
        else:
            err = rel_error(tensors[name], got[name])
        worst = max(worst, err)
        ok = err <= TOLERANCE
        note = "  (exactly 0: scaled by the case's largest tensor)" if exactly_zero(name) else ""
        print(f"{case:24s} {name:28s} rel {err:.2e}  {'ok' if ok else 'FAIL'}{note}")
        if not ok:
            failures.append(f"{case} {name}: rel error {err:.3e} > {TOLERANCE:g}")
    for name in sorted(set(got) - set(ours)):  # e.g. a parameter whose gradient dl did not dump
        failures.append(f"{case} {name}: torch computed it but dl did not write it")
    summary.append((case, len(ours), worst))


def main():
    parser = argparse.ArgumentParser(description="Compare dl with PyTorch on the parity_dump cases.")
    parser.add_argument("--dir", required=True, help="directory of the .safetensors files")
    parser.add_argument("--dump", help="parity_dump program to run first (writes into --dir)")
    parser.add_argument("--group", choices=["ops", "models", "attention"],
                        help="which cases --dump writes (default all)")
    args = parser.parse_args()

    torch.set_num_threads(2)
    if args.dump:
        if not os.access(args.dump, os.X_OK):
            print(f"FAILED: {args.dump} is not an executable; build it first (cmake --build build --target parity_dump)")
            return 1
        os.makedirs(args.dir, exist_ok=True)
        for name in os.listdir(args.dir):  # a case removed from the dumper must not be checked from an old file
            if name.endswith(".safetensors"):
                os.remove(os.path.join(args.dir, name))
        command = [args.dump, args.dir] + ([args.group] if args.group else [])
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            print(result.stdout, end="")
            print(f"FAILED: {' '.join(command)} exited with {result.returncode}")
            return 1

    files = sorted(os.path.join(args.dir, name) for name in os.listdir(args.dir) if name.endswith(".safetensors"))
    if not files:
        print(f"FAILED: no .safetensors files in {args.dir}")
        return 1
    print(f"PyTorch {torch.__version__}, tolerance: rel <= {TOLERANCE:g} "
          "where rel = max|dl - torch| / max(max|torch|, 1e-6)")
    failures, summary = [], []
    for path in files:
        try:
            check_file(path, failures, summary)
        except Exception as error:  # one broken case must not hide the others' results
            failures.append(f"{os.path.basename(path)}: {type(error).__name__}: {error}")

    print("\nsummary: largest relative error per case")
    for case, count, worst in summary:
        print(f"  {case:24s} {count:3d} tensors  max rel {worst:.2e}")
    if failures:
        print(f"\nFAILED: {len(failures)} comparison(s) beyond tolerance or missing:")
        for failure in failures:
            print(f"  {failure}")
        return 1
    print(f"\nall {sum(count for _, count, _ in summary)} tensors of {len(summary)} cases agree with PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
