#!/usr/bin/python3
"""Chapter 06's bag-of-words models against scikit-learn's, on exactly the same features.

Runs `nlu --dump-features DIR`, which writes the word-piece counts of the train and test
glosses in svmlight format (train.svm, test.svm) and the test accuracies of our naive Bayes
and logistic regression (summary.json), then fits scikit-learn's MultinomialNB (alpha=1,
the same add-one smoothing) and LogisticRegression (C=1, multinomial, L2 on the weights
but not the intercept: the objective ours minimises) on train.svm and scores them on
test.svm. Ours must be within 0.5 point of MultinomialNB's accuracy and within 1 point of
LogisticRegression's.

usage: check_sklearn.py --nlu PROGRAM --dir DIR [--vocab-size N] [-- NLU FLAGS]
Exit codes: 0 agree, 1 a difference (printed), 77 scikit-learn cannot be imported (ctest: skipped).
"""

import argparse
import json
import os
import subprocess
import sys
import time

try:
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
except ImportError as error:
    print(f"skipped: scikit-learn is not installed ({error}); ./book deps --optional installs python3-sklearn")
    sys.exit(77)

NB_TOLERANCE = 0.005
LR_TOLERANCE = 0.01


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nlu", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--vocab-size", type=int, default=30522, help="bert-base-uncased's 30,522 pieces")
    parser.add_argument("rest", nargs="*", help="more flags for nlu")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    subprocess.run([args.nlu, "--dump-features", args.dir, *args.rest], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(args.dir, "summary.json"), encoding="utf-8") as f:
        ours = {m["name"]: m["accuracy"] for m in json.load(f)["models"]}

    x_train, y_train = load_svmlight_file(os.path.join(args.dir, "train.svm"), n_features=args.vocab_size)
    x_test, y_test = load_svmlight_file(os.path.join(args.dir, "test.svm"), n_features=args.vocab_size)
    theirs = {}
    start = time.perf_counter()
    theirs["naive_bayes"] = MultinomialNB(alpha=1.0).fit(x_train, y_train).score(x_test, y_test)
    nb_seconds = time.perf_counter() - start
    start = time.perf_counter()
    lr = LogisticRegression(C=1.0, max_iter=1000).fit(x_train, y_train)
    theirs["logistic_regression"] = lr.score(x_test, y_test)
    lr_seconds = time.perf_counter() - start

    failed = False
    for name, tolerance, seconds in (("naive_bayes", NB_TOLERANCE, nb_seconds), ("logistic_regression", LR_TOLERANCE, lr_seconds)):
        gap = abs(ours[name] - theirs[name])
        verdict = "ok" if gap <= tolerance else "DIFFERENT"
        print(f"{name}: ours {ours[name]:.4f}, scikit-learn {theirs[name]:.4f} ({seconds:.1f} s): "
              f"gap {100 * gap:.2f} points, allowed {100 * tolerance:.1f}: {verdict}")
        failed |= gap > tolerance
    with open(os.path.join(args.dir, "sklearn.json"), "w", encoding="utf-8") as f:
        json.dump({"ours": ours, "sklearn": theirs, "train": x_train.shape[0], "test": x_test.shape[0]}, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
