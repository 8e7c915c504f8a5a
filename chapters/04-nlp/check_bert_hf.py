#!/usr/bin/python3
"""The bert program's hf/ folder, read as Hugging Face would read it, in PyTorch.

Trains a small BERT with the bert program on a made-up WordNet, then:

1. checks the folder's layout: config.json with BertConfig's keys, model.safetensors with
   exactly BertForMaskedLM's parameter names (the tied decoder weight left out, as
   save_pretrained does) and the shapes the config implies, vocab.txt with vocab_size
   lines, tokenizer_config.json naming BertTokenizer;
2. reads model.safetensors with the parity tests' parser (tests/parity/check_parity.py)
   and runs BERT written here from the published architecture (Devlin et al. 2019; Hugging Face's modeling_bert.py): summed
   word, position and token-type embeddings, LayerNorm; per layer self-attention,
   dense, residual and LayerNorm, then GELU feed-forward, residual and LayerNorm; the
   masked-LM head dense, GELU, LayerNorm and the tied word embeddings plus a bias;
3. compares its probabilities at each [MASK] with those `bert --predict ... --json` prints:
   the same top tokens, and each probability within a relative error of 1e-4.

(Hugging Face's transformers is not packaged in Debian 12, so BertForMaskedLM itself cannot be
loaded here; this script is the same computation under the same names.)

usage: check_bert_hf.py --bert PROGRAM --dir DIR
Exit codes: 0 agree, 1 a difference (printed), 77 PyTorch cannot be imported (ctest: skipped).
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:
    print(f"skipped: PyTorch is not installed ({error}); ./book deps --optional installs python3-torch")
    sys.exit(77)

# The safetensors reader of the parity tests (it needs PyTorch too, imported above).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "parity"))
import check_parity  # noqa: E402

TOLERANCE = 1e-4
TEXT = "a [MASK] animal that [MASK] at the [MASK]"
GLOSSES = ["a domestic animal that barks at strangers", "a body of water that flows to the sea",
           "a young bird that cannot fly yet", "the act of baking bread in an oven"]


def write_wordnet(folder):
    os.makedirs(folder, exist_ok=True)
    lines = ["  1 This software and database is being provided\n"]
    for i in range(80):
        lines.append(f"{i:08d} 05 n 01 word{i} 0 000 | {GLOSSES[i % 4]}  \n")
    with open(os.path.join(folder, "data.noun"), "w") as f:
        f.writelines(lines)
    others = {"data.verb": "00000002 29 v 01 run 0 000 | move fast  \n",
              "data.adj": "00000003 00 a 01 big 0 000 | above average in size  \n",
              "data.adv": "00000017 02 r 01 quickly 0 000 | with speed  \n"}
    for part, line in others.items():
        with open(os.path.join(folder, part), "w") as f:
            f.write(line)


def read_safetensors(path):
    """name -> float32 torch tensor, through the parity tests' reader."""
    return {name: torch.from_numpy(array) for name, array in check_parity.read_safetensors(path)[0].items()}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def expected_shapes(c):
    h, i, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    shapes = {
        "bert.embeddings.word_embeddings.weight": [v, h],
        "bert.embeddings.position_embeddings.weight": [c["max_position_embeddings"], h],
        "bert.embeddings.token_type_embeddings.weight": [c["type_vocab_size"], h],
        "bert.embeddings.LayerNorm.weight": [h], "bert.embeddings.LayerNorm.bias": [h],
        "cls.predictions.bias": [v],
        "cls.predictions.transform.dense.weight": [h, h], "cls.predictions.transform.dense.bias": [h],
        "cls.predictions.transform.LayerNorm.weight": [h], "cls.predictions.transform.LayerNorm.bias": [h],
    }
    for layer in range(c["num_hidden_layers"]):
        p = f"bert.encoder.layer.{layer}."
        for part in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[p + part + ".weight"], shapes[p + part + ".bias"] = [h, h], [h]
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[p + norm + ".weight"], shapes[p + norm + ".bias"] = [h], [h]
        shapes[p + "intermediate.dense.weight"], shapes[p + "intermediate.dense.bias"] = [i, h], [i]
        shapes[p + "output.dense.weight"], shapes[p + "output.dense.bias"] = [h, i], [h]
    return shapes


def layer_norm(c, w, x, name):
    return F.layer_norm(x, x.shape[-1:], w[name + ".weight"], w[name + ".bias"], c["layer_norm_eps"])


def dense(w, x, name):
    return x @ w[name + ".weight"].T + w[name + ".bias"]


