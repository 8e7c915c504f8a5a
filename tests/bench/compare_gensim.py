#!/usr/bin/python3
"""Chapter 04's skip-gram against gensim's, on the same corpus, settings and threads.

    compare_gensim.py --word2vec BUILD/chapters/04-nlp/word2vec --dir DIR
                      [--rounds R] [--threads N] [--json FILE] [-- WORD2VEC FLAGS]

Our program writes its training sentences (only words of its vocabulary, so gensim's
vocabulary is the same with min_count=1) and trains; gensim trains on that file with
the same dimension, window (both draw each centre's window from 1..window), negatives,
unigram power, subsampling, epochs, learning-rate schedule and worker threads. Rounds
interleave the two sides so that load on the machine hits both. Each side's vectors are
scored by our program's evaluation (`word2vec --evaluate`), the same code and pairs:
input vectors alone, and input + output vectors (our summary's "skipgram").

Throughput is words of the corpus times epochs over training seconds, for both sides
(gensim's log counts words after subsampling; we do not). The table shows medians of
the rounds and the ratio ours/gensim (above 1 for speed: we are faster).

Exit status 2 when gensim is missing (Debian's python3-gensim; ./book deps --optional).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--word2vec", required=True, type=Path, help="our word2vec program")
    p.add_argument("--dir", required=True, type=Path, help="folder for the corpus, vectors and runs")
    p.add_argument("--rounds", type=int, default=3, help="rounds of (ours, gensim); default 3")
    p.add_argument("--threads", type=int, default=2, help="threads of each side; default 2")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("flags", nargs="*", help="flags for our word2vec (after --), e.g. --epochs 5")
    a = p.parse_args()
    if a.rounds < 1 or a.threads < 1:
        p.error("--rounds and --threads must be positive")
    return a


def run_ours(a: argparse.Namespace, out: Path, extra: list[str]) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [str(a.word2vec), "--out", str(out), "--threads", str(a.threads), *a.flags, *extra]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "summary.json").read_text())


def evaluate(a: argparse.Namespace, vectors: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [str(a.word2vec), "--out", str(out), "--evaluate", str(vectors), *a.flags]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "evaluate.json").read_text())["evaluation"][0]


def run_gensim(settings: dict, corpus: Path, words: int, threads: int, seed: int, out: Path) -> dict:
    from gensim.models import Word2Vec
    from gensim.models.keyedvectors import KeyedVectors

    # [gensim-word2vec]
    model = Word2Vec(vector_size=settings["dim"], window=settings["window"], negative=settings["negatives"],
                     ns_exponent=settings["unigram_power"], sample=settings["subsample"], min_count=1,
                     alpha=settings["lr"], min_alpha=settings["lr"] * 1e-4, sg=1, hs=0,
                     workers=threads, seed=seed)
    # [gensim-word2vec]
    model.build_vocab(corpus_file=str(corpus))
    start = time.perf_counter()
    model.train(corpus_file=str(corpus), total_words=model.corpus_total_words, total_examples=model.corpus_count,
                epochs=settings["epochs"])
    seconds = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    model.wv.save_word2vec_format(str(out / "input.txt"))
    both = KeyedVectors(vector_size=settings["dim"])
    both.add_vectors(model.wv.index_to_key, model.wv.vectors + model.syn1neg)
    both.save_word2vec_format(str(out / "sum.txt"))
    assert model.corpus_total_words == words, (model.corpus_total_words, words)
    return {"train_seconds": seconds, "words_per_second": words * settings["epochs"] / seconds,
            "vocabulary": len(model.wv.index_to_key)}


def main() -> int:
    a = parse_args()
    try:
        import gensim
    except ImportError:
        print("compare_gensim: gensim is not installed for /usr/bin/python3 "
              "(Debian's python3-gensim; ./book deps --optional)", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    a.dir.mkdir(parents=True, exist_ok=True)
    corpus = a.dir / "corpus.txt"
    ours, theirs = [], []
    for r in range(a.rounds):
        print(f"round {r + 1}/{a.rounds}: ours", file=sys.stderr, flush=True)
        summary = run_ours(a, a.dir / "ours", ["--write-corpus", str(corpus)] if r == 0 else [])
        res = settings = summary  # results and settings sit side by side in summary.json
        scores = {e["model"]: e for e in res["evaluation"]}
        ours.append({"train_seconds": res["train_seconds"],
                     "words_per_second": res["words_processed"] / res["train_seconds"],
                     "mrr": scores["skipgram"]["mrr"], "mrr_input": scores["skipgram_input"]["mrr"],
                     "recall_at_10": scores["skipgram"]["recall_at_10"]})
        print(f"round {r + 1}/{a.rounds}: gensim", file=sys.stderr, flush=True)
        g = run_gensim(settings, corpus, res["train_words"], a.threads, settings["seed"] + r, a.dir / "gensim")
        if g["vocabulary"] != res["vocabulary"]:
            raise SystemExit(f"compare_gensim: gensim's vocabulary has {g['vocabulary']} words, ours {res['vocabulary']}")
        sum_score = evaluate(a, a.dir / "gensim" / "sum.txt", a.dir / "gensim" / "eval-sum")
        input_score = evaluate(a, a.dir / "gensim" / "input.txt", a.dir / "gensim" / "eval-input")
        theirs.append({**g, "mrr": sum_score["mrr"], "mrr_input": input_score["mrr"],
                       "recall_at_10": sum_score["recall_at_10"]})

    def median(side: list[dict], key: str) -> float:
        return statistics.median(x[key] for x in side)

    rows = []
    for key, what in [("words_per_second", "training words per second"), ("train_seconds", "training seconds"),
                      ("mrr", "test MRR, v + u"), ("mrr_input", "test MRR, v alone"),
                      ("recall_at_10", "test recall@10, v + u")]:
        o, t = median(ours, key), median(theirs, key)
        rows.append({"metric": key, "what": what, "ours": o, "gensim": t, "ratio": o / t if t else None})
    print(f"\n{'metric':<22}{'ours':>14}{'gensim':>14}{'ours/gensim':>13}   (medians of {a.rounds} rounds, "
          f"{a.threads} threads)")
    for row in rows:
        print(f"{row['metric']:<22}{row['ours']:>14.4f}{row['gensim']:>14.4f}{row['ratio']:>13.3f}")
    result = {"rounds": a.rounds, "threads": a.threads, "settings": settings, "train_words": res["train_words"],
              "vocabulary": res["vocabulary"], "gensim_version": gensim.__version__,
              "python": platform.python_version(), "rows": rows, "ours": ours, "gensim": theirs}
    text = json.dumps(result, indent=2) + "\n"
    (a.dir / "compare_gensim.json").write_text(text)
    if a.json:
        a.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
