#!/usr/bin/python3
"""nlu's fine-tuned BERT, read as Hugging Face's BertForSequenceClassification would read it.

Pretrains a tiny BERT with chapter 04's bert program on a made-up WordNet, fine-tunes it
with nlu (--models bert_finetuned), then:

1. checks models/bert_finetuned/: config.json names BertForSequenceClassification with the 26
   supersenses as id2label/label2id, model.safetensors holds exactly that model's parameter
   names (the encoder's as in BertForMaskedLM, bert.pooler.dense.*, classifier.*) with the
   shapes the config implies, vocab.txt has vocab_size lines;
2. runs the encoder written in PyTorch from the published architecture (chapter 04's
   check_bert_hf.py) and the sequence-classification head on top (tanh(dense) of the [CLS]
   position, then the linear classifier), and compares its probabilities with the top 3
   that `nlu --predict TEXT --json` prints: the same labels, each probability within 1e-4.

(Hugging Face's transformers is not packaged in Debian 12; this is the same computation
under the same names.)

usage: check_nlu_hf.py --bert PROGRAM --nlu PROGRAM --dir DIR
Exit codes: 0 agree, 1 a difference (printed), 77 PyTorch cannot be imported (ctest: skipped).
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "04-nlp"))
import check_bert_hf  # noqa: E402  (exits with 77 when PyTorch is missing)
from check_bert_hf import torch  # noqa: E402

TOLERANCE = 1e-4
TEXTS = ["a domestic animal that barks", "the act of baking bread in an oven", "water"]


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bert", required=True)
    parser.add_argument("--nlu", required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    data, pretrained, out = (os.path.join(args.dir, name) for name in ("wordnet", "bert", "nlu"))
    check_bert_hf.write_wordnet(data)
    run([args.bert, "--data", data, "--out", pretrained, "--steps", "5", "--batch", "8", "--hidden", "32", "--heads", "4",
         "--layers", "2", "--intermediate", "64", "--eval-every", "5", "--threads", "1"])
    run([args.nlu, "--data", data, "--bert", os.path.join(pretrained, "hf"), "--out", out, "--models", "bert_finetuned",
         "--finetune-epochs", "1", "--no-curves", "--threads", "1"])
    folder = os.path.join(out, "models", "bert_finetuned")
    failures = []

    with open(os.path.join(folder, "config.json")) as f:
        c = json.load(f)
    if c.get("architectures") != ["BertForSequenceClassification"] or c.get("model_type") != "bert":
        failures.append(f"config.json: architectures {c.get('architectures')}, model_type {c.get('model_type')}")
    id2label = c.get("id2label", {})
    if len(id2label) != 26 or id2label.get("2") != "noun.animal" or c.get("label2id", {}).get("noun.time") != 25:
        failures.append(f"config.json: id2label/label2id are not the 26 supersenses ({len(id2label)} labels)")
    expected = {name: shape for name, shape in check_bert_hf.expected_shapes(c).items() if not name.startswith("cls.")}
    h = c["hidden_size"]
    expected.update({"bert.pooler.dense.weight": [h, h], "bert.pooler.dense.bias": [h],
                     "classifier.weight": [26, h], "classifier.bias": [26]})
    w = check_bert_hf.read_safetensors(os.path.join(folder, "model.safetensors"))
    failures += check_bert_hf.check_parity.layout_failures(w, expected)
    with open(os.path.join(folder, "vocab.txt"), encoding="utf-8") as f:
        vocab = f.read().split("\n")[:-1]
    if len(vocab) != c["vocab_size"]:
        failures.append(f"vocab.txt has {len(vocab)} tokens, config.json says {c['vocab_size']}")
    if failures:
        print("\n".join(failures))
        return 1

    worst = 0.0
    for text in TEXTS:
        ours = json.loads(run([args.nlu, "--out", out, "--models", "bert_finetuned", "--predict", text, "--json"]))
        ids = [vocab.index("[CLS]")] + [vocab.index(p) for p in ours["pieces"]] + [vocab.index("[SEP]")]
        with torch.no_grad():
            hidden = check_bert_hf.bert_hidden(c, w, ids)
            pooled = torch.tanh(check_bert_hf.dense(w, hidden[0], "bert.pooler.dense"))
            probs = torch.softmax(check_bert_hf.dense(w, pooled, "classifier"), dim=-1)
        for entry in ours["models"]["bert_finetuned"]:
            label = next(i for i, name in id2label.items() if name == entry["label"])
            theirs = probs[int(label)].item()
            gap = abs(theirs - entry["prob"]) / max(theirs, 1e-12)
            worst = max(worst, gap)
            if gap > TOLERANCE:
                failures.append(f"{text!r}: {entry['label']} ours {entry['prob']:.6g}, PyTorch {theirs:.6g}")
        top = [id2label[str(i)] for i in torch.topk(probs, 3).indices.tolist()]
        if top != [e["label"] for e in ours["models"]["bert_finetuned"]]:
            failures.append(f"{text!r}: top 3 ours {[e['label'] for e in ours['models']['bert_finetuned']]}, PyTorch {top}")
    print(f"{len(TEXTS)} texts: the same top 3, largest relative difference {worst:.2e} (allowed {TOLERANCE:g})")
    if failures:
        print("\n".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