# [torch-bert]
def bert_hidden(c, w, ids):
    """BertModel's last hidden states (T, E) for one sequence of ids, one segment, no padding."""
    heads = c["num_attention_heads"]
    t = len(ids)
    ids_t = torch.tensor(ids)

    def ln(x, name):
        return layer_norm(c, w, x, name)

    def lin(x, name):
        return dense(w, x, name)

    e = "bert.embeddings."
    x = (w[e + "word_embeddings.weight"][ids_t] + w[e + "position_embeddings.weight"][:t]
         + w[e + "token_type_embeddings.weight"][0])
    x = ln(x, e + "LayerNorm")
    d = x.shape[-1] // heads
    for layer in range(c["num_hidden_layers"]):
        p = f"bert.encoder.layer.{layer}."

        def split(y):
            return y.reshape(t, heads, d).transpose(0, 1)  # (H, T, d)

        q, k, v = (split(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1)
        context = (probs @ v).transpose(0, 1).reshape(t, heads * d)
        x = ln(x + lin(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        ff = lin(F.gelu(lin(x, p + "intermediate.dense")), p + "output.dense")
        x = ln(x + ff, p + "output.LayerNorm")
    return x


def bert_logits(c, w, ids):
    """BertForMaskedLM's logits (T, V): the masked-LM head on BertModel's hidden states."""
    x = bert_hidden(c, w, ids)
    y = layer_norm(c, w, F.gelu(dense(w, x, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm")
    return y @ w["bert.embeddings.word_embeddings.weight"].T + w["cls.predictions.bias"]
# [torch-bert]


def compare_predictions(bert, out, c, w, vocab, failures):
    """Runs bert --predict --json on TEXT and compares its top tokens with PyTorch's; returns the worst error."""
    top = 10
    predict = [bert, "--out", out, "--predict", TEXT, "--top", str(top), "--json"]
    run = subprocess.run(predict, capture_output=True, text=True)
    if run.returncode != 0:
        failures.append(f"{' '.join(predict)} failed ({run.returncode}):\n{run.stdout}{run.stderr}")
        return 0.0
    ours = json.loads(run.stdout)
    ids = ours["input_ids"]
    if [vocab[i] for i in ids] != ours["tokens"]:
        failures.append(f"tokens {ours['tokens']} are not vocab.txt's lines for ids {ids}")
    with torch.no_grad():
        probs = torch.softmax(bert_logits(c, w, ids).double(), dim=-1)
    masks = [i for i, token in enumerate(ours["tokens"]) if token == "[MASK]"]
    if [p["position"] for p in ours["predictions"]] != masks or len(masks) != 3:
        failures.append(f"predictions at {[p['position'] for p in ours['predictions']]}, [MASK] at {masks}")
    worst = 0.0
    for p in ours["predictions"]:
        row = probs[p["position"]]
        theirs = torch.topk(row, top)
        scale = max(theirs.values[0].item(), 1e-12)
        for rank, cand in enumerate(p["top"]):
            rel = abs(cand["prob"] - row[cand["id"]].item()) / scale
            worst = max(worst, rel)
            if rel > TOLERANCE:
                failures.append(f"position {p['position']} rank {rank} {cand['token']}: ours {cand['prob']:.8f}, "
                                f"PyTorch {row[cand['id']].item():.8f} (rel {rel:.2e})")
        # The best token must be PyTorch's best unless the two are tied within the tolerance.
        if p["top"][0]["id"] != theirs.indices[0].item() and \
                abs(theirs.values[0].item() - theirs.values[1].item()) > TOLERANCE * scale:
            failures.append(f"position {p['position']}: our best {p['top'][0]['token']}, PyTorch's "
                            f"{vocab[theirs.indices[0].item()]}")
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bert", required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    data, out = os.path.join(args.dir, "wordnet"), os.path.join(args.dir, "out")
    write_wordnet(data)
    train = [args.bert, "--data", data, "--out", out, "--steps", "20", "--batch", "8", "--hidden", "32",
             "--heads", "4", "--layers", "2", "--intermediate", "64", "--eval-every", "10", "--threads", "1"]
    run = subprocess.run(train, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"{' '.join(train)} failed ({run.returncode}):\n{run.stdout}{run.stderr}")
        return 1
    hf = os.path.join(out, "hf")
    failures = []

    with open(os.path.join(hf, "config.json")) as f:
        c = json.load(f)
    for key in ("architectures", "model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                "intermediate_size", "hidden_act", "max_position_embeddings", "type_vocab_size", "layer_norm_eps",
                "pad_token_id", "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range"):
        if key not in c:
            failures.append(f"config.json has no {key}")
    if c.get("architectures") != ["BertForMaskedLM"] or c.get("model_type") != "bert" or c.get("hidden_act") != "gelu":
        failures.append(f"config.json: architectures/model_type/hidden_act are {c.get('architectures')}, "
                        f"{c.get('model_type')}, {c.get('hidden_act')}")
    w = read_safetensors(os.path.join(hf, "model.safetensors"))
    failures += check_parity.layout_failures(w, expected_shapes(c))
    with open(os.path.join(hf, "vocab.txt"), encoding="utf-8") as f:
        vocab = f.read().split("\n")[:-1]
    if len(vocab) != c["vocab_size"]:
        failures.append(f"vocab.txt has {len(vocab)} lines, config.json says {c['vocab_size']}")
    with open(os.path.join(hf, "tokenizer_config.json")) as f:
        if json.load(f).get("tokenizer_class") != "BertTokenizer":
            failures.append("tokenizer_config.json does not name BertTokenizer")
    if failures:
        print("\n".join(failures))
        return 1

    # Twice: the trained model, whose weights are still near BERT's N(0, 0.02) start and whose
    # probabilities are nearly uniform, then the same folder with weights drawn here large
    # enough (N(0, 0.3), LayerNorm scales around 1) that the logits spread over many nats.
    worst = 0.0
    for label in ("trained", "large random"):
        if label == "large random":
            gen = torch.Generator().manual_seed(0)
            w = {name: (1 + 0.2 * torch.randn(t.shape, generator=gen)) if name.endswith("LayerNorm.weight")
                 else 0.3 * torch.randn(t.shape, generator=gen) for name, t in w.items()}
            write_safetensors(os.path.join(hf, "model.safetensors"), w)
        failures_before = len(failures)
        worst = max(worst, compare_predictions(args.bert, out, c, w, vocab, failures))
        if len(failures) > failures_before:
            failures.insert(failures_before, f"{label} weights:")
    if failures:
        print("\n".join(failures))
        return 1
    print(f"hf/ layout as BertForMaskedLM's ({len(w)} tensors); PyTorch's probabilities at the 3 [MASK]s "
          f"agree for the trained and for large random weights, worst relative error {worst:.2e} <= {TOLERANCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
