#!/usr/bin/env python3
"""Runs the book's `tokenize` program on the test set and compares with the expected ids.

    /usr/bin/python3 tests/tokenize/check_cases.py --tokenize build/tools/tokenize/tokenize \
        --tokenizer gpt2 --cases tests/tokenize/gpt2_cases.jsonl [--decode-cases FILE]

Every case's text goes through the program as one JSON line; its ids and tokens must
equal the expected ones (which tests/tokenize/reference.py derived from the published
algorithms, see README.md). For GPT-2 the ids must also decode back to the text; the
decode cases check ids cut inside a character. Then lines the program must refuse
(not JSON, no "text", invalid UTF-8, a lone surrogate) are mixed with good ones: each
bad line gets {"error": ...}, the good lines still get their ids, and the exit status is 1.

Exits 77 (reported by ctest as skipped) when the vocabulary files are not there: they
come from `./book deps`, which `./book test` runs first.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path


def run(program, tokenizer, lines, decode=False):
    args = [program, "--tokenizer", tokenizer] + (["--decode"] if decode else [])
    result = subprocess.run(args, input=b"".join(line + b"\n" for line in lines), capture_output=True, timeout=120)
    # split on "\n" only: JSON escapes it inside strings, but not U+2028 or U+0085, which splitlines() would cut at
    out = [json.loads(line) for line in result.stdout.decode("utf-8").split("\n") if line]
    if len(out) != len(lines):
        sys.exit(f"{len(lines)} lines in, {len(out)} out; stderr: {result.stderr.decode(errors='replace')}")
    return result.returncode, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenize", required=True, help="the tokenize program")
    parser.add_argument("--tokenizer", required=True, help="gpt2 or bert-base-uncased")
    parser.add_argument("--cases", required=True, type=Path)
    parser.add_argument("--decode-cases", type=Path)
    parser.add_argument("--vocab", required=True, type=Path, help="build/vocab, to skip when not fetched")
    args = parser.parse_args()
    needed = {"gpt2": ["gpt2/encoder.json", "gpt2/vocab.bpe"], "bert-base-uncased": ["bert-base-uncased/vocab.txt"]}
    missing = [f for f in needed[args.tokenizer] if not (args.vocab / f).is_file()]
    if missing:
        print(f"skipped: {', '.join(missing)} not in {args.vocab}; ./book deps fetches them")
        sys.exit(77)

    cases = [json.loads(line) for line in args.cases.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [json.dumps({"text": c["text"]}).encode() for c in cases]
    status, out = run(args.tokenize, args.tokenizer, lines)
    failures = []
    if status != 0:
        failures.append(f"exit status {status} on valid input")
    for case, got in zip(cases, out):
        if got.get("ids") != case["ids"] or got.get("tokens") != case["tokens"]:
            failures.append(f"{case['name']}: text {case['text']!r}\n  expected {case['ids']} {case['tokens']}\n"
                            f"  got      {got}")
    if args.tokenizer == "gpt2":
        # Byte-level BPE loses nothing: the ids decode to the text itself.
        status, texts = run(args.tokenize, args.tokenizer, [json.dumps({"ids": c["ids"]}).encode() for c in cases], True)
        for case, got in zip(cases, texts):
            if got.get("text") != case["text"]:
                failures.append(f"{case['name']}: decode gave {got} for {case['text']!r}")
    if args.decode_cases:
        decode_cases = [json.loads(l) for l in args.decode_cases.read_text(encoding="utf-8").splitlines() if l.strip()]
        status, texts = run(args.tokenize, args.tokenizer, [json.dumps({"ids": c["ids"]}).encode() for c in decode_cases], True)
        for case, got in zip(decode_cases, texts):
            if got.get("text") != case["text"]:
                failures.append(f"decode {case['name']}: expected {case['text']!r}, got {got}")

    # Bad lines among good ones: an error object each, the rest processed, exit status 1.
    good = json.dumps({"text": cases[0]["text"]}).encode()
    bad = [b"not json", b'{"txt": "hello"}', b'{"text": 5}', b'{"text": "caf\xc3"}', b'{"text": "\\ud800"}', b"[1, 2]"]
    status, out = run(args.tokenize, args.tokenizer, [good] + bad + [good])
    if status != 1:
        failures.append(f"bad lines: exit status {status}, expected 1")
    if out[0] != out[-1] or out[0].get("ids") != cases[0]["ids"]:
        failures.append(f"bad lines: the good lines around them gave {out[0]} and {out[-1]}")
    for line, got in zip(bad, out[1:-1]):
        if "error" not in got or not got["error"]:
            failures.append(f"bad line {line!r} gave {got}, expected an error")

    if failures:
        print(f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures))
        sys.exit(1)
    print(f"{args.tokenizer}: all {len(cases)} cases match, bad lines refused one by one")


if __name__ == "__main__":
    main()
